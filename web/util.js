// util.js: DOM building and number/time formatting shared by every page.

/* h('div.a.b', {attrs}, ...children): an element. Strings become text
 * nodes (never HTML); null/false children are skipped; on* attrs are
 * listeners. */
export function h(tag, attrs, ...children) {
	const [name, ...classes] = tag.split('.');
	const el = document.createElement(name || 'div');
	if (classes.length) el.className = classes.join(' ');
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v == null || v === false) continue;
			if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
			else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
			else if (k === 'text') el.textContent = v;
			else el.setAttribute(k, v === true ? '' : v);
		}
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c == null || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else el.append(c instanceof Node ? c : String(c));
	}
}

export const fmtInt = (n) => (n == null ? '–' : Math.round(n).toLocaleString('en-US'));

export function fmtCompact(n) {
	if (n == null) return '–';
	const a = Math.abs(n);
	if (a >= 1e9) return (n / 1e9).toFixed(1) + 'B';
	if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
	if (a >= 1e4) return (n / 1e3).toFixed(1) + 'k';
	return fmtInt(n);
}

export function fmtMs(ms) {
	if (ms == null || Number.isNaN(ms)) return '–';
	if (ms === 0) return '0';
	if (ms < 1) return ms.toFixed(2) + ' ms';
	if (ms < 1000) return Math.round(ms) + ' ms';
	if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
	const m = Math.floor(ms / 60000);
	return m + 'm ' + Math.round((ms % 60000) / 1000) + 's';
}

/* US dollars: cents from $1 (whole dollars from $1,000), below that two
 * significant digits (an LLM call costs fractions of a cent), down to a
 * millionth of a cent. */
export function fmtCost(usd) {
	if (usd == null) return '–';
	const a = Math.abs(usd), sign = usd < 0 ? '-$' : '$';
	if (a === 0) return '$0';
	if (a >= 1000) return sign + Math.round(a).toLocaleString('en-US');
	const r = Number(a.toPrecision(2));
	if (r >= 1) return sign + a.toFixed(2);
	if (r < 1e-8) return '<$0.00000001';
	return sign + r.toFixed(Math.max(2, 1 - Math.floor(Math.log10(r))));
}

export const fmtPct = (r) => (r == null ? '–' : (r * 100).toFixed(r < 0.1 ? 2 : 1) + '%');

/* Dates and times: one style everywhere, in the browser's locale and
 * time zone: "14:03:22" today, "Nov 20, 14:03" on another day, "Nov 20,
 * 2026, 14:03:22" in full; charts use the same parts. */
const DTF = {
	time: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
	minute: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }),
	day: new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' }),
	dayMinute: new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
	full: new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }),
};

/* d (a Date, ISO text or unix ms) in one of the styles of DTF. */
export const fmtDate = (d, style) => DTF[style].format(d instanceof Date ? d : new Date(d));

export function fmtTime(iso) {
	if (!iso) return '–';
	const d = new Date(iso);
	if (d.toDateString() === new Date().toDateString()) return DTF.time.format(d);
	return DTF.dayMinute.format(d);
}

export const fmtFull = (iso) => (iso ? DTF.full.format(new Date(iso)) : '–');

export function statusEl(status) {
	const s = typeof status === 'object' && status ? ['unset', 'ok', 'error'][status.code] || 'unset' : status || 'unset';
	return h('span.status.s-' + s, null, s);
}

export const typeBadge = (type) => h('span.badge.t-' + (type || 'span'), null, type || 'span');

/* A long text cut at max characters with a button showing the rest. */
export function longText(text, max = 1200) {
	const el = h('span');
	if (text.length <= max) { el.textContent = text; return el; }
	el.textContent = text.slice(0, max) + '…';
	const btn = h('button.more', { type: 'button' }, ` Show all ${fmtInt(text.length)} characters`);
	btn.addEventListener('click', () => { el.textContent = text; });
	return h('span', null, el, btn);
}

/* Folded, coloured JSON: objects and arrays as <details>, open to depth. */
export function jsonTree(value, depth = 2) {
	return h('div.json', null, jsonNode(null, value, depth));
}

function jsonNode(key, v, depth) {
	const label = key == null ? null : h('span.k', null, JSON.stringify(key) + ': ');
	if (v && typeof v === 'object') {
		const entries = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
		const open = Array.isArray(v) ? '[' : '{', close = Array.isArray(v) ? ']' : '}';
		if (!entries.length) return h('div.line', null, label, open + close);
		const noun = Array.isArray(v) ? 'item' : 'key';
		const det = h('details', depth > 0 ? { open: true } : null,
			h('summary', null, label, open, h('span.faint', null, ` ${entries.length} ${noun}${entries.length === 1 ? '' : 's'} `), close));
		let filled = false;
		const fill = () => {
			if (filled) return;
			filled = true;
			for (const [k, x] of entries) det.append(jsonNode(Array.isArray(v) ? null : k, x, depth - 1));
		};
		if (depth > 0) fill(); else det.addEventListener('toggle', fill);
		return det;
	}
	const cls = typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b';
	const text = typeof v === 'string' ? longText(JSON.stringify(v), 600) : String(v);
	return h('div.line', null, label, h('span.' + cls, null, text));
}

/* Parses s as JSON if it looks like an object or array, else undefined. */
export function maybeJson(s) {
	if (typeof s !== 'string') return undefined;
	const t = s.trim();
	if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
	try { return JSON.parse(t); } catch { return undefined; }
}

/* Text or folded JSON, whichever the value is. */
export function valueView(v) {
	if (v == null) return h('span.faint', null, '–');
	if (typeof v === 'object') return jsonTree(v);
	const j = maybeJson(v);
	if (j !== undefined) return jsonTree(j);
	return h('pre', null, longText(String(v)));
}
