// search.test.mjs: full-text search, black-box. Words are found in span
// names, input, output, status and exception messages; phrases, OR,
// negation and prefixes; filters combine with q; snippets are escaped and
// marked; hostile q answers 200 or a 400 naming q, never 500. The indexer
// paused (TRACELITE_SEARCH_PAUSE=1) proves the unindexed tail is searched,
// a restart without it proves the index gives the same answers, and
// deleting search.db proves it is rebuilt.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
	addMs, get, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, sleep, startServer, traceId,
} from './helpers.mjs';

/* A word no other trace holds (letters only, so it is one token). */
const word = () => 'zq' + crypto.randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[d]);

/* A trace whose spans carry the given words in every searchable field. */
function wordTrace(w, { service = 'search-svc', startMs = -3000 } = {}) {
	const tid = traceId();
	const start = nanosFromNow(startMs);
	const root = otlpSpan({ traceId: tid, name: `agent ${w.name}`, start, durationMs: 200 });
	const llm = otlpSpan({
		traceId: tid, parentSpanId: root.spanId, name: 'chat', start: addMs(start, 10), durationMs: 50,
		attrs: {
			'openinference.span.kind': 'LLM',
			'input.value': `Please explain the ${w.input} <script>alert("x")</script> & the rate limit policy`,
			'output.value': `The answer mentions ${w.output} twice: ${w.output}.`,
		},
		status: { code: 2, message: `upstream said ${w.status}` },
		events: [{ name: 'exception', time: addMs(start, 20), attrs: { 'exception.message': `boom ${w.exception} happened` } }],
	});
	return { tid, start, request: otlpRequest([root, llm], { resource: { 'service.name': service } }) };
}

const ids = (body) => body.items.map((t) => t.trace_id);

async function search(server, params) {
	return getJson(server, `/api/search${query(params)}`);
}

async function waitIndexed(server) {
	for (let i = 0; i < 600; i++) {
		const h = await getJson(server, '/api/health');
		if (h.search.pending_chunks === 0 && h.search.pending_spans === 0) return h.search;
		await sleep(50);
	}
	throw new Error('indexer did not catch up');
}

describe('search on an indexed store', () => {
	let server;
	const w = { name: word(), input: word(), output: word(), status: word(), exception: word() };
	const other = word();
	let t1, t2;
	before(async () => {
		server = await startServer({ label: 'search' });
		t1 = wordTrace(w);
		t2 = wordTrace({ ...w, name: other, input: other }, { service: 'search-other', startMs: -2000 });
		await postOk(server, '/v1/traces', t1.request);
		await postOk(server, '/v1/traces', t2.request);
		const st = await waitIndexed(server);
		assert.ok(st.indexed_spans >= 4, JSON.stringify(st));
		assert.equal(st.lag_seconds, 0);
	});
	after(async () => { if (server) await server.stop(); });

	test('finds a word in each field and says which field matched', async () => {
		for (const [field, value] of Object.entries(w)) {
			const body = await search(server, { q: value });
			const hit = body.items.find((t) => t.trace_id === t1.tid);
			assert.ok(hit, `${field}: ${JSON.stringify(body).slice(0, 400)}`);
			assert.ok(hit.matches.some((m) => m.field === field && m.snippet.includes(`<mark>${value}</mark>`)),
				`${field}: ${JSON.stringify(hit.matches)}`);
			assert.equal(typeof body.index.indexed_spans, 'number');
			assert.equal(typeof body.index.pending_spans, 'number');
			assert.equal(typeof body.index.lag_seconds, 'number');
		}
	});

	test('matches carry span ids, names, trace summary fields', async () => {
		const body = await search(server, { q: w.exception });
		const hit = body.items.find((t) => t.trace_id === t1.tid);
		assert.equal(hit.name, `agent ${w.name}`);
		assert.equal(hit.service, 'search-svc');
		assert.equal(hit.status, 'error');
		assert.equal(typeof hit.duration_ms, 'number');
		assert.match(hit.start_time, /Z$/);
		assert.match(hit.matches[0].span_id, /^[0-9a-f]{16}$/);
		assert.equal(hit.matches[0].span_name, 'chat');
	});

	test('phrases, OR, negation, prefixes, case', async () => {
		const has = async (q, tid) => ids(await search(server, { q })).includes(tid);
		assert.ok(await has(`"explain the ${w.input}"`, t1.tid));
		assert.ok(!(await has(`"the explain ${w.input}"`, t1.tid)), 'phrase order matters');
		assert.ok(await has(`${w.output} OR nosuchwordzz`, t1.tid));
		assert.ok(await has(`nosuchwordzz OR ${w.output}`, t2.tid));
		assert.ok(!(await has(`${w.output} -${w.input}`, t1.tid)), 'negated word excludes');
		assert.ok(await has(`${w.output} -${w.input}`, t2.tid));
		assert.ok(!(await has(`${w.output} -"rate limit"`, t1.tid)), 'negated phrase excludes');
		assert.ok(await has(`${w.output} -"limit rate"`, t1.tid));
		assert.ok(await has(`${w.input.slice(0, 6)}*`, t1.tid), 'prefix');
		assert.ok(!(await has(w.input.slice(0, 6), t1.tid)), 'no prefix without *');
		assert.ok(await has(w.input.toUpperCase(), t1.tid), 'case folded');
	});

	test('filters combine with q, on /api/search and /api/traces', async () => {
		assert.deepEqual(ids(await search(server, { q: w.output, service: 'search-other' })), [t2.tid]);
		assert.deepEqual(ids(await search(server, { q: w.output, service: 'search-svc' })), [t1.tid]);
		assert.deepEqual(ids(await search(server, { q: w.output, status: 'ok' })), []);
		const future = new Date(Date.now() + 3600e3).toISOString();
		assert.deepEqual(ids(await search(server, { q: w.output, from: future })), []);
		const list = await getJson(server, `/api/traces${query({ q: w.output, service: 'search-svc' })}`);
		assert.deepEqual(ids(list), [t1.tid]);
		assert.equal(typeof list.items[0].span_count, 'number', 'trace-list item shape');
	});

	test('paging: each trace once, cursor continues, newest first', async () => {
		const p1 = await search(server, { q: w.output, limit: 1 });
		assert.equal(p1.items.length, 1);
		assert.equal(p1.items[0].trace_id, t2.tid, 'newest first');
		assert.match(p1.next_cursor, /^\d+\.[0-9a-f]{32}$/);
		const p2 = await search(server, { q: w.output, limit: 1, cursor: p1.next_cursor });
		assert.deepEqual(ids(p2), [t1.tid]);
		const all = await search(server, { q: w.output, limit: 10 });
		assert.deepEqual(ids(all), [t2.tid, t1.tid]);
		assert.equal(all.next_cursor, null);
		const bad = await get(server, `/api/search${query({ q: w.output, cursor: '123.abc' })}`);
		assert.equal(bad.status, 400);
		assert.match(bad.json.error, /cursor/);
	});

	test('snippets are HTML-escaped around the marks', async () => {
		const body = await search(server, { q: `${w.input} script` });
		const m = body.items[0].matches.find((x) => x.field === 'input');
		assert.ok(m.snippet.includes(`<mark>${w.input}</mark>`), m.snippet);
		assert.ok(m.snippet.includes('&lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; &amp;'), m.snippet);
		assert.ok(!/<(?!\/?mark>)/.test(m.snippet), `only <mark> tags: ${m.snippet}`);
	});

	test('hostile q: 200 or 400 naming q, never 500', async () => {
		const hostile = [
			'"', '"unterminated', 'OR', 'a OR', '-', '-alone', 'NOT', 'NEAR(a b, 3)', 'text:secret', '{text}: a',
			'^a', 'a + b', '(a OR b) AND c', '*', '***', "'; DROP TABLE traces; --", '" OR 1=1 --',
			'x'.repeat(10 * 1024), 'a '.repeat(100), '\u0000abc', '\uFFFD\uFEFF', 'é'.repeat(300), '🙂 emoji',
			'%00', '\\', '""""', '" "',
		];
		for (const q of hostile) {
			const r = await get(server, `/api/search${query({ q })}`);
			assert.ok(r.status === 200 || r.status === 400, `${JSON.stringify(q).slice(0, 40)}: ${r.status} ${r.text.slice(0, 200)}`);
			if (r.status === 400) assert.match(r.json.error, /^q: /, r.text);
			const t = await get(server, `/api/traces${query({ q })}`);
			assert.ok(t.status === 200 || t.status === 400, `traces ${JSON.stringify(q).slice(0, 40)}: ${t.status}`);
		}
		const raw = await get(server, '/api/search?q=%ff%fe%c3%28');
		assert.ok(raw.status === 200 || raw.status === 400, `raw bytes: ${raw.status}`);
		const missing = await get(server, '/api/search');
		assert.equal(missing.status, 400);
		assert.match(missing.json.error, /^q: /);
		const n = await getJson(server, '/api/traces');
		assert.ok(n.items.length >= 2, 'traces table intact');
	});
});

describe('the unindexed tail, the index, and a rebuilt index agree', () => {
	const w = { name: word(), input: word(), output: word(), status: word(), exception: word() };
	/* sent in this order, started in another: answers follow the start time */
	const traces = [3, 0, 4, 1, 2].map((m) => wordTrace(w, { startMs: -3000 - m * 60000 }));
	const newestFirst = [...traces].sort((a, b) => (BigInt(b.start) > BigInt(a.start) ? 1 : -1)).map((t) => t.tid);
	const queries = [w.input, `"explain the ${w.input}"`, `${w.status} -nosuch`, `${w.exception.slice(0, 5)}*`, `nosuch OR ${w.name}`];
	let dataDir;
	const answers = async (server) => {
		const out = [];
		for (const q of queries) {
			const body = await search(server, { q, limit: 3 });
			const page2 = await search(server, { q, limit: 3, cursor: body.next_cursor ?? undefined });
			out.push([ids(body), body.next_cursor ? ids(page2) : [], body.items.map((t) => t.matches)]);
		}
		return out;
	};
	let expected;

	test('with the indexer paused, a search right after ingest finds the new traces', async () => {
		const server = await startServer({ label: 'search-paused', env: { TRACELITE_SEARCH_PAUSE: '1' } });
		dataDir = server.dataDir;
		try {
			for (const t of traces) await postOk(server, '/v1/traces', t.request);
			const h = await getJson(server, '/api/health');
			assert.equal(h.search.indexed_spans, 0);
			assert.ok(h.search.pending_spans >= 5 && h.search.pending_chunks === 5, JSON.stringify(h.search));
			const body = await search(server, { q: w.input, limit: 10 });
			assert.deepEqual(ids(body), newestFirst);
			assert.ok(body.index.pending_spans > 0);
			expected = await answers(server);
		} finally {
			await server.stop();
		}
	});

	/* Starts a server on dataDir: once all 10 spans are indexed, its answers are the expected ones. */
	async function sameAnswers(label) {
		const server = await startServer({ label, dataDir });
		try {
			const st = await waitIndexed(server);
			assert.equal(st.indexed_spans, 10);
			assert.deepEqual(await answers(server), expected);
		} finally {
			await server.stop();
		}
	}

	test('indexed, the same answers', () => sameAnswers('search-indexed'));

	test('search.db of an older format (user_version 4, every word indexed): rebuilt, the same answers', async () => {
		const file = path.join(dataDir, 'search.db');
		const db = fs.readFileSync(file);
		assert.equal(db.readUInt32BE(60), 5, 'this format is 5');
		db.writeUInt32BE(4, 60);   /* the header's user_version */
		fs.writeFileSync(file, db);
		await sameAnswers('search-old-format');
		assert.equal(fs.readFileSync(file).readUInt32BE(60), 5, 'rebuilt in this format');
	});

	test('search.db deleted: rebuilt, the same answers', async () => {
		for (const f of fs.readdirSync(dataDir)) if (f.startsWith('search.db')) fs.rmSync(path.join(dataDir, f));
		const server = await startServer({ label: 'search-rebuilt', dataDir });
		try {
			const st = await waitIndexed(server);
			assert.equal(st.indexed_spans, 10);
			assert.ok(fs.existsSync(path.join(dataDir, 'search.db')));
			assert.deepEqual(await answers(server), expected);
		} finally {
			await server.stop();
		}
		fs.rmSync(dataDir, { recursive: true, force: true });
	});
});
