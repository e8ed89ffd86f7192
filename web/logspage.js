// logspage.js: the Logs page (/logs): the OTLP log records of the shared
// project and range (GET /api/logs), newest first, paged by cursor,
// filtered by body text, minimum severity, service and trace id from the
// URL. A row opens the record whole (body, attributes, resource, scope);
// its trace id links to the trace page at its span. Every value is text.
import { showError } from './feedback.js';
import { logDetail } from './logs.js';
import { paged } from './sessions.js';
import { editParams, params, scope, setParams, sharedQuery } from './state.js';
import { fmtInt, fmtTime, h } from './util.js';

/* URL parameter -> API parameter of GET /api/logs. */
const FILTERS = { q: 'q', severity: 'severity', service: 'service', trace_id: 'trace_id' };
const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

const traceHref = (l) => `/traces/${l.trace_id}${sharedQuery(l.span_id ? { span: l.span_id } : {})}`;

const COLS = [
	['Time', (l) => h('span.mono', { title: l.time }, fmtTime(l.time))],
	['Severity', (l) => {
		const sev = (l.severity || 'UNSPECIFIED').toLowerCase();
		return h('span.badge.sev-' + sev, { title: `severity ${l.severity_number}` }, l.severity_text || l.severity);
	}],
	['Service', (l) => h('span', { title: l.service }, l.service), 'c-svc'],
	['Body', (l) => h('div.clamp', null, l.body ?? ''), 'c-text c-logbody'],
	['Trace', (l) => (l.trace_id ? h('a.mono', { href: traceHref(l), title: `Trace ${l.trace_id}` }, l.trace_id.slice(0, 8) + '…')
		: h('span.faint', null, '–'))],
];

/* The filter controls, each writing its value into the URL. */
function filterBar() {
	const p = params();
	const text = (key, label, cls, extra = {}) => h('input.' + cls, {
		type: 'text', 'aria-label': label, placeholder: label, value: p.get(key) || '', 'data-filter': key, ...extra,
		onchange: (e) => setParams({ [key]: e.target.value.trim(), cursor: null }),
	});
	return h('div.filters', { role: 'search', 'aria-label': 'Log filters' },
		text('q', 'Search log bodies…  ( / )', 'q', { type: 'search', 'data-search': true }),
		h('select', { 'aria-label': 'Minimum severity', 'data-filter': 'severity', onchange: (e) => setParams({ severity: e.target.value }) },
			h('option', { value: '' }, 'Severity: any'),
			SEVERITIES.map((s) => h('option', { value: s, selected: (p.get('severity') || '').toUpperCase() === s }, `${s} and above`))),
		text('service', 'Service', 'id'),
		text('trace_id', 'Trace id', 'id'),
		Object.keys(FILTERS).some((k) => p.get(k))
			? h('button.btn', { type: 'button', onclick: () => editParams((q) => { for (const k of Object.keys(FILTERS)) q.delete(k); }, { replace: true }) }, 'Clear filters')
			: null);
}

export async function render({ main, signal }) {
	const p = params();
	document.title = 'Logs · tracelite';
	const count = h('span.muted', { id: 'count' });
	const box = h('div', null, h('div.loading', null, 'Loading logs…'));
	main.append(h('div.pagehead', null, h('h1', null, 'Logs'), count), filterBar(), box);
	const query = scope();
	for (const [k, api] of Object.entries(FILTERS)) if (p.get(k)) query[api] = p.get(k);
	const tbody = h('tbody');
	const foot = h('div.table-foot');
	/* a click on a row opens (or closes) the record whole below it */
	const toggle = (tr, l) => {
		if (tr.nextSibling?.classList.contains('log-open')) { tr.nextSibling.remove(); tr.removeAttribute('aria-expanded'); return; }
		tr.setAttribute('aria-expanded', 'true');
		tr.after(h('tr.log-open', null, h('td', { colspan: String(COLS.length) }, logDetail(l))));
	};
	const draw = (items, r) => {
		count.textContent = `${fmtInt(items.length)}${r.next_cursor ? '+' : ''} records, newest first`;
		tbody.replaceChildren(...items.map((l) => {
			const tr = h('tr', { 'data-log-severity': (l.severity || 'unspecified').toLowerCase(), tabindex: '0' },
				COLS.map(([, cell, cls]) => h('td', { class: cls || null }, cell(l))));
			tr.addEventListener('click', (e) => { if (!e.target.closest('a')) toggle(tr, l); });
			tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') toggle(tr, l); });
			return tr;
		}));
	};
	let first;
	try { first = await paged('/api/logs', query, signal, foot, draw); } catch (err) { return showError(box, err); }
	if (!first.logs.length && !first.next_cursor) {
		const filtered = Object.keys(FILTERS).some((k) => p.get(k));
		box.replaceChildren(h('div.empty', null, filtered ? 'No log records match these filters in this time range.'
			: h('span', null, 'No log records in this time range. An OpenTelemetry SDK sends its logs here with ',
				h('code', null, 'OTEL_EXPORTER_OTLP_ENDPOINT'), ' pointed at this server (', h('code', null, 'POST /v1/logs'), ').')));
		return;
	}
	box.replaceChildren(h('div.table-wrap', null, h('table.logtable', { 'aria-label': 'Log records' },
		h('thead', null, h('tr', null, COLS.map(([l]) => h('th', { scope: 'col' }, l)))), tbody)), foot);
}
