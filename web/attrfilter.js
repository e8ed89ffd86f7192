// attrfilter.js: the filters by span attribute, resource attribute, trace
// metadata, tag and score. The page URL holds them exactly as GET
// /api/traces takes them (repeatable, ANDed): attr.KEY=OP:VALUE,
// resource.KEY=OP:VALUE, meta.KEY=OP:VALUE, score.NAME=OP:VALUE (OP one of
// eq ne contains lt gt), KEY=exists, and tag=VALUE. Chips show and remove
// them; the builder (kind, key, operator, value) adds one.
import { getJson } from './api.js';
import { editParams, params, scope, sharedQuery } from './state.js';
import { h } from './util.js';

export const KINDS = [
	['attr', 'Span attribute'], ['resource', 'Resource attribute'], ['meta', 'Metadata'], ['tag', 'Tag'], ['score', 'Score'],
];
export const OPS = [['eq', '='], ['ne', '≠'], ['contains', 'contains'], ['exists', 'exists'], ['lt', '<'], ['gt', '>']];
const OP_IDS = new Set(OPS.map(([id]) => id));
const PREFIX = /^(attr|resource|meta|score)\.(.+)$/;

/* One filter from a URL parameter, or null when name is not one:
 * {kind, key, op, value, name, raw} (raw = the parameter's value). */
export function parseFilter(name, raw) {
	if (name === 'tag') return { kind: 'tag', key: '', op: 'eq', value: raw, name, raw };
	const m = PREFIX.exec(name);
	if (!m) return null;
	if (raw === 'exists') return { kind: m[1], key: m[2], op: 'exists', value: '', name, raw };
	const i = raw.indexOf(':');
	const op = i > 0 ? raw.slice(0, i) : '';
	if (!OP_IDS.has(op)) return { kind: m[1], key: m[2], op: 'eq', value: raw, name, raw: 'eq:' + raw };
	return { kind: m[1], key: m[2], op, value: raw.slice(i + 1), name, raw };
}

/* A filter as its URL/API parameter [name, value]. */
export function filterParam({ kind, key, op, value }) {
	if (kind === 'tag') return ['tag', value];
	return [`${kind}.${key}`, op === 'exists' ? 'exists' : `${op}:${value}`];
}

/* The filters of the current URL (or of URLSearchParams p), in URL order. */
export function currentFilters(p = params()) {
	const out = [];
	for (const [name, raw] of p) { const f = parseFilter(name, raw); if (f) out.push(f); }
	return out;
}

/* The filters as API parameters: { name: value or [values] }. */
export function filterApiParams(p = params()) {
	const out = {};
	for (const f of currentFilters(p)) {
		const [k, v] = [f.name, f.raw];
		out[k] = k in out ? [].concat(out[k], v) : v;
	}
	return out;
}

/* Adds filters (objects as filterParam takes) to the URL and renders it. */
export function addFilters(list) {
	editParams((p) => { p.delete('cursor'); for (const f of list) p.append(...filterParam(f)); });
}

/* A link to the trace list with the shared scope plus filters. */
export function traceListHref(list) {
	const q = new URLSearchParams(sharedQuery());
	for (const f of list) q.append(...filterParam(f));
	return '/traces?' + q;
}

/* Removes every filter parameter from p (URLSearchParams). */
export function dropFilters(p) {
	for (const name of [...new Set([...p.keys()])]) if (name === 'tag' || PREFIX.test(name)) p.delete(name);
}

const opLabel = (op) => OPS.find(([id]) => id === op)?.[1] || op;

/* The text of a filter: "meta.plan = pro", "tag: prod", "score.quality > 0.8". */
export function filterText(f) {
	if (f.kind === 'tag') return `tag: ${f.value}`;
	return `${f.kind}.${f.key} ${opLabel(f.op)}${f.op === 'exists' ? '' : ' ' + f.value}`;
}

/* The chips of the URL's filters, each with a button removing it. */
export function filterChips() {
	const list = currentFilters();
	if (!list.length) return null;
	return h('div.fchips', { 'aria-label': 'Attribute filters' }, list.map((f) => h('span.fchip', { 'data-filter-param': `${f.name}=${f.raw}` },
		h('span', null, filterText(f)),
		h('button', {
			type: 'button', 'aria-label': `Remove filter ${filterText(f)}`, title: 'Remove this filter',
			onclick: () => editParams((p) => {
				const keep = p.getAll(f.name).filter((v) => v !== f.raw && !(f.raw === 'eq:' + v));
				p.delete(f.name);
				for (const v of keep) p.append(f.name, v);
				p.delete('cursor');
			}),
		}, '✕'))));
}

/* The "+ Filter" button with its form: kind, key, operator, value. */
export function filterBuilder() {
	const kind = h('select', { 'aria-label': 'Filter on', 'data-fb': 'kind' }, KINDS.map(([id, l]) => h('option', { value: id }, l)));
	/* score names are known (the scores summary): offered as the keys of a score filter */
	const names = h('datalist', { id: 'fb-score-names' });
	let asked = false;
	const key = h('input', { type: 'text', 'aria-label': 'Key', placeholder: 'key, e.g. plan', 'data-fb': 'key', autocomplete: 'off' });
	const op = h('select', { 'aria-label': 'Operator', 'data-fb': 'op' }, OPS.map(([id, l]) => h('option', { value: id }, l)));
	const value = h('input', { type: 'text', 'aria-label': 'Value', placeholder: 'value', 'data-fb': 'value' });
	const msg = h('span.err', { role: 'status' });
	const sync = () => {
		key.hidden = kind.value === 'tag';
		op.hidden = kind.value === 'tag';
		value.hidden = kind.value !== 'tag' && op.value === 'exists';
		key.placeholder = kind.value === 'score' ? 'score name' : kind.value === 'meta' ? 'key, e.g. plan' : 'key, e.g. service.version';
		if (kind.value === 'score') {
			key.setAttribute('list', names.id);
			if (!asked) {
				asked = true;
				getJson('/api/scores/summary', scope()).then((r) => names.replaceChildren(...[...new Set(r.items.map((it) => it.name))]
					.map((n) => h('option', { value: n })))).catch(() => { asked = false; });
			}
		} else key.removeAttribute('list');
	};
	kind.addEventListener('change', sync);
	op.addEventListener('change', sync);
	const form = h('form.fbuilder', {
		hidden: true, 'aria-label': 'Add a filter',
		onsubmit: (e) => {
			e.preventDefault();
			const f = { kind: kind.value, key: key.value.trim(), op: kind.value === 'tag' ? 'eq' : op.value, value: value.value.trim() };
			if (f.kind !== 'tag' && !f.key) { msg.textContent = 'A key is needed.'; key.focus(); return; }
			if (f.op !== 'exists' && !f.value) { msg.textContent = 'A value is needed.'; value.focus(); return; }
			if ((f.op === 'lt' || f.op === 'gt') && !Number.isFinite(Number(f.value))) { msg.textContent = '< and > compare numbers.'; value.focus(); return; }
			addFilters([f]);
		},
	}, kind, key, names, op, value, h('button.btn', { type: 'submit' }, 'Add'), msg);
	sync();
	const toggle = h('button.btn', {
		type: 'button', 'aria-expanded': 'false', 'data-fb': 'open', title: 'Filter by attribute, metadata, tag or score',
		onclick: () => {
			form.hidden = !form.hidden;
			toggle.setAttribute('aria-expanded', String(!form.hidden));
			if (!form.hidden) (kind.value === 'tag' ? value : key).focus();
		},
	}, '+ Filter');
	return [toggle, form];
}
