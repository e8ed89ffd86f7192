// overview.js: the dashboard: KPI tiles with change against the previous
// period, charts over time (traces and errors, latency percentiles, tokens
// and cost by model), top models, slowest and most failing operations.
import { getJson, storeIsEmpty } from './api.js';
import { palette, timeChart, topSeries } from './charts.js';
import { errorBanner, showError, showOnboarding } from './feedback.js';
import { navigate, scope, sharedQuery } from './state.js';
import { fmtCompact, fmtCost, fmtFull, fmtInt, fmtMs, fmtPct, h } from './util.js';

/* A KPI tile; lowerIsBetter picks the colour of the change. */
function kpi(label, cur, prev, fmt, lowerIsBetter) {
	let delta = null;
	if (prev != null && cur != null && prev !== 0) {
		const ch = (cur - prev) / Math.abs(prev);
		const up = ch > 0;
		const cls = Math.abs(ch) < 0.005 ? '' : up === !lowerIsBetter ? (up ? 'up-good' : 'down-good') : (up ? 'up-bad' : 'down-bad');
		delta = h('div.delta', { class: cls }, `${up ? '▲' : ch < 0 ? '▼' : ''} ${Math.abs(ch * 100).toFixed(1)}% vs previous`);
	} else delta = h('div.delta.faint', null, prev == null ? 'no previous data' : cur ? 'new in this period' : 'none in either period');
	return h('div.card.kpi', { 'aria-label': label }, h('div.label', null, label), h('div.value', null, fmt(cur)), delta);
}

/* A small table whose rows open href(row); names wrap, never cut. */
function table(caption, cols, items, href) {
	return h('div.card', null, h('h2', null, caption),
		items.length ? h('table.toptable', { 'aria-label': caption },
			h('thead', null, h('tr', null, cols.map(([label, , num]) => h('th', { class: num ? 'num' : null, scope: 'col' }, label)))),
			h('tbody', null, items.map((it) => h('tr', { onclick: (e) => { if (!e.target.closest('a')) navigate(href(it)); } },
				cols.map(([, cell, num], i) => h('td', { class: num ? 'num' : 'name' }, i === 0 ? h('a', { href: href(it) }, cell(it)) : cell(it)))))))
			: h('div.faint', null, 'Nothing in this range.'));
}

/* Series by model ([{key, values}]) as the top 5 plus "other", each
 * linking to the traces that called its model, coloured by colors (a Map
 * shared by the charts, so a model keeps its colour). */
function modelSeries(groups, colors) {
	const named = groups.filter((g) => g.key !== 'other').map((g) => ({ label: g.key || '(no model)', values: g.values, key: g.key }));
	const top = topSeries(named, 5);
	const rest = groups.find((g) => g.key === 'other');  /* the API's own rest, past its 10 largest */
	if (rest) {
		const o = top.find((se) => se.other);
		if (o) o.values = o.values.map((v, i) => v + (rest.values[i] || 0));
		else top.push({ label: 'other', values: rest.values, other: true });
	}
	for (const se of top) if (!se.other && !colors.has(se.label)) colors.set(se.label, palette(colors.size));
	return top.map((se) => (se.other || !se.key ? { ...se, title: se.other ? 'The other models together' : null, color: colors.get(se.label) }
		: { ...se, href: '/traces' + sharedQuery({ model: se.key }), color: colors.get(se.label) }));
}

/* The trace list of the traces with a span of operation o (its name as
 * a phrase of the full-text search, and its type), errors only if asked. */
const opHref = (o, errors) => '/traces' + sharedQuery({ q: `"${o.name.replace(/"/g, ' ')}"`, type: o.type, status: errors ? 'error' : null });

export async function render({ main, signal, onCleanup }) {
	const s = scope();
	main.append(h('div.loading', null, 'Loading overview…'));
	if (await storeIsEmpty(signal)) return showOnboarding(main, signal, onCleanup);
	const ts = (metric, extra = {}) => getJson('/api/metrics/timeseries', { ...s, metric, bucket: 'auto', ...extra }, { signal });
	let summary;
	try { summary = await getJson('/api/metrics/summary', s, { signal }); } catch (err) { return showError(main, err); }
	const c = summary.current, p = summary.previous || {};
	const tokens = (x) => (x.input_tokens ?? 0) + (x.output_tokens ?? 0);
	main.replaceChildren(
		h('div.pagehead', null, h('h1', null, 'Overview'), h('span.muted', null, `${fmtFull(summary.from)} – ${fmtFull(summary.to)}, changes against the period of equal length before`)),
		h('div.kpis', null,
			kpi('Traces', c.traces, p.traces, fmtCompact, false),
			kpi('Error rate', c.error_rate, p.error_rate, fmtPct, true),
			kpi('Latency p50', c.trace_latency_ms?.p50, p.trace_latency_ms?.p50, fmtMs, true),
			kpi('Latency p95', c.trace_latency_ms?.p95, p.trace_latency_ms?.p95, fmtMs, true),
			kpi('LLM calls', c.llm_calls, p.llm_calls, fmtCompact, false),
			kpi('Tokens', tokens(c), p.input_tokens == null ? null : tokens(p), fmtCompact, true),
			kpi('Cost', c.cost_usd, p.cost_usd, fmtCost, true)));
	const charts = h('div.grid.g2', { style: 'margin-bottom:12px' }, h('div.loading', null, 'Loading charts…'));
	const tables = h('div.grid.g3');
	main.append(charts, tables);

	try {
		const [tr, er, p50, p95, p99, tin, tout, cost] = await Promise.all([
			ts('traces'), ts('errors'), ts('latency_p50'), ts('latency_p95'), ts('latency_p99'),
			ts('input_tokens', { group_by: 'model' }), ts('output_tokens', { group_by: 'model' }), ts('cost', { group_by: 'model' })]);
		const byModel = new Map(), colors = new Map();
		for (const r of [tin, tout]) for (const se of r.series) {
			const acc = byModel.get(se.key) || new Array(r.timestamps.length).fill(0);
			se.values.forEach((v, i) => { acc[i] += v || 0; });
			byModel.set(se.key, acc);
		}
		charts.replaceChildren(
			timeChart({ title: 'Traces and errors', timestamps: tr.timestamps, fmt: fmtCompact, bars: true, idle: 'sum',
				series: [{ label: 'traces', values: tr.series[0]?.values || [] }, { label: 'errors', values: er.series[0]?.values || [], color: '#c9372c' }] }),
			timeChart({ title: 'Trace latency', timestamps: p50.timestamps, fmt: fmtMs, idle: 'max',
				series: [{ label: 'p50', values: p50.series[0]?.values || [] }, { label: 'p95', values: p95.series[0]?.values || [] }, { label: 'p99', values: p99.series[0]?.values || [] }] }),
			timeChart({ title: 'Tokens by model', timestamps: tin.timestamps, fmt: fmtCompact, stacked: true,
				series: modelSeries([...byModel.entries()].map(([key, values]) => ({ key, values })), colors) }),
			timeChart({ title: 'Cost by model (USD)', timestamps: cost.timestamps, fmt: (v) => fmtCost(v), stacked: true,
				series: modelSeries(cost.series, colors) }));
	} catch (err) { if (err.name !== 'AbortError') charts.replaceChildren(errorBanner(err)); }

	try {
		const [models, slow, failing] = await Promise.all([
			getJson('/api/metrics/models', s, { signal }),
			getJson('/api/metrics/operations', { ...s, sort: 'slowest' }, { signal }),
			getJson('/api/metrics/operations', { ...s, sort: 'failing' }, { signal })]);
		tables.replaceChildren(
			table('Top models', [['Model', (m) => m.model], ['Calls', (m) => fmtInt(m.calls), 1], ['Errors', (m) => fmtPct(m.error_rate), 1],
				['Tokens', (m) => fmtCompact(m.input_tokens + m.output_tokens), 1], ['p95', (m) => fmtMs(m.latency_ms?.p95), 1], ['Cost', (m) => fmtCost(m.cost_usd), 1]],
			models.items.slice(0, 10), (m) => '/traces' + sharedQuery({ model: m.model })),
			table('Slowest operations', [['Operation', (o) => [h('span.badge.t-' + o.type, null, o.type), ' ', o.name]], ['Count', (o) => fmtInt(o.count), 1], ['p50', (o) => fmtMs(o.latency_ms?.p50), 1], ['p95', (o) => fmtMs(o.latency_ms?.p95), 1]],
				slow.items.slice(0, 10), (o) => opHref(o, false)),
			table('Most failing operations', [['Operation', (o) => [h('span.badge.t-' + o.type, null, o.type), ' ', o.name]], ['Errors', (o) => fmtInt(o.errors), 1], ['Rate', (o) => fmtPct(o.error_rate), 1], ['Count', (o) => fmtInt(o.count), 1]],
				failing.items.filter((o) => o.errors > 0).slice(0, 10), (o) => opHref(o, true)));
	} catch (err) { if (err.name !== 'AbortError') tables.replaceChildren(errorBanner(err)); }
}
