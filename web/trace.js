// trace.js: one trace: a header with its totals and scores, and a
// waterfall of every span on a shared time axis. The tree is flattened to
// the rows not hidden by a collapsed parent, and only the rows in view are
// in the DOM (fixed row height), so 5,000 spans scroll as smoothly as 5.
// Keyboard: j/k or arrows move, left/right fold, Enter opens, Esc closes,
// e / E go to the next / previous error span; an errors-only view keeps
// the error spans and their ancestors. The time axis zooms (buttons,
// Ctrl+wheel or the wheel over the axis; Shift+wheel pans).
import { getJson } from './api.js';
import { annotationsBox, scoreText } from './annotate.js';
import { showError } from './feedback.js';
import { spanPanel } from './span.js';
import { traceLogs } from './logs.js';
import { params, setParams, sharedQuery } from './state.js';
import { fmtCompact, fmtCost, fmtFull, fmtInt, fmtMs, h, statusEl } from './util.js';

const ROW = 26;
const OVERSCAN = 10;

/* Tree nodes in display order (children by start time), with times in ms
 * from the trace start. Spans whose parent is absent become roots. */
export function buildTree(spans) {
	let t0 = null, t1 = null;
	for (const s of spans) {
		const a = BigInt(s.start_time_unix_nano), b = BigInt(s.end_time_unix_nano);
		if (t0 === null || a < t0) t0 = a;
		if (t1 === null || b > t1) t1 = b;
	}
	const byId = new Map();
	const nodes = spans.map((s) => {
		const n = {
			span: s, children: [], depth: 0, parent: null,
			start: Number(BigInt(s.start_time_unix_nano) - t0) / 1e6,
			dur: s.duration_ms, error: s.status?.code === 2,
		};
		byId.set(s.span_id, n);
		return n;
	});
	const roots = [];
	for (const n of nodes) {
		const p = n.span.parent_span_id && byId.get(n.span.parent_span_id);
		if (p && p !== n) { n.parent = p; p.children.push(n); } else roots.push(n);
	}
	const order = (a, b) => a.start - b.start;
	roots.sort(order);
	const stack = roots.slice().reverse();
	while (stack.length) {
		const n = stack.pop();
		n.children.sort(order);
		for (let i = n.children.length - 1; i >= 0; i--) { n.children[i].depth = n.depth + 1; stack.push(n.children[i]); }
	}
	return { roots, byId, total: t0 === null ? 0 : Number(t1 - t0) / 1e6 };
}

/* The nodes shown when the ones in `collapsed` hide their descendants;
 * with only (a Set), just the nodes in it. */
function visibleRows(roots, collapsed, only = null) {
	const out = [];
	const stack = roots.slice().reverse();
	while (stack.length) {
		const n = stack.pop();
		if (only && !only.has(n)) continue;
		out.push(n);
		if (!collapsed.has(n)) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
	}
	return out;
}

/* Every node in display order, folded or not. */
function allNodes(roots) {
	return visibleRows(roots, new Set());
}

/* The error nodes and their ancestors (the errors-only view). */
function errorPaths(nodes) {
	const keep = new Set();
	for (const n of nodes) if (n.error) for (let p = n; p && !keep.has(p); p = p.parent) keep.add(p);
	return keep;
}

/* A tick's time with the decimals its step needs (1.482 s, 0.25 ms). */
function fmtTick(t, step) {
	const dec = (unit) => Math.max(0, Math.min(6, -Math.floor(Math.log10(step / unit) + 1e-9)));
	if (t >= 1000) return (t / 1000).toFixed(Math.max(dec(1000), t < 10000 ? 2 : 1)) + ' s';
	return t === 0 ? '0' : t.toFixed(dec(1)) + ' ms';
}

/* Ticks between v0 and v1 (ms) at a round step. */
function niceTicks(v0, v1) {
	const span = v1 - v0;
	if (!(span > 0)) return [v0];
	const raw = span / 5, pow = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((x) => x >= raw);
	const ticks = [];
	for (let t = Math.ceil(v0 / step - 1e-9) * step; t <= v1 + step * 1e-6; t += step) ticks.push(t);
	return ticks;
}

function traceHeader(t, scores) {
	const stat = (label, value) => h('span', null, label + ' ', h('b', null, value));
	const traceScores = scores.filter((s) => !s.span_id);
	return h('div.trace-head', null,
		h('a', { href: '/traces' + sharedQuery(), 'aria-label': 'Back to traces' }, '← Traces'),
		h('h1', null, t.name || '(no root span yet)'),
		statusEl(t.status),
		h('span.trace-ids', null, h('span.mono.faint', { 'data-field': 'trace_id' }, t.trace_id),
			h('a', { href: `/api/traces/${t.trace_id}?format=otlp`, target: '_blank' }, 'OTLP JSON')),
		h('div.stats', null,
			stat('Start', fmtFull(t.start_time)), stat('Duration', fmtMs(t.duration_ms)), stat('Spans', fmtInt(t.span_count)),
			t.error_count ? h('span.errnav', { role: 'group', 'aria-label': 'Errors' },
				h('button.linkish.err', { type: 'button', 'data-errors': 'only', 'aria-pressed': String(params().get('errors') === '1'),
					title: 'Show only the error spans and their parents' }, `Errors ${t.error_count}`),
				h('button.btn.small', { type: 'button', 'data-errors': 'prev', title: 'Previous error span (E)', 'aria-label': 'Previous error' }, '‹'),
				h('button.btn.small', { type: 'button', 'data-errors': 'next', title: 'Next error span (e)', 'aria-label': 'Next error' }, '›')) : null,
			stat('LLM calls', fmtInt(t.llm_calls)),
			stat('Tokens', `${fmtCompact(t.input_tokens)} → ${fmtCompact(t.output_tokens)}`), stat('Cost', fmtCost(t.cost_usd)),
			t.session_id ? h('span', null, 'Session ', h('a', { href: `/sessions/${encodeURIComponent(t.session_id)}${sharedQuery()}`, title: `Session ${t.session_id} as a conversation` }, t.session_id)) : null,
			t.user_id ? h('span', null, 'User ', h('a', { href: `/users/${encodeURIComponent(t.user_id)}${sharedQuery()}`, title: `Everything of ${t.user_id}` }, t.user_id)) : null,
			traceScores.filter((s) => s.source !== 'annotation').map((s) => h('span.chip', { title: s.comment || '' }, `${s.name}: ${scoreText(s)}`)),
		),
		annotationsBox({ trace_id: t.trace_id, span_id: null }, traceScores));
}

export async function render({ main, match, signal, onCleanup }) {
	const id = decodeURIComponent(match[1]);
	const page = h('div.trace-page', null, h('div.loading', null, 'Loading trace…'));
	main.append(page);
	let data;
	try {
		data = await getJson(`/api/traces/${encodeURIComponent(id)}`, {}, { signal });
	} catch (err) { return showError(page, err); }
	const { trace, spans, scores } = data;
	document.title = `${trace.name || 'Trace'} · tracelite`;
	const { roots, byId, total } = buildTree(spans);
	const collapsed = new Set();
	const every = allNodes(roots);
	const errorNodes = every.filter((n) => n.error);
	let errorsOnly = params().get('errors') === '1' && errorNodes.length > 0;
	const onlySet = () => (errorsOnly ? errorPaths(every) : null);
	let rows = visibleRows(roots, collapsed, onlySet());
	let selected = null;
	/* the time window shown, in ms from the trace start */
	let v0 = 0, v1 = total;

	/* the API answers at most 10,000 spans of a trace; say so when cut */
	const spanCount = data.next_offset == null ? `${fmtInt(spans.length)} spans`
		: `first ${fmtInt(spans.length)} of ${fmtInt(data.spans_total)} spans`;
	const ticks = h('div.ticks', { title: 'Wheel: zoom; Shift+wheel: pan' });
	const zoomLbl = h('span.zoom-lbl.faint');
	const zoomBtn = (label, act, title) => h('button.btn.small', { type: 'button', 'data-zoom': act, title, 'aria-label': title, onclick: () => zoomAct(act) }, label);
	const axis = h('div.wf-axis', null, h('div.lbl', null,
		h('span', { title: data.next_offset == null ? null : 'Larger traces are read in pages: /api/traces/ID?offset=N' }, spanCount),
		h('span.zoom', { role: 'group', 'aria-label': 'Time zoom' }, zoomLbl, zoomBtn('−', 'out', 'Zoom out'), zoomBtn('+', 'in', 'Zoom in'),
			zoomBtn('⇤⇥', 'span', 'Zoom to the selected span'), zoomBtn('Fit', 'fit', 'Show the whole trace'))),
		ticks);
	const inner = h('div.wf-inner');
	const scroll = h('div.wf-scroll', { tabindex: '0', role: 'tree', 'aria-label': 'Spans of the trace', 'aria-activedescendant': '' }, inner);
	const wf = h('div.wf', null, axis, scroll);
	const split = h('div.split', null, wf);
	page.replaceChildren(traceHeader(trace, scores), split, traceLogs(trace.trace_id));

	let panel = null;
	const closePanel = () => {
		panel?.remove();
		panel = null;
		setParams({ span: null }, { rerender: false });
		scroll.focus();
	};
	const openPanel = (n) => {
		const el = spanPanel(n.span, { total, start: n.start, spans, scores: scores.filter((s) => s.span_id === n.span.span_id), onClose: closePanel });
		if (panel) panel.replaceWith(el); else split.append(el);
		panel = el;
		setParams({ span: n.span.span_id }, { rerender: false });
	};

	const pct = (ms) => (v1 > v0 ? ((ms - v0) / (v1 - v0)) * 100 : 0);
	const drawAxis = () => {
		const ts = niceTicks(v0, v1), step = ts.length > 1 ? ts[1] - ts[0] : v1 - v0 || 1;
		ticks.replaceChildren(...ts.map((t) => h('span.tick', { style: `left:${pct(t)}%` }, fmtTick(t, step))));
		const zoomed = v0 > 0 || v1 < total;
		zoomLbl.textContent = zoomed ? `${fmtTick(v0, step / 10)} – ${fmtTick(v1, step / 10)}` : '';
		wf.classList.toggle('zoomed', zoomed);
	};
	/* shows [a, b] (clamped to the trace, at least a microsecond wide) */
	const setView = (a, b) => {
		const min = Math.min(total, 0.001);
		let w = Math.max(min, Math.min(total, b - a));
		a = Math.max(0, Math.min(total - w, a));
		v0 = a; v1 = a + w;
		drawAxis();
		repaint();
	};
	function zoomAct(act, at = 0.5) {
		const w = v1 - v0, c = v0 + w * at;
		if (act === 'in') setView(c - (w / 2) * at, c + (w / 2) * (1 - at));
		else if (act === 'out') setView(c - w * at * 2, c + w * (1 - at) * 2);
		else if (act === 'fit') setView(0, total);
		else if (act === 'span' && selected) { const pad = Math.max(selected.dur * 0.05, 0.0005); setView(selected.start - pad, selected.start + selected.dur + pad); }
	}
	const onWheel = (e) => {
		const overAxis = e.currentTarget === ticks;
		if (!(overAxis || e.ctrlKey || e.metaKey || e.shiftKey) || !(total > 0)) return;
		const box = ticks.getBoundingClientRect();
		const at = Math.max(0, Math.min(1, (e.clientX - box.left) / (box.width || 1)));
		e.preventDefault();
		if (e.shiftKey) { const d = (e.deltaX || e.deltaY) / (box.width || 1) * (v1 - v0); setView(v0 + d, v1 + d); return; }
		const f = e.deltaY > 0 ? 1.25 : 0.8, w = (v1 - v0) * f, c = v0 + (v1 - v0) * at;
		setView(c - w * at, c + w * (1 - at));
	};
	ticks.addEventListener('wheel', onWheel, { passive: false });
	scroll.addEventListener('wheel', onWheel, { passive: false });
	const rowEl = (n, i) => {
		const s = n.span;
		const caret = h('button.wf-caret', {
			type: 'button', tabindex: '-1',
			'aria-label': n.children.length ? (collapsed.has(n) ? 'Expand' : 'Collapse') : null,
			onclick: (e) => { e.stopPropagation(); toggle(n); },
		}, n.children.length ? (collapsed.has(n) ? '▸' : '▾') : '');
		const left = pct(n.start), width = pct(n.start + n.dur) - left;
		const bar = h('div.wf-bar', { class: n.error ? 'b-error' : 'b-' + s.type, style: `left:${left}%;width:${width}%` });
		/* the duration sits right of the bar, else left of it, else inside it */
		const place = left + width <= 80 ? `left:calc(${left + width}% + 4px)`
			: left >= 15 ? `right:calc(${100 - left}% + 4px)` : `right:calc(${Math.max(0, 100 - left - width)}% + 4px)`;
		const durLabel = h('span.wf-dur', { class: left + width > 80 && left < 15 ? 'inside' : null, style: place }, fmtMs(n.dur));
		return h('div.wf-row', {
			id: 'span-' + s.span_id, role: 'treeitem', 'aria-level': String(n.depth + 1),
			'aria-selected': String(n === selected), 'aria-expanded': n.children.length ? String(!collapsed.has(n)) : null,
			'data-span-id': s.span_id, style: `top:${i * ROW}px`,
			onclick: () => { select(n); openPanel(n); },
		},
		h('div.wf-name', { style: `padding-left:${Math.min(n.depth, 30) * 14 + 4}px` }, caret,
			h('span.badge.t-' + s.type, null, s.type),
			n.error ? h('span.wf-errdot', { title: s.status.message || 'error', 'aria-label': 'error' }, '!') : null,
			h('span.txt', { title: s.name }, s.name),
			s.model ? h('span.faint.model', null, s.model) : null),
		h('div.wf-track', null, bar, durLabel));
	};
	let frame = 0;
	const paint = () => {
		frame = 0;
		inner.style.height = rows.length * ROW + 'px';
		const first = Math.max(0, Math.floor(scroll.scrollTop / ROW) - OVERSCAN);
		const last = Math.min(rows.length, Math.ceil((scroll.scrollTop + scroll.clientHeight) / ROW) + OVERSCAN);
		const els = [];
		for (let i = first; i < last; i++) els.push(rowEl(rows[i], i));
		inner.replaceChildren(...els);
		scroll.setAttribute('aria-activedescendant', selected && rows.includes(selected) ? 'span-' + selected.span.span_id : '');
	};
	const repaint = () => { if (!frame) frame = requestAnimationFrame(paint); };
	scroll.addEventListener('scroll', repaint, { passive: true });
	const ro = new ResizeObserver(repaint);
	ro.observe(scroll);

	function toggle(n) {
		if (!n.children.length) return;
		if (collapsed.has(n)) collapsed.delete(n); else collapsed.add(n);
		rows = visibleRows(roots, collapsed, onlySet());
		repaint();
	}
	function select(n, center = false) {
		selected = n;
		const i = rows.indexOf(n);
		inner.style.height = rows.length * ROW + 'px';  /* rows may have just grown: let the scroll reach i */
		if (i >= 0) {
			const top = i * ROW;
			if (center) scroll.scrollTop = top - scroll.clientHeight / 2;
			else if (top < scroll.scrollTop) scroll.scrollTop = top;
			else if (top + ROW > scroll.scrollTop + scroll.clientHeight) scroll.scrollTop = top + ROW - scroll.clientHeight;
		}
		repaint();
		if (panel) openPanel(n);
	}
	/* the next (d=1) or previous (d=-1) error span from the selection,
	 * unfolding its parents; wraps around */
	const gotoError = (d) => {
		if (!errorNodes.length) return;
		const at = selected ? every.indexOf(selected) : -1;
		const list = d > 0 ? errorNodes : errorNodes.slice().reverse();
		const next = list.find((n) => (d > 0 ? every.indexOf(n) > at : every.indexOf(n) < at)) || list[0];
		let changed = false;
		for (let p = next.parent; p; p = p.parent) if (collapsed.delete(p)) changed = true;
		if (changed) rows = visibleRows(roots, collapsed, onlySet());
		select(next, true);
		openPanel(next);
	};
	const setErrorsOnly = (on) => {
		errorsOnly = on && errorNodes.length > 0;
		rows = visibleRows(roots, collapsed, onlySet());
		page.querySelector('[data-errors="only"]')?.setAttribute('aria-pressed', String(errorsOnly));
		setParams({ errors: errorsOnly ? '1' : null }, { rerender: false });
		if (selected && !rows.includes(selected) && rows.length) select(rows[0]); else repaint();
	};
	page.querySelector('[data-errors="only"]')?.addEventListener('click', () => setErrorsOnly(!errorsOnly));
	page.querySelector('[data-errors="next"]')?.addEventListener('click', () => gotoError(1));
	page.querySelector('[data-errors="prev"]')?.addEventListener('click', () => gotoError(-1));
	const move = (d) => {
		const i = selected ? rows.indexOf(selected) : -1;
		const next = rows[Math.max(0, Math.min(rows.length - 1, i + d))];
		if (next) select(next);
	};
	const onKey = (e) => {
		if (e.target.closest('input, select, textarea') || e.metaKey || e.ctrlKey || e.altKey) return;
		if (e.target.closest('.panel') && e.key !== 'Escape') return;
		const k = e.key;
		if (k === 'j' || k === 'ArrowDown') move(1);
		else if (k === 'k' || k === 'ArrowUp') move(-1);
		else if (k === 'Home') { if (rows.length) select(rows[0]); }
		else if (k === 'End') { if (rows.length) select(rows[rows.length - 1]); }
		else if (k === 'ArrowRight' || k === 'l') { if (selected && collapsed.has(selected)) toggle(selected); else if (selected?.children.length) move(1); }
		else if (k === 'ArrowLeft' || k === 'h') {
			if (selected && selected.children.length && !collapsed.has(selected)) toggle(selected);
			else if (selected?.parent) select(selected.parent);
		} else if (k === 'Enter') { if (selected) openPanel(selected); }
		else if (k === 'e') gotoError(1);
		else if (k === 'E') gotoError(-1);
		else if (k === 'Escape') { if (panel) closePanel(); }
		else return;
		e.preventDefault();
	};
	document.addEventListener('keydown', onKey);
	onCleanup(() => { document.removeEventListener('keydown', onKey); ro.disconnect(); if (frame) cancelAnimationFrame(frame); });

	const want = params().get('span');
	const start = (want && byId.get(want)) || null;
	drawAxis();
	paint();
	if (start) {
		select(start, true);
		openPanel(start);
	} else if (rows.length) select(rows[0]);
	scroll.focus();
}
