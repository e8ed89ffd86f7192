// attrstore.mjs: what the attribute-index upgrade tests share
// (attrpairs.test.mjs for schema/011, pairsets.test.mjs for schema/015): a
// store written with varied span attributes, metadata, tags, resource
// attributes and scores; the filters whose answers must not change; and the
// sqlite3-tool views of trace_pairsets (its blobs decoded here: the
// tl_pairset_* SQL functions exist only inside tracelite).
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, traceId } from './helpers.mjs';

export const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });

const plans = ['pro', 'free', 'Pro Plus', 'enterprise'];
/* Trace i's spans: attributes of every kind the index takes (and some it
 * leaves out), repeated across spans as agents do. */
export function traceSpans(tid, i) {
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

export const FILTERS = [
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
	{ 'attr.plan': 'eq:late-plan' }, { 'attr.tier': 'eq:99', 'attr.plan': 'ne:pro' },
];

/* Every filter's first page (whole JSON) and a paged walk's first page. */
export async function answers(s) {
	const out = [];
	for (const f of FILTERS) {
		const page = await getJson(s, `/api/traces${query({ service: 'ap-svc', limit: 100, range: 'all', ...f })}`);
		out.push({ f, page });
		const paged = await getJson(s, `/api/traces${query({ service: 'ap-svc', limit: 7, range: 'all', ...f })}`);
		out.push({ f, paged });
	}
	return out;
}

/* Writes 60 traces in 6 requests, a late span of trace 0 in another, and
 * scores of the first 20; returns the trace ids. */
export async function writeTraces(server) {
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
	return tids;
}

/* The ids of one encoded pair set (hex): varint deltas (src/store/pairset.c). */
export function decodePairs(hex) {
	const out = [];
	let id = 0n, v = 0n, shift = 0n;
	for (let i = 0; i < hex.length; i += 2) {
		const b = BigInt(parseInt(hex.slice(i, i + 2), 16));
		v |= (b & 0x7fn) << shift;
		shift += 7n;
		if (b < 0x80n) {
			id += v;
			out.push(Number(id));
			v = 0n;
			shift = 0n;
		}
	}
	if (shift) throw new Error(`truncated pair set ${hex}`);
	return out;
}

/* trace_pairsets as schema/011's (trace, pair) rows, sorted. */
export function pairRows(dir) {
	const rows = [];
	for (const line of sqlite(dir, 'SELECT trace, hex(pairs) FROM trace_pairsets ORDER BY trace;').split('\n')) {
		if (!line) continue;
		const [trace, hex] = line.split('|');
		for (const pair of decodePairs(hex ?? '')) rows.push([Number(trace), pair]);
	}
	return rows;
}

/* (trace, pair) rows whose (pair, block) pair_blocks lacks (the set path would miss them). */
export function rowsWithoutBlock(dir) {
	const blocks = new Set(sqlite(dir, "SELECT pair || ',' || block FROM pair_blocks;").split('\n').filter(Boolean));
	return pairRows(dir).filter(([trace, pair]) => !blocks.has(`${pair},${trace >> 8}`));
}

/* SQL that turns a store written by this binary back into schema/011's form
 * (trace_pairs rows, no trace_pairsets, 015 not applied). */
export function to011Sql(dir, migrations) {
	const rows = pairRows(dir);
	const values = rows.length ? `INSERT INTO trace_pairs (trace, pair) VALUES ${rows.map(([t, p]) => `(${t}, ${p})`).join(', ')};` : '';
	return `CREATE TABLE trace_pairs (trace INTEGER NOT NULL, pair INTEGER NOT NULL, PRIMARY KEY (trace, pair)) WITHOUT ROWID;
		${values}
		DROP TABLE trace_pairsets; DELETE FROM schema_migrations WHERE number = 15;
		PRAGMA user_version = ${migrations - 1};`;
}

/* SQL undoing schema/025 (sessions and users as people.id), for a store
 * turned back before it: the texts back in traces, people dropped. */
export const undo025Sql = `DROP INDEX traces_session; DROP INDEX traces_user;
	ALTER TABLE traces ADD COLUMN session_id TEXT; ALTER TABLE traces ADD COLUMN user_id TEXT;
	UPDATE traces SET session_id = (SELECT value FROM people WHERE id = session_sid),
	  user_id = (SELECT value FROM people WHERE id = user_sid);
	ALTER TABLE traces DROP COLUMN session_sid; ALTER TABLE traces DROP COLUMN user_sid; DROP TABLE people;
	CREATE INDEX traces_session ON traces (session_id, start_ns) WHERE session_id IS NOT NULL;
	CREATE INDEX traces_user ON traces (user_id, start_ns) WHERE user_id IS NOT NULL;`;

/* SQL undoing what schema/018 (span_totals), 019 and 021 (span_ids,
 * span_ids_mid), 020 (log digests), 022 and 026 (zcompact, zcompact_again),
 * 023 (chunk_traces), 027 (zformat), 029 (zcompact_dicts) and 030 (traces'
 * name, service and models as strings ids) made, for a store turned back
 * further than them.
 * 024's preview references stay: 024 converts only text bodies, so it runs
 * again as a no-op on them, and they read as the texts did. */
export const undo018onSql = `ALTER TABLE traces ADD COLUMN name TEXT NOT NULL DEFAULT '';
	ALTER TABLE traces ADD COLUMN service TEXT NOT NULL DEFAULT ''; ALTER TABLE traces ADD COLUMN models TEXT NOT NULL DEFAULT '';
	UPDATE traces SET name = (SELECT value FROM strings WHERE id = name_sid),
	  service = (SELECT value FROM strings WHERE id = service_sid), models = (SELECT value FROM strings WHERE id = models_sid);
	ALTER TABLE traces DROP COLUMN name_sid; ALTER TABLE traces DROP COLUMN service_sid; ALTER TABLE traces DROP COLUMN models_sid;
	DROP TABLE span_totals;
	DROP TRIGGER span_ids_insert; DROP TRIGGER span_ids_delete; DROP TABLE span_ids; DROP TABLE span_ids_new;
	DROP TABLE span_ids_mid;
	CREATE INDEX spans_span ON spans (span_id);
	DROP INDEX logs_digest; ALTER TABLE logs DROP COLUMN digest;
	DROP TRIGGER chunk_traces_delete; DROP TABLE chunk_traces; DROP TABLE chunk_long_rows;
	CREATE INDEX spans_chunk ON spans (chunk); DROP TABLE zcompact; DROP TABLE zcompact_again;
	DROP TABLE zformat; DROP TABLE zcompact_dicts;`;
