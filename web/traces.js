// traces.js: the trace explorer: filters kept in the query string, a table
// that pages through any number of traces by cursor (loading the next page
// as its end scrolls into view), client-side sorting of what is loaded,
// keyboard selection, and a live mode that prepends traces as they arrive.
// Input and output wrap to two lines; a column chooser (kept in
// localStorage) hides columns; a click on a row peeks at the trace.
import { getJson, storeIsEmpty } from './api.js';
import { currentFilters, dropFilters, filterApiParams, filterBuilder, filterChips } from './attrfilter.js';
import { exportMenu } from './export.js';
import { errorBanner, showError, showOnboarding } from './feedback.js';
import { closePeek, openPeek, peekOpen } from './peek.js';
import { editParams, navigate, params, scope, setParams, sharedQuery } from './state.js';
import { fmtCompact, fmtCost, fmtInt, fmtMs, fmtTime, h, statusEl } from './util.js';

const PAGE = 100;
const LIVE_MS = 2000;
/* URL parameter -> API parameter of GET /api/traces. */
export const FILTERS = {
	q: 'q', service: 'service', name: 'name', status: 'status', model: 'model', type: 'type', session_id: 'session_id', user_id: 'user_id',
	min_ms: 'min_duration_ms', max_ms: 'max_duration_ms',
};

const COLUMNS = [
	{ key: 'start_time', label: 'Start', cell: (t) => h('span.mono', { title: t.start_time }, fmtTime(t.start_time)) },
	{ key: 'name', label: 'Trace', cls: 'c-tname', cell: (t) => h('a', { href: `/traces/${t.trace_id}${sharedQuery()}`, tabindex: '-1' }, t.name || '(no root yet)') },
	{ key: 'service', label: 'Service', cls: 'c-svc', cell: (t) => h('span', { title: t.service }, t.service) },
	{ key: 'status', label: 'Status', cell: (t) => statusEl(t.status) },
	{ key: 'duration_ms', label: 'Duration', num: true, cell: (t) => fmtMs(t.duration_ms) },
	{ key: 'span_count', label: 'Spans', num: true, cell: (t) => [fmtInt(t.span_count), t.error_count ? h('span.err', null, ` (${t.error_count}✕)`) : null] },
	{ key: 'llm_calls', label: 'LLM', num: true, cell: (t) => fmtInt(t.llm_calls) },
	{ key: 'tokens', label: 'Tokens', title: 'Tokens in → out', num: true, value: (t) => t.input_tokens + t.output_tokens,
		cell: (t) => `${fmtCompact(t.input_tokens)} → ${fmtCompact(t.output_tokens)}` },
	{ key: 'cost_usd', label: 'Cost', num: true, cell: (t) => fmtCost(t.cost_usd) },
	{ key: 'models', label: 'Models', cls: 'c-models', value: (t) => (t.models || []).join(','), cell: (t) => h('span', { title: (t.models || []).join(', ') }, (t.models || []).join(', ')) },
	{ key: 'input_preview', label: 'Input', cls: 'c-text', cell: (t) => {
		const m = t.matches?.find((x) => x.field !== 'output') ?? (t.matches?.length && !outputMatch(t) ? t.matches[0] : null);
		return h('div.clamp', { title: t.input_preview || null }, m ? snippet(m) : t.input_preview || '');
	} },
	{ key: 'output_preview', label: 'Output', cls: 'c-text', cell: (t) => {
		const m = outputMatch(t);
		return h('div.clamp', { title: t.output_preview || null },
			m ? snippet(m) : t.output_preview || (t.error_count ? h('span.faint', null, '(no output)') : ''));
	} },
];
/* Columns always shown: the chooser cannot hide them. */
const FIXED = new Set(['start_time', 'name']);
const COLS_KEY = 'tracelite-trace-columns';

/* The keys of the hidden columns, as the chooser stored them. */
function hiddenColumns() {
	try {
		const v = JSON.parse(localStorage.getItem(COLS_KEY) || '[]');
		return new Set(Array.isArray(v) ? v.filter((k) => !FIXED.has(k)) : []);
	} catch { return new Set(); }
}

/* The column chooser: a checkbox per column; a change is stored and the
 * list drawn again by redraw(). */
function columnChooser(redraw) {
	const hidden = hiddenColumns();
	const box = h('details.dropdown.colchooser', null, h('summary.btn', { title: 'Choose the columns shown' }, 'Columns'),
		h('div.menu', { role: 'group', 'aria-label': 'Columns' }, COLUMNS.map((c) => h('label', null,
			h('input', {
				type: 'checkbox', 'data-col': c.key, checked: !hidden.has(c.key), disabled: FIXED.has(c.key),
				onchange: (e) => {
					if (e.target.checked) hidden.delete(c.key); else hidden.add(c.key);
					localStorage.setItem(COLS_KEY, JSON.stringify([...hidden]));
					redraw();
				},
			}), c.label))));
	return box;
}

/* A search's first match in an output field: the Output column shows it;
 * matches elsewhere (input, name, status) go in the Input column. */
const outputMatch = (t) => t.matches?.find((x) => x.field === 'output') ?? null;

/* A search match: the server's HTML-escaped snippet, with only its <mark>
 * tags kept as elements (the rest is decoded to text, never parsed). */
function snippet(m) {
	const decode = (x) => new DOMParser().parseFromString(x, 'text/html').documentElement.textContent;
	const parts = m.snippet.split(/<\/?mark>/);
	const lead = decode(parts[0]);
	parts[0] = lead.length > 24 ? '…' + lead.slice(-24) : lead;  /* keep the first match in view */
	return h('span', { title: `${m.span_name}: ${m.field}` }, h('span.faint', null, m.field + ': '),
		parts.map((p, i) => (i % 2 ? h('mark', null, decode(p)) : i ? decode(p) : p)));
}

/* The API parameters of the current URL's filters among keys (shared
 * scope included). */
export function listParams(keys = Object.keys(FILTERS), { attrs = false } = {}) {
	const p = params(), out = scope();
	for (const k of keys) if (p.get(k)) out[FILTERS[k]] = p.get(k);
	return attrs ? { ...out, ...filterApiParams(p) } : out;
}

/* The filter controls of keys (URL parameters of FILTERS) over facets
 * ({services, models}), each writing its value into the URL; live adds
 * the live-mode toggle. */
function filterBar(facets, { keys = Object.keys(FILTERS), live: withLive = true, label = 'Trace filters', attrs = false, extra = null } = {}) {
	const p = params();
	const only = (key, el) => (keys.includes(key) ? el : null);
	const pick = (key, label, values) => h('select', {
		'aria-label': label, 'data-filter': key,
		onchange: (e) => setParams({ [key]: e.target.value }),
	}, h('option', { value: '' }, `${label}: any`), values.map((v) => h('option', { value: v, selected: p.get(key) === v }, v)));
	const text = (key, label, cls, type = 'text', name = label) => h('input.' + cls, {
		type, 'aria-label': name, placeholder: label, value: p.get(key) || '', 'data-filter': key, min: type === 'number' ? '0' : null,
		onchange: (e) => setParams({ [key]: e.target.value.trim() }),
	});
	const withCurrent = (list, key) => (p.get(key) && !list.includes(p.get(key)) ? [p.get(key), ...list] : list);
	const live = p.get('live') === '1';
	return h('div.filters', { role: 'search', 'aria-label': label },
		only('q', h('input.q', { type: 'search', 'aria-label': 'Search span names, inputs, outputs and errors', 'data-filter': 'q', 'data-search': true,
			placeholder: 'Search text…  ( / )', value: p.get('q') || '', onchange: (e) => setParams({ q: e.target.value.trim() }) })),
		only('service', pick('service', 'Service', withCurrent(facets.services, 'service'))),
		only('status', pick('status', 'Status', ['ok', 'error'])),
		only('model', pick('model', 'Model', withCurrent(facets.models, 'model'))),
		only('type', pick('type', 'Span type', ['llm', 'tool', 'retrieval', 'agent', 'embedding'])),
		only('name', text('name', 'Trace name', 'id')),
		only('session_id', text('session_id', 'Session id', 'id')),
		only('user_id', text('user_id', 'User id', 'id')),
		only('min_ms', h('label', null, 'Duration', text('min_ms', 'min', 'dur', 'number', 'Minimum duration (ms)'), '–',
			text('max_ms', 'max', 'dur', 'number', 'Maximum duration (ms)'), 'ms')),
		attrs ? filterBuilder() : null,
		keys.some((k) => p.get(k)) || (attrs && currentFilters().length)
			? h('button.btn', { type: 'button', onclick: () => editParams((q) => { for (const k of keys) q.delete(k); dropFilters(q); q.delete('cursor'); }, { replace: true }) }, 'Clear filters')
			: null,
		h('div.spacer'),
		extra,
		withLive ? h('button.btn', { type: 'button', 'aria-pressed': String(live), title: 'Show new traces as they arrive',
			onclick: () => setParams({ live: !live }) }, h('span.live-dot'), 'Live') : null);
}

/* A placeholder replaced by filterBar(facets, opts) once /api/facets (of
 * the shared scope) answers; on an error, the bar without facets and the
 * error. */
export function filters(signal, opts) {
	const bar = h('div.filters', null, h('span.muted', null, 'Loading filters…'));
	getJson('/api/facets', scope(), { signal })
		.then((f) => bar.replaceWith(filterBar(f, opts)))
		.catch((err) => { if (err.name !== 'AbortError') bar.replaceWith(filterBar({ services: [], models: [] }, opts), errorBanner(err)); });
	return bar;
}

export async function render({ main, signal, onCleanup }) {
	const p = params();
	const sort = p.get('sort') || '';
	const head = h('div.pagehead', null, h('h1', null, 'Traces'), h('span.muted', { id: 'count' }));
	const tableBox = h('div', null, h('div.loading', null, 'Loading traces…'));
	let redraw = () => {};
	const extra = [exportMenu(() => listParams(undefined, { attrs: true })), columnChooser(() => redraw())];
	main.append(...[head, filters(signal, { attrs: true, extra }), filterChips(), tableBox].filter(Boolean));

	const query = listParams(undefined, { attrs: true });
	/* a text search lists the same traces with the matching snippets */
	const endpoint = query.q ? '/api/search' : '/api/traces';
	let first;
	try {
		first = await getJson(endpoint, { ...query, limit: PAGE }, { signal });
	} catch (err) { return showError(tableBox, err); }
	if (!first.items.length) {
		const empty = await storeIsEmpty(signal);
		if (empty) showOnboarding(main, signal, onCleanup);
		else {
			tableBox.replaceChildren(h('div.empty', null, 'No traces match these filters in this time range.'));
		}
		return;
	}

	const rows = first.items.slice();
	const seen = new Set(rows.map((t) => t.trace_id));
	let cursor = first.next_cursor, loading = false, selected = -1;
	const fresh = new Set();

	const [sortKey, desc] = sort.startsWith('-') ? [sort.slice(1), true] : [sort, false];
	const col = COLUMNS.find((c) => c.key === sortKey);
	const sorted = () => {
		if (!col) return rows;
		const val = col.value || ((t) => t[col.key]);
		return rows.slice().sort((a, b) => {
			const x = val(a), y = val(b);
			const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
			return desc ? -c : c;
		});
	};
	let cols = COLUMNS;
	const thead = h('thead');
	const head1 = () => h('tr', null, cols.map((c) => h('th', {
		class: [c.num ? 'num' : '', c.cls || ''].join(' ').trim() || null, scope: 'col', 'data-col': c.key,
		'aria-sort': c.key === sortKey ? (desc ? 'descending' : 'ascending') : null,
	}, h('button', {
		type: 'button', title: `Sort by ${c.title || c.label}`,
		onclick: () => setParams({ sort: c.key === sortKey ? (desc ? null : '-' + c.key) : c.key }),
	}, c.label))));
	const tbody = h('tbody');
	const foot = h('div.table-foot');
	const table = h('table', { 'aria-label': 'Traces' }, thead, tbody);
	tableBox.replaceChildren(h('div.table-wrap', null, table), foot);

	const open = (t) => navigate(`/traces/${t.trace_id}${sharedQuery()}`);
	const peek = (t) => openPeek(t, { signal, onClose: () => tbody.querySelector('tr.peeked')?.classList.remove('peeked') });
	let shown = [];
	const draw = () => {
		shown = sorted();
		const hidden = hiddenColumns();
		cols = COLUMNS.filter((c) => !hidden.has(c.key));
		thead.replaceChildren(head1());
		const peeked = params().get('peek');
		tbody.replaceChildren(...shown.map((t, i) => h('tr', {
			'data-trace-id': t.trace_id, 'aria-selected': String(i === selected),
			class: [fresh.has(t.trace_id) ? 'fresh' : '', t.trace_id === peeked ? 'peeked' : ''].join(' ').trim() || null,
			onclick: (e) => {
				if (e.target.closest('a')) return;
				selected = i;
				for (const tr of tbody.querySelectorAll('tr[aria-selected="true"], tr.peeked')) { tr.setAttribute('aria-selected', 'false'); tr.classList.remove('peeked'); }
				e.currentTarget.setAttribute('aria-selected', 'true');
				e.currentTarget.classList.add('peeked');
				peek(t);
			},
		}, cols.map((c) => h('td', { class: [c.num ? 'num' : '', c.cls || ''].join(' ').trim() || null }, c.cell(t))))));
		fresh.clear();
		document.getElementById('count').textContent =
			`${fmtInt(rows.length)}${cursor ? '+' : ''} traces${col ? ', loaded ones sorted by ' + col.label.toLowerCase() : ''}`;
		foot.replaceChildren(cursor
			? h('button.btn', { type: 'button', onclick: loadMore }, 'Load more')
			: h('span', null, rows.length > PAGE ? 'End of the list.' : ''));
	};
	async function loadMore() {
		if (!cursor || loading) return;
		loading = true;
		try {
			const r = await getJson(endpoint, { ...query, limit: PAGE, cursor }, { signal });
			for (const t of r.items) if (!seen.has(t.trace_id)) { seen.add(t.trace_id); rows.push(t); }
			cursor = r.next_cursor;
			draw();
		} catch (err) {
			if (err.name !== 'AbortError') foot.replaceChildren(errorBanner(err));
		} finally { loading = false; }
	}
	redraw = draw;
	draw();
	const wantPeek = p.get('peek') && rows.find((t) => t.trace_id === p.get('peek'));
	if (wantPeek) peek(wantPeek);

	const io = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadMore(); });
	io.observe(foot);

	const select = (i) => {
		if (!shown.length) return;
		selected = Math.max(0, Math.min(shown.length - 1, i));
		for (const tr of tbody.querySelectorAll('tr[aria-selected="true"]')) tr.setAttribute('aria-selected', 'false');
		const tr = tbody.children[selected];
		tr.setAttribute('aria-selected', 'true');
		tr.scrollIntoView({ block: 'nearest' });
		if (peekOpen()) { tbody.querySelector('tr.peeked')?.classList.remove('peeked'); tr.classList.add('peeked'); peek(shown[selected]); }
	};
	const onKey = (e) => {
		if (e.target.closest('input, select, textarea') || e.metaKey || e.ctrlKey || e.altKey) return;
		if (e.key === 'j' || e.key === 'ArrowDown') { e.preventDefault(); select(selected + 1); }
		else if (e.key === 'k' || e.key === 'ArrowUp') { e.preventDefault(); select(selected - 1); }
		else if (e.key === 'Enter' && selected >= 0 && !e.target.closest('a, button')) { e.preventDefault(); open(shown[selected]); }
		else if (e.key === ' ' && selected >= 0 && !e.target.closest('a, button')) { e.preventDefault(); peek(shown[selected]); tbody.children[selected]?.classList.add('peeked'); }
		else if (e.key === 'Escape' && peekOpen()) { e.preventDefault(); closePeek(); }
	};
	document.addEventListener('keydown', onKey);

	let timer = null;
	if (p.get('live') === '1') {
		const poll = async () => {
			try {
				const r = await getJson(endpoint, { ...listParams(undefined, { attrs: true }), limit: PAGE }, { signal });
				const added = r.items.filter((t) => !seen.has(t.trace_id));
				for (const t of added) { seen.add(t.trace_id); fresh.add(t.trace_id); }
				if (added.length) { rows.unshift(...added); if (selected >= 0) selected += added.length; draw(); }
			} catch (err) {
				if (err.name !== 'AbortError') foot.replaceChildren(errorBanner(err));
			}
		};
		timer = setInterval(poll, LIVE_MS);
	}
	onCleanup(() => { io.disconnect(); document.removeEventListener('keydown', onKey); clearInterval(timer); closePeek({ keepUrl: true }); });
}
