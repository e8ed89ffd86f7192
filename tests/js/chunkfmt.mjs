// chunkfmt.mjs: what the tests of span chunk formats share
// (chunkfmt.test.mjs, zformat.test.mjs): seeded requests whose spans have
// fields that differ from their rows, every span answer as url -> body,
// and the chunks' formats and bytes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { getJson, otlpRequest, otlpSpan, request, waitIndexed } from './helpers.mjs';

export const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });
// small thresholds: both stores train a dictionary partway through
export const ENV = { TRACELITE_ZDICT_SAMPLE_BYTES: '131072', TRACELITE_ZDICT_SIZE: '16384' };

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
export function makeRequest(k) {
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

/* The answers compared, as url -> body: the trace list, the exports (every
 * span of every trace, in three formats), search, sessions and facets, and
 * the trace (JSON and OTLP) and span answers of every 4th listed trace.
 * Every trace of makeRequest has the same kinds of spans, and each
 * request's chunk holds 2-3 of the traces sampled. */
export async function answers(s) {
	await waitIndexed(s);
	const out = {};
	const get = async (url) => { out[url] = await text(s, url); };
	const list = await getJson(s, '/api/traces?range=all&limit=1000');
	out.list = JSON.stringify(list);
	for (const t of list.items.filter((_, i) => i % 4 === 0)) {
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

/* Asserts answers a and b alike, naming the first answer that differs and
 * where (the bodies are long). */
export function assertSame(a, b, label) {
	assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort(), label);
	for (const k of Object.keys(a)) {
		if (b[k] === a[k]) continue;
		let i = 0;
		while (a[k][i] === b[k][i]) i++;
		assert.fail(`${label}: ${k} differs at ${i}: ${JSON.stringify(a[k].slice(Math.max(0, i - 150), i + 150))}` +
			` vs ${JSON.stringify((b[k] || '').slice(Math.max(0, i - 150), i + 150))}`);
	}
}

export const formats = (dir) => sqlite(dir, 'SELECT hex(substr(data, 1, 1)) FROM chunks GROUP BY 1 ORDER BY 1;').trim();
export const chunkBytes = (dir) => Number(sqlite(dir, 'SELECT sum(length(data)) FROM chunks;'));
