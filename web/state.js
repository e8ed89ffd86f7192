// state.js: the state shared by every page, kept in the URL: the query
// string's parameters, the shared filters (project and time range) as API
// parameters and as a query to carry across links, and navigation. The
// router (app.js) registers itself with onNavigate; this module imports
// no page and not the router.

const RANGES = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
/* Ranges longer than this start on a whole hour: the server keeps minute
 * rollups for the last two days only (ROLLUP_MINUTE_HOURS), and an older
 * range edge inside an hour is read from the spans themselves. */
const HOUR_ALIGNED_FROM = 2 * 86400e3;
export const DEFAULT_RANGE = '24h';
const SHARED = ['project', 'range', 'from', 'to'];

let render = () => {};

/* Registers fn (the router) to render the page after navigate() changed the URL. */
export function onNavigate(fn) {
	render = fn;
}

export const params = () => new URLSearchParams(location.search);

/* The shared filters as API parameters: project, and from/to for the range. */
export function scope() {
	const p = params();
	const out = { project: p.get('project') || undefined };
	const range = p.get('range') || DEFAULT_RANGE;
	if (RANGES[range]) {
		let from = Date.now() - RANGES[range];
		if (RANGES[range] > HOUR_ALIGNED_FROM) from = Math.floor(from / 3600e3) * 3600e3;
		out.from = new Date(from).toISOString();
	}
	else if (range === 'custom') {
		out.from = p.get('from') || undefined;
		out.to = p.get('to') || undefined;
	}
	return out;
}

/* The shared part of the current query string, to carry across links. */
export function sharedQuery(extra = {}) {
	const p = params(), q = new URLSearchParams();
	for (const k of SHARED) if (p.get(k)) q.set(k, p.get(k));
	for (const [k, v] of Object.entries(extra)) if (v != null && v !== '') q.set(k, v);
	const s = q.toString();
	return s ? '?' + s : '';
}

/* Goes to url (path + query) and renders it. */
export function navigate(url, { replace = false } = {}) {
	history[replace ? 'replaceState' : 'pushState'](null, '', url);
	render();
}

/* Sets (or, with '' / null, removes) query parameters of the current page.
 * rerender=false only records them (the page already shows that state). */
export function setParams(changes, { replace = true, rerender = true } = {}) {
	const p = params();
	for (const [k, v] of Object.entries(changes)) {
		if (v == null || v === '' || v === false) p.delete(k);
		else p.set(k, v === true ? '1' : v);
	}
	const s = p.toString();
	const url = location.pathname + (s ? '?' + s : '');
	if (rerender) navigate(url, { replace });
	else history.replaceState(null, '', url);
}

/* Lets fn change the current query string (URLSearchParams, for repeated
 * parameters) and goes there (a new history entry unless replace). */
export function editParams(fn, { replace = false } = {}) {
	const p = params();
	fn(p);
	const s = p.toString();
	navigate(location.pathname + (s ? '?' + s : ''), { replace });
}
