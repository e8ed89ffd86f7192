// bigtrace.test.mjs: GET /api/traces/{id} of a 5,000-span trace, which the
// server streams in chunks (query_trace_write) instead of building it as one
// cJSON tree: the answer is well-formed chunked HTTP, parses, holds every
// span in start order, pages the same way, and is byte for byte the answer
// the tree-building server gave (the digests below were taken from that
// server, commit 7648f48, for this deterministic trace); ?format=otlp too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { get, getJson, postOk, startServer } from './helpers.mjs';

const SPANS = 5000;
const TID = '5e' + '0123456789abcdef0123456789abcd'.padEnd(30, '0');
const BASE = 1764547200000000000n;   // 2025-12-01T00:00:00Z, fixed: the answer must not depend on now
const sid = (i) => (0x1000000000000000n + BigInt(i)).toString(16);

/* Every kind of value the span JSON writes: strings (with escapes and
 * non-ASCII text), exact int64, doubles, bools, arrays, kvlists, bytes,
 * events and links; LLM attributes on some spans so previews and tokens
 * appear; long text so that spans cross the server's 64 KiB chunks. */
function span(i) {
	const kv = (key, value) => ({ key, value });
	const attrs = [
		kv('i', { intValue: String(i) }),
		kv('big', { intValue: '9007199254740993' }),
		kv('neg', { intValue: '-9223372036854775808' }),
		kv('ratio', { doubleValue: i / 7 }),
		kv('whole', { doubleValue: 42 }),
		kv('flag', { boolValue: i % 2 === 0 }),
		kv('text', { stringValue: `span ${i} "quoted" \\ back\tslash\nnew line \u00e9\u4e2d\u{1F600} \u0001` }),
		kv('list', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, { doubleValue: 1.5 }, { boolValue: false }] } }),
		kv('map', { kvlistValue: { values: [kv('inner', { stringValue: 'x' }), kv('deep', { kvlistValue: { values: [kv('n', { intValue: '7' })] } })] } }),
		kv('raw', { bytesValue: Buffer.from([i & 255, 0, 255, 1]).toString('base64') }),
	];
	if (i % 10 === 1) {
		attrs.push(kv('gen_ai.operation.name', { stringValue: 'chat' }), kv('gen_ai.request.model', { stringValue: 'gpt-4o' }),
			kv('gen_ai.usage.input_tokens', { intValue: String(100 + i) }), kv('gen_ai.usage.output_tokens', { intValue: '20' }),
			kv('gen_ai.prompt', { stringValue: `prompt ${i} `.repeat(40) }), kv('gen_ai.completion', { stringValue: `answer ${i} `.repeat(30) }));
	}
	const start = BASE + BigInt(i) * 1000000n;
	const s = {
		traceId: TID, spanId: sid(i), name: `op-${i % 17}`, kind: i % 6,
		startTimeUnixNano: String(start), endTimeUnixNano: String(start + BigInt(1000 + i * 3) * 1000n),
		attributes: attrs,
		events: i % 3 ? [] : [{ name: 'ev', timeUnixNano: String(start + 5n), attributes: [kv('e', { stringValue: 'v' })] }],
		links: i % 50 ? [] : [{ traceId: TID, spanId: sid(0), traceState: 'k=v', attributes: [kv('l', { intValue: '1' })] }],
		status: i % 97 === 0 ? { code: 2, message: `failed ${i}` } : { code: 0 },
	};
	if (i > 0)
		s.parentSpanId = sid(Math.floor((i - 1) / 4));
	return s;
}

/* The OTLP requests of the trace, 1,000 spans each. */
function requests() {
	const out = [];
	for (let at = 0; at < SPANS; at += 1000) {
		const spans = [];
		for (let i = at; i < at + 1000; i++) spans.push(span(i));
		out.push({
			resourceSpans: [{
				resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bigtrace-svc' } }] },
				scopeSpans: [{ scope: { name: 'bigtrace', version: '1' }, spans }],
			}],
		});
	}
	return out;
}

/* Reads one raw HTTP/1.1 answer to GET path and checks its chunked framing
 * byte by byte: hex size lines, CRLF after each chunk, the last chunk 0. */
function rawChunked(server, path, version = '1.1') {
	return new Promise((resolve, reject) => {
		const sock = net.connect(server.port, '127.0.0.1');
		const parts = [];
		sock.on('data', (d) => parts.push(d));
		sock.on('error', reject);
		sock.on('end', () => {
			const buf = Buffer.concat(parts);
			const head = buf.indexOf('\r\n\r\n');
			const headers = buf.subarray(0, head).toString('latin1');
			let at = head + 4;
			const body = [];
			let chunks = 0;
			if (!/\r\nTransfer-Encoding: chunked\r\n/i.test(headers))   // a sized answer
				return resolve({ headers, body: buf.subarray(at), chunks });
			for (;;) {
				const eol = buf.indexOf('\r\n', at);
				assert.ok(eol > at, 'a chunk size line');
				const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
				assert.ok(Number.isInteger(size) && size >= 0, 'a hex chunk size');
				at = eol + 2;
				if (size === 0) {
					assert.equal(buf.subarray(at, at + 2).toString('latin1'), '\r\n', 'CRLF after the last chunk');
					assert.equal(buf.length, at + 2, 'nothing after the last chunk');
					break;
				}
				body.push(buf.subarray(at, at + size));
				at += size;
				assert.equal(buf.subarray(at, at + 2).toString('latin1'), '\r\n', 'CRLF after a chunk');
				at += 2;
				chunks++;
			}
			resolve({ headers, body: Buffer.concat(body), chunks });
		});
		sock.write(`GET ${path} HTTP/${version}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
	});
}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

let server;
before(async () => {
	server = await startServer({ label: 'bigtrace' });
	for (const body of requests()) await postOk(server, '/v1/traces', body);
});
after(async () => { if (server) await server.kill9().catch(() => {}); });

describe('a 5,000-span trace', () => {
	test('streams as well-formed chunked HTTP, the same bytes as the tree-built answer', async () => {
		const r = await rawChunked(server, `/api/traces/${TID}`);
		assert.match(r.headers, /^HTTP\/1\.1 200 /);
		assert.equal(sha256(r.body), GOLDEN.full);
		const t = JSON.parse(r.body.toString('utf8'));
		assert.equal(t.spans.length, SPANS);
		assert.equal(t.spans_total, SPANS);
		assert.equal(t.next_offset, null);
		assert.deepEqual(t.scores, []);
		assert.equal(t.trace.span_count, SPANS);
		t.spans.forEach((s, i) => assert.equal(s.span_id, sid(i)));
		assert.ok(r.body.includes('"big":9007199254740993'), 'int64 exact in the text');
		assert.match(r.headers, /\r\nTransfer-Encoding: chunked\r\n/i);
		assert.match(r.headers, /\r\nContent-Type: application\/json\r\n/i);
		assert.ok(r.chunks > 10, `sent in pieces (${r.chunks} chunks)`);
	});

	test('pages hold the same spans as the whole answer, and end with next_offset null', async () => {
		const whole = (await getJson(server, `/api/traces/${TID}`)).spans;
		const p1 = await get(server, `/api/traces/${TID}?limit=700&offset=0`);
		assert.equal(sha256(p1.body), GOLDEN.first700);
		assert.equal(p1.json.next_offset, 700);
		const last = await getJson(server, `/api/traces/${TID}?limit=700&offset=4550`);
		assert.equal(last.spans.length, 450);
		assert.equal(last.next_offset, null);
		assert.deepEqual(last.spans, whole.slice(4550));
		const past = await getJson(server, `/api/traces/${TID}?offset=6000`);
		assert.deepEqual(past.spans, []);
		assert.equal(past.spans_total, SPANS);
	});

	test('every span equals its own GET /api/spans/{id} and its export line', async () => {
		const whole = (await getJson(server, `/api/traces/${TID}`)).spans;
		for (const i of [0, 1, 2, 50, 97, 1234, 4999])
			assert.deepEqual(whole[i], await getJson(server, `/api/spans/${sid(i)}`));
		const ex = await get(server, `/api/export/spans?format=jsonl&from=2025-11-30T00:00:00Z&to=2025-12-02T00:00:00Z`);
		if (ex.status === 200) {
			const lines = ex.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
			assert.deepEqual(lines.filter((s) => s.trace_id === TID), whole);
		}
	});

	test('?format=otlp streams the same OTLP/JSON, paged with X-Next-Offset', async () => {
		const r = await rawChunked(server, `/api/traces/${TID}?format=otlp`);
		assert.match(r.headers, /^HTTP\/1\.1 200 /);
		assert.equal(sha256(r.body), GOLDEN.otlp);
		assert.doesNotMatch(r.headers, /X-Next-Offset/i);
		const req = JSON.parse(r.body.toString('utf8'));
		assert.equal(req.resourceSpans[0].scopeSpans[0].spans.length, SPANS);
		const page = await rawChunked(server, `/api/traces/${TID}?format=otlp&limit=700&offset=1000`);
		assert.equal(sha256(page.body), GOLDEN.otlp700);
		assert.match(page.headers, /\r\nX-Next-Offset: 1700(\r\n|$)/i);
		const last = await rawChunked(server, `/api/traces/${TID}?format=otlp&limit=700&offset=4550`);
		assert.doesNotMatch(last.headers, /X-Next-Offset/i);
		assert.equal(JSON.parse(last.body.toString('utf8')).resourceSpans[0].scopeSpans[0].spans.length, 450);
		assert.match(r.headers, /\r\nTransfer-Encoding: chunked\r\n/i);
		const none = await get(server, `/api/traces/${'ab'.repeat(16)}?format=otlp`);
		assert.equal(none.status, 404);
	});

	test('an HTTP/1.0 client, which knows no chunks, gets the same bytes sized', async () => {
		const r = await rawChunked(server, `/api/traces/${TID}`, '1.0');
		assert.match(r.headers, /^HTTP\/1\.[01] 200 /);
		assert.doesNotMatch(r.headers, /Transfer-Encoding/i);
		assert.match(r.headers, new RegExp(`\r\nContent-Length: ${r.body.length}(\r\n|$)`, 'i'));
		assert.equal(sha256(r.body), GOLDEN.full);
		const o = await rawChunked(server, `/api/traces/${TID}?format=otlp&limit=700&offset=1000`, '1.0');
		assert.equal(sha256(o.body), GOLDEN.otlp700);
		assert.match(o.headers, /\r\nX-Next-Offset: 1700(\r\n|$)/i);
	});

	test('an unknown trace is still a sized 404', async () => {
		const r = await get(server, `/api/traces/${'ab'.repeat(16)}`);
		assert.equal(r.status, 404);
		assert.match(r.json.error, /trace not found/);
		assert.ok(r.headers['content-length']);
	});
});

/* sha256 of the answers of the server before streaming (7648f48). */
const GOLDEN = {
	full: 'a6446ce2ba87f3510413ea89768fa36b00423ba474189002349c49f3bc151695',
	first700: 'ba3e667ccb4b109559fb0364c79adf4a561b01b9281c1e70fa6e0d32f7fab48e',
	otlp: '9b4271017d4eb0b8fda018942ec39954a5c75aa5ec8ee7054ff692c1c36374b5',
	otlp700: 'e8ec235ccc8f1a7fe79c3bad7afb35f99df5586d2cb318b1bd9e6f7244d62293',
};
