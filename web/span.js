// span.js: the span panel: what a span did (LLM conversation with model,
// parameters, tokens, cost and latency; input and output pretty-printed),
// an error's exception first, its attributes as a searchable table, events
// with exception stacks, resource and scope, scores, and the raw JSON.
import { annotationsBox, scoreText } from './annotate.js';
import { llmTab } from './llmpanel.js';
import { spanLogs } from './logs.js';
import { fmtFull, fmtInt, fmtMs, h, jsonTree, statusEl, typeBadge, valueView } from './util.js';

let lastTab = 'llm';

const kv = (pairs) => h('dl.kv', null, pairs.filter(([, v]) => v != null && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));

/* The span's exception first: type, message and stack of its first
 * exception event, else its status message. */
function errorFirst(s) {
	if (s.status?.code !== 2) return null;
	const ex = s.events?.find((e) => e.name === 'exception');
	const a = ex?.attributes || {};
	const title = a['exception.type'] ? `${a['exception.type']}: ${a['exception.message'] ?? ''}` : s.status.message || a['exception.message'] || 'error';
	const stack = a['exception.stacktrace'];
	return h('div.banner.exception-first', { style: 'margin:6px 0 0', role: 'note', 'aria-label': 'Exception' },
		h('b', null, title),
		s.status.message && a['exception.type'] && !title.includes(s.status.message) ? h('div', null, s.status.message) : null,
		stack ? h('details', null, h('summary', null, 'Stack trace'), h('pre.stack', null, stack)) : null);
}

function ioTab(s, ctx) {
	return h('div', null, scoresEl(ctx.scores),
		h('div.section', null, h('h2', null, 'Input'), valueView(s.input)),
		h('div.section', null, h('h2', null, 'Output'), valueView(s.output)));
}

function attrTable(attrs, filterText) {
	const q = filterText.toLowerCase();
	const rows = Object.entries(attrs || {}).filter(([k, v]) => !q || k.toLowerCase().includes(q) || String(typeof v === 'object' ? JSON.stringify(v) : v).toLowerCase().includes(q));
	if (!rows.length) return h('div.faint', null, q ? 'No attribute matches.' : 'No attributes.');
	return h('table.attrs', null, h('tbody', null, rows.map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, valueView(v))))));
}

function attributesTab(s) {
	const box = h('div');
	const input = h('input', { type: 'search', placeholder: 'Filter attributes', 'aria-label': 'Filter attributes', 'data-search': true, style: 'width:100%;margin-bottom:8px' });
	input.addEventListener('input', () => box.replaceChildren(attrTable(s.attributes, input.value)));
	box.append(attrTable(s.attributes, ''));
	return h('div', null, input, box,
		s.dropped_attributes_count ? h('p.muted', null, `${s.dropped_attributes_count} attributes dropped by the SDK`) : null,
		s.links?.length ? h('div.section', null, h('h2', { style: 'margin-top:16px' }, 'Links'), s.links.map((l) =>
			h('div', null, h('a.mono', { href: `/traces/${l.trace_id}?span=${l.span_id}` }, `${l.trace_id.slice(0, 12)}…/${l.span_id}`),
				Object.keys(l.attributes || {}).length ? jsonTree(l.attributes, 1) : null))) : null);
}

/* Events, then the span's logs (logs.js), loaded as the tab opens. */
const eventsTab = (s) => h('div', null, eventList(s), spanLogs(s));

function eventList(s) {
	if (!s.events?.length) return h('div.faint', null, 'No events.');
	const t0 = BigInt(s.start_time_unix_nano);
	return h('div', null, s.events.map((e) => {
		const a = { ...(e.attributes || {}) };
		const stack = a['exception.stacktrace'];
		delete a['exception.stacktrace'];
		return h('div.event', { class: e.name === 'exception' ? 'exception' : null },
			h('div', null, h('b', null, e.name), h('span.muted', null, `  +${fmtMs(Number(BigInt(e.time_unix_nano) - t0) / 1e6)}`)),
			a['exception.type'] ? h('div.err', null, `${a['exception.type']}: ${a['exception.message'] ?? ''}`) : null,
			Object.keys(a).length ? jsonTree(a, 1) : null,
			stack ? h('pre.stack', null, stack) : null);
	}));
}

function resourceTab(s) {
	return h('div', null,
		h('div.section', null, h('h2', null, 'Resource'), attrTable(s.resource?.attributes, ''),
			s.resource?.schema_url ? h('p.muted', null, s.resource.schema_url) : null),
		h('div.section', null, h('h2', null, 'Instrumentation scope'),
			kv([['Name', s.scope?.name], ['Version', s.scope?.version], ['Schema', s.scope?.schema_url]]),
			Object.keys(s.scope?.attributes || {}).length ? attrTable(s.scope.attributes, '') : null));
}

function scoresEl(scores) {
	if (!scores?.length) return null;
	return h('div.section', null, h('h2', null, 'Scores'), scores.map((sc) =>
		h('span.chip', { title: sc.comment || '' }, `${sc.name}: ${scoreText(sc)}${sc.source ? ' · ' + sc.source : ''}`)));
}

const rawTab = (s) => h('pre.mono', { style: 'font-size:11.5px' }, JSON.stringify(s, null, 2));

/* The panel for span s; ctx = {start (ms from the trace start), scores,
 * onClose}. The chosen tab is remembered across spans. */
export function spanPanel(s, ctx) {
	const isLlm = s.type === 'llm' || s.model || s.attributes?.['gen_ai.input.messages'];
	const tabs = [
		isLlm && ['llm', 'LLM', () => llmTab(s, { ...ctx, scoresEl })],
		['io', 'Input / Output', () => ioTab(s, ctx)],
		['attributes', `Attributes ${Object.keys(s.attributes || {}).length}`, () => attributesTab(s)],
		['events', `Events ${s.events?.length || 0} · Logs`, () => eventsTab(s)],
		['resource', 'Resource', () => resourceTab(s)],
		['raw', 'Raw JSON', () => rawTab(s)],
	].filter(Boolean);
	let tab = tabs.find((t) => t[0] === lastTab) ? lastTab : tabs[0][0];
	const body = h('div.panel-body', { role: 'tabpanel' });
	const bar = h('div.tabs', { role: 'tablist', 'aria-label': 'Span details' });
	const show = (id) => {
		tab = id;
		lastTab = id;
		for (const b of bar.children) b.setAttribute('aria-selected', String(b.dataset.tab === id));
		body.replaceChildren(tabs.find((t) => t[0] === id)[2]());
		body.scrollTop = 0;
	};
	for (const [id, label] of tabs) bar.append(h('button', { type: 'button', role: 'tab', 'data-tab': id, onclick: () => show(id) }, label));
	bar.addEventListener('keydown', (e) => {
		if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
		const i = tabs.findIndex((t) => t[0] === tab), n = tabs.length;
		show(tabs[(i + (e.key === 'ArrowRight' ? 1 : n - 1)) % n][0]);
		bar.querySelector('[aria-selected="true"]').focus();
		e.stopPropagation();
	});
	const err = errorFirst(s);
	const panel = h('aside.panel', { 'aria-label': `Span ${s.name}`, 'data-span-id': s.span_id },
		h('div.panel-head', null,
			h('div.row1', null, typeBadge(s.type), h('h1', { title: s.name }, s.name), statusEl(s.status),
				h('button.btn.small', { type: 'button', 'aria-label': 'Close span panel (Esc)', onclick: ctx.onClose }, '✕')),
			h('div.meta', null,
				h('span', null, 'Duration ', h('b', null, fmtMs(s.duration_ms))),
				h('span', null, 'At ', h('b', null, '+' + fmtMs(ctx.start))),
				h('span', null, 'Service ', h('b', null, s.service)),
				h('span', null, 'Kind ', h('b', null, s.kind_name)),
				s.model ? h('span', null, 'Model ', h('b', null, s.model)) : null,
				s.input_tokens || s.output_tokens ? h('span', null, 'Tokens ', h('b', null, `${fmtInt(s.input_tokens)} → ${fmtInt(s.output_tokens)}`)) : null,
				h('span.mono.faint', { title: fmtFull(s.start_time) }, s.span_id)),
			annotationsBox({ trace_id: s.trace_id, span_id: s.span_id }, ctx.scores || []),
			err),
		bar, body);
	show(tab);
	return panel;
}
