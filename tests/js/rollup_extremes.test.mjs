// rollup_extremes.test.mjs: schema/028 takes duration_min and duration_max
// out of span_rollups (nothing read them: latency figures come from the
// sketches). A store written by the binary before 028 (main 11d4236, built
// by helpers.mjs oldBinary) gets the shared workload (rollup_workload.mjs)
// and deletions, so those columns were only bounds; opened by this binary
// it loses them, and every dashboard answer and every other rollup column
// is what it was. A deletion on the migrated store then leaves it equal,
// answer for answer and row for row, to a fresh store of this binary that
// received only the remaining traces.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { oldBinary, query, request, startServer, tempDataDir } from './helpers.mjs';
import { NOW, W, answers, rollupRows, sameAnswers, send, sqlite } from './rollup_workload.mjs';

const OLD = oldBinary('11d4236');   /* main before 028 */
let servers = [];
after(async () => { for (const s of servers) await s.stop().catch(() => {}); });
const start = async (label, dataDir, bin) => { const s = await startServer({ label, dataDir, bin }); servers.push(s); return s; };
const stop = async (s) => { await s.stop(); servers = servers.filter((x) => x !== s); };
const columns = (dir) => sqlite(dir, "SELECT group_concat(name, ',') FROM pragma_table_info('span_rollups');");

/* Deletes the traces DELETE path p names on s; returns how many. */
async function del(s, p) {
	const r = await request(s, 'DELETE', p);
	assert.equal(r.status, 200, r.text);
	return r.json.deleted;
}

test('schema/028: span_rollups without duration_min and duration_max answers as before', async () => {
	const dir = tempDataDir('rollup-028');
	let s = await start('rollup-028-old', dir, OLD);
	await send(s, W.spans);
	const gone = new Set([W.longTid, W.oddTid]);
	for (const id of gone) assert.equal(await del(s, `/api/traces/${id}`), 1);
	assert.ok(await del(s, `/api/traces${query({ user_id: 'user-1' })}`) > 0);
	for (const t of W.traces) if (t.user === 'user-1') gone.add(t.tid);
	const want = await answers(s);
	const rows = rollupRows(dir);
	assert.match(columns(dir), /,duration_min,duration_max,/);
	await stop(s);

	s = await start('rollup-028', dir);
	assert.equal(columns(dir), 'level,bucket,project,service,name,type,model,provider,count,errors,duration_sum,'
		+ 'input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd,sketch');
	assert.equal(sqlite(dir, 'SELECT count(*) FROM schema_migrations WHERE number = 28;'), '1');
	const total = want[`/api/metrics/summary${query({ from: NOW - 10 * 86400 - 17 * 60, to: NOW })}`].current;
	assert.ok(total.spans > 100 && total.spans < W.spans.length - 10, `some spans left, some deleted: ${total.spans}`);
	sameAnswers(await answers(s), want);
	assert.deepEqual(rollupRows(dir), rows);

	// the writer on the migrated table: one more deletion, then a fresh store of the remaining traces
	assert.ok(await del(s, `/api/traces${query({ session_id: 'sess-2' })}`) > 0);
	for (const t of W.traces) if (t.session === 'sess-2') gone.add(t.tid);
	const got = await answers(s);
	const freshDir = tempDataDir('rollup-028-fresh');
	const fresh = await start('rollup-028-fresh', freshDir);
	await send(fresh, W.spans.filter((x) => !gone.has(x.span.traceId)));
	sameAnswers(got, await answers(fresh));
	assert.deepEqual(rollupRows(dir), rollupRows(freshDir));
	await stop(fresh);
	await stop(s);
});
