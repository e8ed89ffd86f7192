// span_columns.test.mjs: since schema/033 a chunk's span rows are one
// blob of columns (chunk_spans, src/store/spancols.h) and trace_chunks
// lists the chunks holding a trace's rows; `spans` is a virtual table over
// them (spanstab.c). Every row of every chunk must be found: a trace
// spread over many chunks (and over requests), chunks shared by several
// traces, retried spans (entries without a row), a trace deleted out of a
// shared chunk (its rows leave the blob). The search indexer and the trace
// view prove it through the API, on a new store and on a store written by
// main before 033 (b2daf59), which is converted when this binary opens it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { get, getJson, nanosFromNow, addMs, oldBinary, otlpSpan, postOtlp, query, request, startServer, tempDataDir, tlSql,
	traceId, waitIndexed } from './helpers.mjs';

const OLD = oldBinary('b2daf59');   /* main before 033 */
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' }).trim();
const word = () => 'zq' + crypto.randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
let server;
after(async () => { await server?.stop().catch(() => {}); });

/* The chunks of the long trace, as trace_chunks lists them. */
const longChunks = (dir, tid) => Number(sqlite(dir, 'SELECT count(*) FROM trace_chunks'
	+ ` WHERE trace = (SELECT key FROM traces WHERE trace_id = X'${tid}');`));

/* What the test stores: a long trace of 1,200 spans in requests of 600
 * (three chunks each: up to 256 spans per chunk) plus 300 more in a later
 * request, each span with its own word; requests mixing 30 small traces;
 * some of them sent twice (the retry's entries have no row). */
function corpus() {
	const long = { tid: traceId(), spans: [], words: [] };
	const start = nanosFromNow(-600000);
	const root = otlpSpan({ traceId: long.tid, name: 'root', start, durationMs: 5000 });
	long.spans.push(root);
	long.words.push(null);
	for (let i = 1; i < 1500; i++) {
		const w = word();
		long.spans.push(otlpSpan({ traceId: long.tid, parentSpanId: root.spanId, name: `step-${i % 7}`, start: addMs(start, i),
			attrs: { 'input.value': `look up ${w} please` } }));
		long.words.push(w);
	}
	const small = [];
	for (let t = 0; t < 30; t++) {
		const tid = traceId(), w = word(), s0 = nanosFromNow(-500000 + t);
		const r = otlpSpan({ traceId: tid, name: 'small', start: s0 });
		const c = otlpSpan({ traceId: tid, parentSpanId: r.spanId, name: 'chat', start: addMs(s0, 1), attrs: { 'output.value': `said ${w}` } });
		small.push({ tid, w, spans: [r, c] });
	}
	return { long, small };
}

async function store(s, { long, small }) {
	await postOtlp(s, long.spans.slice(0, 600));
	await postOtlp(s, [...small.slice(0, 15).flatMap((x) => x.spans), ...long.spans.slice(600, 1200)]);
	await postOtlp(s, small.slice(15).flatMap((x) => x.spans));
	await postOtlp(s, small.slice(15, 20).flatMap((x) => x.spans));   // a retry: stored once
	await postOtlp(s, [...long.spans.slice(1200), ...small[3].spans, ...small[25].spans]);   // the long trace's last spans, retries
}

async function expectAll(s, dir, { long, small }, skip = new Set()) {
	assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'spans';"), '0', 'no table spans');
	assert.ok(longChunks(dir, long.tid) >= 7, 'the long trace in 7 chunks at least');
	await waitIndexed(s);
	const tr = await getJson(s, `/api/traces/${long.tid}?limit=5000`);
	assert.equal((tr.spans ?? tr.items).length, long.spans.length, 'every span of the long trace, retries once');
	for (const i of [1, 255, 256, 599, 600, 1023, 1199, 1200, 1499]) {
		const body = await getJson(s, `/api/search${query({ q: long.words[i] })}`);
		assert.ok(body.items.some((t) => t.trace_id === long.tid), `long trace span ${i}: ${JSON.stringify(body).slice(0, 300)}`);
	}
	for (const x of small) {
		if (skip.has(x.tid)) continue;
		const body = await getJson(s, `/api/search${query({ q: x.w })}`);
		assert.ok(body.items.some((t) => t.trace_id === x.tid), `small trace ${x.tid}`);
		const tr = await getJson(s, `/api/traces/${x.tid}`);
		const spans = tr.spans ?? tr.items;
		assert.equal(spans.length, 2);
		assert.ok(JSON.stringify(tr).includes(x.w), `the trace view of ${x.tid} has its span's text`);
	}
}

describe('span rows as per-chunk columns (schema/033)', () => {
	test('a new store: every chunk has its rows, every row found, a deletion rewrites the shared chunks', async () => {
		const dir = tempDataDir('spancols');
		server = await startServer({ label: 'spancols', dataDir: dir });
		const c = corpus();
		await store(server, c);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM chunks WHERE id NOT IN (SELECT chunk FROM chunk_spans);'), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM chunk_spans WHERE chunk NOT IN (SELECT id FROM chunks);'), '0');
		await expectAll(server, dir, c);
		// the planner reads spans by trace when another table gives the trace (plan 1, or 3 with a
		// span id), never every chunk (plan 0): metrics' part-hours, the trace view, span lookups
		const plan = (sql) => tlSql(dir, `EXPLAIN QUERY PLAN ${sql}`).split('\n').filter((l) => / x VIRTUAL TABLE/.test(l))
			.map((l) => l.replace(/^.*INDEX (\d+):.*$/, '$1'));
		assert.deepEqual(plan('SELECT x.model, count(*) FROM (SELECT key FROM traces WHERE start_ns >= 1000 AND start_ns < 2000'
			+ ' UNION SELECT key FROM long_traces) c JOIN spans x ON x.trace = c.key WHERE x.start_ns >= 1000 GROUP BY 1'), ['1']);
		assert.deepEqual(plan('SELECT count(*) FROM spans x JOIN traces t ON t.key = x.trace WHERE t.start_ns > 5'), ['1']);
		assert.deepEqual(plan("SELECT x.name FROM spans x WHERE x.span_id = X'0102030405060708' AND x.trace IN"
			+ ' (SELECT trace FROM span_ids)'), ['3']);
		assert.deepEqual(plan('SELECT x.chunk_index FROM spans x WHERE x.chunk = 3'), ['4']);
		assert.deepEqual(plan('SELECT x.chunk_index FROM spans x WHERE x.chunk > 3 AND x.chunk <= 9 ORDER BY x.chunk, x.chunk_index'),
			['56']);
		// a trace deleted out of shared chunks: the chunks keep the other traces' rows
		const gone = c.small[2];
		const listed = () => Number(sqlite(dir, `SELECT count(*) FROM trace_chunks WHERE trace IN
			(SELECT key FROM traces WHERE trace_id = X'${gone.tid}') OR trace NOT IN (SELECT key FROM traces);`));
		assert.equal(listed(), 1);
		assert.equal((await request(server, 'DELETE', `/api/traces/${gone.tid}`)).status, 200);
		for (let i = 0; i < 100 && (await get(server, `/api/traces/${gone.tid}`)).status !== 404; i++) await sleep(50);
		assert.equal((await get(server, `/api/traces/${gone.tid}`)).status, 404);
		assert.equal(listed(), 0, 'the deleted trace is in no chunk\'s list');
		await server.stop();
		server = null;
		// search.db rebuilt from the chunks left: the indexer reads every chunk's rows again
		execFileSync('rm', ['-f', path.join(dir, 'search.db'), path.join(dir, 'search.db-wal'), path.join(dir, 'search.db-shm')]);
		server = await startServer({ label: 'spancols-2', dataDir: dir });
		await expectAll(server, dir, c, new Set([gone.tid]));
		await server.stop();
		server = null;
	});

	test('a store from before 033 is converted: rows into blobs, the table dropped, every row found', async () => {
		const dir = tempDataDir('spancols-old');
		server = await startServer({ label: 'spancols-old', dataDir: dir, bin: OLD });
		const c = corpus();
		await store(server, c);
		await server.stop();
		server = null;
		const rows = sqlite(dir, 'SELECT count(*) FROM spans;');
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'chunk_spans';"), '0');
		execFileSync('rm', ['-f', path.join(dir, 'search.db'), path.join(dir, 'search.db-wal'), path.join(dir, 'search.db-shm')]);
		server = await startServer({ label: 'spancols-033', dataDir: dir });
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name IN ('spans', 'spans_032', 'chunk_traces',"
			+ " 'chunk_long_rows');"), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM chunks WHERE id NOT IN (SELECT chunk FROM chunk_spans);'), '0');
		assert.equal(rows, String(1500 + 60), 'the old store held a row per span');
		await expectAll(server, dir, c);
		// the converted store keeps working: more spans, a deletion out of a shared chunk
		const more = corpus();
		await store(server, more);
		const gone = more.small[16];
		assert.equal((await request(server, 'DELETE', `/api/traces/${gone.tid}`)).status, 200);
		for (let i = 0; i < 100 && (await get(server, `/api/traces/${gone.tid}`)).status !== 404; i++) await sleep(50);
		await expectAll(server, dir, more, new Set([gone.tid]));
		await server.stop();
		server = null;
	});
	test('a damaged chunk of rows: its spans skipped and logged, everything else answers, the trace takes spans and goes', async () => {
		const dir = tempDataDir('spancols-bad');
		server = await startServer({ label: 'spancols-bad', dataDir: dir });
		const c = corpus();
		const [hit, kept, other] = [c.small[0], c.small[1], c.small[20]];
		await postOtlp(server, [...hit.spans, ...kept.spans]);
		await postOtlp(server, other.spans);
		await server.stop();
		server = null;
		const key = (x) => `(SELECT key FROM traces WHERE trace_id = X'${x.tid}')`;
		const bad = sqlite(dir, `SELECT chunk FROM trace_chunks WHERE trace = ${key(hit)};`);
		assert.equal(sqlite(dir, `SELECT chunk FROM trace_chunks WHERE trace = ${key(kept)};`), bad, 'both traces in one chunk');
		assert.notEqual(sqlite(dir, `SELECT chunk FROM trace_chunks WHERE trace = ${key(other)};`), bad);
		// the format byte kept, the columns cut short: what a damaged page could leave
		sqlite(dir, `UPDATE chunk_spans SET cols = substr(cols, 1, 9) WHERE chunk = ${bad};`);
		assert.match(tlSql(dir, `SELECT count(*) FROM spans WHERE chunk = ${bad};`), /^0\s*$/, 'read as no rows, no error');
		server = await startServer({ label: 'spancols-bad-2', dataDir: dir });
		for (const p of ['/api/traces?limit=50', '/api/metrics/summary', '/api/metrics/timeseries?metric=spans&bucket=1h',
			`/api/search${query({ q: other.w })}`, `/api/traces/${other.tid}`])
			assert.equal((await get(server, p)).status, 200, p);
		const spansOf = async (x) => { const t = await getJson(server, `/api/traces/${x.tid}`); return (t.spans ?? t.items).length; };
		assert.equal(await spansOf(other), 2, 'a trace in another chunk is whole');
		assert.equal(await spansOf(kept), 0, 'the damaged chunk\'s spans are skipped');
		const log = fs.readFileSync(server.logPath, 'utf8');
		assert.match(log, new RegExp(`chunk ${bad}'s span rows unreadable \\(.+\\): its spans are skipped`));
		assert.equal(log.split(`chunk ${bad}'s span rows unreadable`).length, 2, 'logged once, not at every read');
		// the trace takes its spans again (they were unreadable, so they count as new) and a new one
		const more = otlpSpan({ traceId: hit.tid, parentSpanId: hit.spans[0].spanId, name: 'later', start: nanosFromNow(-1000) });
		assert.equal((await postOtlp(server, [...hit.spans, more])).status, 200);
		assert.equal(await spansOf(hit), 3);
		// and a deletion goes through: the damaged chunk stops listing the trace
		assert.equal((await request(server, 'DELETE', `/api/traces/${hit.tid}`)).status, 200);
		for (let i = 0; i < 100 && (await get(server, `/api/traces/${hit.tid}`)).status !== 404; i++) await sleep(50);
		assert.equal((await get(server, `/api/traces/${hit.tid}`)).status, 404);
		assert.equal(sqlite(dir, `SELECT count(*) FROM trace_chunks WHERE trace NOT IN (SELECT key FROM traces);`), '0');
		assert.equal((await request(server, 'DELETE', `/api/traces/${kept.tid}`)).status, 200);
		for (let i = 0; i < 100 && (await get(server, `/api/traces/${kept.tid}`)).status !== 404; i++) await sleep(50);
		assert.equal((await get(server, `/api/traces/${kept.tid}`)).status, 404);
		assert.equal(sqlite(dir, `SELECT count(*) FROM trace_chunks WHERE chunk = ${bad};`), '0');
		assert.equal(await spansOf(other), 2);
		await server.stop();
		server = null;
	});
});
