// overview.js: the dashboard: KPI tiles with change against the previous
// period, charts over time (traces and errors, latency percentiles, tokens
// and cost by model), top models, slowest and most failing operations.
import { getJson, storeIsEmpty } from './api.js';
import { timeChart } from './charts.js';
import { errorBanner, onboarding, showError } from './feedback.js';
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

/* A small table; onRow (optional) makes rows open something. */
function table(caption, cols, items, onRow) {
	return h('div.card', null, h('h2', null, caption),
		items.length ? h('table', { 'aria-label': caption },
			h('thead', null, h('tr', null, cols.map(([label, , num]) => h('th', { class: num ? 'num' : null, scope: 'col' }, label)))),
			h('tbody', null, items.map((it) => h('tr', { onclick: onRow ? () => onRow(it) : null, style: onRow ? null : 'cursor:default' },
				cols.map(([, cell, num]) => h('td', { class: num ? 'num' : 'trunc' }, cell(it)))))))
			: h('div.faint', null, 'Nothing in this range.'));
}

export async function render({ main, signal, onCleanup }) {
	const s = scope();
	main.append(h('div.loading', null, 'Loading overview…'));
	if (await storeIsEmpty(signal)) {
		main.replaceChildren(onboarding());
		const t = setInterval(async () => { if (!(await storeIsEmpty(signal).catch(() => true))) navigate(location.pathname + location.search, { replace: true }); }, 3000);
		onCleanup(() => clearInterval(t));
		return;
	}
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
		const byModel = new Map();
		for (const r of [tin, tout]) for (const se of r.series) {
			const acc = byModel.get(se.key) || new Array(r.timestamps.length).fill(0);
			se.values.forEach((v, i) => { acc[i] += v || 0; });
			byModel.set(se.key, acc);
		}
		charts.replaceChildren(
			timeChart({ title: 'Traces and errors', timestamps: tr.timestamps, fmt: fmtCompact, bars: true,
				series: [{ label: 'traces', values: tr.series[0]?.values || [] }, { label: 'errors', values: er.series[0]?.values || [], color: '#c9372c' }] }),
			timeChart({ title: 'Trace latency', timestamps: p50.timestamps, fmt: fmtMs,
				series: [{ label: 'p50', values: p50.series[0]?.values || [] }, { label: 'p95', values: p95.series[0]?.values || [] }, { label: 'p99', values: p99.series[0]?.values || [] }] }),
			timeChart({ title: 'Tokens by model', timestamps: tin.timestamps, fmt: fmtCompact,
				series: [...byModel.entries()].map(([label, values]) => ({ label: label || '(no model)', values })) }),
			timeChart({ title: 'Cost by model (USD)', timestamps: cost.timestamps, fmt: (v) => fmtCost(v),
				series: cost.series.map((se) => ({ label: se.key || '(no model)', values: se.values })) }));
	} catch (err) { if (err.name !== 'AbortError') charts.replaceChildren(errorBanner(err)); }

	try {
		const [models, slow, failing] = await Promise.all([
			getJson('/api/metrics/models', s, { signal }),
			getJson('/api/metrics/operations', { ...s, sort: 'slowest' }, { signal }),
			getJson('/api/metrics/operations', { ...s, sort: 'failing' }, { signal })]);
		const toTraces = (extra) => navigate('/traces' + sharedQuery(extra));
		tables.replaceChildren(
			table('Top models', [['Model', (m) => m.model], ['Calls', (m) => fmtInt(m.calls), 1], ['Errors', (m) => fmtPct(m.error_rate), 1],
				['Tokens', (m) => fmtCompact(m.input_tokens + m.output_tokens), 1], ['p95', (m) => fmtMs(m.latency_ms?.p95), 1], ['Cost', (m) => fmtCost(m.cost_usd), 1]],
			models.items.slice(0, 10), (m) => toTraces({ model: m.model })),
			table('Slowest operations', [['Operation', (o) => [h('span.badge.t-' + o.type, null, o.type), ' ', o.name]], ['Count', (o) => fmtInt(o.count), 1], ['p50', (o) => fmtMs(o.latency_ms?.p50), 1], ['p95', (o) => fmtMs(o.latency_ms?.p95), 1]],
				slow.items.slice(0, 10)),
			table('Most failing operations', [['Operation', (o) => [h('span.badge.t-' + o.type, null, o.type), ' ', o.name]], ['Errors', (o) => fmtInt(o.errors), 1], ['Rate', (o) => fmtPct(o.error_rate), 1], ['Count', (o) => fmtInt(o.count), 1]],
				failing.items.filter((o) => o.errors > 0).slice(0, 10)));
	} catch (err) { if (err.name !== 'AbortError') tables.replaceChildren(errorBanner(err)); }
}
