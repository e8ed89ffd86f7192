// scores.js: scores by name (count, mean, range, distribution and trend)
// and the latest scores with links to their traces.
import { getJson } from './api.js';
import { errorBanner, scope, sharedQuery, showError } from './app.js';
import { timeChart } from './charts.js';
import { fmtInt, fmtTime, h } from './util.js';

const num = (v) => (v == null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(3));

function nameCard(it) {
	const max = Math.max(1, ...it.distribution.map((d) => d.count));
	return h('div.card', { 'aria-label': `Score ${it.name}` },
		h('h3', null, it.name, h('span.badge', { style: 'margin-left:8px' }, it.score_type)),
		h('div.muted', { style: 'margin-bottom:8px' }, `${fmtInt(it.count)} scores · mean ${num(it.mean)} · min ${num(it.min)} · max ${num(it.max)}`),
		h('div.bars', { role: 'list', 'aria-label': 'Distribution' }, it.distribution.map((d) => h('div.bar', { role: 'listitem' },
			h('span', { title: d.label }, d.label), h('div.fill', { style: `width:${(d.count / max) * 60}%` }), h('span.faint', null, fmtInt(d.count))))),
		it.trend.length > 1 ? timeChart({ title: 'Mean over time', timestamps: it.trend.map((t) => Date.parse(t.time)), height: 140,
			fmt: num, series: [{ label: 'mean', values: it.trend.map((t) => t.mean) }] }) : null);
}

export async function render({ main, signal }) {
	const s = scope();
	const summaryBox = h('div.grid.g3', { style: 'margin-bottom:12px' }, h('div.loading', null, 'Loading scores…'));
	const latestBox = h('div');
	main.append(h('div.pagehead', null, h('h1', null, 'Scores')), summaryBox, h('h2', null, 'Latest scores'), latestBox);
	getJson('/api/scores/summary', s, { signal }).then((r) => {
		summaryBox.replaceChildren(...(r.items.length ? r.items.map(nameCard)
			: [h('div.empty', null, 'No scores in this time range. Post them to /api/scores: {"trace_id", "name", "value"}.')]));
	}).catch((err) => { if (err.name !== 'AbortError') summaryBox.replaceChildren(errorBanner(err)); });
	let r;
	try { r = await getJson('/api/scores', { limit: 100 }, { signal }); } catch (err) { return showError(latestBox, err); }
	if (!r.items.length) { latestBox.replaceChildren(h('div.empty', null, 'No scores yet.')); return; }
	latestBox.replaceChildren(h('div.table-wrap', null, h('table', { 'aria-label': 'Latest scores' },
		h('thead', null, h('tr', null, ['Time', 'Name', 'Value', 'Source', 'Comment', 'Trace'].map((l) => h('th', { scope: 'col' }, l)))),
		h('tbody', null, r.items.map((sc) => h('tr', null, h('td', null, fmtTime(sc.timestamp)), h('td', null, sc.name),
			h('td.num', null, sc.value != null ? num(sc.value) : sc.string_value), h('td', null, sc.source || ''),
			h('td.trunc', null, sc.comment || ''),
			h('td', null, h('a.mono', { href: `/traces/${sc.trace_id}${sharedQuery(sc.span_id ? { span: sc.span_id } : {})}` }, sc.trace_id.slice(0, 16) + '…'))))))));
}
