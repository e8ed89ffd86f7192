// compact_spans.test.mjs: the spans row packs type, cost source and kind
// into flags and keeps the end as an offset (schema/031), and leaves out a
// status message its chunk's record holds; since schema/033 the rows are
// columns of a blob per chunk (spancols.h), with the same values. The same spans go to a binary
// before 031 (5b8ddfa, also the one trace_strings.test.mjs builds; its
// spans table is the one 031 converts) and to this one: every answer that
// shows or filters on a span's kind, type, times, status or cost must be
// identical, on a fresh store and on the old binary's store migrated. The
// spans cover every kind, out-of-range kinds, every type and cost source,
// messages from the status and from Langfuse's attribute, and ends at and
// across 2^63 ns (where a plain start + offset would overflow SQLite's
// integers).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
	addMs, fixedId, getJson, minutesAgo, minutesRange, oldBinary, otlpRequest, otlpSpan, postOk, request, startServer, storeSql,
	tempDataDir,
} from './helpers.mjs';

const OLD = oldBinary('5b8ddfa');   /* main before 030 and 031 */

let server;
after(async () => { if (server) await server.stop(); });

const TYPES = [{}, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1200,
	'gen_ai.usage.output_tokens': 300 }, { 'openinference.span.kind': 'TOOL' }, { 'openinference.span.kind': 'RETRIEVER' },
{ 'openinference.span.kind': 'AGENT' }, { 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'text-embedding-3-small',
	'gen_ai.usage.input_tokens': 80 }];
const KINDS = [0, 1, 2, 3, 4, 5, 6, 31, 2147483647, -1, -2147483648];
const STATUSES = [undefined, { code: 1 }, { code: 2, message: 'boom: rate limit ✗' }, { code: 0, message: 'unset, with a message' },
	{ code: 2 }, { code: 7, message: 'odd code' }];
const HALF = 1n << 63n;   /* 2^63 ns, in year 2262 */
/* [start, end] pairs beyond the ordinary: equal, backwards (stored as the
 * start), across 2^63, both above it, up to the largest uint64 */
const ODD_TIMES = [[HALF - 1000n, HALF + 5000n], [HALF - 1n, HALF], [HALF + 1n, (1n << 64n) - 1n], [0n, HALF - 1n], [1n, (1n << 64n) - 1n],
	[BigInt(minutesAgo(30)), BigInt(minutesAgo(30))], [BigInt(minutesAgo(29)), BigInt(minutesAgo(31))]];

/* 30 traces of 8 spans, and one of ODD_TIMES' spans. */
function traces() {
	const out = [];
	for (let i = 0; i < 30; i++) {
		const tid = fixedId(0xc0a70000 + i, 16);
		const start = minutesAgo(2 + (i * 41) % 500);
		const spans = [otlpSpan({ traceId: tid, spanId: fixedId(i * 16 + 1, 8), name: `run ${i % 3}`, start, durationMs: 900 + i,
			kind: KINDS[i % KINDS.length], attrs: { 'session.id': `s-${i % 3}` } })];
		for (let k = 0; k < 7; k++) {
			const n = i * 7 + k;
			const attrs = { ...TYPES[n % TYPES.length] };
			if (n % 5 === 0) attrs['gen_ai.usage.cost'] = 0.0125 + n / 1e4;   /* a client's cost */
			if (n % 9 === 0) {   /* Langfuse's error level, and its message */
				attrs['langfuse.observation.level'] = 'ERROR';
				attrs['langfuse.observation.status_message'] = `from the attribute ${n}`;
			}
			spans.push(otlpSpan({ traceId: tid, spanId: fixedId(i * 16 + 2 + k, 8), parentSpanId: spans[0].spanId,
				name: `step ${k}`, kind: KINDS[n % KINDS.length], start: addMs(start, 10 * k), durationMs: [0, 1, 37, 4000.5][n % 4],
				status: STATUSES[n % STATUSES.length], attrs }));
		}
		out.push({ tid, spans });
	}
	const tid = fixedId(0xc0a7ffff, 16);
	out.push({ tid, spans: ODD_TIMES.map(([s, e], k) => otlpSpan({ traceId: tid, spanId: fixedId(0xfff00 + k, 8), name: `odd ${k}`,
		start: s.toString(), end: e.toString(), kind: KINDS[k], status: STATUSES[k % STATUSES.length] })) });
	return out;
}

async function ingest(s) {
	const all = traces();
	/* children first for half of the traces, in two requests */
	await postOk(s, '/v1/traces', otlpRequest(all.filter((_, i) => i % 2).flatMap((t) => t.spans.slice(1))));
	await postOk(s, '/v1/traces', otlpRequest(all.flatMap((t, i) => (i % 2 ? t.spans.slice(0, 1) : t.spans))));
	return all;
}

async function answers(s, all) {
	const q = (p) => getJson(s, p);
	const out = {};
	const from = minutesRange(600, -60);
	for (const t of all) out[`trace ${t.tid}`] = await q(`/api/traces/${t.tid}`);
	for (const sp of all[7].spans) out[`span ${sp.spanId}`] = await q(`/api/spans/${sp.spanId}`);
	for (const type of ['llm', 'tool', 'retrieval', 'agent', 'embedding'])
		out[`type ${type}`] = await q(`/api/traces?limit=100&type=${type}&${from}`);
	for (const status of ['error', 'ok']) out[`status ${status}`] = await q(`/api/traces?limit=100&status=${status}&${from}`);
	out.summary = await q(`/api/metrics/summary?${from}`);
	out.operations = await q(`/api/metrics/operations?${from}`);
	for (const metric of ['spans', 'latency_p50', 'latency_p99', 'cost', 'errors'])
		out[`series ${metric}`] = await q(`/api/metrics/timeseries?metric=${metric}&bucket=1h&${from}`);
	out.seriesSession = await q(`/api/metrics/timeseries?metric=latency_p95&bucket=1h&session_id=s-1&${from}`);
	out.exportSpans = (await request(s, 'GET', `/api/export/spans?format=jsonl&${from}`)).text;
	out.exportOtlp = (await request(s, 'GET', `/api/export/spans?format=otlp&${from}`)).text;
	out.exportCsv = (await request(s, 'GET', `/api/export/spans?format=csv&${from}`)).text;
	return out;
}

test('the compact spans row (schema/031) answers as the full row did, fresh and migrated', async () => {
	const oldDir = tempDataDir('compact-spans-old');
	server = await startServer({ label: 'compact-spans-old', dataDir: oldDir, bin: OLD });
	const all = await ingest(server);
	const before = await answers(server, all);
	await server.stop();
	server = null;
	/* the cases the comparison rests on are there */
	const odd = before[`trace ${all[30].tid}`];
	assert.equal(odd.spans.length, ODD_TIMES.length, JSON.stringify(odd).slice(0, 300));
	assert.ok(before['type tool'].items.length > 0 && before['status error'].items.length > 0);
	assert.ok(before.exportSpans.includes('from the attribute') && before.exportSpans.includes('boom: rate limit'));

	server = await startServer({ label: 'compact-spans-new' });
	await ingest(server);
	assert.deepEqual(await answers(server, all), before, 'a fresh store answers as before');
	await server.stop();

	server = await startServer({ label: 'compact-spans-migrated', dataDir: oldDir });
	/* then schema/033 moved the rows into their chunks' blobs: no table
	 * spans is left, nor triggers on it, and every chunk has its rows */
	assert.equal(storeSql(oldDir, "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'spans';").trim(), '0');
	assert.equal(storeSql(oldDir, 'SELECT count(*) FROM chunks WHERE id NOT IN (SELECT chunk FROM chunk_spans);').trim(), '0');
	assert.deepEqual(await answers(server, all), before, 'the migrated store answers as before');

	// the migrated store keeps taking spans, and finds them by span id
	const t = all[4];
	const late = otlpSpan({ traceId: t.tid, spanId: fixedId(0xabcdef, 8), parentSpanId: t.spans[0].spanId, name: 'late', kind: 3,
		start: addMs(t.spans[0].startTimeUnixNano, 5), durationMs: 12.5, status: { code: 2, message: 'late failure' },
		attrs: TYPES[2] });
	await postOk(server, '/v1/traces', otlpRequest([late]));
	const got = (await getJson(server, `/api/spans/${late.spanId}`));
	const span = got.span ?? got;
	assert.equal(span.duration_ms, 12.5, JSON.stringify(got));
	assert.equal(span.type, 'tool');
	assert.equal(span.status.message, 'late failure');
	assert.equal((await getJson(server, `/api/traces/${t.tid}`)).spans.length, t.spans.length + 1);
	await server.stop();
	server = null;
});
