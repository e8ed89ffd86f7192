// session_scores.test.mjs: scores of a session (issue 14 item 4, schema/013)
// against the real binary: POST /api/scores with a session_id and no
// trace_id, checked against its score config like any annotation (precise
// 400s), listed by GET /api/scores?session_id=, in the sessions list and in
// GET /api/sessions/{id}, edited and deleted; bad input refused by name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, listOf, nanosFromNow, otlpSpan, postOk, postOtlp, request, startServer, traceId } from './helpers.mjs';

let server;
before(async () => { server = await startServer({ label: 'session-scores' }); });
after(async () => { if (server) await server.kill9().catch(() => {}); });

const call = (method, path, body) => request(server, method, path, { body, timeoutMs: 20000 });

function assertError(r, status, mention) {
	assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
	assert.equal(typeof r.json?.error, 'string', r.text.slice(0, 300));
	if (mention) assert.match(r.json.error, new RegExp(mention, 'i'));
}

const sessionScores = async (sid) => listOf(await getJson(server, `/api/scores?session_id=${encodeURIComponent(sid)}`));

describe('session scores', () => {
	test('annotate a session: listed, checked against its config, edited, deleted', async () => {
		const sid = 'sess-<b>1</b>';
		const tid = traceId();
		await postOtlp(server, [otlpSpan({ traceId: tid, name: 'turn', start: nanosFromNow(-3000), attrs: { 'session.id': sid } })]);
		await postOk(server, '/api/score-configs', { name: 'sess-helpful', type: 'categorical', categories: ['yes', 'no'] });
		await postOk(server, '/api/score-configs', { name: 'sess-rating', type: 'numeric', min: 1, max: 5 });
		// refused: out of range, not a category, neither trace nor session
		assertError(await call('POST', '/api/scores', { session_id: sid, name: 'sess-rating', value: 7, source: 'annotation' }),
			400, 'sess-rating.*maximum 5');
		assertError(await call('POST', '/api/scores', { session_id: sid, name: 'sess-helpful', string_value: 'maybe', source: 'annotation' }),
			400, 'categories');
		assertError(await call('POST', '/api/scores', { name: 'x', value: 1 }), 400, 'trace_id.*session_id');
		assertError(await call('POST', '/api/scores', { session_id: 's'.repeat(256), name: 'x', value: 1 }), 400, 'session_id');
		// accepted: a number, a label, a free boolean with a comment holding markup
		await postOk(server, '/api/scores', { id: 'ss-1', session_id: sid, name: 'sess-rating', value: 4, source: 'annotation' });
		await postOk(server, '/api/scores', { id: 'ss-2', session_id: sid, name: 'sess-helpful', string_value: 'yes', source: 'annotation' });
		await postOk(server, '/api/scores', {
			id: 'ss-3', session_id: sid, name: 'sess-resolved', value: true, score_type: 'boolean', source: 'annotation',
			comment: '<script>alert(1)</script>',
		});
		let items = await sessionScores(sid);
		assert.deepEqual(items.map((s) => [s.id, s.session_id, s.trace_id, s.source]), [
			['ss-1', sid, null, 'annotation'], ['ss-2', sid, null, 'annotation'], ['ss-3', sid, null, 'annotation']]);
		assert.equal(items[2].bool_value, true);
		assert.equal(items[2].comment, '<script>alert(1)</script>');
		// not in any trace's scores
		assert.deepEqual(listOf(await getJson(server, `/api/scores?trace_id=${tid}`)), []);
		// the sessions list and the session carry them
		const list = await getJson(server, '/api/sessions?range=all');
		const item = list.items.find((s) => s.session_id === sid);
		assert.deepEqual(item.scores.map((s) => s.name), ['sess-rating', 'sess-helpful', 'sess-resolved']);
		const one = await getJson(server, `/api/sessions/${encodeURIComponent(sid)}`);
		assert.equal(one.session.scores.length, 3);
		// edit: the config still applies
		assertError(await call('PATCH', '/api/scores/ss-1', { value: 0 }), 400, 'minimum 1');
		let r = await call('PATCH', '/api/scores/ss-1', { value: 2, comment: 'meh' });
		assert.equal(r.status, 200, r.text);
		r = await call('DELETE', '/api/scores/ss-2');
		assert.equal(r.status, 200, r.text);
		items = await sessionScores(sid);
		assert.deepEqual(items.map((s) => [s.id, s.value, s.comment]), [['ss-1', 2, 'meh'], ['ss-3', 1, '<script>alert(1)</script>']]);
	});

	test('a Langfuse score-create with a sessionId and no traceId is a score of that session', async () => {
		const r = await request(server, 'POST', '/api/public/ingestion', {
			body: { batch: [{ id: 'ev-1', type: 'score-create', timestamp: '2026-11-30T10:00:00Z',
				body: { id: 'lf-sess-1', sessionId: 'lf-sess', name: 'user-feedback', value: 1, dataType: 'BOOLEAN' } }] },
			headers: { Authorization: 'Basic ' + Buffer.from('pk-lf:sk-lf').toString('base64') }, timeoutMs: 20000,
		});
		assert.equal(r.status, 207, r.text);
		assert.deepEqual(r.json.errors, []);
		const [sc] = await sessionScores('lf-sess');
		assert.deepEqual([sc.id, sc.trace_id, sc.session_id, sc.bool_value, sc.source], ['lf-sess-1', null, 'lf-sess', true, 'API']);
	});

	test('session_id too long as a GET parameter is refused by name', async () => {
		assertError(await call('GET', `/api/scores?session_id=${'s'.repeat(300)}`), 400, 'session_id');
	});
});
