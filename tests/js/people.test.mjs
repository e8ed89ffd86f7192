// people.test.mjs: GET /api/sessions, /api/sessions/{id}, /api/users,
// /api/users/{id} and /api/scores/summary against data the test sent:
// shapes, every number, ordering, paging by cursor, filters, 404s and 400s.
// Each group of tests writes into its own project so they do not interfere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	addMs, get, getJson, nanosFromNow, nanosToIso, otlpRequest, otlpSpan, postOk, query, startServer,
	traceId,
} from './helpers.mjs';

let server;
before(async () => { server = await startServer({ label: 'people' }); });
after(async () => { if (server) await server.stop(); });

const uid = (p) => `${p}-${crypto.randomBytes(4).toString('hex')}`;

function assertError(r, status, mention) {
	assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
	assert.equal(typeof r.json?.error, 'string');
	if (mention) assert.match(r.json.error, new RegExp(mention, 'i'));
}

/* One trace: a root and an LLM child (gpt-4o, priced), in a session. */
async function sendTrace(project, { session, user, minutesAgo, error = false, service = 'people-svc', input = 1000, output = 100 }) {
	const tid = traceId();
	const start = nanosFromNow(-minutesAgo * 60000);
	const attrs = {};
	if (session) attrs['session.id'] = session;
	if (user) attrs['user.id'] = user;
	const root = otlpSpan({ traceId: tid, name: 'turn', start, durationMs: 500, attrs });
	const child = otlpSpan({
		traceId: tid, parentSpanId: root.spanId, name: 'chat', start: addMs(start, 10), durationMs: 100,
		attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output },
		status: error ? { code: 2, message: 'boom' } : undefined,
	});
	await postOk(server, '/v1/traces', otlpRequest([root, child], { resource: { 'service.name': service } }),
		{ 'X-Project-ID': project });
	return { tid, start, cost: input * 2.5e-6 + output * 1e-5, input, output, error };
}

const close = (a, b) => Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);

describe('sessions and users', () => {
	const project = uid('people');
	const S1 = uid('s1'), S2 = uid('s2'), S3 = uid('s3 with space/'), U1 = uid('u1'), U2 = uid('u2');
	const sent = {};
	before(async () => {
		sent[S1] = [
			await sendTrace(project, { session: S1, user: U1, minutesAgo: 60, error: true }),
			await sendTrace(project, { session: S1, user: U1, minutesAgo: 30, input: 2000 }),
			await sendTrace(project, { session: S1, user: U1, minutesAgo: 10, output: 300 }),
		];
		sent[S2] = [await sendTrace(project, { session: S2, user: U1, minutesAgo: 20 })];
		sent[S3] = [
			await sendTrace(project, { session: S3, user: U2, minutesAgo: 50, service: 'other-svc' }),
			await sendTrace(project, { session: S3, user: U2, minutesAgo: 5 }),
		];
		await sendTrace(project, { minutesAgo: 1 });   // no session, no user: in neither list
	});

	const expectGroup = (item, traces) => {
		assert.equal(item.traces, traces.length);
		assert.equal(item.spans, 2 * traces.length);
		assert.equal(item.errors, traces.filter((t) => t.error).length);
		assert.equal(item.input_tokens, traces.reduce((a, t) => a + t.input, 0));
		assert.equal(item.output_tokens, traces.reduce((a, t) => a + t.output, 0));
		assert.ok(close(item.cost_usd, traces.reduce((a, t) => a + t.cost, 0)), `${item.cost_usd}`);
		const starts = traces.map((t) => BigInt(t.start)).sort((a, b) => (a < b ? -1 : 1));
		assert.equal(item.first_seen, nanosToIso(starts[0]));
		assert.equal(item.last_seen, nanosToIso(starts[starts.length - 1]));
	};

	test('GET /api/sessions: every session, most recent first, with its numbers', async () => {
		const body = await getJson(server, `/api/sessions${query({ project })}`);
		assert.deepEqual(body.items.map((s) => s.session_id), [S3, S1, S2]);
		assert.equal(body.next_cursor, null);
		for (const item of body.items) {
			assert.deepEqual(Object.keys(item), ['session_id', 'traces', 'spans', 'errors', 'input_tokens',
				'output_tokens', 'cost_usd', 'first_seen', 'last_seen', 'user_id', 'scores']);
			assert.deepEqual(item.scores, [], 'no session scores here (tests/js/session_scores.test.mjs has them)');
			expectGroup(item, sent[item.session_id]);
		}
		assert.equal(body.items[0].user_id, U2);
		assert.equal(body.items[1].user_id, U1);
	});

	test('paging with limit and cursor gives every session once, in order', async () => {
		const seen = [];
		let cursor;
		for (let page = 0; page < 10; page++) {
			const body = await getJson(server, `/api/sessions${query({ project, limit: 1, cursor })}`);
			assert.ok(body.items.length <= 1);
			seen.push(...body.items.map((s) => s.session_id));
			if (!body.next_cursor) break;
			cursor = body.next_cursor;
		}
		assert.deepEqual(seen, [S3, S1, S2]);
		const two = await getJson(server, `/api/sessions${query({ project, limit: 2 })}`);
		assert.deepEqual(two.items.map((s) => s.session_id), [S3, S1]);
		const rest = await getJson(server, `/api/sessions${query({ project, limit: 2, cursor: two.next_cursor })}`);
		assert.deepEqual(rest.items.map((s) => s.session_id), [S2]);
		assert.equal(rest.next_cursor, null);
	});

	test('trace filters select the traces that are grouped', async () => {
		const errors = await getJson(server, `/api/sessions${query({ project, status: 'error' })}`);
		assert.deepEqual(errors.items.map((s) => s.session_id), [S1]);
		expectGroup(errors.items[0], sent[S1].filter((t) => t.error));
		const svc = await getJson(server, `/api/sessions${query({ project, service: 'other-svc' })}`);
		assert.deepEqual(svc.items.map((s) => s.session_id), [S3]);
		expectGroup(svc.items[0], sent[S3].slice(0, 1));
		const ranged = await getJson(server, `/api/sessions${query({ project, from: nanosToIso(nanosFromNow(-25 * 60000)) })}`);
		assert.deepEqual(ranged.items.map((s) => s.session_id), [S3, S1, S2]);
		expectGroup(ranged.items[1], sent[S1].slice(2));
		const byUser = await getJson(server, `/api/sessions${query({ project, user_id: U1 })}`);
		assert.deepEqual(byUser.items.map((s) => s.session_id), [S1, S2]);
		const none = await getJson(server, `/api/sessions${query({ project, model: 'no-such-model' })}`);
		assert.deepEqual(none, { items: [], next_cursor: null });
	});

	test('GET /api/sessions/{id}: the session and its traces oldest first, paged', async () => {
		const list = await getJson(server, `/api/sessions${query({ project })}`);
		const body = await getJson(server, `/api/sessions/${encodeURIComponent(S1)}${query({ project })}`);
		assert.deepEqual(body.session, list.items.find((s) => s.session_id === S1));
		assert.deepEqual(body.traces.map((t) => t.trace_id), sent[S1].map((t) => t.tid));
		assert.equal(body.next_cursor, null);
		const listed = await getJson(server, `/api/traces${query({ project, session_id: S1 })}`);
		assert.deepEqual(body.traces, [...listed.items].reverse(), 'items shaped like GET /api/traces items');
		const p1 = await getJson(server, `/api/sessions/${encodeURIComponent(S1)}${query({ project, limit: 2 })}`);
		assert.deepEqual(p1.traces.map((t) => t.trace_id), sent[S1].slice(0, 2).map((t) => t.tid));
		const p2 = await getJson(server, `/api/sessions/${encodeURIComponent(S1)}${query({ project, limit: 2, cursor: p1.next_cursor })}`);
		assert.deepEqual(p2.traces.map((t) => t.trace_id), [sent[S1][2].tid]);
		assert.equal(p2.next_cursor, null);
		const spaced = await getJson(server, `/api/sessions/${encodeURIComponent(S3)}`);
		assert.equal(spaced.session.session_id, S3);
		assert.equal(spaced.traces.length, 2);
	});

	test('GET /api/users and /api/users/{id}', async () => {
		const body = await getJson(server, `/api/users${query({ project })}`);
		assert.deepEqual(body.items.map((u) => u.user_id), [U2, U1]);
		assert.deepEqual(Object.keys(body.items[0]), ['user_id', 'sessions', 'traces', 'spans', 'errors',
			'input_tokens', 'output_tokens', 'cost_usd', 'first_seen', 'last_seen']);
		const [u2, u1] = body.items;
		assert.equal(u1.sessions, 2);
		assert.equal(u2.sessions, 1);
		expectGroup(u1, [...sent[S1], ...sent[S2]]);
		expectGroup(u2, sent[S3]);
		const p1 = await getJson(server, `/api/users${query({ project, limit: 1 })}`);
		const p2 = await getJson(server, `/api/users${query({ project, limit: 1, cursor: p1.next_cursor })}`);
		assert.deepEqual([...p1.items, ...p2.items].map((u) => u.user_id), [U2, U1]);
		assert.equal(p2.next_cursor, null);
		const one = await getJson(server, `/api/users/${U1}${query({ project })}`);
		assert.deepEqual(one.user, u1);
		const starts = [...sent[S1], ...sent[S2]].sort((a, b) => (BigInt(a.start) < BigInt(b.start) ? -1 : 1));
		assert.deepEqual(one.traces.map((t) => t.trace_id), starts.map((t) => t.tid));
	});

	test('404 for an unknown session or user, or one the filters exclude', async () => {
		assertError(await get(server, `/api/sessions/${uid('nope')}`), 404, 'session');
		assertError(await get(server, `/api/users/${uid('nope')}`), 404, 'user');
		assertError(await get(server, `/api/sessions/${S1}${query({ service: 'other-svc' })}`), 404, 'session');
		assertError(await get(server, `/api/sessions${query({ project: uid('no-project') })}`), 404, 'project');
	});

	test('400 for bad parameters, naming them', async () => {
		for (const [path, mention] of [
			['/api/sessions?limit=0', 'limit'],
			['/api/sessions?limit=abc', 'limit'],
			['/api/users?limit=100000', 'limit'],
			['/api/sessions?cursor=garbage', 'cursor'],
			['/api/sessions?cursor=12.zz', 'cursor'],
			['/api/users?cursor=12.', 'cursor'],
			['/api/sessions?from=yesterday', 'from'],
			['/api/users?to=2025-13-01', 'to'],
			['/api/sessions?from=2025-02-01&to=2025-01-01', 'from'],
			['/api/sessions?status=maybe', 'status'],
			['/api/sessions?min_duration_ms=-1', 'min_duration_ms'],
			[`/api/sessions/${S1}?cursor=bad`, 'cursor'],
			[`/api/users/${'x'.repeat(300)}`, 'user_id'],
			['/api/scores/summary?from=nope', 'from'],
			['/api/scores/summary?status=maybe', 'status'],
			["/api/sessions?service=x'%20OR%201=1--", null],
		]) {
			const r = await get(server, path);
			if (mention === null) {   // hostile text is only ever a bound value
				assert.equal(r.status, 200, r.text);
				assert.deepEqual(r.json.items, []);
				continue;
			}
			assertError(r, 400, mention);
		}
	});
});

describe('scores summary', () => {
	const project = uid('scores');
	const HOUR = 3600000;
	const base = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;   // an hour boundary, 5 h ago
	let a, b;
	const score = (tid, name, value, minutes, extra = {}) => ({
		id: uid('score'), trace_id: tid, name, value, timestamp: new Date(base + minutes * 60000).toISOString(), ...extra,
	});
	before(async () => {
		a = await sendTrace(project, { session: uid('s'), minutesAgo: 300, service: 'svc-a' });
		b = await sendTrace(project, { session: uid('s'), minutesAgo: 300, service: 'svc-b' });
		const all = [
			score(a.tid, 'quality', 0, 0), score(a.tid, 'quality', 0.1, 10), score(a.tid, 'quality', 0.25, 20),
			score(a.tid, 'quality', 0.5, 70), score(a.tid, 'quality', 0.95, 80), score(b.tid, 'quality', 1, 130),
			score(a.tid, 'helpful', true, 5), score(a.tid, 'helpful', true, 65), score(b.tid, 'helpful', false, 66),
			score(a.tid, 'label', undefined, 1, { string_value: 'good' }),
			score(b.tid, 'label', undefined, 2, { string_value: 'bad' }),
			score(b.tid, 'label', undefined, 3, { string_value: 'good' }),
		].map((s) => { if (s.value === undefined) delete s.value; return s; });
		await postOk(server, '/api/scores', all, { 'X-Project-ID': project });
	});

	const iso = (minutes) => new Date(base + Math.floor(minutes / 60) * HOUR).toISOString();

	test('per name: count, mean, min, max, histogram or value counts, hourly trend', async () => {
		const body = await getJson(server, `/api/scores/summary${query({ project })}`);
		assert.equal(body.trend_bucket, '1h');
		assert.deepEqual(body.items.map((i) => [i.name, i.score_type]),
			[['helpful', 'boolean'], ['label', 'categorical'], ['quality', 'numeric']]);
		const [helpful, label, quality] = body.items;
		assert.equal(quality.count, 6);
		assert.ok(close(quality.mean, (0 + 0.1 + 0.25 + 0.5 + 0.95 + 1) / 6));
		assert.equal(quality.min, 0);
		assert.equal(quality.max, 1);
		assert.equal(quality.distribution.length, 10);
		assert.deepEqual(quality.distribution.map((d) => d.count), [1, 1, 1, 0, 0, 1, 0, 0, 0, 2]);
		assert.equal(quality.distribution[0].label, '0-0.1');
		assert.equal(quality.distribution[9].label, '0.9-1');
		assert.deepEqual(quality.trend.map((p) => [p.time, p.count]), [[iso(0), 3], [iso(70), 2], [iso(130), 1]]);
		quality.trend.forEach((p, i) => assert.ok(close(p.mean, [0.35 / 3, 0.725, 1][i]), `${p.mean}`));
		assert.equal(helpful.count, 3);
		assert.deepEqual(helpful.distribution, [{ label: 'true', count: 2 }, { label: 'false', count: 1 }]);
		assert.deepEqual(helpful.trend.map((p) => [p.time, p.count]), [[iso(5), 1], [iso(65), 2]]);
		assert.equal(label.count, 3);
		assert.equal(label.mean, null);
		assert.deepEqual(label.distribution, [{ label: 'good', count: 2 }, { label: 'bad', count: 1 }]);
	});

	test('trace filters, time range and a daily trend for long ranges', async () => {
		const svc = await getJson(server, `/api/scores/summary${query({ project, service: 'svc-b' })}`);
		const byName = Object.fromEntries(svc.items.map((i) => [i.name, i]));
		assert.equal(byName.quality.count, 1);
		assert.deepEqual(byName.quality.distribution, [{ label: '1', lower: 1, upper: 1, count: 1 }]);
		assert.deepEqual(byName.helpful.distribution, [{ label: 'false', count: 1 }]);
		assert.deepEqual(byName.label.distribution, [{ label: 'bad', count: 1 }, { label: 'good', count: 1 }]);
		const ranged = await getJson(server, `/api/scores/summary${query({ project, from: new Date(base + 60 * 60000).toISOString(), to: new Date(base + 120 * 60000).toISOString() })}`);
		assert.deepEqual(ranged.items.map((i) => [i.name, i.count]), [['helpful', 2], ['quality', 2]]);
		const week = await getJson(server, `/api/scores/summary${query({ project, from: new Date(base - 6 * 24 * HOUR).toISOString() })}`);
		assert.equal(week.trend_bucket, '1d');
		const q = week.items.find((i) => i.name === 'quality');
		assert.equal(q.trend.reduce((n, p) => n + p.count, 0), 6);
		for (const p of q.trend) assert.match(p.time, /T00:00:00\.000Z$/);
		const empty = await getJson(server, `/api/scores/summary${query({ project, model: 'nope' })}`);
		assert.deepEqual(empty.items, []);
	});
});
