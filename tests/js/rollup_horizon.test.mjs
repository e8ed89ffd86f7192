// rollup_horizon.test.mjs: minute rollup rows are kept for a recent horizon
// only (src/store/rollup.h, schema/016_rollup_horizon.sql); a dashboard
// range edge in an older hour is answered from the spans and traces tables.
// A store is written by TRACELITE_OLD_BIN when set (a build of main before
// schema/016, minute rows for every span), else by this binary; the
// dashboards' answers over ranges with odd-minute edges, minute series and
// filters are taken, the store is opened by this binary (schema/016), and
// every answer must be identical (costs to 12 significant digits: sums of
// doubles in another order); a fresh store written by this binary answers
// the same too, with no minute rows past the horizon. Traces longer than
// 10 minutes, and a span ending before it starts, are found for old edges.
// An idle store sheds its old minute rows too.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BIN, sleep, startServer, tempDataDir, traceId, spanId, query } from './helpers.mjs';
import { FLOOR, HOUR, NOW, RANGES, W, answers, sameAnswers, send, sqlite } from './rollup_workload.mjs';

const OLD = process.env.TRACELITE_OLD_BIN ? path.resolve(process.env.TRACELITE_OLD_BIN) : BIN;
let server;
after(async () => { await server?.stop().catch(() => {}); });

const minuteRowsBelow = (dir, s) =>
	Number(sqlite(dir, `SELECT (SELECT count(*) FROM span_rollups WHERE level = 0 AND bucket < ${s})`
		+ ` + (SELECT count(*) FROM trace_rollups WHERE level = 0 AND bucket < ${s});`));

describe('schema/016: minute rollups for a recent horizon only', () => {
	let want;
	test('a store written before answers the same after the upgrade, and sheds old minute rows', async () => {
		const dir = tempDataDir('rollup-old');
		server = await startServer({ label: 'rollup-old', dataDir: dir, bin: OLD });
		await send(server, W.spans);
		want = await answers(server);
		// sanity: the ranges hold data, the long trace's late child included
		const late = want[`/api/metrics/summary${query({ from: RANGES[5][0], to: RANGES[5][1], service: 'svc-long' })}`].current;
		assert.equal(late.spans, 1);
		assert.equal(late.cost_usd, 0.25);
		const odd = want[`/api/metrics/summary${query({ from: RANGES[7][0], to: RANGES[7][1], service: 'svc-odd' })}`].current;
		assert.equal(odd.error_spans, 1, JSON.stringify(odd));
		// the span after an old edge of a trace that started before it
		const cross = want[`/api/metrics/summary${query({ from: RANGES[8][0], to: RANGES[8][1], service: 'svc-cross' })}`].current;
		assert.deepEqual([cross.spans, cross.llm_calls, cross.input_tokens], [1, 1, 3], JSON.stringify(cross));
		await server.stop();
		server = null;
		const oldMinutes = minuteRowsBelow(dir, FLOOR - 2 * HOUR);
		if (OLD !== BIN)
			assert.ok(oldMinutes > 100, `main wrote minute rows for old spans: ${oldMinutes}`);
		else {   // back to the form before schema/016 (the minute rows of old spans are not made up)
			sqlite(dir, 'DROP TABLE long_traces; DELETE FROM schema_migrations WHERE number = 16;');
			sqlite(dir, `PRAGMA user_version = ${sqlite(dir, 'SELECT count(*) FROM schema_migrations;')};`);
		}

		server = await startServer({ label: 'rollup-upgraded', dataDir: dir });
		const longs = sqlite(dir, 'SELECT count(*) FROM long_traces;');
		assert.equal(longs, '2', 'the 3-hour trace and the one whose span ends before it starts');
		sameAnswers(await answers(server), want);
		// new ingest: each flush sweeps an hour of minute rows past the horizon
		const before = minuteRowsBelow(dir, FLOOR - 2 * HOUR);
		for (let i = 0; i < 3; i++) {
			await send(server, [{ service: 'svc-a', span: { traceId: traceId(), spanId: spanId(), name: 'new', kind: 1,
				startTimeUnixNano: `${BigInt(NOW) * 1000000000n}`, endTimeUnixNano: `${BigInt(NOW) * 1000000000n + 5n}` } }]);
			await sleep(1100);
		}
		const afterSweep = minuteRowsBelow(dir, FLOOR - 2 * HOUR);
		if (before > 0)
			assert.ok(afterSweep < before, `swept: ${before} -> ${afterSweep}`);
		await server.stop();
		server = null;
	});

	test('a fresh store writes no minute rows past the horizon and answers the same', async () => {
		const dir = tempDataDir('rollup-new');
		server = await startServer({ label: 'rollup-new', dataDir: dir });
		await send(server, W.spans);
		sameAnswers(await answers(server), want);
		assert.equal(minuteRowsBelow(dir, FLOOR - HOUR), 0);
		assert.ok(Number(sqlite(dir, 'SELECT count(*) FROM span_rollups WHERE level = 0;')) > 0, 'recent minute rows');
		const keys = sqlite(dir, 'SELECT group_concat(lower(hex(t.trace_id))) FROM long_traces l JOIN traces t ON t.key = l.key;');
		assert.deepEqual(keys.split(',').sort(), [W.longTid, W.oddTid].sort());
		await server.stop();
		server = null;
		// schema/002's backfill (a store from before rollups, so before 028 too) writes minute rows from the floor on too
		sqlite(dir, 'DROP TABLE span_rollups; DROP TABLE trace_rollups; DELETE FROM schema_migrations WHERE number IN (2, 28);');
		sqlite(dir, `PRAGMA user_version = ${sqlite(dir, 'SELECT count(*) FROM schema_migrations;')};`);
		server = await startServer({ label: 'rollup-rebuilt', dataDir: dir });
		assert.equal(minuteRowsBelow(dir, FLOOR - HOUR), 0);
		sameAnswers(await answers(server), want);
		await server.stop();
		server = null;
	});

	test('an idle store sheds its minute rows past the horizon too (the retention thread)', async () => {
		const dir = tempDataDir('rollup-idle');
		server = await startServer({ label: 'rollup-idle', dataDir: dir });
		await server.stop();
		server = null;
		// three hours of minute rows past the horizon, as a store idle since they were recent keeps them,
		// and one of the oldest minute the writer writes, which stays
		sqlite(dir, `WITH RECURSIVE m(b) AS (SELECT ${FLOOR - 5 * HOUR} UNION ALL SELECT b + 60 FROM m WHERE b + 60 < ${FLOOR - 2 * HOUR})
			INSERT INTO span_rollups SELECT 0, b, 1, 1, 1, 0, 0, 0, 1, 0, 5, 0, 0, 0, 0, 0.0, x'0000' FROM m;
			WITH RECURSIVE m(b) AS (SELECT ${FLOOR - 5 * HOUR} UNION ALL SELECT b + 60 FROM m WHERE b + 60 < ${FLOOR - 2 * HOUR})
			INSERT INTO trace_rollups SELECT 0, b, 1, 1, 0, 1, 5, x'0000' FROM m;
			INSERT INTO span_rollups VALUES (0, ${FLOOR - HOUR}, 1, 1, 1, 0, 0, 0, 1, 0, 5, 0, 0, 0, 0, 0.0, x'0000');`);
		assert.equal(minuteRowsBelow(dir, FLOOR - 2 * HOUR), 360);
		server = await startServer({ label: 'rollup-idle', dataDir: dir });
		let left = 360;
		for (let i = 0; i < 100 && left > 0; i++) {
			await sleep(100);
			left = minuteRowsBelow(dir, FLOOR - 2 * HOUR);
		}
		assert.equal(left, 0, 'swept without any ingest');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM span_rollups WHERE level = 0;'), '1', 'the horizon\'s own rows stay');
		await server.stop();
		server = null;
	});
});
