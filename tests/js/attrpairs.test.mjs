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
import { execFileSync } from 'node:child_process';
import {
	BIN, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, request, startServer, tempDataDir, traceId,
} from './helpers.mjs';

const OLD = process.env.TRACELITE_OLD_BIN ? path.resolve(process.env.TRACELITE_OLD_BIN) : BIN;
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });
let server;
after(async () => { await server?.stop().catch(() => {}); });

const plans = ['pro', 'free', 'Pro Plus', 'enterprise'];
/* Trace i's spans: attributes of every kind the index takes (and some it
 * leaves out), repeated across spans as agents do. */
function traceSpans(tid, i) {
	const start = nanosFromNow(-120000 + i * 500);
	const root = otlpSpan({ traceId: tid, name: `root-${i % 3}`, start, durationMs: 40,
		attrs: { plan: plans[i % 4], tier: i % 7, ratio: (i % 5) / 4, beta: i % 2 === 0,
			metadata: JSON.stringify({ team: `t${i % 3}`, build: 1380 + i, locale: i % 2 ? 'de-DE' : 'ja-JP' }),
			'tag.tags': i % 3 ? ['first-turn', `g${i % 4}`] : ['retry'], 'input.value': `text ${i}` } });
	const child = otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: 'llm', start, durationMs: 20,
		attrs: { plan: plans[i % 4], 'gen_ai.request.model': i % 2 ? 'gpt-4o' : 'claude-3', nested: { a: `n${i % 2}`, b: i % 4 },
			'langfuse.trace.metadata.owner': `o${i % 5}`, 'langfuse.trace.tags': [`lt${i % 2}`], flags: [i % 2 === 1, true],
			'gen_ai.usage.input_tokens': 100 + i } });
	return [root, child];
}

const FILTERS = [
	{ 'attr.plan': 'eq:pro' }, { 'attr.plan': 'ne:pro' }, { 'attr.plan': 'contains:PRO' }, { 'attr.plan': 'exists' },
	{ 'attr.tier': 'gt:3' }, { 'attr.tier': 'lt:2' }, { 'attr.tier': 'eq:4' }, { 'attr.ratio': 'eq:0.5' },
	{ 'attr.ratio': 'lt:0.3' }, { 'attr.beta': 'eq:true' }, { 'attr.flags': 'eq:false' },
	{ 'attr.nested.a': 'eq:n1' }, { 'attr.nested.b': 'gt:1' }, { 'attr.gen_ai.request.model': 'eq:gpt-4o' },
	{ 'attr.gen_ai.usage.input_tokens': 'exists' }, { 'attr.input.value': 'contains:text' },
	{ 'meta.team': 'eq:t1' }, { 'meta.build': 'gt:1400' }, { 'meta.locale': 'contains:de' }, { 'meta.owner': 'eq:o3' },
	{ 'meta.team': 'exists' }, { 'meta.team': 'ne:t0' }, { tag: 'first-turn' }, { tag: 'retry' }, { tag: 'lt1' },
	{ tag: 'nosuch' }, { 'resource.region': 'eq:eu-west' }, { 'resource.region': 'contains:us' },
	{ 'resource.deployment.environment': 'ne:prod' }, { 'score.quality': 'gt:0.5' }, { 'score.verdict': 'eq:ok' },
	{ 'score.hallucination': 'eq:true' }, { 'attr.plan': 'eq:pro', 'meta.locale': 'eq:de-DE', tag: 'first-turn' },
	{ 'attr.plan': 'ne:free', 'resource.region': 'contains:eu', 'meta.build': 'lt:1420' },
];

async function answers(s) {
	const out = [];
	for (const f of FILTERS) {
		const page = await getJson(s, `/api/traces${query({ service: 'ap-svc', limit: 100, range: 'all', ...f })}`);
		out.push({ f, page });
		const paged = await getJson(s, `/api/traces${query({ service: 'ap-svc', limit: 7, range: 'all', ...f })}`);
		out.push({ f, paged });
	}
	return out;
}

describe('schema/011: the attribute index converted', () => {
	test('every filter answers the same after the upgrade; new ingest and deletion use the new form', async () => {
		const dir = tempDataDir('attrpairs');
		server = await startServer({ label: 'attrpairs-old', dataDir: dir, bin: OLD });
		const tids = [];
		for (let r = 0; r < 6; r++) {
			const spans = [];
			for (let k = 0; k < 10; k++) {
				const i = r * 10 + k;
				tids.push(traceId());
				spans.push(...traceSpans(tids[i], i));
			}
			await postOk(server, '/v1/traces', otlpRequest(spans, { resource: { 'service.name': 'ap-svc',
				region: ['eu-west', 'us-east', 'eu-central'][r % 3], 'deployment.environment': r % 2 ? 'prod' : 'dev' } }));
		}
		// a late span of trace 0 in another request: its pairs merge into the trace
		await postOk(server, '/v1/traces', otlpRequest([otlpSpan({ traceId: tids[0], name: 'late', start: nanosFromNow(-1000),
			attrs: { plan: 'late-plan', tier: 99 } })], { resource: { 'service.name': 'ap-svc', region: 'ap-south' } }));
		await postOk(server, '/api/scores', tids.slice(0, 20).map((tid, i) => (i % 3 === 0
			? { trace_id: tid, name: 'hallucination', value: i % 2 === 0, score_type: 'boolean' }
			: i % 3 === 1 ? { trace_id: tid, name: 'quality', value: i / 20 }
				: { trace_id: tid, name: 'verdict', string_value: i % 2 ? 'ok' : 'bad', score_type: 'categorical' })));
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
			sqlite(dir, `CREATE TABLE trace_attrs (key INTEGER NOT NULL, value ANY NOT NULL, trace INTEGER NOT NULL,
				PRIMARY KEY (key, trace, value)) WITHOUT ROWID;
				INSERT INTO trace_attrs SELECT p.key, p.value, x.trace FROM trace_pairs x JOIN attr_pairs p ON p.id = x.pair;
				DROP TABLE trace_pairs; DROP TABLE pair_blocks; DROP TABLE attr_pairs; DROP TABLE schema_migrations;
				DROP TABLE long_traces; PRAGMA user_version = 11;`);
		}
		const oldRows = sqlite(dir, 'SELECT count(*) FROM trace_attrs;').trim();
		assert.ok(Number(oldRows) > 60 * 10, oldRows);

		// the upgrade: schema/011 and 016 (013 was applied by main already)
		server = await startServer({ label: 'attrpairs-new', dataDir: dir });
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'trace_attrs';").trim(), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_pairs;').trim(), oldRows, 'one row per old row');
		assert.equal(sqlite(dir, 'SELECT group_concat(number) FROM schema_migrations;').trim(), '1,2,3,4,5,6,7,8,9,10,11,13,16');
		assert.equal(sqlite(dir, 'PRAGMA user_version;').trim(), '13');
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
		assert.ok(Number(sqlite(dir, `SELECT count(*) FROM trace_pairs WHERE trace = ${key0};`)) > 10);
		for (const tid of [tids[0], tnew]) assert.equal((await request(server, 'DELETE', `/api/traces/${tid}`)).status < 300, true);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_pairs WHERE trace NOT IN (SELECT key FROM traces);').trim(), '0');
		assert.deepEqual(await list({ 'attr.plan': 'eq:late-plan' }), []);
		// every row's (pair, block) is in pair_blocks (what the set path reads)
		assert.equal(sqlite(dir, `SELECT count(*) FROM trace_pairs x WHERE NOT EXISTS (SELECT 1 FROM pair_blocks b
			WHERE b.pair = x.pair AND b.block = x.trace >> 8);`).trim(), '0');
	});
});
