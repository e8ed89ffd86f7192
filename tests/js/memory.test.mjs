// memory.test.mjs: memory that must not grow with what was sent (issue 13,
// peak RSS while ingesting): a sized body is read into exactly its
// Content-Length (it used to be grown to twice that looking for more, which
// also refused a body of exactly the limit), and the writer's id caches
// stay under their documented cap (tracelite_writer_cache_bytes on
// /metrics) however many distinct attribute values arrive.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, get, postOk, otlpSpan, traceId, nanosFromNow } from './helpers.mjs';

let server;
before(async () => { server = await startServer({ label: 'memory' }); });
after(async () => { if (server) await server.kill9().catch(() => {}); });

const ANNOT_BODY_MAX = 64 * 1024;          // src/server/api_annot.c
const WRITER_CACHE_BYTES_MAX = 7 * 1024 * 1024; // src/store/writer.h

// A score config padded with spaces to exactly n bytes.
function padded(name, n) {
	const json = JSON.stringify({ name, type: 'boolean' });
	return json.slice(0, -1) + ' '.repeat(n - json.length) + '}';
}

describe('request bodies', () => {
	test('a body of exactly the limit is read; one byte more is 413', async () => {
		const exact = padded('mem-exact', ANNOT_BODY_MAX);
		assert.equal(Buffer.byteLength(exact), ANNOT_BODY_MAX);
		let r = await request(server, 'POST', '/api/score-configs', { body: exact, headers: { 'content-type': 'application/json' } });
		assert.equal(r.status, 200, r.text.slice(0, 300));
		r = await request(server, 'POST', '/api/score-configs',
			{ body: padded('mem-over', ANNOT_BODY_MAX + 1), headers: { 'content-type': 'application/json' } });
		assert.equal(r.status, 413, r.text.slice(0, 300));
		assert.match(r.json.error, /exceeds 64 KiB/, 'the limit named in its own unit (it said "0 MiB")');
	});
});

describe('writer caches', () => {
	test('100,000 distinct attribute values leave the caches under their cap', async () => {
		const gauge = async () => {
			const r = await get(server, '/metrics');
			assert.equal(r.status, 200);
			const m = r.text.match(/^tracelite_writer_cache_bytes (\S+)$/m);
			assert.ok(m, 'tracelite_writer_cache_bytes on /metrics');
			return Number(m[1]);
		};
		let most = 0;
		for (let req = 0; req < 10; req++) {
			const spans = [];
			for (let i = 0; i < 100; i++) {
				const attrs = {};
				for (let k = 0; k < 100; k++) attrs[`mem.k${k}`] = `value-${req}-${i}-${k}`;
				spans.push(otlpSpan({ traceId: traceId(), name: 'mem', start: nanosFromNow(-60000), attrs }));
			}
			await postOk(server, '/v1/traces', { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] });
			most = Math.max(most, await gauge());
		}
		assert.ok(most <= WRITER_CACHE_BYTES_MAX, `the writer's caches held ${most} bytes, over ${WRITER_CACHE_BYTES_MAX}`);
		assert.ok(most > 512 * 1024, `the caches are used: ${most} bytes`);
	});
});
