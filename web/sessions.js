// sessions.js: the sessions list (paged by cursor) and one session shown
// as a conversation: its traces in order, each turn's input and output.
import { getJson } from './api.js';
import { errorBanner, navigate, scope, sharedQuery, showError } from './app.js';
import { fmtCompact, fmtCost, fmtInt, fmtMs, fmtTime, h, statusEl } from './util.js';

export async function renderList({ main, signal }) {
	const box = h('div', null, h('div.loading', null, 'Loading sessions…'));
	main.append(h('div.pagehead', null, h('h1', null, 'Sessions')), box);
	const s = scope();
	let r;
	try { r = await getJson('/api/sessions', { ...s, limit: 100 }, { signal }); } catch (err) { return showError(box, err); }
	if (!r.items.length) { box.replaceChildren(h('div.empty', null, 'No sessions in this time range. Traces join a session through session.id or gen_ai.conversation.id.')); return; }
	const items = r.items.slice();
	let cursor = r.next_cursor;
	const tbody = h('tbody');
	const foot = h('div.table-foot');
	const open = (it) => navigate(`/sessions/${encodeURIComponent(it.session_id)}${sharedQuery()}`);
	const draw = () => {
		tbody.replaceChildren(...items.map((it) => h('tr', { onclick: (e) => { if (!e.target.closest('a')) open(it); } },
			h('td.trunc', null, h('a.mono', { href: `/sessions/${encodeURIComponent(it.session_id)}${sharedQuery()}` }, it.session_id)),
			h('td', null, it.user_id || ''),
			h('td.num', null, fmtInt(it.traces)), h('td.num', null, fmtInt(it.spans)),
			h('td.num', { class: it.errors ? 'err' : null }, fmtInt(it.errors)),
			h('td.num', null, `${fmtCompact(it.input_tokens)} → ${fmtCompact(it.output_tokens)}`),
			h('td.num', null, fmtCost(it.cost_usd)),
			h('td', null, fmtTime(it.first_seen)), h('td', null, fmtTime(it.last_seen)))));
		foot.replaceChildren(cursor ? h('button.btn', { type: 'button', onclick: more }, 'Load more') : '');
	};
	async function more() {
		try {
			const n = await getJson('/api/sessions', { ...s, limit: 100, cursor }, { signal });
			items.push(...n.items);
			cursor = n.next_cursor;
			draw();
		} catch (err) { if (err.name !== 'AbortError') foot.replaceChildren(errorBanner(err)); }
	}
	const cols = [['Session', 0], ['User', 0], ['Traces', 1], ['Spans', 1], ['Errors', 1], ['Tokens in → out', 1], ['Cost', 1], ['First seen', 0], ['Last seen', 0]];
	box.replaceChildren(h('div.table-wrap', null, h('table', { 'aria-label': 'Sessions' },
		h('thead', null, h('tr', null, cols.map(([l, n]) => h('th', { class: n ? 'num' : null, scope: 'col' }, l)))), tbody)), foot);
	draw();
}

export async function renderOne({ main, match, signal }) {
	const id = decodeURIComponent(match[1]);
	const box = h('div', null, h('div.loading', null, 'Loading session…'));
	main.append(box);
	let r;
	try { r = await getJson(`/api/sessions/${encodeURIComponent(id)}`, {}, { signal }); } catch (err) { return showError(box, err); }
	const se = r.session;
	box.replaceChildren(
		h('div.pagehead', null, h('a', { href: '/sessions' + sharedQuery() }, '← Sessions'), h('h1.mono', null, se.session_id),
			h('span.muted', null, [se.user_id ? `user ${se.user_id}` : null, `${fmtInt(se.traces)} traces`, `${fmtCompact(se.input_tokens)} → ${fmtCompact(se.output_tokens)} tokens`, fmtCost(se.cost_usd)].filter(Boolean).join(' · '))),
		h('div.convo', { role: 'list', 'aria-label': 'Conversation' }, r.traces.map((t) => h('div.turn', { role: 'listitem' },
			h('div.meta', null, h('a', { href: `/traces/${t.trace_id}${sharedQuery()}` }, t.name), h('span', null, fmtTime(t.start_time)),
				h('span', null, fmtMs(t.duration_ms)), statusEl(t.status), h('span', null, `${fmtCompact(t.input_tokens)} → ${fmtCompact(t.output_tokens)} tokens`)),
			t.input_preview ? h('div.bubble.user', null, t.input_preview) : null,
			t.output_preview ? h('div.bubble.assistant', null, t.output_preview) : h('div.bubble.assistant.faint', null, '(no output recorded)')))));
}
