// peek.js: the trace list's peek panel: a side panel over the list with a
// trace's input, output, scores and metadata (from GET /api/traces/{id}),
// opened by a click on a row, closed by Esc or its button, with a link to
// the full trace. The URL's peek= parameter names the open trace.
import { getJson } from './api.js';
import { scoreText } from './annotate.js';
import { addFilters } from './attrfilter.js';
import { errorBanner } from './feedback.js';
import { setParams, sharedQuery } from './state.js';
import { fmtCompact, fmtCost, fmtFull, fmtInt, fmtMs, h, maybeJson, statusEl, valueView } from './util.js';

/* Spans read for a peek: enough to hold the root of any usual trace. */
export const PEEK_SPANS = 200;
let current = null;   /* { el, abort, onClose } */

export const peekOpen = () => current != null;

/* Closes the panel (keepUrl: leave peek= in the URL, the page is going). */
export function closePeek({ keepUrl = false } = {}) {
	if (!current) return;
	current.abort.abort();
	current.el.remove();
	const { onClose } = current;
	current = null;
	if (!keepUrl) setParams({ peek: null }, { rerender: false });
	onClose?.();
}

/* The root span of a trace's spans (no parent among them), else the first. */
export function rootOf(spans) {
	const ids = new Set(spans.map((s) => s.span_id));
	return spans.find((s) => !s.parent_span_id || !ids.has(s.parent_span_id)) || spans[0];
}

/* Metadata and tags of a root span: its "metadata" attribute (JSON
 * object or flattened metadata.* keys) and tag.tags / tags. */
export function traceMeta(root) {
	const a = root?.attributes || {};
	const meta = [];
	const m = typeof a.metadata === 'string' ? maybeJson(a.metadata) : a.metadata;
	if (m && typeof m === 'object' && !Array.isArray(m)) for (const [k, v] of Object.entries(m)) meta.push([k, v]);
	for (const [k, v] of Object.entries(a)) if (k.startsWith('metadata.')) meta.push([k.slice(9), v]);
	let tags = a['tag.tags'] ?? a.tags ?? [];
	if (typeof tags === 'string') tags = maybeJson(tags) || tags.split(',').map((x) => x.trim()).filter(Boolean);
	return { meta, tags: Array.isArray(tags) ? tags.map(String) : [] };
}

const scalar = (v) => v == null || typeof v !== 'object';

function body(t, data) {
	const { spans, scores } = data;
	const root = spans.length ? rootOf(spans) : null;
	const { meta, tags } = traceMeta(root);
	const input = root?.input ?? t.input_preview, output = root?.output ?? t.output_preview;
	const traceScores = scores.filter((s) => !s.span_id);
	const spanScores = scores.length - traceScores.length;
	const section = (title, ...c) => h('section.section', { 'aria-label': title }, h('h2', null, title), ...c);
	const filterLink = (label, f, title) => h('button.linkish', { type: 'button', title, onclick: () => addFilters([f]) }, label);
	return [
		section('Input', input != null && input !== '' ? valueView(input) : h('span.faint', null, 'none recorded')),
		section('Output', output != null && output !== '' ? valueView(output)
			: h('span.faint', null, t.error_count ? 'none: the trace failed' : 'none recorded')),
		section('Scores', traceScores.length ? h('div', null, traceScores.map((s) => h('span.chip', { title: s.comment || s.source || '' },
			`${s.name}: ${scoreText(s)}`)))
			: h('span.faint', null, 'none on the trace'),
		spanScores ? h('div.faint', null, `${spanScores} more on its spans`) : null),
		section('Metadata', meta.length ? h('dl.kv', null, meta.map(([k, v]) => [h('dt', null, k),
			h('dd', null, scalar(v) ? filterLink(String(v), { kind: 'meta', key: k, op: 'eq', value: String(v) }, `Only traces whose metadata ${k} is ${v}`) : valueView(v))]))
			: h('span.faint', null, 'none'),
		tags.length ? h('div', null, h('span.muted', null, 'Tags '), tags.map((x) => filterLink(x, { kind: 'tag', value: x }, `Only traces tagged ${x}`))) : null),
		section('Trace', h('dl.kv', null,
			[['Service', t.service], ['Session', t.session_id ? h('a', { href: `/sessions/${encodeURIComponent(t.session_id)}${sharedQuery()}` }, t.session_id) : null],
				['User', t.user_id], ['Models', (t.models || []).join(', ')], ['Trace id', h('span.mono', null, t.trace_id)]]
				.filter(([, v]) => v != null && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
	];
}

/* Opens (or moves) the panel to trace summary t (a trace-list item);
 * onClose runs when it closes. */
export function openPeek(t, { signal, onClose } = {}) {
	if (current) { current.abort.abort(); current.el.remove(); }
	const abort = new AbortController();
	signal?.addEventListener('abort', () => abort.abort());
	const content = h('div.peek-body', null, h('div.loading', null, 'Loading…'));
	const href = `/traces/${t.trace_id}${sharedQuery()}`;
	const el = h('aside.peek', { 'aria-label': `Peek at trace ${t.name || t.trace_id}`, 'data-trace-id': t.trace_id },
		h('div.panel-head', null,
			h('div.row1', null, h('h1', { title: t.name }, t.name || '(no root span yet)'), statusEl(t.status),
				h('a.btn.small', { href, 'data-open-trace': true }, 'Open trace →'),
				h('button.btn.small', { type: 'button', 'aria-label': 'Close peek (Esc)', onclick: () => closePeek() }, '✕')),
			h('div.meta', null,
				h('span', null, 'Start ', h('b', null, fmtFull(t.start_time))),
				h('span', null, 'Duration ', h('b', null, fmtMs(t.duration_ms))),
				h('span', null, 'Spans ', h('b', null, fmtInt(t.span_count))),
				t.error_count ? h('span.err', null, `Errors ${fmtInt(t.error_count)}`) : null,
				h('span', null, 'Tokens ', h('b', null, `${fmtCompact(t.input_tokens)} → ${fmtCompact(t.output_tokens)}`)),
				h('span', null, 'Cost ', h('b', null, fmtCost(t.cost_usd))))),
		content);
	document.body.append(el);
	current = { el, abort, onClose };
	setParams({ peek: t.trace_id }, { rerender: false });
	getJson(`/api/traces/${encodeURIComponent(t.trace_id)}`, { limit: PEEK_SPANS }, { signal: abort.signal })
		.then((data) => content.replaceChildren(...body(t, data).filter(Boolean)))
		.catch((err) => { if (err.name !== 'AbortError') content.replaceChildren(errorBanner(err)); });
	return el;
}
