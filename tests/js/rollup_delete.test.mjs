// rollup_delete.test.mjs: DELETE /api/traces takes the deleted traces out of
// the rollups (span_rollups, trace_rollups, span_totals) in the deleting
// transaction. A store gets the shared workload (rollup_workload.mjs: 10
// days, old hours past the minute horizon, a 3-hour trace, a span ending
// before it starts), late spans in a later request that move their traces'
// start, and a Langfuse generation updated in a later batch; traces are
// deleted by id and by user, session and both. Every dashboard answer
// (summary, models, operations with filters, series at 1m/1h/1d, the 7-day
// ranges) and every rollup row must then equal a fresh store's that
// received only the remaining traces. Deleting everything leaves no rollup row; bad requests
// still get their 4xx and change nothing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, post, query, request, startServer, tempDataDir } from './helpers.mjs';
import { NOW, W, answers, rollupRows, sameAnswers, send, sqlite } from './rollup_workload.mjs';

let servers = [];
after(async () => { for (const s of servers) await s.stop().catch(() => {}); });

const del = (server, p) => request(server, 'DELETE', p);
const BASIC = 'Basic ' + Buffer.from('pk-lf-rollup-delete:sk').toString('base64');
const LF_TRACE = '0badc0de-0000-4000-8000-00000000d31e';
const iso = (s) => new Date(s * 1000).toISOString();

/* A Langfuse trace two hours ago: a generation created, then updated in a
 * later batch (its stored span is replaced: rollup_remove_span). */
async function langfuse(server) {
	const t0 = NOW - 2 * 3600 + 17;
	const ingest = async (batch) => {
		const r = await post(server, '/api/public/ingestion', JSON.stringify({ batch }),
			{ 'Content-Type': 'application/json', Authorization: BASIC });
		assert.equal(r.status, 207);
		assert.deepEqual(JSON.parse(r.body).errors, []);
	};
	await ingest([
		{ id: 'e-t', type: 'trace-create', timestamp: iso(t0), body: { id: LF_TRACE, name: 'lf', userId: 'user-lf' } },
		{ id: 'e-g', type: 'generation-create', timestamp: iso(t0 + 1),
			body: { id: 'g-1', traceId: LF_TRACE, name: 'gen', startTime: iso(t0 + 1), model: 'm-one', usage: { input: 3, output: 1 } } },
	]);
	await ingest([{ id: 'e-u', type: 'generation-update', timestamp: iso(t0 + 9),
		body: { id: 'g-1', traceId: LF_TRACE, endTime: iso(t0 + 9), level: 'ERROR', usage: { input: 30, output: 10 } } }]);
}

const counts = (dir) => sqlite(dir, `SELECT (SELECT count(*) FROM span_rollups), (SELECT count(*) FROM trace_rollups),
  (SELECT count(*) FROM span_totals), (SELECT count(*) FROM long_traces), (SELECT count(*) FROM traces);`);

describe('DELETE /api/traces and the rollups', () => {
	let dir, server;
	const gone = new Set();

	test('the dashboards and rollup rows equal a fresh store holding only what is left', async () => {
		dir = tempDataDir('rollup-del');
		server = await startServer({ label: 'rollup-del', dataDir: dir });
		servers.push(server);
		const late = W.spans.filter((x) => x.span.name === 'late');
		await send(server, W.spans.filter((x) => x.span.name !== 'late'));
		await send(server, late);   // later requests: these traces start earlier now
		await langfuse(server);
		const lf = await getJson(server, `/api/traces/${LF_TRACE.replace(/-/g, '')}`);
		assert.equal(lf.trace.input_tokens, 30, 'the update replaced the generation');

		const withLate = W.traces.find((t) => late.some((x) => x.span.traceId === t.tid) && t.user === 'user-0');
		const byId = [W.longTid, W.oddTid, withLate.tid, LF_TRACE.replace(/-/g, '')];
		for (const id of byId) {
			const r = await del(server, `/api/traces/${id}`);
			assert.equal(r.status, 200, r.text);
			assert.deepEqual(r.json, { deleted: 1 });
		}
		for (const id of [W.longTid, W.oddTid, withLate.tid]) gone.add(id);
		const filters = [{ user_id: 'user-1' }, { session_id: 'sess-2' }, { user_id: 'user-3', session_id: 'sess-5' }];
		for (const f of filters) {
			const want = W.traces.filter((t) => !gone.has(t.tid) && (!f.user_id || t.user === f.user_id)
				&& (!f.session_id || t.session === f.session_id));
			assert.ok(want.length > 0);
			const r = await del(server, `/api/traces${query(f)}`);
			assert.equal(r.status, 200, r.text);
			assert.deepEqual(r.json, { deleted: want.length }, JSON.stringify(f));
			for (const t of want) gone.add(t.tid);
		}
		const got = await answers(server);

		const freshDir = tempDataDir('rollup-del-fresh');
		const fresh = await startServer({ label: 'rollup-del-fresh', dataDir: freshDir });
		servers.push(fresh);
		await send(fresh, W.spans.filter((x) => !gone.has(x.span.traceId)));
		const want = await answers(fresh);
		const total = want[`/api/metrics/summary${query({ from: NOW - 10 * 86400 - 17 * 60, to: NOW })}`].current;
		assert.ok(total.spans > 100 && total.spans < W.spans.length - 100, `some left, some gone: ${total.spans}`);
		sameAnswers(got, want);
		assert.deepEqual(rollupRows(dir), rollupRows(freshDir));
		assert.equal(sqlite(dir, 'SELECT count(*) FROM long_traces;'), '0', 'the deleted long traces are not listed');
		await fresh.stop();
		servers = servers.filter((s) => s !== fresh);
	});

	test('bad requests are refused precisely and change nothing', async () => {
		const before = rollupRows(dir);
		let r = await del(server, '/api/traces');
		assert.equal(r.status, 400);
		assert.match(r.json.error, /needs a filter: user_id, session_id or project/);
		r = await del(server, '/api/traces?user_id=');
		assert.equal(r.status, 400);
		r = await del(server, '/api/traces/a%2Fb');
		assert.equal(r.status, 400);
		assert.match(r.json.error, /trace_id: expected 32 hex digits/);
		r = await del(server, '/api/traces?project=no-such-project');
		assert.equal(r.status, 404);
		r = await del(server, `/api/traces/${W.longTid}`);   // already gone
		assert.deepEqual([r.status, r.json], [200, { deleted: 0 }]);
		r = await del(server, '/api/traces?user_id=nobody');
		assert.deepEqual([r.status, r.json], [200, { deleted: 0 }]);
		assert.deepEqual(rollupRows(dir), before);
	});

	test('deleting everything leaves no rollup row', async () => {
		const left = Number(sqlite(dir, 'SELECT count(*) FROM traces;'));
		const r = await del(server, '/api/traces?project=default');
		assert.deepEqual([r.status, r.json], [200, { deleted: left }]);
		assert.equal(counts(dir), '0|0|0|0|0');
		const s = (await getJson(server, `/api/metrics/summary${query({ from: NOW - 10 * 86400 - 17 * 60, to: NOW })}`)).current;
		assert.equal(s.spans, 0);
		assert.equal(s.traces, 0);
		assert.equal(s.cost_usd, 0);
	});
});
