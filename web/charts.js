// charts.js: time-series charts with uPlot (bundled from npm), coloured
// from the page's CSS variables, resized with their box and redrawn when
// the theme changes; stacked bars with a legend of links whose values are
// the range's totals until the cursor picks a bucket. topSeries folds
// grouped series into the largest few plus "other".
import { fmtDate, h } from './util.js';

const PALETTE = ['#2f5fd0', '#7c4ddb', '#0f8b8d', '#c27803', '#b4387a', '#1f8a4c', '#c9372c', '#5b6b8a', '#8a6d3b', '#3b8a7a', '#9a9a94'];
const OTHER = '#9a9a94';

/* The n series [{label, values}] with the largest totals, plus one
 * "other" summing the rest (when there is a rest), largest first. */
export function topSeries(series, n = 5) {
	const total = (s) => s.values.reduce((a, v) => a + (v || 0), 0);
	const sorted = series.map((s) => ({ ...s, total: total(s) })).sort((a, b) => b.total - a.total);
	const top = sorted.slice(0, n), rest = sorted.slice(n);
	if (!rest.length) return top;
	const values = top.length ? top[0].values.map((_, i) => rest.reduce((a, s) => a + (s.values[i] || 0), 0)) : [];
	return [...top, { label: 'other', values, other: true, total: rest.reduce((a, s) => a + s.total, 0), count: rest.length }];
}

/* A series' value when no bucket is picked: 'sum' or 'max' of values. */
function idleValue(values, idle, fmt) {
	const nums = values.filter((v) => v != null);
	if (!nums.length) return '–';
	return idle === 'max' ? 'max ' + fmt(Math.max(...nums)) : fmt(nums.reduce((a, v) => a + v, 0));
}

/* The legend of links: a swatch, the full name, the value (the total, or
 * the bucket under the cursor); returns {el, show(idx)}. */
function linkLegend(series, colors, fmt) {
	const vals = series.map(() => h('span.lv'));
	const el = h('div.chart-legend', null, series.map((s, i) => {
		const body = [h('span.sw', { style: `background:${colors[i]}` }), h('span.ln', null, s.label), vals[i]];
		return s.href ? h('a.li', { href: s.href, title: s.title || `Traces of ${s.label}` }, body) : h('span.li', { title: s.title || null }, body);
	}));
	const show = (idx) => series.forEach((s, i) => {
		vals[i].textContent = fmt(idx == null ? s.values.reduce((a, v) => a + (v || 0), 0) : s.values[idx]);
	});
	show(null);
	return { el, show };
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/* A chart of series [{label, values, color?}] over timestamps (unix ms),
 * y values formatted by fmt, in a card of its own (or, card: false, small
 * and without a legend under a heading, to sit inside another card); yRange
 * fixes the y scale ([min, max] or uPlot's (u, min, max) => [min, max]);
 * idle ('sum' or 'max') is what the legend shows with no bucket under the
 * cursor; stacked draws stacked bars of series [{label, values, href,
 * other}] with a legend of links.
 * Returns the element; the chart follows the element's width. */
export function timeChart({ title, timestamps, series, fmt = String, height = 200, bars = false, card = true, yRange, stacked = false, idle = null }) {
	const box = h('div.chart', { role: 'img', 'aria-label': `${title}: ${series.map((s) => s.label).join(', ')}`, style: `min-height:${height}px` });
	/* stacked: bars drawn from the top of the stack down, each at the sum
	 * of itself and those below it; the legend gives each its own value */
	const colors = series.map((s, i) => s.color || (s.other ? OTHER : PALETTE[i % PALETTE.length]));
	const legend = stacked ? linkLegend(series, colors, fmt) : null;
	const wrap = card ? h('div.card', { 'data-chart': title }, h('h2', null, title), box, legend?.el) : h('div.subchart', null, h('h3.muted', null, title), box);
	const cum = [];
	if (stacked) series.forEach((s, i) => cum.push(s.values.map((v, k) => (v || 0) + (i ? cum[i - 1][k] : 0))));
	const order = stacked ? series.map((_, i) => series.length - 1 - i) : series.map((_, i) => i);
	let plot = null;
	const make = () => {
		plot?.destroy();
		const text = css('--muted'), grid = css('--line');
		const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui' };
		/* x ticks in the page's one date style: times, with the day under the first tick of each day */
		const xValues = (u, splits, ai, space, incr) => splits.map((t, i) => {
			const d = new Date(t * 1000);
			if (incr >= 86400) return fmtDate(d, 'day');
			const day = i === 0 || new Date(splits[i - 1] * 1000).toDateString() !== d.toDateString();
			return fmtDate(d, 'minute') + (day ? '\n' + fmtDate(d, 'day') : '');
		});
		const opts = {
			width: Math.max(200, box.clientWidth), height,
			cursor: { points: { size: 6 } },
			legend: { live: true, show: card && !stacked },
			hooks: stacked ? { setCursor: [(u) => legend.show(u.cursor.idx)] } : {},
			scales: { x: { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
			axes: [{ ...axis, values: xValues }, { ...axis, size: 64, values: (u, vals) => vals.map((v) => fmt(v)) }],
			series: [{ value: (u, v) => (v == null ? '–' : fmtDate(v * 1000, 'dayMinute')) }, ...order.map((i) => {
				const s = series[i], color = colors[i];
				return {
					label: s.label || '(none)', stroke: color, width: stacked ? 0 : 1.5,
					/* with no bucket under the cursor, the range's sum or peak (idle) */
					value: (u, v, si, idx) => (idx == null && idle ? idleValue(s.values, idle, fmt) : v == null ? '–' : fmt(v)),
					fill: stacked ? color : bars ? color + '55' : series.length === 1 ? color + '14' : undefined, spanGaps: false,
					paths: (bars || stacked) && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.7, 40] }) : undefined,
					points: { show: !stacked && timestamps.length < 60 },
				};
			})],
		};
		plot = new window.uPlot(opts, [timestamps.map((t) => t / 1000), ...order.map((i) => (stacked ? cum[i] : series[i].values))], box);
	};
	const ro = new ResizeObserver(() => {
		if (!box.isConnected) return;
		if (!plot) make(); else plot.setSize({ width: Math.max(200, box.clientWidth), height });
	});
	ro.observe(box);
	const onTheme = () => { if (box.isConnected) make(); else { window.removeEventListener('themechange', onTheme); ro.disconnect(); } };
	window.addEventListener('themechange', onTheme);
	return wrap;
}

export const palette = (i) => PALETTE[i % PALETTE.length];
