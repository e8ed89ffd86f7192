// chunkfmt.test.mjs: span chunk format 2 (src/store/record.h: each record
// without the ids, name, kind and times its spans row holds) answers every
// span API byte-identically to format 1 (whole records, written here with
// TRACELITE_CHUNK_FORMAT=1): the same requests sent to a store of each,
// then the trace list, each trace (JSON and OTLP), each span, the span and
// trace exports (JSONL, CSV, OTLP), search, sessions and facets compared
// byte for byte, before and after deleting a trace (record_chunk_keep
// rewrites its chunks) and after a restart. Format 2's chunks are smaller.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { getJson, otlpRequest, otlpSpan, postOk, request, sleep, startServer, tempDataDir, waitIndexed } from './helpers.mjs';

const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });
// small thresholds: both stores train a dictionary partway through
const ENV = { TRACELITE_ZDICT_SAMPLE_BYTES: '131072', TRACELITE_ZDICT_SIZE: '16384' };
const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop().catch(() => {}))); });

function rng(seed) {
	let x = seed >>> 0;
	return () => {
		x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
		return x / 4294967296;
	};
}
const WORDS = ('the a of to and in that is was for on with as by at from this which model user assistant answer ' +
	'question weather river city history summary document table order customer refund invoice').split(' ');
const hex = (r, n) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
const prose = (r, n) => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
const BASE = 1764000000000000000n;

/* Request k: 10 traces of 6 spans, with the spans whose fields differ
 * from their rows (an end before the start, an all-zero parent, no name,
 * an unknown kind) and events, links, status, trace state and flags. */
function makeRequest(k) {
	const r = rng(k + 7);
	const spans = [];
	for (let t = 0; t < 10; t++) {
		const tid = hex(r, 32);
		const root = hex(r, 16);
		const t0 = BASE + BigInt(k * 1000 + t * 10) * 1000000000n;
		for (let s = 0; s < 6; s++) {
			const start = (t0 + BigInt(s) * 1000000n + BigInt(Math.floor(r() * 999))).toString();
			const sp = otlpSpan({ traceId: tid, spanId: s ? hex(r, 16) : root, parentSpanId: s ? root : undefined,
				name: s === 4 ? '' : `${['agent', 'chat gpt-4o', 'tool lookup', 'retrieve', 'x', 'résumé 中'][s]}`,
				kind: s === 3 ? 9 : s % 5, start, durationMs: s === 2 ? -3 : 5 + s,
				attrs: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'session.id': `sess-${t % 3}`,
					'gen_ai.usage.input_tokens': 10 + s, 'gen_ai.usage.output_tokens': 3,
					'input.value': `Please help. ${prose(r, 40)}`, 'output.value': prose(r, 20) },
				events: s === 1 ? [{ name: 'exception', time: start, attrs: { 'exception.message': 'boom' } }] : undefined,
				links: s === 1 ? [{ traceId: tid, spanId: root, attrs: { why: 'follows' } }] : undefined,
				status: s === 1 ? { code: 2, message: 'failed here' } : undefined });
			if (s === 5) sp.parentSpanId = '0000000000000000';
			if (s === 2) { sp.traceState = 'vendor=1'; sp.flags = 257; }
			spans.push(sp);
		}
	}
	return otlpRequest(spans, { resource: { 'service.name': 'fmt-svc', 'deployment.environment': 'test' } });
}


const text = async (s, url) => {
	const r = await request(s, 'GET', url);
	assert.equal(r.status, 200, `${url}: ${r.text}`);
	return r.text;
};

/* Every answer compared, as url -> body. */
async function answers(s) {
	await waitIndexed(s);
	const out = {};
	const get = async (url) => { out[url] = await text(s, url); };
	const list = await getJson(s, '/api/traces?range=all&limit=1000');
	out.list = JSON.stringify(list);
	for (const t of list.items) {
		await get(`/api/traces/${t.trace_id}`);
		await get(`/api/traces/${t.trace_id}?format=otlp`);
		const one = JSON.parse(out[`/api/traces/${t.trace_id}`]);
		for (const sp of one.spans.slice(0, 3)) await get(`/api/spans/${sp.span_id}`);
	}
	for (const f of ['jsonl', 'csv', 'otlp']) {
		await get(`/api/export/spans?format=${f}&range=all`);
		await get(`/api/export/traces?format=${f}&range=all`);
	}
	for (const q of ['refund', 'boom', 'weather', '"customer refund"', 'résumé']) await get(`/api/search?q=${encodeURIComponent(q)}&range=all`);
	await get('/api/sessions?range=all');
	await get('/api/sessions/sess-1?range=all');
	await get('/api/facets?range=all');
	return out;
}

function assertSame(a, b, label) {
	assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort(), label);
	for (const k of Object.keys(a)) assert.equal(b[k], a[k], `${label}: ${k}`);
}

const formats = (dir) => sqlite(dir, 'SELECT hex(substr(data, 1, 1)) FROM chunks GROUP BY 1 ORDER BY 1;').trim();
const chunkBytes = (dir) => Number(sqlite(dir, 'SELECT sum(length(data)) FROM chunks;'));

describe('span chunk format 2 against format 1', () => {
	test('every span answer is byte-identical; format 2 chunks are smaller', async () => {
		const d1 = tempDataDir('chunkfmt1'), d2 = tempDataDir('chunkfmt2');
		let s1 = await startServer({ label: 'chunkfmt1', dataDir: d1, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		let s2 = await startServer({ label: 'chunkfmt2', dataDir: d2, env: ENV });
		servers.push(s1, s2);
		for (let k = 0; k < 40; k++) {
			const body = makeRequest(k);
			await postOk(s1, '/v1/traces', body);
			await postOk(s2, '/v1/traces', body);
		}
		// a retried request: its spans get no second rows
		await postOk(s1, '/v1/traces', makeRequest(3));
		await postOk(s2, '/v1/traces', makeRequest(3));
		const a1 = await answers(s1), a2 = await answers(s2);
		assert.ok(JSON.parse(a1.list).items.length === 400, 'all traces listed');
		assert.ok(JSON.parse(a1['/api/search?q=refund&range=all']).items.length > 0, 'search finds something');
		assertSame(a1, a2, 'format 1 vs 2');
		assert.equal(formats(d1), '28', 'format 1: zstd frames alone');
		assert.equal(formats(d2), '02', 'format 2: the format byte');
		const b1 = chunkBytes(d1), b2 = chunkBytes(d2);
		assert.ok(b2 < b1 * 0.97, `format 2 chunks smaller: ${b2} < ${b1}`);

		// deleting traces rewrites their chunks (record_chunk_keep)
		const victims = JSON.parse(a1.list).items.filter((_, i) => i % 7 === 3).map((t) => t.trace_id);
		for (const v of victims) {
			for (const s of [s1, s2]) {
				const r = await request(s, 'DELETE', `/api/traces/${v}`);
				assert.equal(r.status, 200, r.text);
			}
		}
		const k1 = await answers(s1), k2 = await answers(s2);
		assert.equal(JSON.parse(k1.list).items.length, 400 - victims.length);
		assertSame(k1, k2, 'after deletions');
		assert.equal(formats(d2), '02', 'rewritten chunks keep format 2');

		// a restart reads the same
		await s1.stop(); await s2.stop();
		servers.length = 0;
		s1 = await startServer({ label: 'chunkfmt1b', dataDir: d1, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		s2 = await startServer({ label: 'chunkfmt2b', dataDir: d2, env: ENV });
		servers.push(s1, s2);
		assertSame(await answers(s1), await answers(s2), 'after a restart');
		// a format-2 store written on in format 1 (a downgrade of the writer
		// only): both formats in one store, the same answers
		await s1.stop(); await s2.stop();
		servers.length = 0;
		s1 = await startServer({ label: 'chunkfmt1c', dataDir: d1, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		s2 = await startServer({ label: 'chunkfmt2c', dataDir: d2, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		servers.push(s1, s2);
		await postOk(s1, '/v1/traces', makeRequest(99));
		await postOk(s2, '/v1/traces', makeRequest(99));
		assert.equal(formats(d2), '02\n28', 'both formats in one store');
		assertSame(await answers(s1), await answers(s2), 'a store of both formats');
	});
});
