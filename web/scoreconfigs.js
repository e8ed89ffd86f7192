// scoreconfigs.js: the score configs page (/settings/scores, issue 14 item
// 4): the configs of GET /api/score-configs in a table, a form to create one
// (name, type, range or categories, description) or edit one (POST replaces
// by name), and delete. The annotate forms offer these configs; the server
// checks every annotation against its config. Text from users goes in as
// text (h() never parses HTML).
import { getJson, sendJson, session } from './api.js';
import { showError } from './feedback.js';
import { h } from './util.js';

const TYPES = ['numeric', 'boolean', 'categorical'];

/* What a config allows, in words. */
function allows(c) {
	if (c.type === 'boolean') return 'true or false';
	if (c.type === 'categorical') return (c.categories || []).join(', ');
	if (c.min == null && c.max == null) return 'any number';
	if (c.min == null) return `at most ${c.max}`;
	if (c.max == null) return `at least ${c.min}`;
	return `${c.min} to ${c.max}`;
}

/* The body POST /api/score-configs takes from the form's fields; throws
 * an Error naming a field the browser can already tell is wrong. */
function bodyOf(f) {
	const type = f.type.value;
	const body = { name: f.name.value.trim(), type, description: f.description.value.trim() || null };
	if (!body.name) throw new Error('Enter a name.');
	if (type === 'numeric') {
		for (const k of ['min', 'max']) {
			const v = f[k].value.trim();
			if (v === '') continue;
			if (!Number.isFinite(Number(v))) throw new Error(`${k}: enter a number.`);
			body[k] = Number(v);
		}
	}
	if (type === 'categorical')
		body.categories = f.categories.value.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
	return body;
}

/* The create/edit form; c: the config edited (its name fixed), or null.
 * done(changed) closes it. */
function configForm(c, done) {
	const err = h('div.err', { role: 'alert' });
	const type = h('select', { name: 'type', 'aria-label': 'Type' }, TYPES.map((t) => h('option', { value: t, selected: c?.type === t }, t)));
	const range = h('span.cfg-range', null,
		h('label', null, 'min ', h('input', { name: 'min', type: 'number', step: 'any', 'aria-label': 'Minimum', value: c?.min ?? '' })),
		h('label', null, 'max ', h('input', { name: 'max', type: 'number', step: 'any', 'aria-label': 'Maximum', value: c?.max ?? '' })));
	const cats = h('label.cfg-cats', null, 'values ', h('input', { type: 'text', name: 'categories', 'aria-label': 'Allowed values',
		placeholder: 'comma-separated, e.g. good, bad', value: (c?.categories || []).join(', ') }));
	const sync = () => { range.hidden = type.value !== 'numeric'; cats.hidden = type.value !== 'categorical'; };
	type.addEventListener('change', sync);
	sync();
	const form = h('form.cfg-form.card', { 'aria-label': c ? `Edit score config ${c.name}` : 'New score config' },
		h('label', null, 'name ', h('input', { type: 'text', name: 'name', 'aria-label': 'Name', required: true, maxlength: 256, value: c?.name ?? '',
			readonly: !!c, placeholder: 'e.g. helpfulness' })),
		h('label', null, 'type ', type), range, cats,
		h('label.cfg-desc', null, 'description ', h('input', { type: 'text', name: 'description', 'aria-label': 'Description', value: c?.description ?? '',
			placeholder: 'what annotators should judge' })),
		h('button.btn.small', { type: 'submit' }, c ? 'Save' : 'Create'),
		h('button.btn.small', { type: 'button', onclick: () => done(false) }, 'Cancel'), err);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		try {
			await sendJson('POST', '/api/score-configs', bodyOf(form.elements));
			done(true);
		} catch (x) {
			err.textContent = x.message;
		}
	});
	return form;
}

export async function render({ main, signal }) {
	document.title = 'Score configs · tracelite';
	const formSlot = h('div');
	const box = h('div', null, h('div.loading', null, 'Loading score configs…'));
	const readOnly = await session().then((s) => s.auth && s.logged_in && s.scope === 'read').catch(() => false);
	const openForm = (c) => {
		formSlot.replaceChildren(configForm(c, (changed) => { formSlot.replaceChildren(); if (changed) load(); }));
		formSlot.querySelector(c ? 'select' : 'input')?.focus();
	};
	main.append(h('div.pagehead', null, h('a', { href: '/scores' }, '← Scores'), h('h1', null, 'Score configs'),
		h('span.muted', null, 'what an annotation of each name may hold'),
		readOnly ? null : h('button.btn.small', { type: 'button', 'data-new-config': '', onclick: () => openForm(null) }, 'New config')),
	formSlot, box);
	const del = async (c, status) => {
		try { await sendJson('DELETE', `/api/score-configs/${encodeURIComponent(c.name)}`); load(); }
		catch (x) { status.textContent = x.message; }
	};
	const row = (c) => {
		const status = h('span.err', { role: 'alert' });
		return h('tr', { 'data-config': c.name },
			h('td', null, h('b', null, c.name)), h('td', null, h('span.badge', null, c.type)),
			h('td.trunc', { title: allows(c) }, allows(c)), h('td.trunc', { title: c.description || '' }, c.description || ''),
			h('td', null, readOnly ? null : [
				h('button.linkish', { type: 'button', 'aria-label': `Edit score config ${c.name}`, onclick: () => openForm(c) }, 'Edit'), ' ',
				h('button.linkish', { type: 'button', 'aria-label': `Delete score config ${c.name}`, onclick: () => del(c, status) }, 'Delete'),
				status]));
	};
	const load = async () => {
		let r;
		try { r = await getJson('/api/score-configs', {}, { signal }); } catch (err) { return showError(box, err); }
		box.replaceChildren(r.items.length ? h('div.table-wrap', null, h('table', { 'aria-label': 'Score configs' },
			h('thead', null, h('tr', null, ['Name', 'Type', 'Allowed values', 'Description', ''].map((l) => h('th', { scope: 'col' }, l)))),
			h('tbody', null, r.items.map(row))))
			: h('div.empty', null, 'No score configs yet. A config fixes the type and the allowed values of an annotation name; ' +
				'the Annotate forms on traces, spans and sessions then offer it.'));
	};
	await load();
}
