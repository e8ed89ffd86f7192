// users.js: the users list (GET /api/users, paged by cursor, filtered by
// the URL's trace filters and the shared project and range) and one user
// (GET /api/users/{id}): totals (traces, sessions, tokens, cost, failed
// traces), the user's scores over time (GET /api/scores/summary by
// user_id) and traces oldest first, with links to their sessions.
import { getJson } from './api.js';
import { errorBanner, showError } from './feedback.js';
import { nameCard } from './scores.js';
import { groupList, paged } from './sessions.js';
import { navigate, params, sharedQuery } from './state.js';
import { fmtCompact, fmtCost, fmtInt, fmtMs, fmtTime, h, statusEl } from './util.js';

/* The trace filters that make sense for groups of traces (q is refused). */
const KEYS = ['service', 'status', 'model', 'type', 'name'];
const userHref = (id) => `/users/${encodeURIComponent(id)}${sharedQuery()}`;
const tokens = (x) => `${fmtCompact(x.input_tokens)} → ${fmtCompact(x.output_tokens)}`;

const LIST_COLS = [
	['User', (u) => h('a', { href: userHref(u.user_id), title: u.user_id }, u.user_id), 'c-session'],
	['Sessions', (u) => h('a', { href: '/sessions' + sharedQuery({ user_id: u.user_id }), title: `Sessions of ${u.user_id}` }, fmtInt(u.sessions)), 'num'],
	['Traces', (u) => h('a', { href: '/traces' + sharedQuery({ user_id: u.user_id }), title: `Traces of ${u.user_id}` }, fmtInt(u.traces)), 'num'],
	['Spans', (u) => fmtInt(u.spans), 'num'],
	['Failed traces', (u) => (u.errors ? h('span.err', null, fmtInt(u.errors)) : '0'), 'num'],
	['Tokens in → out', tokens, 'num'],
	['Cost', (u) => fmtCost(u.cost_usd), 'num'],
	['First trace', (u) => h('span', { title: u.first_seen }, fmtTime(u.first_seen))],
	['Latest trace', (u) => h('span', { title: u.last_seen }, fmtTime(u.last_seen))],
];

export const renderList = (ctx) => groupList(ctx, {
	title: 'Users', path: '/api/users', keys: KEYS, cols: LIST_COLS, id: 'user_id', href: userHref, noun: 'users',
	empty: 'No users in this time range. Traces name their user through the user.id attribute (or enduser.id).',
});

const TRACE_COLS = [
	['Start', (t) => h('span.mono', { title: t.start_time }, fmtTime(t.start_time))],
	['Trace', (t) => h('a', { href: `/traces/${t.trace_id}${sharedQuery()}` }, t.name || '(no root yet)'), 'c-tname'],
	['Session', (t) => (t.session_id ? h('a.mono', { href: `/sessions/${encodeURIComponent(t.session_id)}${sharedQuery()}`, title: t.session_id }, t.session_id) : h('span.faint', null, '–')), 'c-session'],
	['Status', (t) => statusEl(t.status)],
	['Duration', (t) => fmtMs(t.duration_ms), 'num'],
	['Tokens', tokens, 'num'],
	['Cost', (t) => fmtCost(t.cost_usd), 'num'],
	['Input', (t) => h('div.clamp', { title: t.input_preview || null }, t.input_preview || ''), 'c-text'],
	['Output', (t) => h('div.clamp', { title: t.output_preview || null }, t.output_preview || ''), 'c-text'],
];

export async function renderOne({ main, match, signal }) {
	const id = decodeURIComponent(match[1]);
	document.title = `User ${id} · tracelite`;
	const head = h('div.pagehead', null, h('a', { href: '/users' + sharedQuery() }, '← Users'), h('h1', null, id));
	const box = h('div', null, h('div.loading', null, 'Loading user…'));
	const scoresBox = h('div');
	main.append(head, box);
	const tbody = h('tbody');
	const foot = h('div.table-foot');
	const draw = (items) => tbody.replaceChildren(...items.map((t) => h('tr', {
		'data-trace-id': t.trace_id, onclick: (e) => { if (!e.target.closest('a')) navigate(`/traces/${t.trace_id}${sharedQuery()}`); },
	}, TRACE_COLS.map(([, cell, cls]) => h('td', { class: cls || null }, cell(t))))));
	/* the whole history of the user, whatever the time range: only the project applies */
	const project = params().get('project');
	let r;
	try { r = await paged(`/api/users/${encodeURIComponent(id)}`, { project }, signal, foot, draw); } catch (err) { return showError(box, err); }
	const u = r.user;
	const stat = (label, value, field) => h('span', null, label + ' ', h('b', { 'data-field': field }, value));
	head.append(h('div.stats', null,
		stat('Traces', fmtInt(u.traces), 'traces'),
		h('span', null, 'Sessions ', h('a', { href: '/sessions' + sharedQuery({ user_id: id, range: 'all' }) }, h('b', { 'data-field': 'sessions' }, fmtInt(u.sessions)))),
		stat('Spans', fmtInt(u.spans), 'spans'),
		u.errors ? h('span.err', { 'data-field': 'errors' }, `Failed traces ${fmtInt(u.errors)}`) : stat('Failed traces', '0', 'errors'),
		stat('Tokens', tokens(u), 'tokens'), stat('Cost', fmtCost(u.cost_usd), 'cost'),
		stat('First seen', fmtTime(u.first_seen)), stat('last', fmtTime(u.last_seen)),
		h('a', { href: '/traces' + sharedQuery({ user_id: id, range: 'all' }) }, 'In the trace explorer')));
	box.replaceChildren(scoresBox, h('h2', null, 'Traces, oldest first'),
		h('div.table-wrap', null, h('table', { 'aria-label': 'Traces of the user' },
			h('thead', null, h('tr', null, TRACE_COLS.map(([l, , cls]) => h('th', { class: cls === 'num' ? 'num' : null, scope: 'col' }, l)))), tbody)), foot);
	getJson('/api/scores/summary', { project, user_id: id }, { signal }).then((s) => {
		if (!s.items.length) return;
		scoresBox.replaceChildren(h('h2', null, 'Scores over time'),
			h('div.grid.g3.score-cards', null, s.items.map((it) => nameCard(it, s.trend_bucket))));
	}).catch((err) => { if (err.name !== 'AbortError') scoresBox.replaceChildren(errorBanner(err)); });
}
