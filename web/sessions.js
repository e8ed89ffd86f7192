// sessions.js: the sessions list (GET /api/sessions, paged by cursor,
// filtered by the URL's trace filters and the shared project and range) and
// one session (GET /api/sessions/{id}) shown as a conversation: its traces
// oldest first, each one's input and output as a user and an assistant turn.
import { annotationsBox, scoreText } from './annotate.js';
import { getJson, storeIsEmpty } from './api.js';
import { exportMenu } from './export.js';
import { errorBanner, showError, showOnboarding } from './feedback.js';
import { navigate, params, sharedQuery } from './state.js';
import { PEEK_SPANS, rootOf } from './peek.js';
import { filters, listParams } from './traces.js';
import { fmtCompact, fmtCost, fmtInt, fmtMs, fmtTime, h, statusEl } from './util.js';

const PAGE = 100;
/* The trace filters that make sense for groups of traces (q is refused). */
const KEYS = ['service', 'status', 'model', 'type', 'name', 'user_id'];

/* The server keeps the first 240 bytes of a trace's input and output
 * (TRACESUM_PREVIEW, cut at a character): a preview that long was cut. */
const PREVIEW_BYTES = 240;
const isCut = (text) => new TextEncoder().encode(text).length > PREVIEW_BYTES - 4;
const preview = (text) => (isCut(text) ? text + '…' : text);

/* A "Show all" button that replaces the cut previews in bubbles with the
 * root span's whole input and output. */
function expander(t, bubbles, signal) {
	const btn = h('button.more', { type: 'button', 'data-expand': t.trace_id }, 'Show all');
	btn.addEventListener('click', async () => {
		btn.disabled = true;
		btn.textContent = 'Loading…';
		try {
			const r = await getJson(`/api/traces/${t.trace_id}`, { limit: PEEK_SPANS }, { signal });
			const root = r.spans.length ? rootOf(r.spans) : null;
			const text = (v) => (v == null ? null : typeof v === 'string' ? v : JSON.stringify(v, null, 2));
			if (text(root?.input)) bubbles.user.textContent = text(root.input);
			if (text(root?.output)) bubbles.assistant.textContent = text(root.output);
			btn.remove();
		} catch (err) {
			if (err.name !== 'AbortError') btn.replaceWith(errorBanner(err));
		}
	});
	return btn;
}
const sessionHref = (id) => `/sessions/${encodeURIComponent(id)}${sharedQuery()}`;
const tokens = (x) => `${fmtCompact(x.input_tokens)} → ${fmtCompact(x.output_tokens)}`;

/* Fetches the pages of path by cursor (items under "items", or "traces"
 * for one session): calls draw(items so far, answer) after each page and
 * puts a "Load more" button into foot while there is a next_cursor.
 * Resolves to the first answer (its error thrown); later errors go to foot. */
export async function paged(path, query, signal, foot, draw) {
	const items = [];
	let cursor = null;
	const page = async () => {
		const r = await getJson(path, { ...query, limit: PAGE, cursor }, { signal });
		items.push(...(r.items || r.traces || r.logs));
		cursor = r.next_cursor;
		draw(items, r);
		foot.replaceChildren(cursor ? h('button.btn', { type: 'button', onclick: more }, 'Load more')
			: h('span', null, items.length > PAGE ? 'End of the list.' : ''));
		return r;
	};
	const more = (e) => {
		e.target.disabled = true;
		page().catch((err) => { if (err.name !== 'AbortError') foot.replaceChildren(errorBanner(err)); });
	};
	return page();
}

const LIST_COLS = [
	['Session', (s) => h('a.mono', { href: sessionHref(s.session_id), title: s.session_id }, s.session_id), 'c-session'],
	['User', (s) => (s.user_id ? h('a', { href: `/users/${encodeURIComponent(s.user_id)}${sharedQuery()}`, title: `The page of ${s.user_id}` }, s.user_id) : h('span.faint', null, '–'))],
	['Traces', (s) => fmtInt(s.traces), 'num'],
	['Spans', (s) => fmtInt(s.spans), 'num'],
	['Errors', (s) => (s.errors ? h('span.err', null, fmtInt(s.errors)) : '0'), 'num'],
	['Tokens in → out', tokens, 'num'],
	['Cost', (s) => fmtCost(s.cost_usd), 'num'],
	['First trace', (s) => h('span', { title: s.first_seen }, fmtTime(s.first_seen))],
	['Latest trace', (s) => h('span', { title: s.last_seen }, fmtTime(s.last_seen))],
	['Scores', (s) => h('span.chips', null, (s.scores || []).map((sc) =>
		h('span.chip', { title: sc.comment || sc.source || '' }, `${sc.name}: ${scoreText(sc)}`))), 'c-scores'],
];

/* A page listing groups of traces (sessions, users) from path, paged by
 * cursor, filtered by the URL's filters among keys: g = {title, path,
 * keys, cols: [[label, cell, cls]], id (the item's id field), href(id),
 * noun, empty (what to say when there is none at all)}. */
export async function groupList({ main, signal, onCleanup }, g) {
	const p = params();
	document.title = `${g.title} · tracelite`;
	const count = h('span.muted');
	const box = h('div', null, h('div.loading', null, `Loading ${g.noun}…`));
	main.append(h('div.pagehead', null, h('h1', null, g.title), count),
		filters(signal, { keys: g.keys, live: false, label: `${g.title} filters` }), box);
	const tbody = h('tbody');
	const foot = h('div.table-foot');
	const draw = (items, r) => {
		count.textContent = `${fmtInt(items.length)}${r.next_cursor ? '+' : ''} ${g.noun}, most recent first`;
		tbody.replaceChildren(...items.map((s) => h('tr', {
			[`data-${g.id.replace('_', '-')}`]: s[g.id], onclick: (e) => { if (!e.target.closest('a')) navigate(g.href(s[g.id])); },
		}, g.cols.map(([, cell, cls]) => h('td', { class: cls || null }, cell(s))))));
	};
	let first;
	try { first = await paged(g.path, listParams(g.keys), signal, foot, draw); } catch (err) { return showError(box, err); }
	if (!first.items.length) {
		if (await storeIsEmpty(signal)) return showOnboarding(main, signal, onCleanup);
		const filtered = g.keys.some((k) => p.get(k));
		box.replaceChildren(h('div.empty', null, filtered ? `No ${g.noun} match these filters in this time range.` : g.empty));
		return;
	}
	box.replaceChildren(h('div.table-wrap', null, h('table', { 'aria-label': g.title },
		h('thead', null, h('tr', null, g.cols.map(([l, , cls]) => h('th', { class: cls === 'num' ? 'num' : null, scope: 'col' }, l)))), tbody)), foot);
}

export const renderList = (ctx) => groupList(ctx, {
	title: 'Sessions', path: '/api/sessions', keys: KEYS, cols: LIST_COLS, id: 'session_id', href: sessionHref, noun: 'sessions',
	empty: 'No sessions in this time range. Traces join a session through the session.id or gen_ai.conversation.id attribute.',
});

/* One trace of the session as a turn: what came in, what went out. */
function turn(t, i, signal) {
	const href = `/traces/${t.trace_id}${sharedQuery()}`;
	const user = h('div.bubble.user', { 'aria-label': 'Input' }, t.input_preview ? preview(t.input_preview) : h('span.faint', null, '(no input recorded)'));
	const assistant = h('div.bubble.assistant', { 'aria-label': 'Output', class: t.error_count && !t.output_preview ? 'failed' : null },
		t.output_preview ? preview(t.output_preview) : h('span.faint', null, t.error_count ? '(failed without output)' : '(no output recorded)'));
	const cut = (t.input_preview && isCut(t.input_preview)) || (t.output_preview && isCut(t.output_preview));
	return h('li.turn', { 'data-trace-id': t.trace_id },
		h('div.meta', null, h('span.faint', null, `#${i + 1}`), h('a', { href }, t.name || '(no root span yet)'),
			h('span', { title: t.start_time }, fmtTime(t.start_time)), statusEl(t.status),
			h('span', { title: 'Latency' }, fmtMs(t.duration_ms)),
			h('span', { title: 'Tokens in → out' }, tokens(t) + ' tokens'),
			h('span', { title: 'Cost' }, fmtCost(t.cost_usd)),
			t.error_count ? h('span.err', null, `${fmtInt(t.error_count)} error span${t.error_count > 1 ? 's' : ''}`) : null,
			(t.models || []).length ? h('span.faint', null, t.models.join(', ')) : null,
			cut ? expander(t, { user, assistant }, signal) : null),
		user, assistant);
}

export async function renderOne({ main, match, signal }) {
	const id = decodeURIComponent(match[1]);
	document.title = `Session ${id} · tracelite`;
	const head = h('div.pagehead', null, h('a', { href: '/sessions' + sharedQuery() }, '← Sessions'), h('h1.mono', null, id));
	const box = h('div', null, h('div.loading', null, 'Loading session…'));
	main.append(head, box);
	const list = h('ol.convo', { 'aria-label': 'Conversation' });
	const foot = h('div.table-foot');
	const draw = (items) => list.replaceChildren(...items.map((t, i) => turn(t, i, signal)));
	/* the whole session, whatever the time range: only the project applies */
	let r;
	try { r = await paged(`/api/sessions/${encodeURIComponent(id)}`, { project: params().get('project') }, signal, foot, draw); } catch (err) { return showError(box, err); }
	const se = r.session;
	const stat = (label, value) => h('span', null, label + ' ', h('b', null, value));
	head.append(h('div.stats', null,
		se.user_id ? h('span', null, 'User ', h('a', { href: `/users/${encodeURIComponent(se.user_id)}${sharedQuery()}` }, se.user_id)) : null,
		stat('Traces', fmtInt(se.traces)), stat('Spans', fmtInt(se.spans)),
		se.errors ? h('span.err', null, `Failed traces ${fmtInt(se.errors)}`) : null,
		stat('Tokens', tokens(se)), stat('Cost', fmtCost(se.cost_usd)),
		stat('From', fmtTime(se.first_seen)), stat('to', fmtTime(se.last_seen)),
		h('a', { href: '/traces' + sharedQuery({ session_id: id, range: 'all' }) }, 'As a trace list'),
		exportMenu(() => ({ project: params().get('project'), session_id: id }), 'Export session')));
	/* the session's own scores: annotations editable, others as chips */
	const others = (se.scores || []).filter((s) => s.source !== 'annotation');
	head.append(h('div.session-scores', null,
		others.length ? h('div.chips', null, others.map((s) => h('span.chip', { title: s.comment || '' }, `${s.name}: ${scoreText(s)}`))) : null,
		annotationsBox({ session_id: id }, se.scores || [])));
	box.replaceChildren(list, foot);
}
