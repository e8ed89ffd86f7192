// memory.test.mjs: memory that must not grow with what was sent (issue 13,
// peak RSS while ingesting): a sized body is read into exactly its
// Content-Length (it used to be grown to twice that looking for more, which
// also refused a body of exactly the limit), and the writer's id caches
// stay under their documented cap (tracelite_writer_cache_bytes on
// /metrics) however many distinct attribute values arrive. Requests past
// --ingest-mb wait their turn to decode rather than decode all at once, and
// every one of them is still answered and stored.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, SANITIZED, startServer, request, get, post, postOk, otlpSpan, otlpRequest, traceId, nanosFromNow, getJson }
	from './helpers.mjs';

let server;
before(async () => { server = await startServer({ label: 'memory' }); });
after(async () => { if (server) await server.kill9().catch(() => {}); });

const ANNOT_BODY_MAX = 64 * 1024;          // src/server/api_annot.c
const WRITER_CACHE_BYTES_MAX = 7 * 1024 * 1024; // src/store/writer.h

// The value of a series without labels on /metrics.
async function metric(s, name) {
	const r = await get(s, '/metrics');
	assert.equal(r.status, 200);
	const m = r.text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
	assert.ok(m, `${name} on /metrics`);
	return Number(m[1]);
}

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
		const gauge = () => metric(server, 'tracelite_writer_cache_bytes');
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

describe('requests decoding at once (--ingest-mb)', () => {
	test('the default limit is 24 MiB, and nothing waits for a lone client', async () => {
		assert.equal(await metric(server, 'tracelite_ingest_decoding_limit_bytes'), 24 * 1024 * 1024);
		const t = traceId();
		await postOk(server, '/v1/traces', otlpRequest([otlpSpan({ traceId: t, name: 'alone' })]));
		assert.equal(await metric(server, 'tracelite_ingest_waits_total'), 0);
		assert.equal(await metric(server, 'tracelite_ingest_decoding_requests'), 0, 'admission ends with the answer');
		assert.equal(await metric(server, 'tracelite_ingest_decoding_bytes'), 0);
	});

	test('past the limit requests wait their turn; every one is answered and stored', { timeout: 120000 }, async () => {
		const small = await startServer({ label: 'memory-ingest', env: { TRACELITE_INGEST_MB: '1' } });
		try {
			assert.equal(await metric(small, 'tracelite_ingest_decoding_limit_bytes'), 1024 * 1024);
			const text = 'word '.repeat(600);
			const sent = [];
			const client = async (k) => {
				for (let i = 0; i < 6; i++) {
					const t = traceId();
					const spans = Array.from({ length: 60 }, (_, j) =>
						otlpSpan({ traceId: t, name: `gate-${k}-${i}-${j}`, attrs: { 'gen_ai.prompt': text } }));
					const r = await post(small, '/v1/traces', otlpRequest(spans));
					assert.equal(r.status, 200, r.text.slice(0, 300));
					sent.push(t);
				}
			};
			await Promise.all(Array.from({ length: 8 }, (_, k) => client(k)));
			const waits = await metric(small, 'tracelite_ingest_waits_total');
			assert.ok(waits > 0, '8 clients of ~200 KB bodies past a 1 MiB limit: some waited');
			assert.equal(await metric(small, 'tracelite_ingest_waiting_requests'), 0);
			assert.equal(await metric(small, 'tracelite_ingest_decoding_requests'), 0);
			for (const t of sent) assert.equal((await getJson(small, `/api/traces/${t}`)).spans.length, 60);
		} finally {
			await small.stop();
		}
	});

	test('--ingest-mb takes 0..4096', () => {
		for (const bad of ['-1', '4097', 'lots']) {
			const r = spawnSync(BIN, ['serve', '--ingest-mb', bad], { encoding: 'utf8' });
			assert.equal(r.status, 2, r.stderr);
			assert.match(r.stderr, new RegExp(`--ingest-mb: expected megabytes 0\\.\\.4096, got '${bad}'`));
		}
	});
});

describe('read connections', () => {
	// One read-only connection per request from a pool of 8 (src/server/args.c),
	// not one per worker thread: each kept a few MB of page cache, and a request
	// on a new connection lands on any of the 256 threads, so RSS grew with the
	// threads requests had used (/api/health polled: 19 -> 75 MB).
	const rssKb = (s) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))[1]);
	test('requests on new connections leave RSS bounded; more at once than the pool keeps all answer', async () => {
		const s = await startServer({ label: 'memory-readers' });
		try {
			const spans = [];
			for (let t = 0; t < 40; t++) {
				const tid = traceId();
				for (let i = 0; i < 5; i++) {
					spans.push(otlpSpan({ traceId: tid, name: `op-${i}`, start: nanosFromNow(-60000 + t * 100 + i),
						attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.prompt': `question ${t} ${i} `.repeat(40) } }));
				}
			}
			await postOk(s, '/v1/traces', otlpRequest(spans, { resource: { 'service.name': 'readers' } }));
			const paths = ['/api/health', '/metrics', '/api/traces?limit=50', '/api/metrics/summary'];
			for (const p of paths) assert.equal((await get(s, p)).status, 200, p);
			const before = rssKb(s);
			for (let i = 0; i < 150; i++) {
				for (const p of paths) assert.equal((await get(s, p)).status, 200, p);
			}
			// more requests at once than the pool keeps: the extra connections are opened and closed
			const many = await Promise.all(Array.from({ length: 24 }, (_, i) => get(s, paths[i % paths.length])));
			assert.deepEqual(many.map((r) => r.status), many.map(() => 200));
			const grown = (rssKb(s) - before) / 1024;
			// 600 requests: +12 MB with the pool, +50 MB with a connection per thread
			if (!SANITIZED) assert.ok(grown < 25, `RSS grew ${grown.toFixed(1)} MB over 600 requests`);
		} finally {
			await s.stop();
		}
	});
});
