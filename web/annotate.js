// annotate.js: annotations of a trace, a span or a session (scores with
// source=annotation, issue 14 item 4): their list with edit and delete, and
// an "Annotate" form: a score config or a free name, the value widget of
// its type (number within the range, true/false, one of the categories),
// a comment. Every user text goes in as text (h() never parses HTML).
import { getJson, sendJson, session } from './api.js';
import { h } from './util.js';

let configs = null, writable = null;
/* False for a browser session of a read key: annotating needs ingest or
 * admin (docs/api.md#annotations), so its buttons are hidden. */
const canAnnotate = () => (writable ??= session().then((s) => !(s.auth && s.logged_in && s.scope === 'read')).catch(() => true));
const loadConfigs = () => (configs ??= getJson('/api/score-configs').then((r) => r.items).catch(() => []));

/* A score's value as shown: booleans as true/false. */
export function scoreText(s) {
	if (s.score_type === 'boolean' && s.value != null) return String(s.bool_value ?? s.value !== 0);
	return String(s.string_value ?? s.value ?? '');
}

/* The value widget of type (numeric, boolean, categorical) for config cfg
 * (null: a free name), preset to score sc when editing. */
function valueInput(type, cfg, sc) {
	if (type === 'boolean')
		return h('select', { name: 'value', 'aria-label': 'Value' }, ['true', 'false'].map((v) =>
			h('option', { value: v, selected: sc && scoreText(sc) === v }, v)));
	if (type === 'categorical' && cfg?.categories)
		return h('select', { name: 'value', 'aria-label': 'Value' }, cfg.categories.map((v) =>
			h('option', { value: v, selected: sc?.string_value === v }, v)));
	if (type === 'categorical')
		return h('input', { type: 'text', name: 'value', 'aria-label': 'Value', placeholder: 'label', value: sc?.string_value ?? '' });
	return h('input', { name: 'value', type: 'number', step: 'any', 'aria-label': 'Value', required: true,
		min: cfg?.min ?? null, max: cfg?.max ?? null, value: sc?.value ?? '',
		placeholder: cfg && (cfg.min != null || cfg.max != null) ? `${cfg.min ?? ''}…${cfg.max ?? ''}` : 'number' });
}

/* The value fields of the score body for type from widget input. */
function valueFields(type, input) {
	if (type === 'boolean') return { value: input.value === 'true' };
	if (type === 'categorical') return { string_value: input.value };
	return { value: input.value === '' ? NaN : Number(input.value) };
}

/* The form: a new annotation of target {trace_id, span_id} or {session_id}, or an edit of
 * sc (name and type fixed). done(changed) closes it. */
async function annotateForm(target, sc, done) {
	const cfgs = await loadConfigs();
	const err = h('div.err', { role: 'alert' });
	const comment = h('input', { type: 'text', name: 'comment', placeholder: 'comment (optional)', 'aria-label': 'Comment', value: sc?.comment ?? '' });
	const pick = h('select', { name: 'config', 'aria-label': 'Score' },
		cfgs.map((c) => h('option', { value: 'c:' + c.name }, `${c.name} (${c.type})`)),
		h('option', { value: '' }, 'Free name…'));
	const freeName = h('input', { type: 'text', name: 'name', placeholder: 'name', 'aria-label': 'Name' });
	const freeType = h('select', { name: 'type', 'aria-label': 'Type' },
		['numeric', 'boolean', 'categorical'].map((t) => h('option', { value: t }, t)));
	const slot = h('span.annot-value');
	let type, cfg, input;
	const refresh = () => {
		cfg = sc ? cfgs.find((c) => c.name === sc.name) ?? null : cfgs.find((c) => 'c:' + c.name === pick.value) ?? null;
		type = sc ? sc.score_type : cfg ? cfg.type : freeType.value;
		freeName.hidden = freeType.hidden = !!(sc || cfg);
		input = valueInput(type, cfg, sc);
		slot.replaceChildren(input);
	};
	pick.addEventListener('change', refresh);
	freeType.addEventListener('change', refresh);
	refresh();
	const form = h('form.annot-form', { 'aria-label': sc ? `Edit annotation ${sc.name}` : 'New annotation' },
		sc ? h('b', null, sc.name) : [pick, freeName, freeType], slot, comment,
		h('button.btn.small', { type: 'submit' }, 'Save'),
		h('button.btn.small', { type: 'button', onclick: () => done(false) }, 'Cancel'),
		sc ? null : h('a.faint.small', { href: '/settings/scores', title: 'Create and edit score configs' }, 'Score configs'), err);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const fields = valueFields(type, input);
		if (Number.isNaN(fields.value) || fields.string_value === '') { err.textContent = 'Enter a value.'; return; }
		try {
			if (sc) {
				await sendJson('PATCH', `/api/scores/${encodeURIComponent(sc.id)}`, { ...fields, comment: comment.value || null });
			} else {
				const name = cfg ? cfg.name : freeName.value.trim();
				if (!name) { err.textContent = 'Enter a name.'; return; }
				const on = target.session_id ? { session_id: target.session_id }
					: { trace_id: target.trace_id, span_id: target.span_id || undefined };
				await sendJson('POST', '/api/scores', {
					id: crypto.randomUUID(), ...on, name,
					score_type: type, source: 'annotation', comment: comment.value || undefined, ...fields,
				});
			}
			done(true);
		} catch (x) {
			err.textContent = x.message;
		}
	});
	return form;
}

/* The annotations section of a trace ({trace_id}, span_id null), a span
 * ({trace_id, span_id}) or a session ({session_id}): its annotations with
 * edit and delete, and the Annotate button. scores are the ones already
 * loaded for it; the list reloads after each change. */
export function annotationsBox(target, scores) {
	const list = h('ul.annot-list');
	const formSlot = h('div');
	const mine = (items) => items.filter((s) => s.source === 'annotation' && (s.span_id || null) === (target.span_id || null));
	const reload = async () => {
		const r = await getJson('/api/scores', target.session_id ? { session_id: target.session_id } : { trace_id: target.trace_id });
		draw(mine(r.items));
	};
	const openForm = async (sc) => {
		formSlot.replaceChildren(await annotateForm(target, sc, (changed) => {
			formSlot.replaceChildren();
			if (changed) reload();
		}));
		formSlot.querySelector('input,select')?.focus();
	};
	const draw = (items) => list.replaceChildren(...items.map((s) =>
		h('li.annot', { 'data-score-id': s.id, 'data-score-name': s.name },
			h('span.chip', { title: s.comment || '' }, `${s.name}: ${scoreText(s)}`),
			s.comment ? h('span.faint', null, ' ' + s.comment) : null,
			h('button.linkish', { type: 'button', 'aria-label': `Edit annotation ${s.name}`, onclick: () => openForm(s) }, 'Edit'),
			h('button.linkish', { type: 'button', 'aria-label': `Delete annotation ${s.name}`, onclick: async () => {
				try { await sendJson('DELETE', `/api/scores/${encodeURIComponent(s.id)}`); reload(); }
				catch (x) { formSlot.replaceChildren(h('div.err', { role: 'alert' }, x.message)); }
			} }, 'Delete'))));
	draw(mine(scores));
	const what = target.session_id ? 'session' : target.span_id ? 'span' : 'trace';
	const box = h('div.annotations', { 'aria-label': `${what[0].toUpperCase()}${what.slice(1)} annotations` },
		h('button.btn.small', { type: 'button', 'data-annotate': what, onclick: () => openForm(null) }, 'Annotate'),
		list, formSlot);
	canAnnotate().then((ok) => box.classList.toggle('readonly', !ok));
	return box;
}
