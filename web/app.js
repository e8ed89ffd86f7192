// app.js: the entry module (index.html loads it) and the top of the module
// graph: client-side routing over real paths, the shared controls (project,
// time range, theme) and in-app links. No module imports it: pages get the
// URL state from state.js and the error banner and onboarding from
// feedback.js; navigate() reaches route() through onNavigate.
import { getJson, logout, session } from './api.js';
import { errorBanner, showError } from './feedback.js';
import { DEFAULT_RANGE, navigate, onNavigate, params, scope, setParams, sharedQuery } from './state.js';
import { h } from './util.js';
import * as overview from './overview.js';
import * as traces from './traces.js';
import * as trace from './trace.js';
import * as sessions from './sessions.js';
import * as scores from './scores.js';
import * as scoreconfigs from './scoreconfigs.js';
import * as users from './users.js';
import * as logspage from './logspage.js';

const ROUTES = [
	[/^\/$/, 'overview', overview.render],
	[/^\/traces$/, 'traces', traces.render],
	[/^\/traces\/([^/]+)$/, 'traces', trace.render],
	[/^\/sessions$/, 'sessions', sessions.renderList],
	[/^\/sessions\/([^/]+)$/, 'sessions', sessions.renderOne],
	[/^\/scores$/, 'scores', scores.render],
	[/^\/settings\/scores$/, 'scores', scoreconfigs.render],
	[/^\/users$/, 'users', users.renderList],
	[/^\/users\/([^/]+)$/, 'users', users.renderOne],
	[/^\/logs$/, 'logs', logspage.render],
];

/* What an unknown path shows: where one is, and where to go. */
function notFound(path) {
	document.title = 'Not found · tracelite';
	const link = (href, label) => h('li', null, h('a', { href: href + sharedQuery() }, label));
	return h('div.notfound', { role: 'main', 'aria-labelledby': 'nf-title' },
		h('h1', { id: 'nf-title' }, 'Page not found'),
		h('p.muted', null, 'There is no page at ', h('code', null, path), '. It may have been mistyped, or the link is from another tool.'),
		h('ul', null, link('/', 'Overview'), link('/traces', 'Traces'), link('/sessions', 'Sessions'), link('/users', 'Users'), link('/scores', 'Scores'), link('/logs', 'Logs')));
}

const main = document.getElementById('main');
let current = { abort: null, cleanup: null };

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
	for (const a of document.querySelectorAll('.nav a')) a.removeAttribute('aria-current');
	main.className = '';
	main.replaceChildren(notFound(path));
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

/* A browser session (auth on) gets a logout button carrying its CSRF token. */
const logoutBtn = document.getElementById('logout');
session().then((s) => {
	if (!s.auth || s.via !== 'session') return;
	logoutBtn.hidden = false;
	logoutBtn.title = `Logged in as ${s.name} (${s.scope})`;
	logoutBtn.addEventListener('click', () => logout(s.csrf));
}).catch(() => {});

/* In-app links: plain left clicks on same-origin page links. */
document.addEventListener('click', (e) => {
	const a = e.target.closest('a[href]');
	if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
	if (a.origin !== location.origin || a.pathname.startsWith('/api/') || a.target) return;
	e.preventDefault();
	navigate(a.pathname + a.search);
});
onNavigate(route);
window.addEventListener('popstate', route);
/* "/" focuses the page's search box, as in most tools. */
document.addEventListener('keydown', (e) => {
	if (e.key !== '/' || e.target.closest('input, textarea, select')) return;
	const box = main.querySelector('[data-search]');
	if (box) { e.preventDefault(); box.focus(); }
});

loadProjects();
route();
