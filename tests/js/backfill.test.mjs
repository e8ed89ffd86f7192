// backfill.test.mjs: the attribute-index backfill (schema/013,
// src/store/backfill.c). A store whose chunks have no attribute-index rows,
// as one written before schema/007 (made here by writing traces, then
// removing their index rows and the schema/013 changes with sqlite3 and
// its number from schema_migrations), is upgraded by starting the binary:
// the backfill runs in the background, /api/health shows its progress, and
// attr./resource./meta. filters then find the old traces. A second start
// has nothing left to do. Needs the sqlite3 command-line tool.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
	REPO, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, sleep, startServer, tempDataDir, traceId,
} from './helpers.mjs';

const MIGRATIONS = fs.readdirSync(path.join(REPO, 'schema')).filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort();
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });
let server;
after(async () => { await server?.stop().catch(() => {}); });

async function waitBackfilled(s) {
	for (let i = 0; i < 200; i++) {
		const h = await getJson(s, '/api/health');
		if (h.attr_index_backfill?.complete) return h.attr_index_backfill;
		await sleep(50);
	}
	throw new Error('the backfill did not complete');
}

describe('attribute-index backfill', () => {
	test('traces stored without index rows are found by attribute filters after the upgrade', async () => {
		// this test undoes schema/013; the later ones (016: long_traces) touch none of its tables
		assert.deepEqual(MIGRATIONS.filter((f) => f >= '013_').map((f) => f.slice(0, 3)), ['013', '016']);
		const dir = tempDataDir('backfill');
		server = await startServer({ label: 'backfill-write', dataDir: dir });
		const tids = [];
		for (let i = 0; i < 30; i++) {
			const tid = traceId();
			tids.push(tid);
			const spans = [0, 1, 2].map((k) => otlpSpan({ traceId: tid, name: `old-${k}`, start: nanosFromNow(-60000 + i * 100 + k),
				attrs: { plan: i % 3 === 0 ? 'pro' : 'free', tier: i, metadata: JSON.stringify({ team: `t${i % 2}` }) } }));
			await postOk(server, '/v1/traces', otlpRequest(spans, { resource: { 'service.name': 'bf-svc', 'deployment.environment': `env${i % 2}` } }));
		}
		const pro = tids.filter((_, i) => i % 3 === 0).sort();
		const list = async (s, params) => (await getJson(s, `/api/traces${query({ service: 'bf-svc', limit: 100, range: 'all', ...params })}`))
			.items.map((t) => t.trace_id).sort();
		assert.deepEqual(await list(server, { 'attr.plan': 'eq:pro' }), pro, 'indexed at ingest');
		await server.stop();
		server = null;
		// what a store written before schema/007 looks like: no index rows
		// (migrations are recorded by number in schema_migrations: undoing 013
		// is removing its number; user_version counts the applied ones)
		sqlite(dir, `DELETE FROM trace_pairs; DELETE FROM pair_blocks; DELETE FROM attr_pairs;
			DELETE FROM resource_attrs; DELETE FROM trace_resources;
			DROP TABLE attr_backfill; DROP INDEX scores_session; ALTER TABLE scores DROP COLUMN session_id;
			DELETE FROM schema_migrations WHERE number = 13; PRAGMA user_version = ${MIGRATIONS.length - 1};`);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_pairs;').trim(), '0');
		// the upgrade: migration 013, then the backfill in the background
		server = await startServer({ label: 'backfill-upgrade', dataDir: dir });
		const st = await waitBackfilled(server);
		assert.ok(st.upto >= 1 && st.done === st.upto, JSON.stringify(st));
		// written in schema/011's form: pairs once, (trace, pair) rows, their blocks
		assert.equal(sqlite(dir, 'SELECT count(DISTINCT trace) FROM trace_pairs;').trim(), '30');
		assert.equal(sqlite(dir, `SELECT count(*) FROM trace_pairs x WHERE NOT EXISTS (SELECT 1 FROM pair_blocks b
			WHERE b.pair = x.pair AND b.block = x.trace >> 8);`).trim(), '0');
		assert.deepEqual(await list(server, { 'attr.plan': 'eq:pro' }), pro);
		assert.deepEqual((await list(server, { 'attr.tier': 'gt:26' })).length, 3);
		assert.deepEqual((await list(server, { 'resource.deployment.environment': 'eq:env1' })).length, 15);
		assert.deepEqual((await list(server, { 'meta.team': 'eq:t0' })).length, 15);
		// the thread logs once it sees nothing is left (just after the last commit)
		for (let i = 0; i < 100 && !/attribute index:/.test(server.log()); i++) await sleep(50);
		assert.match(server.log(), /attribute index: \d+ batches in [\d.]+ s, complete/);
		// traces written after the upgrade are indexed at ingest as before
		const tid = traceId();
		await postOk(server, '/v1/traces', otlpRequest([otlpSpan({ traceId: tid, attrs: { plan: 'pro' } })], { resource: { 'service.name': 'bf-svc' } }));
		assert.deepEqual(await list(server, { 'attr.plan': 'eq:pro' }), [...pro, tid].sort());
		await server.stop();
		// a restart has nothing left to do
		server = await startServer({ label: 'backfill-again', dataDir: dir });
		assert.deepEqual((await getJson(server, '/api/health')).attr_index_backfill, { ...st, complete: true });
		assert.doesNotMatch(server.log(), /attribute index:/);
		assert.deepEqual(await list(server, { 'attr.plan': 'eq:pro' }), [...pro, tid].sort());
	});
});
