// scores.js: a card per score name and type from GET /api/scores/summary
// in the shared project and range (count, mean, min/max, the distribution
// as bars, the trend as a small chart), above the latest scores with links
// to the traces (and spans) they judge.
import { scoreText } from './annotate.js';
import { getJson, storeIsEmpty } from './api.js';
import { traceListHref } from './attrfilter.js';
import { timeChart } from './charts.js';
import { errorBanner, showError, showOnboarding } from './feedback.js';
import { scope, sharedQuery } from './state.js';
import { fmtInt, fmtTime, h } from './util.js';

const num = (v) => (v == null ? '–' : Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3));

const pct = (v) => (v == null ? '–' : Math.round(v * 100) + '%');

/* The trend worth plotting: the mean of numbers (on the scores' own range),
 * the share of true for booleans, the count of categorical labels; a single
 * bucket is said in words. */
function trendChart(it, bucket) {
	const per = bucket === '1d' ? 'day' : 'hour';
	if (it.trend.length < 2) return h('div.faint.subchart', null, `All in one ${per}: no trend yet.`);
	const times = it.trend.map((t) => Date.parse(t.time));
	const small = { timestamps: times, height: 110, card: false };
	if (it.score_type === 'categorical') {
		return timeChart({ ...small, title: `Scores per ${per}`, bars: true, fmt: fmtInt, yRange: (u, lo, hi) => [0, Math.max(1, hi) * 1.1],
			series: [{ label: 'count', values: it.trend.map((t) => t.count) }] });
	}
	const bool = it.score_type === 'boolean';
	const [lo, hi] = bool ? [0, 1] : [it.min, it.max > it.min ? it.max : it.min + 1];
	return timeChart({ ...small, title: `${bool ? 'Share true' : 'Mean'} per ${per}`, fmt: bool ? pct : num, yRange: [lo, hi],
		series: [{ label: bool ? 'true' : 'mean', values: it.trend.map((t) => t.mean) }] });
}

/* The score filters of a distribution bar d: a label equals it, a
 * numeric bin lies between its bounds (gt/lt are strict, so the bounds
 * are widened by a rounding step; the API compares doubles). */
export function barFilters(it, d) {
	const key = it.name;
	if (it.score_type !== 'numeric' || d.lower == null) return [{ kind: 'score', key, op: 'eq', value: d.label }];
	const step = (x) => Math.max(Math.abs(x) * 1e-9, 1e-12);
	return [{ kind: 'score', key, op: 'gt', value: String(d.lower - step(d.lower)) },
		{ kind: 'score', key, op: 'lt', value: String(d.upper >= it.max ? d.upper + step(d.upper) : d.upper) }];
}

export function nameCard(it, bucket) {
	const max = Math.max(1, ...it.distribution.map((d) => d.count));
	const stat = (label, field, value) => h('div', null, h('div.label', null, label), h('div.value', { 'data-field': field }, value));
	const bool = it.score_type === 'boolean';
	return h('section.card.score-card', { 'aria-label': `Score ${it.name}`, 'data-score-name': it.name, 'data-score-type': it.score_type },
		h('div.score-head', null, h('h3', null, it.name), h('span.badge', null, it.score_type)),
		h('div.score-stats', null,
			stat('Count', 'count', fmtInt(it.count)),
			it.score_type !== 'categorical' ? stat(bool ? 'True' : 'Mean', 'mean', bool ? pct(it.mean) : num(it.mean)) : null,
			it.score_type === 'numeric' ? stat('Min', 'min', num(it.min)) : null,
			it.score_type === 'numeric' ? stat('Max', 'max', num(it.max)) : null),
		h('div.bars', { role: 'list', 'aria-label': `Distribution of ${it.name}` }, it.distribution.map((d) => h('a.bar', {
			role: 'listitem', href: d.label === '(other)' ? null : traceListHref(barFilters(it, d)), title: `Traces scored ${it.name} ${d.label}`,
		},
			h('span', { title: d.label }, d.label),
			h('div.track', null, h('div.fill', { style: `width:${(d.count / max) * 100}%` })),
			h('span.n', null, fmtInt(d.count))))),
		trendChart(it, bucket));
}

export async function render({ main, signal, onCleanup }) {
	if (await storeIsEmpty(signal)) return showOnboarding(main, signal, onCleanup);
	const summaryBox = h('div.grid.g3.score-cards', null, h('div.loading', null, 'Loading scores…'));
	const latestBox = h('div');
	main.append(h('div.pagehead', null, h('h1', null, 'Scores'), h('span.muted', null, 'by name, in this time range'),
		h('a.btn.small', { href: '/settings/scores', 'data-nav': '' }, 'Score configs')), summaryBox,
		h('div.pagehead', null, h('h2', null, 'Latest scores'), h('span.muted', null, 'the latest 100, any time')), latestBox);
	getJson('/api/scores/summary', scope(), { signal }).then((r) => {
		summaryBox.replaceChildren(...(r.items.length ? r.items.map((it) => nameCard(it, r.trend_bucket))
			: [h('div.empty', null, 'No scores in this time range.')]));
	}).catch((err) => { if (err.name !== 'AbortError') summaryBox.replaceChildren(errorBanner(err)); });
	let r;
	try { r = await getJson('/api/scores', { ...scope(), limit: 100 }, { signal }); } catch (err) { return showError(latestBox, err); }
	if (!r.items.length) { latestBox.replaceChildren(h('div.empty', null, 'No scores yet. Post them to /api/scores: {"trace_id", "name", "value"}.')); return; }
	latestBox.replaceChildren(h('div.table-wrap', null, h('table', { 'aria-label': 'Latest scores' },
		h('thead', null, h('tr', null, ['Time', 'Name', 'Value', 'Source', 'Comment', 'Trace or session'].map((l) => h('th', { scope: 'col' }, l)))),
		h('tbody', null, r.items.map((sc) => h('tr', null, h('td', null, fmtTime(sc.timestamp)), h('td', null, sc.name),
			h('td.num', null, sc.score_type === 'boolean' ? scoreText(sc) : sc.value != null ? num(sc.value) : sc.string_value), h('td', null, sc.source || ''),
			h('td.trunc', null, sc.comment || ''),
			h('td', null, sc.trace_id ? h('a.mono', { href: `/traces/${sc.trace_id}${sharedQuery(sc.span_id ? { span: sc.span_id } : {})}` }, sc.trace_id.slice(0, 16) + '…')
				: sc.session_id ? h('a', { href: `/sessions/${encodeURIComponent(sc.session_id)}${sharedQuery()}`, title: 'A score of this session' }, 'session ' + sc.session_id)
				: '')))))));
}
