// chunk_traces.test.mjs: schema/023 drops the index spans_chunk; a reader
// finds a chunk's span rows through chunk_traces (the traces each chunk
// holds, chunk_long_rows the rows of long traces one by one) and the
// primary key (trace, span_id). Every row of every chunk
// must be found: a trace spread over many chunks (and over requests), chunks
// shared by several traces, retried spans (entries without a row), a trace
// deleted out of a shared chunk (the chunk is trimmed to the rows left).
// The search indexer and the trace view prove it through the API; the
// tables are compared with the sqlite3 tool. A store written before 023
// (TRACELITE_PRE023_BIN, e.g. main at 8a93efc; else this binary's store
// turned back into the 022 form) is converted when the new binary opens it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { BIN, get, getJson, nanosFromNow, addMs, otlpSpan, postOtlp, query, request, startServer, tempDataDir, traceId, waitIndexed } from './helpers.mjs';

const OLD = process.env.TRACELITE_PRE023_BIN ? path.resolve(process.env.TRACELITE_PRE023_BIN) : BIN;
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' }).trim();
const word = () => 'zq' + crypto.randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
let server;
after(async () => { await server?.stop().catch(() => {}); });

/* Chunks whose rows found through chunk_traces differ from those found by
 * scanning spans (the truth): must be none. */
const MISSED = 'SELECT count(*) FROM (SELECT chunk, count(*) AS n FROM spans GROUP BY chunk) a LEFT JOIN'
	+ ' (SELECT chunk, count(*) AS n FROM (SELECT ct.chunk FROM chunk_traces ct, json_each(ct.traces) jt, spans s'
	+ ' WHERE s.trace = jt.value AND s.chunk = ct.chunk UNION ALL SELECT l.chunk FROM chunk_long_rows l, spans s'
	+ ' WHERE s.trace = l.trace AND s.span_id = l.span_id AND s.chunk = l.chunk) GROUP BY chunk) b USING (chunk)'
	+ ' WHERE b.n IS NOT a.n;';


/* What the test stores: a long trace of 1,200 spans in requests of 600
 * (three chunks each: up to 256 spans per chunk) plus 300 more in a later
 * request (past CHUNK_LONG_ROWS, 1,024 rows: named in chunk_long_rows), each
 * span with its own word; requests mixing 30 small traces; some of them
 * sent twice (the retry's entries have no row). */
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
	assert.equal(sqlite(dir, MISSED), '0', 'every chunk\'s rows are found through chunk_traces');
	await waitIndexed(s);
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

describe('chunk rows without the spans_chunk index (schema/023)', () => {
	test('a new store: chunk_traces lists every chunk, no spans_chunk index, every row found', async () => {
		const dir = tempDataDir('chunktraces');
		server = await startServer({ label: 'chunktraces', dataDir: dir });
		const c = corpus();
		await store(server, c);
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'spans_chunk';"), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM chunks WHERE id NOT IN (SELECT chunk FROM chunk_traces);'), '0');
		assert.ok(Number(sqlite(dir, `SELECT count(DISTINCT chunk) FROM spans WHERE trace = (SELECT key FROM traces WHERE trace_id = X'${c.long.tid}');`)) >= 7);
		const longRows = Number(sqlite(dir, 'SELECT count(*) FROM chunk_long_rows;'));   // the chunks after its 1,024th row
		assert.ok(longRows >= 300 && longRows < 1500 - 1024 + 256, `long rows: ${longRows}`);
		await expectAll(server, dir, c);
		// a trace deleted out of shared chunks: the chunks keep the other traces' entries
		const gone = c.small[2];
		assert.equal((await request(server, 'DELETE', `/api/traces/${gone.tid}`)).status, 200);
		for (let i = 0; i < 100 && (await get(server, `/api/traces/${gone.tid}`)).status !== 404; i++) await sleep(50);
		assert.equal((await get(server, `/api/traces/${gone.tid}`)).status, 404);
		await server.stop();
		server = null;
		// search.db rebuilt from the chunks left: the indexer reads every chunk's rows again
		execFileSync('rm', ['-f', path.join(dir, 'search.db'), path.join(dir, 'search.db-wal'), path.join(dir, 'search.db-shm')]);
		server = await startServer({ label: 'chunktraces-2', dataDir: dir });
		await expectAll(server, dir, c, new Set([gone.tid]));
		await server.stop();
		server = null;
	});

	test('a store from before 023 is converted: chunk_traces filled, spans_chunk dropped, every row found', async () => {
		const dir = tempDataDir('chunktraces-old');
		server = await startServer({ label: 'chunktraces-old', dataDir: dir, bin: OLD });
		const c = corpus();
		await store(server, c);
		await server.stop();
		server = null;
		if (OLD === BIN) {   // this binary's store, turned back into the 022 form
			const v = Number(sqlite(dir, 'PRAGMA user_version;'));
			sqlite(dir, 'BEGIN; DROP TRIGGER chunk_traces_delete; DROP TABLE chunk_traces; DROP TABLE chunk_long_rows; CREATE INDEX spans_chunk ON spans (chunk);'
				+ ` DELETE FROM schema_migrations WHERE number = 23; PRAGMA user_version = ${v - 1}; COMMIT;`);
		}
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'spans_chunk';"), '1');
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'chunk_traces';"), '0');
		execFileSync('rm', ['-f', path.join(dir, 'search.db'), path.join(dir, 'search.db-wal'), path.join(dir, 'search.db-shm')]);
		server = await startServer({ label: 'chunktraces-023', dataDir: dir });
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'spans_chunk';"), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM chunks WHERE id NOT IN (SELECT chunk FROM chunk_traces);'), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM chunk_long_rows;'), '1500', 'a trace of over 1,024 rows: all its rows');
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
});
