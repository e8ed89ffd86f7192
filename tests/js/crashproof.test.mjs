// crashproof.test.mjs: one small hostile request must never kill the
// server, and a span that was acknowledged must read back. Black-box, each
// crasher of the crash-proof issue against the real binary (the sanitized
// run aborts on any memory error or UB, which fails the test that caused
// it): deep JSON on every JSON route, deep protobuf, a deep attribute that
// used to be stored and then crashed every read, a protobuf tag that did
// not round-trip, a gzip bomb, a huge trace, absurd durations, empty
// metric lists.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import {
	SANITIZED, get, getJson, otlpRequest, otlpSpan, otlpToProtobuf, post, postOk, sleep, spanId, startServer, traceId,
} from './helpers.mjs';

const MAX_DEPTH = 12;   /* SPAN_MAX_DEPTH */
const JSON_ROUTES = ['/v1/traces', '/api/spans', '/api/scores', '/api/traces/ingest'];
const JSON_CT = { 'content-type': 'application/json' };
const PB_CT = { 'content-type': 'application/x-protobuf' };

/* A JS value nested depth AnyValues deep: arrays and objects alternating. */
function nestedValue(depth) {
	let v = 'bottom';
	for (let i = 1; i < depth; i++) v = i % 2 ? [v] : { k: v };
	return v;
}

/* Fails the test if the server died (a crash is what these tests hunt). */
async function assertAlive(server) {
	assert.equal(server.proc.exitCode, null, `server exited; log:\n${server.log().slice(-2000)}`);
	assert.equal(server.proc.signalCode, null, `server killed by ${server.proc.signalCode}; log:\n${server.log().slice(-2000)}`);
	const h = await get(server, '/api/health');
	assert.equal(h.status, 200);
}

/* A one-span trace whose attribute "deep" is nested depth levels. */
function deepTrace(depth, name = 'deep') {
	const tid = traceId();
	const span = otlpSpan({ traceId: tid, name, attrs: { deep: nestedValue(depth), plain: 'yes' } });
	return { tid, sid: span.spanId, req: otlpRequest([span]) };
}

/* Protobuf bytes: field num, wire type 2, payload. */
const lenField = (num, payload) => Buffer.concat([Buffer.from([(num << 3) | 2]), varint(payload.length), payload]);
function varint(n) {
	const out = [];
	for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
	out.push(n);
	return Buffer.from(out);
}

/* Wraps span bytes in ExportTraceServiceRequest{ResourceSpans{ScopeSpans{span}}}. */
const wrapSpan = (span) => lenField(1, lenField(2, lenField(2, span)));

describe('hostile input', () => {
	let server;
	before(async () => { server = await startServer({ label: 'crashproof' }); });
	after(async () => { await server?.stop(); });

	test('700 "[" on every JSON route: 400 naming the nesting, server alive', async () => {
		const body = Buffer.alloc(700, '[');
		for (const route of JSON_ROUTES) {
			const r = await post(server, route, body, JSON_CT);
			assert.equal(r.status, 400, `${route}: ${r.text}`);
			assert.match(r.json.error, /nested deeper than 160 levels at byte 160/, route);
		}
		await assertAlive(server);
	});

	test('a wrong JSON root is refused before parsing', async () => {
		let r = await post(server, '/v1/traces', '[{"resourceSpans":[]}]', JSON_CT);
		assert.equal(r.status, 400);
		assert.match(r.json.error, /top level: expected a JSON object/);
		r = await post(server, '/api/spans', '"text"', JSON_CT);
		assert.equal(r.status, 400);
		assert.match(r.json.error, /top level: expected a JSON object or an array/);
	});

	test('protobuf AnyValue nested 40 deep: 400 naming the field path, server alive', async () => {
		const { req } = deepTrace(40);
		const r = await post(server, '/v1/traces', otlpToProtobuf(req), PB_CT);
		assert.equal(r.status, 400, r.text);
		/* google.rpc.Status: message is field 2 */
		const msg = r.body.toString('latin1');
		assert.match(msg, /invalid protobuf: resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]\.attributes\[0\]\.value: /);
		assert.match(msg, /value nested deeper than 12 levels/);
		await assertAlive(server);
	});

	test('OTLP/JSON attribute nested 40 deep: 400 naming the path (it used to be stored, then crash every read)', async () => {
		const { tid, req } = deepTrace(40);
		const r = await post(server, '/v1/traces', req, JSON_CT);
		assert.equal(r.status, 400, r.text);
		assert.match(r.json.error, /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value: nesting deeper than 12/);
		assert.equal((await get(server, `/api/traces/${tid}`)).status, 404, 'nothing of it was stored');
		await assertAlive(server);
	});

	test('the deepest allowed value, JSON and protobuf, is stored and reads back everywhere', async () => {
		const word = 'zqdeep' + Date.now().toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
		const viaJson = deepTrace(MAX_DEPTH, `json ${word}`);
		const viaPb = deepTrace(MAX_DEPTH, `pb ${word}`);
		await postOk(server, '/v1/traces', viaJson.req, JSON_CT);
		const r = await post(server, '/v1/traces', otlpToProtobuf(viaPb.req), PB_CT);
		assert.equal(r.status, 200, r.text);
		for (const t of [viaJson, viaPb]) {
			const trace = await getJson(server, `/api/traces/${t.tid}`);
			assert.equal(trace.spans.length, 1);
			assert.equal(trace.spans[0].error, undefined);
			assert.deepEqual(trace.spans[0].attributes.deep, nestedValue(MAX_DEPTH));
			const span = await getJson(server, `/api/spans/${t.sid}`);
			assert.deepEqual(span.attributes.deep, nestedValue(MAX_DEPTH));
			const otlp = await get(server, `/api/traces/${t.tid}?format=otlp`);
			assert.equal(otlp.status, 200);
			assert.equal(otlp.json.resourceSpans[0].scopeSpans[0].spans[0].spanId, t.sid);
		}
		/* the search indexer reads the same records */
		let hits = [];
		for (let i = 0; i < 200 && hits.length < 2; i++) {
			hits = (await getJson(server, `/api/search?q=${word}`)).items;
			if (hits.length < 2) await sleep(50);
		}
		assert.equal(hits.length, 2, 'both deep traces are found by search');
		await assertAlive(server);
	});

	test('an unknown field 0 written as "85 00" is refused; a valid unknown field round-trips', async () => {
		const tid = traceId();
		/* the span's own bytes: it is the last field of a request that has
		 * nothing else, starting at its trace id's tag (0a 10) */
		const span = otlpToProtobuf({ resourceSpans: [{ scopeSpans: [{ spans: [otlpSpan({ traceId: tid, attrs: { kept: 'yes' } })] }] }] });
		const inner = span.subarray(span.indexOf(Buffer.from(tid, 'hex')) - 2);
		const field0 = Buffer.concat([inner, Buffer.from([0x85, 0x00, 1, 2, 3, 4])]);
		let r = await post(server, '/v1/traces', wrapSpan(field0), PB_CT);
		assert.equal(r.status, 400, r.text);
		assert.match(r.body.toString('latin1'), /resource_spans\[0\]\.scope_spans\[0\]\.spans\[0\]: invalid field number 0/);
		assert.equal((await get(server, `/api/traces/${tid}`)).status, 404, 'nothing of it was stored');
		const unknown = Buffer.concat([inner, Buffer.from([0xa0, 0x06, 0x2a])]);   // field 100 = 42
		r = await post(server, '/v1/traces', wrapSpan(unknown), PB_CT);
		assert.equal(r.status, 200, r.text);
		const trace = await getJson(server, `/api/traces/${tid}`);
		assert.equal(trace.spans[0].attributes.kept, 'yes');
		assert.equal((await get(server, `/api/traces/${tid}?format=otlp`)).status, 200);
		await assertAlive(server);
	});

	test('a 63 KB gzip bomb of 64 MiB "[0,0,..." is refused without building its tree', async () => {
		const inflated = Buffer.alloc(64 * 1024 * 1024 - 16, '0,');
		inflated[0] = 0x5b;   // '['
		inflated[inflated.length - 1] = 0x5d;
		const bomb = zlib.gzipSync(inflated, { level: 9 });
		assert.ok(bomb.length < 100 * 1024, `bomb is ${bomb.length} bytes`);
		for (const route of ['/v1/traces', '/api/spans']) {
			const r = await post(server, route, bomb, { ...JSON_CT, 'content-encoding': 'gzip' });
			assert.equal(r.status, 413, `${route}: ${r.text}`);
			assert.match(r.json.error, /more than \d+ values; send fewer spans per request/);
		}
		if (!SANITIZED) {
			/* the whole tree was 2.7 GB; now the 64 MiB buffer is the peak */
			const status = fs.readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
			const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
			assert.ok(peakKb < 400 * 1024, `peak RSS ${peakKb} kB`);
		}
		await assertAlive(server);
	});

	test('duration_ms beyond a year, 1e300 or negative: 400 naming it', async () => {
		for (const duration_ms of [1e300, 1e13, 366 * 86400e3 + 1, -5]) {
			const r = await post(server, '/api/traces/ingest', { trace_id: traceId(), name: 'd', duration_ms }, JSON_CT);
			assert.equal(r.status, 400, `${duration_ms}: ${r.text}`);
			assert.match(r.json.error, /duration_ms: must/, String(duration_ms));
			const s = await post(server, '/api/spans', { trace_id: traceId(), span_id: spanId(), name: 'd',
				timestamp: new Date().toISOString(), duration_ms }, JSON_CT);
			assert.equal(s.status, 400, `span ${duration_ms}: ${s.text}`);
		}
		const ok = await post(server, '/api/traces/ingest', { trace_id: traceId(), name: 'd', duration_ms: 1500 }, JSON_CT);
		assert.equal(ok.status, 200, ok.text);
	});
});

describe('empty metric lists (qsort of nothing aborted the sanitized build)', () => {
	test('/api/metrics/models and /operations on an empty store answer 200', async () => {
		const server = await startServer({ label: 'crashproof-empty' });
		try {
			for (const p of ['/api/metrics/models', '/api/metrics/operations']) {
				const r = await get(server, p);
				assert.equal(r.status, 200, `${p}: ${r.text}`);
				assert.deepEqual(r.json.items, []);
			}
		} finally {
			await server.stop();
		}
	});
});

describe('a huge trace is read in pages', () => {
	const N = 10050;
	let server;
	const tid = traceId();
	before(async () => {
		server = await startServer({ label: 'crashproof-huge' });
		const start = BigInt(Date.now() - 60000) * 1000000n;
		for (let first = 0; first < N; first += 2500) {
			const spans = [];
			for (let i = first; i < Math.min(N, first + 2500); i++) {
				spans.push(otlpSpan({ traceId: tid, name: `s${i}`, start: (start + BigInt(i) * 1000n).toString(), durationMs: 1 }));
			}
			await postOk(server, '/v1/traces', otlpRequest(spans), JSON_CT);
		}
	});
	after(async () => { await server?.stop(); });

	test('the answer holds at most 10,000 spans and says where the next page starts', async () => {
		const first = await getJson(server, `/api/traces/${tid}`);
		assert.equal(first.spans.length, 10000);
		assert.equal(first.spans_total, N);
		assert.equal(first.next_offset, 10000);
		const rest = await getJson(server, `/api/traces/${tid}?offset=${first.next_offset}`);
		assert.equal(rest.spans.length, N - 10000);
		assert.equal(rest.next_offset, null);
		const names = new Set([...first.spans, ...rest.spans].map((s) => s.name));
		assert.equal(names.size, N, 'pages neither overlap nor skip');
		const small = await getJson(server, `/api/traces/${tid}?limit=5&offset=3`);
		assert.deepEqual(small.spans.map((s) => s.name), ['s3', 's4', 's5', 's6', 's7']);
		const otlp = await get(server, `/api/traces/${tid}?format=otlp&limit=5`);
		assert.equal(otlp.status, 200);
		assert.equal(otlp.headers['x-next-offset'], '5');
		assert.equal(otlp.json.resourceSpans[0].scopeSpans[0].spans.length, 5);
		for (const bad of ['limit=0', 'limit=10001', 'offset=-1', 'offset=x']) {
			const r = await get(server, `/api/traces/${tid}?${bad}`);
			assert.equal(r.status, 400, bad);
			assert.match(r.json.error, new RegExp(`^${bad.split('=')[0]}: expected an integer`));
		}
	});
});
