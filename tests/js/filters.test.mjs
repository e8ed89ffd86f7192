// filters.test.mjs: the trace-list filters attr.KEY=OP:VALUE,
// resource.KEY=, meta.KEY=, tag= and score.NAME= on /api/traces and
// /api/search, black-box: each operator on each source, several ANDed,
// combined with q= and the other filters, paging, and bad input (400
// naming the parameter). Run twice: filters tested trace by trace, and
// (TRACELITE_FILTER_PROBE_BUDGET=0) as sets of passing traces first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	get, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, startServer, traceId,
} from './helpers.mjs';

const run = crypto.randomBytes(4).toString('hex');   // keeps values apart from other runs
const word = 'zf' + run.replace(/[0-9]/g, (d) => 'abcdefghij'[d]);

/* A trace with attrs on its child span, res on its resource. */
function trace(i, { attrs = {}, res = {}, text = 'plain' } = {}) {
	const tid = traceId();
	const start = nanosFromNow(-60000 - i * 1000);
	const root = otlpSpan({ traceId: tid, name: 'root', start, durationMs: 50 });
	const child = otlpSpan({
		traceId: tid, parentSpanId: root.spanId, name: 'child', start, durationMs: 20,
		attrs: { 'input.value': `about ${text}`, ...attrs },
	});
	return { tid, start: BigInt(start), request: otlpRequest([root, child], { resource: { 'service.name': `flt-${run}`, ...res } }) };
}

const order = (ts) => [...ts].sort((a, b) => (a.start < b.start ? 1 : -1)).map((t) => t.tid);

for (const mode of ['probe', 'sets']) describe(`attribute, metadata, tag and score filters (${mode})`, () => {
	let server;
	const T = [
		trace(0, { attrs: { plan: 'pro', tier: 3, ratio: 0.5, beta: true, 'tag.tags': ['alpha', 'beta'] }, res: { region: 'eu-west' }, text: word }),
		trace(1, { attrs: { plan: 'free', tier: 1, ratio: 1.5, beta: false, metadata: JSON.stringify({ team: 'search', n: 7 }), tags_n: [1, 2], flags: [false, true] }, res: { region: 'us-east' } }),
		trace(2, { attrs: { plan: 'Pro Plus', tier: 10, 'langfuse.trace.metadata.team': 'ingest', 'langfuse.trace.tags': ['gamma'] }, res: { region: 'eu-central' }, text: word }),
		trace(3, { attrs: { other: 'x', nested: { a: 'deep', b: 2 } }, res: {} }),
	];
	const ids = (b) => b.items.map((t) => t.trace_id);
	const pick = (...n) => order(n.map((i) => T[i]));
	const list = async (params) => ids(await getJson(server, `/api/traces${query({ service: `flt-${run}`, limit: 100, ...params })}`));
	const listQS = async (qs) => ids(await getJson(server, `/api/traces?service=flt-${run}&limit=100&${qs}`));

	before(async () => {
		// sets: a probe budget of zero makes every list take the set path
		server = await startServer({ label: `filters-${mode}`, env: mode === 'sets' ? { TRACELITE_FILTER_PROBE_BUDGET: '0' } : {} });
		for (const t of T) await postOk(server, '/v1/traces', t.request);
		await postOk(server, '/api/scores', [
			{ trace_id: T[0].tid, name: 'hallucination', value: true, score_type: 'boolean' },
			{ trace_id: T[1].tid, name: 'hallucination', value: false, score_type: 'boolean' },
			{ trace_id: T[0].tid, name: 'quality', value: 0.9 },
			{ trace_id: T[2].tid, name: 'quality', value: 0.2 },
			{ trace_id: T[3].tid, name: 'verdict', string_value: 'needs review', score_type: 'categorical' },
		]);
	});
	after(async () => { await server?.stop(); });

	test('span attributes: eq, ne, contains, lt, gt, exists; strings, numbers, booleans', async () => {
		assert.deepEqual(await list({ 'attr.plan': 'eq:pro' }), pick(0));
		assert.deepEqual(await list({ 'attr.plan': 'ne:pro' }), pick(1, 2, 3), 'ne: traces without the key too');
		assert.deepEqual(await list({ 'attr.plan': 'contains:PRO' }), pick(0, 2), 'contains ignores ASCII case');
		assert.deepEqual(await list({ 'attr.tier': 'eq:3' }), pick(0), 'numbers compare as numbers');
		assert.deepEqual(await list({ 'attr.tier': 'gt:2' }), pick(0, 2), '10 > 2 numerically, not as text');
		assert.deepEqual(await list({ 'attr.tier': 'lt:3' }), pick(1));
		assert.deepEqual(await list({ 'attr.ratio': 'lt:1' }), pick(0), 'doubles');
		assert.deepEqual(await list({ 'attr.ratio': 'eq:1.5' }), pick(1));
		assert.deepEqual(await list({ 'attr.beta': 'eq:true' }), pick(0), 'booleans');
		assert.deepEqual(await list({ 'attr.beta': 'eq:false' }), pick(1));
		assert.deepEqual(await list({ 'attr.plan': 'exists' }), pick(0, 1, 2));
		assert.deepEqual(await list({ 'attr.nested.a': 'eq:deep' }), pick(3), 'kvlist members as KEY.member');
		assert.deepEqual(await list({ 'attr.nested.b': 'gt:1' }), pick(3));
		assert.deepEqual(await list({ 'attr.plan': 'eq:nosuch' }), []);
		assert.deepEqual(await list({ 'attr.nosuchkey': 'exists' }), []);
		// text, per-span ids and token counts are not indexed: q= searches text
		assert.deepEqual(await list({ 'attr.input.value': 'contains:about' }), []);
		assert.deepEqual(await list({ 'attr.tags_n': 'eq:1' }), [], 'number arrays are left out');
		assert.deepEqual(await list({ 'attr.flags': 'eq:true' }), pick(1), 'boolean arrays are kept');
	});

	test('resource attributes, metadata, tags', async () => {
		assert.deepEqual(await list({ 'resource.region': 'eq:us-east' }), pick(1));
		assert.deepEqual(await list({ 'resource.region': 'contains:eu' }), pick(0, 2));
		assert.deepEqual(await list({ 'resource.plan': 'exists' }), [], 'span attributes are not resource attributes');
		assert.deepEqual(await list({ 'attr.region': 'exists' }), [], 'and the other way round');
		assert.deepEqual(await list({ 'meta.team': 'eq:search' }), pick(1), 'metadata sent as JSON text');
		assert.deepEqual(await list({ 'meta.team': 'eq:ingest' }), pick(2), 'langfuse.trace.metadata.*');
		assert.deepEqual(await list({ 'meta.team': 'exists' }), pick(1, 2));
		assert.deepEqual(await list({ 'attr.metadata': 'contains:team' }), [], 'JSON text is indexed by member, not as a value');
		assert.deepEqual(await list({ 'resource.region': 'ne:us-east' }), pick(0, 2, 3));
		assert.deepEqual(await list({ 'resource.service.name': `eq:flt-${run}` }), pick(0, 1, 2, 3), 'a resource shared by traces');
		assert.deepEqual(await list({ 'meta.n': 'gt:5' }), pick(1));
		assert.deepEqual(await list({ tag: 'beta' }), pick(0), 'tag.tags array');
		assert.deepEqual(await list({ tag: 'gamma' }), pick(2), 'langfuse.trace.tags');
		assert.deepEqual(await list({ tag: 'nosuch' }), []);
	});

	test('scores: booleans, numbers, categories', async () => {
		assert.deepEqual(await list({ 'score.hallucination': 'eq:true' }), pick(0));
		assert.deepEqual(await list({ 'score.hallucination': 'eq:false' }), pick(1));
		assert.deepEqual(await list({ 'score.hallucination': 'exists' }), pick(0, 1));
		assert.deepEqual(await list({ 'score.hallucination': 'ne:true' }), pick(1, 2, 3));
		assert.deepEqual(await list({ 'score.quality': 'gt:0.5' }), pick(0));
		assert.deepEqual(await list({ 'score.quality': 'lt:0.5' }), pick(2));
		assert.deepEqual(await list({ 'score.verdict': 'eq:needs review' }), pick(3));
		assert.deepEqual(await list({ 'score.verdict': 'contains:REVIEW' }), pick(3));
	});

	test('repeated and combined: ANDed, with q= and the other filters, paged', async () => {
		assert.deepEqual(await listQS('attr.plan=contains:pro&attr.tier=gt:5'), pick(2));
		assert.deepEqual(await listQS('tag=alpha&tag=beta'), pick(0), 'the same parameter twice');
		assert.deepEqual(await listQS('tag=alpha&tag=gamma'), []);
		assert.deepEqual(await listQS('attr.plan=exists&resource.region=contains:eu&score.quality=exists'), pick(0, 2));
		assert.deepEqual(await list({ 'attr.plan': 'exists', q: word }), pick(0, 2), 'with q on /api/traces');
		const s = await getJson(server, `/api/search${query({ q: word, 'attr.tier': 'gt:5' })}`);
		assert.deepEqual(ids(s), pick(2), 'with q on /api/search');
		assert.ok(s.items[0].matches.length > 0);
		assert.deepEqual(await list({ 'attr.plan': 'exists', from: String(T[1].start) }), pick(0, 1), 'with from');
		assert.deepEqual(await list({ 'attr.plan': 'exists', status: 'error' }), []);
		// paging by cursor keeps the filter
		const p1 = await getJson(server, `/api/traces${query({ service: `flt-${run}`, 'attr.plan': 'exists', limit: 2 })}`);
		assert.equal(p1.items.length, 2);
		const p2 = await getJson(server, `/api/traces${query({ service: `flt-${run}`, 'attr.plan': 'exists', limit: 2, cursor: p1.next_cursor })}`);
		assert.deepEqual([...ids(p1), ...ids(p2)], pick(0, 1, 2));
		assert.equal(p2.next_cursor, null);
		// URL-encoded keys and values
		assert.deepEqual(await listQS(`attr.plan=${encodeURIComponent('eq:Pro Plus')}`), pick(2));
		assert.deepEqual(await listQS('attr.plan=eq:Pro+Plus'), pick(2), '+ is a space');
	});

	test('bad filters: 400 naming the parameter', async () => {
		const cases = [
			['attr.plan=like:pro', /^attr\.plan: expected OP:VALUE/],
			['attr.plan=pro', /^attr\.plan: expected OP:VALUE/],
			['attr.plan=eq', /^attr\.plan: expected eq:VALUE/],
			['attr.=eq:x', /^attr\.: empty key/],
			['meta.=exists', /^meta\.: empty key/],
			['score.=eq:1', /^score\.: empty key/],
			['attr.tier=gt:abc', /^attr\.tier: gt compares numbers/],
			['score.q=lt:', /^score\.q: lt compares numbers/],
			['attr.plan=exists:yes', /^attr\.plan: 'exists' takes no value/],
			['attr.plan=contains:', /^attr\.plan: contains needs a value/],
			['tag=', /^tag: expected a tag/],
			[`attr.${'k'.repeat(129)}=eq:x`, /key longer than 128 bytes/],
			[`attr.plan=eq:${'v'.repeat(257)}`, /^attr\.plan: value longer than 256 bytes/],
			[`attr.plan=eq:${'v'.repeat(5000)}`, /^attr\.plan: value longer than 256 bytes/],
			[Array.from({ length: 17 }, (_, i) => `attr.k${i}=exists`).join('&'), /^attr\.k16: too many filters \(at most 16\)/],
		];
		for (const [qs, re] of cases) {
			for (const path of ['/api/traces', '/api/search']) {
				const r = await get(server, `${path}?q=x&${qs}`);
				assert.equal(r.status, 400, `${path} ${qs.slice(0, 60)}: ${r.status} ${r.text}`);
				assert.match(r.json.error, re, qs.slice(0, 60));
			}
		}
		// the limits count decoded bytes: 256 bytes sent %-encoded (768 characters) pass
		const e256 = encodeURIComponent('é'.repeat(128));
		assert.equal((await get(server, `/api/traces?attr.plan=eq:${e256}`)).status, 200);
		assert.equal((await get(server, `/api/traces?attr.${encodeURIComponent('é'.repeat(64))}=exists`)).status, 200);
		const e258 = await get(server, `/api/traces?attr.plan=eq:${encodeURIComponent('é'.repeat(129))}`);
		assert.equal(e258.status, 400);
		assert.match(e258.json.error, /^attr\.plan: value longer than 256 bytes/);
		// 16 filters are fine, unknown parameters are ignored as before
		const ok = await get(server, `/api/traces?${Array.from({ length: 16 }, (_, i) => `attr.k${i}=exists`).join('&')}&attrx=1`);
		assert.equal(ok.status, 200);
		// hostile keys and values are bound, never SQL
		for (const v of ["eq:'; DROP TABLE traces; --", 'contains:%', 'contains:_', 'eq:\u0000']) {
			const r = await get(server, `/api/traces${query({ "attr.x') OR 1=1 --": v })}`);
			assert.equal(r.status, 200, `${v}: ${r.text}`);
			assert.deepEqual(r.json.items, []);
		}
		assert.ok((await getJson(server, '/api/traces')).items.length >= 4, 'traces intact');
	});
});
