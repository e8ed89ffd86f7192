// app.js: the shell: client-side routing over real paths, the state shared
// by every page (project and time range, kept in the query string), the
// theme toggle, the error banner and the empty-store onboarding.
import { getJson } from './api.js';
import { h } from './util.js';
import * as overview from './overview.js';
import * as traces from './traces.js';
import * as trace from './trace.js';
import * as sessions from './sessions.js';
import * as scores from './scores.js';

const ROUTES = [
	[/^\/$/, 'overview', overview.render],
	[/^\/traces$/, 'traces', traces.render],
	[/^\/traces\/([^/]+)$/, 'traces', trace.render],
	[/^\/sessions$/, 'sessions', sessions.renderList],
	[/^\/sessions\/([^/]+)$/, 'sessions', sessions.renderOne],
	[/^\/scores$/, 'scores', scores.render],
];
const RANGES = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
export const DEFAULT_RANGE = '24h';
const SHARED = ['project', 'range', 'from', 'to'];

const main = document.getElementById('main');
let current = { abort: null, cleanup: null };

export const params = () => new URLSearchParams(location.search);

/* The shared filters as API parameters: project, and from/to for the range. */
export function scope() {
	const p = params();
	const out = { project: p.get('project') || undefined };
	const range = p.get('range') || DEFAULT_RANGE;
	if (RANGES[range]) out.from = new Date(Date.now() - RANGES[range]).toISOString();
	else if (range === 'custom') {
		out.from = p.get('from') || undefined;
		out.to = p.get('to') || undefined;
	}
	return out;
}

/* The shared part of the current query string, to carry across links. */
export function sharedQuery(extra = {}) {
	const p = params(), q = new URLSearchParams();
	for (const k of SHARED) if (p.get(k)) q.set(k, p.get(k));
	for (const [k, v] of Object.entries(extra)) if (v != null && v !== '') q.set(k, v);
	const s = q.toString();
	return s ? '?' + s : '';
}

/* Goes to url (path + query) and renders it. */
export function navigate(url, { replace = false } = {}) {
	history[replace ? 'replaceState' : 'pushState'](null, '', url);
	route();
}

/* Sets (or, with '' / null, removes) query parameters of the current page.
 * rerender=false only records them (the page already shows that state). */
export function setParams(changes, { replace = true, rerender = true } = {}) {
	const p = params();
	for (const [k, v] of Object.entries(changes)) {
		if (v == null || v === '' || v === false) p.delete(k);
		else p.set(k, v === true ? '1' : v);
	}
	const s = p.toString();
	const url = location.pathname + (s ? '?' + s : '');
	if (rerender) navigate(url, { replace });
	else history.replaceState(null, '', url);
}

/* A red banner with the API's message (and what was asked). */
export function errorBanner(err) {
	const where = err.path ? h('span.muted', null, ` (${err.status || 'network'} on ${err.path})`) : null;
	return h('div.banner', { role: 'alert' }, h('b', null, 'Error: '), err.message || String(err), where);
}

/* Shows err in place of el's content, unless it is an abort. */
export function showError(el, err) {
	if (err?.name === 'AbortError') return;
	el.replaceChildren(errorBanner(err));
}

/* True when the store holds no trace at all (in any project or time). */
export async function storeIsEmpty(signal) {
	const r = await getJson('/api/traces', { limit: 1 }, { signal });
	return r.items.length === 0;
}

/* How to send the first trace. */
export function onboarding() {
	const host = location.host;
	return h('div.onboard', null,
		h('h1', null, 'No traces yet'),
		h('p.muted', null, 'tracelite is running and waiting for OpenTelemetry traces. Anything that speaks OTLP/HTTP (protobuf or JSON) can send them here.'),
		h('ol', null,
			h('li', null, 'Point your OpenTelemetry SDK or collector at this server:',
				h('pre', null, `OTEL_EXPORTER_OTLP_ENDPOINT=http://${host}\n# traces go to http://${host}/v1/traces`)),
			h('li', null, 'Or send one span by hand:',
				h('pre', null, `curl -s http://${host}/v1/traces -H 'content-type: application/json' -d '{
  "resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my-app"}}]},
    "scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
      "name": "hello", "kind": 1, "startTimeUnixNano": "${Date.now()}000000", "endTimeUnixNano": "${Date.now() + 120}000000"}]}]}]}'`)),
			h('li', null, 'Or fill it with realistic demo traffic:',
				h('pre', null, `./tracelite demo --traces 200 --url http://${host}/v1/traces`))),
		h('p.muted', null, 'This page updates by itself once the first trace arrives.'));
}

function route() {
	current.abort?.abort();
	current.cleanup?.();
	current = { abort: new AbortController(), cleanup: null };
	syncControls();
	const path = location.pathname;
	for (const [re, page, render] of ROUTES) {
		const m = path.match(re);
		if (!m) continue;
		for (const a of document.querySelectorAll('.nav a')) {
			if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
			else a.removeAttribute('aria-current');
			a.search = sharedQuery();
		}
		document.querySelector('.brand').search = sharedQuery();
		main.className = page === 'traces' && m[1] ? 'wide' : '';
		main.replaceChildren();
		const ctx = { main, match: m, signal: current.abort.signal, onCleanup: (fn) => { current.cleanup = fn; } };
		Promise.resolve(render(ctx)).catch((err) => showError(main, err));
		return;
	}
	main.replaceChildren(h('div.empty', null, 'No such page. ', h('a', { href: '/', 'data-nav': true }, 'Go to the overview')));
}

/* ---------- shared controls ---------- */

const projectSel = document.getElementById('project');
const rangeSel = document.getElementById('range');
const fromIn = document.getElementById('from'), toIn = document.getElementById('to');
const customBox = document.getElementById('custom-range');

const toLocalInput = (iso) => (iso ? iso.slice(0, 16) : '');
const fromLocalInput = (v) => (v ? v + ':00Z' : '');

function syncControls() {
	const p = params();
	projectSel.value = p.get('project') || '';
	rangeSel.value = p.get('range') || DEFAULT_RANGE;
	customBox.hidden = rangeSel.value !== 'custom';
	fromIn.value = toLocalInput(p.get('from'));
	toIn.value = toLocalInput(p.get('to'));
}

async function loadProjects() {
	try {
		const r = await getJson('/api/projects');
		for (const p of r.items) projectSel.append(h('option', { value: p.name }, `${p.name} (${p.trace_count})`));
		syncControls();
	} catch (err) {
		main.prepend(errorBanner(err));
	}
}

projectSel.addEventListener('change', () => setParams({ project: projectSel.value, cursor: null }, { replace: false }));
rangeSel.addEventListener('change', () => {
	const v = rangeSel.value;
	if (v === 'custom') {
		const s = scope();
		setParams({ range: 'custom', from: s.from || new Date(Date.now() - 86400e3).toISOString(), to: s.to });
	} else setParams({ range: v === DEFAULT_RANGE ? null : v, from: null, to: null }, { replace: false });
});
for (const input of [fromIn, toIn]) {
	input.addEventListener('change', () => setParams({ from: fromLocalInput(fromIn.value), to: fromLocalInput(toIn.value) }));
}
document.getElementById('theme').addEventListener('click', () => {
	const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
	document.documentElement.dataset.theme = next;
	localStorage.setItem('tracelite-theme', next);
	window.dispatchEvent(new Event('themechange'));
});

/* In-app links: plain left clicks on same-origin page links. */
document.addEventListener('click', (e) => {
	const a = e.target.closest('a[href]');
	if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
	if (a.origin !== location.origin || a.pathname.startsWith('/api/') || a.target) return;
	e.preventDefault();
	navigate(a.pathname + a.search);
});
window.addEventListener('popstate', route);
/* "/" focuses the page's search box, as in most tools. */
document.addEventListener('keydown', (e) => {
	if (e.key !== '/' || e.target.closest('input, textarea, select')) return;
	const box = main.querySelector('[data-search]');
	if (box) { e.preventDefault(); box.focus(); }
});

loadProjects();
route();
