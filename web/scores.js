// scores.js: the latest scores, with links to the traces (and spans) they
// judge.
import { getJson } from './api.js';
import { sharedQuery, showError } from './app.js';
import { fmtTime, h } from './util.js';

const num = (v) => (v == null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(3));

export async function render({ main, signal }) {
	const latestBox = h('div');
	main.append(h('div.pagehead', null, h('h1', null, 'Scores'), h('span.muted', null, 'the latest 100')), latestBox);
	let r;
	try { r = await getJson('/api/scores', { limit: 100 }, { signal }); } catch (err) { return showError(latestBox, err); }
	if (!r.items.length) { latestBox.replaceChildren(h('div.empty', null, 'No scores yet. Post them to /api/scores: {"trace_id", "name", "value"}.')); return; }
	latestBox.replaceChildren(h('div.table-wrap', null, h('table', { 'aria-label': 'Latest scores' },
		h('thead', null, h('tr', null, ['Time', 'Name', 'Value', 'Source', 'Comment', 'Trace'].map((l) => h('th', { scope: 'col' }, l)))),
		h('tbody', null, r.items.map((sc) => h('tr', null, h('td', null, fmtTime(sc.timestamp)), h('td', null, sc.name),
			h('td.num', null, sc.value != null ? num(sc.value) : sc.string_value), h('td', null, sc.source || ''),
			h('td.trunc', null, sc.comment || ''),
			h('td', null, h('a.mono', { href: `/traces/${sc.trace_id}${sharedQuery(sc.span_id ? { span: sc.span_id } : {})}` }, sc.trace_id.slice(0, 16) + '…'))))))));
}
