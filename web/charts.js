// charts.js: time-series charts with uPlot (bundled from npm), coloured
// from the page's CSS variables, resized with their box and redrawn when
// the theme changes.
import { h } from './util.js';

const PALETTE = ['#2f5fd0', '#7c4ddb', '#0f8b8d', '#c27803', '#b4387a', '#1f8a4c', '#c9372c', '#5b6b8a', '#8a6d3b', '#3b8a7a', '#9a9a94'];

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/* A chart of series [{label, values, color?}] over timestamps (unix ms),
 * y values formatted by fmt, in a card of its own (or, card: false, small
 * and without a legend under a heading, to sit inside another card); yRange
 * fixes the y scale ([min, max] or uPlot's (u, min, max) => [min, max]).
 * Returns the element; the chart follows the element's width. */
export function timeChart({ title, timestamps, series, fmt = String, height = 200, bars = false, card = true, yRange }) {
	const box = h('div.chart', { role: 'img', 'aria-label': `${title}: ${series.map((s) => s.label).join(', ')}`, style: `min-height:${height}px` });
	const wrap = card ? h('div.card', null, h('h2', null, title), box) : h('div.subchart', null, h('h3.muted', null, title), box);
	let plot = null;
	const make = () => {
		plot?.destroy();
		const text = css('--muted'), grid = css('--line');
		const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui' };
		const opts = {
			width: Math.max(200, box.clientWidth), height,
			cursor: { points: { size: 6 } },
			legend: { live: true, show: card },
			scales: { x: { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
			axes: [axis, { ...axis, size: 64, values: (u, vals) => vals.map((v) => fmt(v)) }],
			series: [{}, ...series.map((s, i) => {
				const color = s.color || PALETTE[i % PALETTE.length];
				return {
					label: s.label || '(none)', stroke: color, width: 1.5, value: (u, v) => (v == null ? '–' : fmt(v)),
					fill: bars ? color + '55' : series.length === 1 ? color + '14' : undefined, spanGaps: false,
					paths: bars && window.uPlot.paths.bars ? window.uPlot.paths.bars({ size: [0.7, 40] }) : undefined,
					points: { show: timestamps.length < 60 },
				};
			})],
		};
		plot = new window.uPlot(opts, [timestamps.map((t) => t / 1000), ...series.map((s) => s.values)], box);
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
