// attrpairs.test.mjs: schema/011 (attr_pairs, trace_pairs, pair_blocks)
// converts an existing store's trace_attrs. A store is written with varied
// span attributes, metadata, tags, resource attributes and scores; every
// attr./resource./meta./tag=/score. filter answer (whole JSON pages, trace by
// trace and as sets) is taken, the store upgraded, and the answers must be
// identical; new ingest and a deletion after the upgrade are checked too.
// The store is written by TRACELITE_OLD_BIN when set (a build of main before
// schema/011, e.g. e8a5887), else by this binary and turned back into the
// pre-011 form (trace_attrs rows, no schema_migrations, user_version 11 as
// main wrote it) with the sqlite3 command-line tool.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import {
	BIN, REPO, getJson, nanosFromNow, otlpRequest, otlpSpan, query, postOk, request, startServer, tempDataDir, traceId, undo033,
} from './helpers.mjs';
import { answers, pairRows, rowsWithoutBlock, sqlite, to011Sql, traceSpans, undo018onSql, undo025Sql, writeTraces } from './attrstore.mjs';

const OLD = process.env.TRACELITE_OLD_BIN ? path.resolve(process.env.TRACELITE_OLD_BIN) : BIN;
let server;
after(async () => { await server?.stop().catch(() => {}); });

const MIGRATIONS = fs.readdirSync(path.join(REPO, 'schema')).filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort();

describe('schema/011: the attribute index converted', () => {
	test('every filter answers the same after the upgrade; new ingest and deletion use the new form', async () => {
		const dir = tempDataDir('attrpairs');
		server = await startServer({ label: 'attrpairs-old', dataDir: dir, bin: OLD });
		const tids = await writeTraces(server);
		const before = await answers(server);
		const beforeSets = await (async () => {
			await server.stop();
			server = await startServer({ label: 'attrpairs-old-sets', dataDir: dir, bin: OLD, env: { TRACELITE_FILTER_PROBE_BUDGET: '0' } });
			return answers(server);
		})();
		await server.stop();
		server = null;
		assert.ok(before.some((a) => a.page?.items.length > 5), 'the filters find traces');
		assert.deepEqual(beforeSets, before, 'sets and probes agree before');
		if (OLD === BIN) {
			// what main wrote: trace_attrs rows, user_version 11 counting 001..010 and 013
			undo033(dir);
			sqlite(dir, `${to011Sql(dir, MIGRATIONS.length)}
				CREATE TABLE trace_attrs (key INTEGER NOT NULL, value ANY NOT NULL, trace INTEGER NOT NULL,
				PRIMARY KEY (key, trace, value)) WITHOUT ROWID;
				INSERT INTO trace_attrs SELECT p.key, p.value, x.trace FROM trace_pairs x JOIN attr_pairs p ON p.id = x.pair;
				DROP TABLE trace_pairs; DROP TABLE pair_blocks; DROP TABLE attr_pairs; DROP TABLE schema_migrations;
				DROP TABLE zdicts; DROP TABLE long_traces; ${undo025Sql} ${undo018onSql}
				PRAGMA user_version = 11;`);
		}
		const oldRows = sqlite(dir, 'SELECT count(*) FROM trace_attrs;').trim();
		assert.ok(Number(oldRows) > 60 * 10, oldRows);

		// the upgrade: schema/011, then 014 onwards (013 was applied by main already)
		server = await startServer({ label: 'attrpairs-new', dataDir: dir });
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'trace_attrs';").trim(), '0');
		assert.equal(String(pairRows(dir).length), oldRows, 'one pair per old row');
		assert.equal(sqlite(dir, 'SELECT group_concat(number) FROM schema_migrations;').trim(),
			MIGRATIONS.map((f) => Number(f.slice(0, 3))).join(','));
		assert.equal(sqlite(dir, 'PRAGMA user_version;').trim(), String(MIGRATIONS.length));
		assert.equal(sqlite(dir, 'SELECT count(*) FROM (SELECT key, value FROM attr_pairs GROUP BY key, value HAVING count(*) > 1);').trim(), '0');
		assert.deepEqual(await answers(server), before, 'identical answers, trace by trace');
		await server.stop();
		server = await startServer({ label: 'attrpairs-new-sets', dataDir: dir, env: { TRACELITE_FILTER_PROBE_BUDGET: '0' } });
		assert.deepEqual(await answers(server), before, 'identical answers, as sets');

		// new ingest after the upgrade: a new trace and a late span of an old one
		const tnew = traceId();
		await postOk(server, '/v1/traces', otlpRequest([...traceSpans(tnew, 1000),
			otlpSpan({ traceId: tids[1], name: 'later', start: nanosFromNow(-500), attrs: { plan: 'after-upgrade' } })],
		{ resource: { 'service.name': 'ap-svc', region: 'eu-west' } }));
		const list = async (f) => (await getJson(server, `/api/traces${query({ service: 'ap-svc', limit: 100, range: 'all', ...f })}`))
			.items.map((t) => t.trace_id).sort();
		assert.deepEqual(await list({ 'attr.plan': 'eq:after-upgrade' }), [tids[1]]);
		assert.deepEqual(await list({ 'meta.build': 'eq:2380' }), [tnew]);
		assert.ok((await list({ 'attr.plan': 'eq:pro' })).includes(tnew));
		assert.equal(sqlite(dir, 'SELECT count(*) FROM (SELECT key, value FROM attr_pairs GROUP BY key, value HAVING count(*) > 1);').trim(), '0',
			'the writer reuses converted pairs');

		// deletion removes the trace's pair rows, also of converted traces
		const key0 = sqlite(dir, `SELECT key FROM traces WHERE trace_id = x'${tids[0]}';`).trim();
		assert.ok(pairRows(dir).filter(([t]) => t === Number(key0)).length > 10);
		for (const tid of [tids[0], tnew]) assert.equal((await request(server, 'DELETE', `/api/traces/${tid}`)).status < 300, true);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_pairsets WHERE trace NOT IN (SELECT key FROM traces);').trim(), '0');
		assert.deepEqual(await list({ 'attr.plan': 'eq:late-plan' }), []);
		// every row's (pair, block) is in pair_blocks (what the set path reads)
		assert.deepEqual(rowsWithoutBlock(dir), []);
	});
});
