// search_pieces.test.mjs: the index holds each distinct piece of a
// document's text once (text between double quotes and line ends: chat
// inputs repeat the system prompt and the earlier messages as JSON), and
// searches answer exactly as when every document is read and tested on its
// whole text. The same agent traces go to a server whose indexer is paused
// (every search scans the stored text: the reference) and to one that
// indexed them; words, phrases across quotes and lines, prefixes, OR,
// negation, filters, paging and the order of the answers must agree. A
// third server leaves the words in more than 30% of its first documents
// out of its index (searchfreq.h): its answers must agree too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { addMs, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, request, sleep, startServer, traceId } from './helpers.mjs';

const word = () => 'zq' + crypto.randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
const W = Array.from({ length: 12 }, word);

/* An agent trace: two chat spans whose inputs (JSON message arrays) repeat
 * the system prompt and the history, sent in two requests (two documents);
 * the root's status message has line ends and quotes in plain text. */
function agentTrace(i, service) {
	const tid = traceId();
	const start = nanosFromNow(-600000 + i * 1000);
	const system = `You are ${W[0]} the helper.\nAnswer about "${W[1]} quoted" matters, ${W[2]}-style.`;
	const user1 = `Tell me about ${W[3]} and ${W[4 + (i % 3)]}`;
	const out1 = `Here is ${W[7]}:\n ${W[8]} line two`;
	const msgs = (h) => JSON.stringify(h.map(([role, content]) => ({ role, parts: [{ type: 'text', content }] })));
	const hist1 = [['system', system], ['user', user1]];
	const hist2 = [...hist1, ['assistant', out1], ['user', `and ${W[9]} ${i % 2 ? W[10] : ''}`]];
	const root = otlpSpan({
		traceId: tid, name: `agent run ${i}`, start, durationMs: 900,
		status: { code: 2, message: `failed on ${W[7]}\n${W[8]} "retry"\n${W[7]}` },
	});
	const chat = (h, out, ms) => otlpSpan({
		traceId: tid, parentSpanId: root.spanId, name: 'chat', start: addMs(start, ms), durationMs: 100,
		attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': msgs(h), 'gen_ai.output.messages': msgs([['assistant', out]]) },
	});
	const res = { resource: { 'service.name': service } };
	return [
		otlpRequest([root, chat(hist1, out1, 10)], res),
		otlpRequest([chat(hist2, `done ${W[11]} ${i}`, 300)], res),
	];
}

const queries = [
	W[0], W[1], `"${W[1]} quoted"`, `"quoted ${W[1]}"`, `"text content"`, `"content you are ${W[0]}"`,
	`"${W[7]} ${W[8]}"`, `${W[8]} ${W[9]}`, `${W[3]} ${W[11]}`, `${W[10]} -${W[4]}`, `${W[5]} OR ${W[6]}`,
	`${W[0].slice(0, 6)}*`, `"${W[2]} style"`, `${W[9]} -"${W[1]} quoted"`, `${W[7]} ${W[10]}`, 'assistant',
	`role -${W[5]}`, `"${W[3]} and"*`, 'nosuchwordzz',
];

async function answers(server) {
	const out = {};
	for (const q of queries) {
		for (const extra of [{}, { service: 'pieces-b' }]) {
			const pages = [];
			let cursor;
			do {
				const body = await getJson(server, `/api/search${query({ q, limit: 2, cursor, ...extra })}`);
				pages.push(body.items.map((t) => [t.trace_id, t.start_time, t.matches]));
				cursor = body.next_cursor ?? undefined;
			} while (cursor && pages.length < 20);
			out[`${q} ${JSON.stringify(extra)}`] = pages;
		}
	}
	return out;
}

describe('de-duplicated pieces in the index answer as the whole text does', () => {
	let scan, indexed, frequent;
	const traces = Array.from({ length: 6 }, (_, i) => agentTrace(i, i % 2 ? 'pieces-b' : 'pieces-a'));
	const requests = traces.flat();
	before(async () => {
		scan = await startServer({ label: 'pieces-scan', env: { TRACELITE_SEARCH_PAUSE: '1' } });
		indexed = await startServer({ label: 'pieces-index' });
		frequent = await startServer({
			label: 'pieces-frequent',
			env: { TRACELITE_SEARCH_FREQUENT_SAMPLE: '8', TRACELITE_SEARCH_FREQUENT_PERCENT: '30' },
		});
		for (const r of requests)
			for (const s of [scan, indexed, frequent]) await postOk(s, '/v1/traces', r);
		for (const [s, chosen] of [[indexed, false], [frequent, true]]) {
			for (let i = 0; ; i++) {
				const h = await getJson(s, '/api/health');
				if (h.search.pending_chunks === 0 && h.search.indexed_spans >= 18 && (h.search.frequent_words > 0) === chosen) break;
				assert.ok(i < 600, `indexer did not catch up: ${JSON.stringify(h.search)}`);
				await sleep(50);
			}
		}
	});
	after(async () => {
		for (const s of [scan, indexed, frequent]) if (s) await s.stop();
	});

	test('every query, filter and page agrees with the scan of the text', async () => {
		const h = await getJson(scan, '/api/health');
		assert.equal(h.search.indexed_spans, 0, 'the reference scans');
		const want = await answers(scan);
		const got = await answers(indexed);
		assert.deepEqual(got, want);
		/* the queries are not vacuous: repeated, quoted and split words are found */
		for (const q of [W[0], `"${W[1]} quoted"`, `"text content"`, `"${W[7]} ${W[8]}"`, `${W[3]} ${W[11]}`])
			assert.ok(want[`${q} {}`][0].length > 0, q);
		assert.equal(want[`${W[8]} ${W[9]} {}`].flat().length, 6, 'words of two messages of one document');
		assert.equal(want[`${W[10]} -${W[4]} {}`].flat().length, 2);
	});

	test('an index without its frequent words answers the same', async () => {
		const h = (await getJson(frequent, '/api/health')).search;
		const all = (await getJson(indexed, '/api/health')).search;
		/* the system prompt's words, the JSON keys and the words of a third of the traces */
		assert.ok(h.frequent_words >= 10, `frequent words: ${h.frequent_words}`);
		assert.ok(h.indexed_text_bytes < all.indexed_text_bytes / 2, `${h.indexed_text_bytes} vs ${all.indexed_text_bytes}`);
		assert.match(await (await fetch(`${frequent.url}/metrics`)).text(), new RegExp(`^tracelite_search_frequent_words ${h.frequent_words}$`, 'm'));
		assert.match(frequent.log(), /words are in more than 30% of the documents \(\d+ more in the \d+ indexed, 0 no longer\); indexing again without them/);
		assert.deepEqual(await answers(frequent), await answers(scan));
	});

	test('deleting traces takes their documents out of an index without its frequent words', async () => {
		/* what a deletion hands FTS5 back must be what was indexed: the words left out stay out */
		const words = (term) => execFileSync('sqlite3', [path.join(frequent.dataDir, 'search.db')], {
			input: `CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, row); SELECT coalesce(sum(doc), 0) FROM temp.v WHERE term = '${term}';`,
			encoding: 'utf8',
		}).trim();
		assert.equal(words('3'), '2', 'trace 3 (its two documents) is indexed');
		for (const i of [3, 4]) {
			const tid = traces[i][0].resourceSpans[0].scopeSpans[0].spans[0].traceId;
			for (const s of [scan, frequent]) {
				const r = await request(s, 'DELETE', `/api/traces/${tid}`);
				assert.equal(r.status, 200, r.body);
			}
		}
		assert.equal(words('3'), '0');
		assert.equal(words('4'), '0');
		assert.equal(words('5'), '2', 'trace 5 stays');
		assert.doesNotMatch(frequent.log(), /forgetting deleted traces failed/);
		assert.deepEqual(await answers(frequent), await answers(scan));
	});

	test('after a restart the same words stay out, of new documents too', async () => {
		const before = (await getJson(frequent, '/api/health')).search;
		await frequent.stop();
		/* a new share would choose other words: the index keeps its own */
		frequent = await startServer({
			label: 'pieces-frequent-again', dataDir: frequent.dataDir,
			env: { TRACELITE_SEARCH_FREQUENT_SAMPLE: '8', TRACELITE_SEARCH_FREQUENT_PERCENT: '90' },
		});
		for (const r of agentTrace(6, 'pieces-a'))
			for (const s of [scan, frequent]) await postOk(s, '/v1/traces', r);
		for (let i = 0; ; i++) {
			const h = (await getJson(frequent, '/api/health')).search;
			if (h.pending_chunks === 0 && h.indexed_spans >= before.indexed_spans + 3) {
				assert.equal(h.frequent_words, before.frequent_words);
				/* filtered as the others were: about their text bytes per span (unfiltered is over twice that) */
				assert.ok(h.indexed_text_bytes - before.indexed_text_bytes < (before.indexed_text_bytes / before.indexed_spans) * 3 * 1.5);
				break;
			}
			assert.ok(i < 600, `indexer did not catch up: ${JSON.stringify(h)}`);
			await sleep(50);
		}
		assert.doesNotMatch(frequent.log(), /indexing again without them/);
		assert.deepEqual(await answers(frequent), await answers(scan));
	});
});

describe('a frequent word that turns rare goes back into the index', () => {
	let scan, frequent;
	const early = word(), later = Array.from({ length: 100 }, word);
	const trace = (i, text) => otlpRequest([otlpSpan({
		traceId: traceId(), name: `drift ${i}`, start: nanosFromNow(-600000 + i * 1000), durationMs: 50,
		status: { code: 2, message: `alpha beta ${text}` },
	})]);
	const health = async () => (await getJson(frequent, '/api/health')).search;
	const post = async (r) => { for (const s of [scan, frequent]) await postOk(s, '/v1/traces', r); };
	before(async () => {
		scan = await startServer({ label: 'drift-scan', env: { TRACELITE_SEARCH_PAUSE: '1' } });
		frequent = await startServer({
			label: 'drift-frequent',
			env: { TRACELITE_SEARCH_FREQUENT_SAMPLE: '8', TRACELITE_SEARCH_FREQUENT_PERCENT: '30' },
		});
	});
	after(async () => {
		for (const s of [scan, frequent]) if (s) await s.stop();
	});

	test('chosen from the first traces, dropped once the later ones lack it, answers unchanged', async () => {
		for (let i = 0; i < 12; i++) await post(trace(i, `${early} ${later[i]}`));
		for (let i = 0; (await health()).frequent_words === 0; i++) {
			assert.ok(i < 600, `no frequent words chosen: ${JSON.stringify(await health())}`);
			await sleep(50);
		}
		const chosen = (await health()).frequent_words;
		/* 100 more without it: 12 of 112 documents, under half the 30% */
		for (let i = 12; i < 112; i++) await post(trace(i, later[i % 100]));
		for (let i = 0; ; i++) {
			/* the log first: health read before the line could still be the
			 * old choice's, all 112 indexed with the word left out */
			const dropped = /1 no longer\); indexing again/.test(frequent.log());
			const h = await health();
			if (dropped && h.pending_chunks === 0 && h.indexed_spans === 112) {
				assert.ok(h.frequent_words < chosen, `${h.frequent_words} frequent words, ${chosen} before`);
				break;
			}
			assert.ok(i < 600, `the rare word stayed out: ${JSON.stringify(h)}`);
			await sleep(50);
		}
		const postings = execFileSync('sqlite3', [path.join(frequent.dataDir, 'search.db')], {
			input: `CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, row); SELECT coalesce(sum(doc), 0) FROM temp.v WHERE term = '${early}';`,
			encoding: 'utf8',
		}).trim();
		assert.equal(postings, '12', 'indexed again in its 12 documents');
		for (const q of [early, `${early} alpha`, 'alpha', `${later[3]} OR ${early}`]) {
			const got = await getJson(frequent, `/api/search${query({ q, limit: 50 })}`);
			const want = await getJson(scan, `/api/search${query({ q, limit: 50 })}`);
			assert.deepEqual(got.items, want.items, q);
			assert.ok(want.items.length > 0, q);
		}
	});
});

describe('one deletion of traces from two chunks, picked alternately', () => {
	let s;
	/* chunk A holds traces 0, 2, 4, 6 and chunk B 1, 3, 5, 7 (one request
	 * each), their starts interleaved; user "gone" owns the even traces of
	 * each request: the victims come from the chunks by turns, several from
	 * each, and search_forget takes them in chunk order */
	const words = Array.from({ length: 8 }, word);
	const tids = Array.from({ length: 8 }, traceId);
	const vocab = (term) => execFileSync('sqlite3', [path.join(s.dataDir, 'search.db')], {
		input: `CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, row); SELECT coalesce(sum(doc), 0) FROM temp.v WHERE term = '${term}';`,
		encoding: 'utf8',
	}).trim();
	before(async () => {
		s = await startServer({ label: 'forget-chunks' });
		for (const part of [0, 1]) {
			const spans = [];
			for (let i = part; i < 8; i += 2)
				spans.push(otlpSpan({
					traceId: tids[i], name: `step ${i}`, start: nanosFromNow(-100000 + i * 1000), durationMs: 10,
					attrs: { 'user.id': i % 4 < 2 ? 'gone' : 'kept' }, status: { code: 2, message: `failed on ${words[i]}` },
				}));
			await postOk(s, '/v1/traces', otlpRequest(spans));
		}
		for (let i = 0; ; i++) {
			const h = (await getJson(s, '/api/health')).search;
			if (h.pending_chunks === 0 && h.indexed_spans === 8)
				break;
			assert.ok(i < 600, `indexer did not catch up: ${JSON.stringify(h)}`);
			await sleep(50);
		}
	});
	after(() => s?.stop());

	test('each victim leaves the index, each survivor stays', async () => {
		for (const w of words)
			assert.equal(vocab(w), '1', `${w} indexed once`);
		const r = await request(s, 'DELETE', '/api/traces?user_id=gone');
		assert.equal(r.status, 200, r.body);
		assert.equal(JSON.parse(r.body).deleted, 4);
		for (let i = 0; i < 8; i++) {
			const gone = i % 4 < 2;
			assert.equal(vocab(words[i]), gone ? '0' : '1', `trace ${i} ${gone ? 'deleted' : 'kept'}`);
			const found = await getJson(s, `/api/search?q=${words[i]}`);
			assert.deepEqual(found.items.map((m) => m.trace_id), gone ? [] : [tids[i]], `search ${i}`);
		}
		assert.doesNotMatch(s.log(), /forgetting deleted traces failed/);
	});
});
