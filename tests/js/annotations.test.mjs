// annotations.test.mjs: annotations (issue 14 item 4) against the real
// binary: score configs CRUD and their validation, annotations (scores with
// source=annotation) checked against their config, PATCH and DELETE only on
// annotations, booleans as true/false, the result in /api/scores and the
// trace detail, and who may annotate when keys are on (a read session may
// not; an admin session with its CSRF token may).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
	BIN, addMs, getJson, listOf, nanosFromNow, otlpSpan, postOk, postOtlp, request, startServer, tempDataDir, traceId,
} from './helpers.mjs';

let server;
before(async () => { server = await startServer({ label: 'annotations' }); });
after(async () => { if (server) await server.kill9().catch(() => {}); });

const call = (method, path, body, headers = {}) => request(server, method, path, { body, headers, timeoutMs: 20000 });

function assertError(r, status, mention) {
	assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
	assert.equal(typeof r.json?.error, 'string', r.text.slice(0, 300));
	if (mention) assert.match(r.json.error, new RegExp(mention, 'i'));
}

async function twoSpanTrace() {
	const tid = traceId(), start = nanosFromNow(-5000);
	const root = otlpSpan({ traceId: tid, name: 'root', start, durationMs: 100 });
	const child = otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: 'child', start: addMs(start, 10), durationMs: 20 });
	await postOtlp(server, [root, child]);
	return { tid, root, child };
}

const scoresOf = async (tid) => listOf(await getJson(server, `/api/scores?trace_id=${tid}`));

describe('score configs', () => {
	test('create, replace by name, list, delete', async () => {
		let r = await call('POST', '/api/score-configs', { name: 'cfg-q', type: 'numeric', min: 0, max: 5, description: 'quality' });
		assert.equal(r.status, 200, r.text);
		r = await call('POST', '/api/score-configs', { name: 'cfg-q', type: 'numeric', min: 1, max: 10 });
		assert.equal(r.status, 200, r.text);
		await postOk(server, '/api/score-configs', { name: 'cfg-label', type: 'categorical', categories: ['good', 'bad'] });
		await postOk(server, '/api/score-configs', { name: 'cfg-ok', type: 'boolean' });
		const items = listOf(await getJson(server, '/api/score-configs'));
		const by = Object.fromEntries(items.map((c) => [c.name, c]));
		assert.deepEqual([by['cfg-q'].type, by['cfg-q'].min, by['cfg-q'].max, by['cfg-q'].description], ['numeric', 1, 10, null]);
		assert.deepEqual(by['cfg-label'].categories, ['good', 'bad']);
		assert.equal(by['cfg-ok'].type, 'boolean');
		await postOk(server, '/api/score-configs', { name: 'cfg-gone', type: 'boolean' });
		assert.equal((await call('DELETE', '/api/score-configs/cfg-gone')).status, 200);
		assertError(await call('DELETE', '/api/score-configs/cfg-gone'), 404, 'cfg-gone');
		assert.ok(!listOf(await getJson(server, '/api/score-configs')).some((c) => c.name === 'cfg-gone'));
	});

	test('a bad config is 400 naming the field', async () => {
		const bad = [
			[{ type: 'numeric' }, 'name'],
			[{ name: 'x', type: 'stars' }, 'type'],
			[{ name: 'x', type: 'numeric', min: 5, max: 1 }, 'min'],
			[{ name: 'x', type: 'numeric', min: 'low' }, 'min'],
			[{ name: 'x', type: 'boolean', max: 1 }, 'min/max'],
			[{ name: 'x', type: 'categorical' }, 'categories'],
			[{ name: 'x', type: 'categorical', categories: [] }, 'categories'],
			[{ name: 'x', type: 'categorical', categories: ['a', 3] }, 'categories'],
			[{ name: 'x', type: 'categorical', categories: Array.from({ length: 101 }, (_, i) => `c${i}`) }, 'categories'],
			[{ name: 'x', type: 'numeric', categories: ['a'] }, 'categories'],
		];
		for (const [body, field] of bad) assertError(await call('POST', '/api/score-configs', body), 400, field);
		assertError(await call('POST', '/api/score-configs', '[1]', { 'content-type': 'application/json' }), 400, 'object');
	});
});

describe('annotations', () => {
	before(async () => {
		await postOk(server, '/api/score-configs', { name: 'v-quality', type: 'numeric', min: 0, max: 5 });
		await postOk(server, '/api/score-configs', { name: 'v-label', type: 'categorical', categories: ['good', 'bad'] });
		await postOk(server, '/api/score-configs', { name: 'v-ok', type: 'boolean' });
	});

	test('values that violate their config are 400 naming the config; other sources are not checked', async () => {
		const { tid } = await twoSpanTrace();
		const ann = (o) => ({ trace_id: tid, source: 'annotation', ...o });
		assertError(await call('POST', '/api/scores', ann({ name: 'v-quality', value: 9 })), 400, "v-quality.*maximum");
		assertError(await call('POST', '/api/scores', ann({ name: 'v-quality', string_value: 'x' })), 400, 'v-quality');
		assertError(await call('POST', '/api/scores', ann({ name: 'v-label', string_value: 'meh' })), 400, 'v-label');
		assertError(await call('POST', '/api/scores', ann({ name: 'v-ok', value: 0.5 })), 400, 'v-ok');
		assertError(await call('POST', '/api/scores', ann({ name: 'free-bool', value: 2, score_type: 'boolean' })), 400, 'free-bool.*true or false');
		assert.equal((await scoresOf(tid)).length, 0, 'nothing of a refused batch is stored');
		await postOk(server, '/api/scores', { trace_id: tid, name: 'v-quality', value: 9, source: 'eval' });
		assert.equal((await scoresOf(tid)).length, 1);
	});

	test('a trace and a span annotated; visible in /api/scores and the trace detail; booleans as true/false', async () => {
		const { tid, child } = await twoSpanTrace();
		await postOk(server, '/api/scores', [
			{ id: `${tid}-q`, trace_id: tid, name: 'v-quality', value: 4, source: 'annotation', comment: 'good answer' },
			{ id: `${tid}-ok`, trace_id: tid, span_id: child.spanId, name: 'v-ok', value: true, source: 'annotation' },
			{ id: `${tid}-l`, trace_id: tid, name: 'v-label', string_value: 'good', source: 'annotation' },
			{ id: `${tid}-free`, trace_id: tid, name: 'free note', value: 1, score_type: 'boolean', source: 'annotation' },
		]);
		const by = Object.fromEntries((await scoresOf(tid)).map((s) => [s.name, s]));
		assert.deepEqual([by['v-quality'].value, by['v-quality'].source, by['v-quality'].comment], [4, 'annotation', 'good answer']);
		assert.deepEqual([by['v-ok'].span_id, by['v-ok'].score_type, by['v-ok'].bool_value, by['v-ok'].value], [child.spanId, 'boolean', true, 1]);
		assert.deepEqual([by['v-label'].string_value, by['v-label'].score_type], ['good', 'categorical']);
		assert.equal(by['free note'].bool_value, true);
		assert.equal(by['v-quality'].bool_value, undefined, 'only booleans carry bool_value');
		const detail = await getJson(server, `/api/traces/${tid}`);
		assert.deepEqual(detail.scores.map((s) => s.name).sort(), ['free note', 'v-label', 'v-ok', 'v-quality']);
		const latest = listOf(await getJson(server, '/api/scores?limit=1000'));
		assert.ok(latest.some((s) => s.id === `${tid}-q`));
	});

	test('PATCH changes value, string_value and comment of an annotation, checked against its config', async () => {
		const { tid } = await twoSpanTrace();
		await postOk(server, '/api/scores', [
			{ id: `${tid}-q`, trace_id: tid, name: 'v-quality', value: 2, source: 'annotation' },
			{ id: `${tid}-ok`, trace_id: tid, name: 'v-ok', value: true, source: 'annotation' },
			{ id: `${tid}-l`, trace_id: tid, name: 'v-label', string_value: 'good', source: 'annotation' },
		]);
		let r = await call('PATCH', `/api/scores/${tid}-q`, { value: 5, comment: 'better' });
		assert.equal(r.status, 200, r.text);
		assertError(await call('PATCH', `/api/scores/${tid}-q`, { value: 6 }), 400, 'v-quality');
		assertError(await call('PATCH', `/api/scores/${tid}-ok`, { value: 2 }), 400, 'v-ok');
		assert.equal((await call('PATCH', `/api/scores/${tid}-ok`, { value: false })).status, 200);
		assertError(await call('PATCH', `/api/scores/${tid}-l`, { string_value: 'meh' }), 400, 'v-label');
		assert.equal((await call('PATCH', `/api/scores/${tid}-l`, { string_value: 'bad', comment: null })).status, 200);
		assertError(await call('PATCH', `/api/scores/${tid}-q`, {}), 400, 'value');
		assertError(await call('PATCH', `/api/scores/${tid}-q`, { value: 'x' }), 400, 'value');
		assertError(await call('PATCH', `/api/scores/${tid}-q`, { comment: 5 }), 400, 'comment');
		assertError(await call('PATCH', '/api/scores/no-such-score', { value: 1 }), 404, 'no-such-score');
		const by = Object.fromEntries((await scoresOf(tid)).map((s) => [s.name, s]));
		assert.deepEqual([by['v-quality'].value, by['v-quality'].comment], [5, 'better']);
		assert.deepEqual([by['v-ok'].value, by['v-ok'].bool_value], [0, false]);
		assert.deepEqual([by['v-label'].string_value, by['v-label'].comment], ['bad', null]);
	});

	test('PATCH and DELETE refuse scores of any other source with 403', async () => {
		const { tid } = await twoSpanTrace();
		await postOk(server, '/api/scores', [
			{ id: `${tid}-ev`, trace_id: tid, name: 'acc', value: 0.5, source: 'eval' },
			{ id: `${tid}-ap`, trace_id: tid, name: 'acc2', value: 0.5 },
			{ id: `${tid}-ann`, trace_id: tid, name: 'note', string_value: 'check', source: 'annotation' },
		]);
		for (const id of [`${tid}-ev`, `${tid}-ap`]) {
			assertError(await call('PATCH', `/api/scores/${id}`, { value: 1 }), 403, 'only annotations');
			assertError(await call('DELETE', `/api/scores/${id}`), 403, 'only annotations');
		}
		assert.equal((await call('DELETE', `/api/scores/${tid}-ann`)).status, 200);
		assertError(await call('DELETE', `/api/scores/${tid}-ann`), 404);
		assert.deepEqual((await scoresOf(tid)).map((s) => s.name).sort(), ['acc', 'acc2']);
	});
});

describe('who may annotate when keys are on', () => {
	let srv;
	const k = {};
	before(async () => {
		const dir = tempDataDir('annotations-auth');
		for (const [name, scope] of [['viewer', 'read'], ['root', 'admin']]) {
			const r = spawnSync(BIN, ['keys', 'create', '--name', name, '--scope', scope, '--data', dir], { encoding: 'utf8' });
			assert.equal(r.status, 0, r.stderr);
			k[scope] = r.stdout.trim().split('\n').pop();
		}
		srv = await startServer({ label: 'annotations-auth', dataDir: dir });
	});
	after(async () => { await srv?.stop(); });

	async function login(key) {
		const r = await request(srv, 'POST', '/api/login', { body: { key } });
		assert.equal(r.status, 200, r.text);
		return { cookie: r.headers['set-cookie'][0].split(';')[0], csrf: r.json.csrf };
	}

	test('a read session may list configs but not annotate; an admin session with its CSRF token may', async () => {
		const tid = traceId();
		const ann = { id: `${tid}-a`, trace_id: tid, name: 'note', string_value: 'x', source: 'annotation' };
		const read = await login(k.read);
		const rh = { cookie: read.cookie, 'x-csrf-token': read.csrf };
		assert.equal((await request(srv, 'GET', '/api/score-configs', { headers: rh })).status, 200);
		assert.equal((await request(srv, 'POST', '/api/scores', { body: ann, headers: rh })).status, 403);
		assert.equal((await request(srv, 'POST', '/api/score-configs', { body: { name: 'n', type: 'boolean' }, headers: rh })).status, 403);
		const admin = await login(k.admin);
		const ah = { cookie: admin.cookie, 'x-csrf-token': admin.csrf };
		assert.equal((await request(srv, 'POST', '/api/scores', { body: ann, headers: { cookie: admin.cookie } })).status, 403, 'no CSRF token');
		assert.equal((await request(srv, 'POST', '/api/scores', { body: ann, headers: ah })).status, 200);
		assert.equal((await request(srv, 'PATCH', `/api/scores/${tid}-a`, { body: { value: 1 }, headers: rh })).status, 403);
		assert.equal((await request(srv, 'PATCH', `/api/scores/${tid}-a`, { body: { comment: 'c' }, headers: ah })).status, 200);
		assert.equal((await request(srv, 'DELETE', `/api/scores/${tid}-a`, { headers: rh })).status, 403);
		assert.equal((await request(srv, 'DELETE', `/api/scores/${tid}-a`, { headers: ah })).status, 200);
	});
});
