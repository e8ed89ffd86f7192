// pairsets.test.mjs: schema/015 converts trace_pairs (schema/011: a row per
// (trace, attribute pair)) into trace_pairsets (one encoded set per trace)
// in place. A store written by the 011-era binary (TRACELITE_PRE015_BIN,
// e.g. /work/main/tracelite at 2fce597; else this binary's store turned back
// into the 011 form with the sqlite3 tool) with more than one 256-trace
// block answers every attr./meta./tag=/resource./score. filter the same
// after the upgrade, trace by trace and as sets; then a later span merges
// into a converted trace's set, new traces are indexed, and a deletion
// removes a converted trace's set.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	BIN, REPO, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, request, startServer, tempDataDir, traceId,
} from './helpers.mjs';
import { FILTERS, answers, pairRows, rowsWithoutBlock, sqlite, to011Sql, traceSpans, writeTraces } from './attrstore.mjs';

const OLD = process.env.TRACELITE_PRE015_BIN ? path.resolve(process.env.TRACELITE_PRE015_BIN) : BIN;
const MIGRATIONS = fs.readdirSync(path.join(REPO, 'schema')).filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort();
let server;
after(async () => { await server?.stop().catch(() => {}); });

const BULK = 300; // traces after the first 60: keys past 256 fill a second block of pair_blocks
const EXTRA = [{ 'attr.bulk': 'eq:b7' }, { 'attr.bulk': 'lt:3' }, { 'attr.bulk': 'ne:b1' }, { 'attr.rare': 'exists' },
	{ 'attr.rare': 'eq:yes', 'attr.plan': 'exists' }, { 'attr.idx': 'gt:295' }];

async function allAnswers(s) {
	const out = await answers(s);
	for (const f of EXTRA) {
		out.push({ f, page: await getJson(s, `/api/traces${query({ service: 'ap-svc', limit: 100, range: 'all', ...f })}`) });
		out.push({ f, paged: await getJson(s, `/api/traces${query({ service: 'ap-svc', limit: 9, range: 'all', ...f })}`) });
	}
	return out;
}

describe('schema/015: trace_pairs converted to pair sets', () => {
	test('every filter answers the same after the upgrade; merges, new ingest and deletion use the sets', async () => {
		const dir = tempDataDir('pairsets');
		server = await startServer({ label: 'pairsets-old', dataDir: dir, bin: OLD });
		const tids = await writeTraces(server);
		const bulk = [];
		for (let i = 0; i < BULK; i++) {
			bulk.push(traceId());
			const attrs = { bulk: i % 10 ? `b${i % 10}` : i % 4, idx: i, plan: ['pro', 'free'][i % 2] };
			if (i % 97 === 5) attrs.rare = 'yes';
			bulk[i] = { tid: bulk[i], span: otlpSpan({ traceId: bulk[i], name: 'bulk', start: nanosFromNow(-60000 + i), attrs }) };
		}
		for (let r = 0; r < BULK; r += 100)
			await postOk(server, '/v1/traces', otlpRequest(bulk.slice(r, r + 100).map((b) => b.span), { resource: { 'service.name': 'ap-svc' } }));
		const before = await allAnswers(server);
		await server.stop();
		server = await startServer({ label: 'pairsets-old-sets', dataDir: dir, bin: OLD, env: { TRACELITE_FILTER_PROBE_BUDGET: '0' } });
		const beforeSets = await allAnswers(server);
		await server.stop();
		server = null;
		assert.deepEqual(beforeSets, before, 'sets and probes agree before');
		assert.ok(before.filter((a) => a.page?.items.length > 5).length > FILTERS.length / 3, 'the filters find traces');
		assert.ok(before.some((a) => a.f['attr.rare'] && a.page?.items.length === 4), 'rare values in both blocks');
		if (OLD === BIN) sqlite(dir, to011Sql(dir, MIGRATIONS.length));
		const oldRows = sqlite(dir, 'SELECT trace, pair FROM trace_pairs ORDER BY 1, 2;').trim().split('\n')
			.map((l) => l.split('|').map(Number));
		assert.ok(oldRows.length > 60 * 10 + BULK * 3, `${oldRows.length} rows`);
		assert.ok(Number(sqlite(dir, 'SELECT max(trace) FROM trace_pairs;')) > 256);
		const applied = () => sqlite(dir, 'SELECT number FROM schema_migrations ORDER BY number;').trim().split('\n').map(Number);
		const migrationsBefore = applied();
		assert.ok(!migrationsBefore.includes(15), `${migrationsBefore}`);

		// the upgrade
		server = await startServer({ label: 'pairsets-new', dataDir: dir });
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'trace_pairs';").trim(), '0');
		assert.deepEqual(pairRows(dir), oldRows, 'the same (trace, pair) rows, as sets');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_pairsets;').trim(), String(new Set(oldRows.map(([t]) => t)).size),
			'one row per trace');
		const after = applied();   /* an older binary's store also gets the migrations after its own */
		assert.ok(after.includes(15) && migrationsBefore.every((n) => after.includes(n)), `${after}`);
		if (OLD === BIN)
			assert.deepEqual(after, [...migrationsBefore, 15].sort((a, b) => a - b), '015 applied, nothing else');
		assert.equal(sqlite(dir, 'PRAGMA user_version;').trim(), String(after.length));
		assert.deepEqual(await allAnswers(server), before, 'identical answers, trace by trace');
		await server.stop();
		server = await startServer({ label: 'pairsets-new-sets', dataDir: dir, env: { TRACELITE_FILTER_PROBE_BUDGET: '0' } });
		assert.deepEqual(await allAnswers(server), before, 'identical answers, as sets');

		// FILTERS_MAX (16) attribute filters still fit the statement (each tests a pair set)
		const many = Object.fromEntries(Array.from({ length: 16 }, (_, k) => [`meta.k${k}`, 'contains:zz']));
		assert.deepEqual((await getJson(server, `/api/traces${query({ range: 'all', ...many })}`)).items, []);

		// after the upgrade: a late span merges new pairs into a converted
		// trace's set (its old pairs stay), a new trace gets its own set
		const list = async (f) => (await getJson(server, `/api/traces${query({ service: 'ap-svc', limit: 100, range: 'all', ...f })}`))
			.items.map((t) => t.trace_id).sort();
		const key1 = Number(sqlite(dir, `SELECT key FROM traces WHERE trace_id = x'${tids[1]}';`));
		const had = pairRows(dir).filter(([t]) => t === key1).length;
		const tnew = traceId();
		await postOk(server, '/v1/traces', otlpRequest([...traceSpans(tnew, 1000),
			otlpSpan({ traceId: tids[1], name: 'later', start: nanosFromNow(-500), attrs: { plan: 'after-upgrade', rare: 'yes' } })],
		{ resource: { 'service.name': 'ap-svc', region: 'eu-west' } }));
		assert.equal(pairRows(dir).filter(([t]) => t === key1).length, had + 2, 'two pairs merged into the set');
		assert.equal(sqlite(dir, `SELECT count(*) FROM trace_pairsets WHERE trace = ${key1};`).trim(), '1');
		assert.deepEqual(await list({ 'attr.plan': 'eq:after-upgrade' }), [tids[1]]);
		assert.deepEqual(await list({ 'meta.build': 'eq:1381' }), [tids[1]], 'its converted pairs stay');
		assert.ok((await list({ 'attr.rare': 'eq:yes' })).includes(tids[1]));
		assert.deepEqual(await list({ 'meta.build': 'eq:2380' }), [tnew]);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM (SELECT key, value FROM attr_pairs GROUP BY key, value HAVING count(*) > 1);').trim(), '0',
			'the writer reuses converted pairs');

		// deletion removes a converted trace's set
		const key0 = sqlite(dir, `SELECT key FROM traces WHERE trace_id = x'${tids[0]}';`).trim();
		assert.equal(sqlite(dir, `SELECT count(*) FROM trace_pairsets WHERE trace = ${key0};`).trim(), '1');
		assert.ok((await request(server, 'DELETE', `/api/traces/${tids[0]}`)).status < 300);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_pairsets WHERE trace NOT IN (SELECT key FROM traces);').trim(), '0');
		assert.deepEqual(await list({ 'attr.plan': 'eq:late-plan' }), []);
		assert.deepEqual(rowsWithoutBlock(dir), [], 'every pair of a set has its block');
	});
});
