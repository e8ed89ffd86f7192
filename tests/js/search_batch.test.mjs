// search_batch.test.mjs: the indexer hands FTS5 a batch's documents in
// one statement, and starts another when the batch's text passes 4 MB.
// Spans with ~4.8 MB of distinct words are stored with the indexer paused
// (every search scans the text: the reference); the same store is then
// indexed in one go (one batch, two statements) and every search must
// answer as the scan did: words of the first, middle and last spans,
// phrases, prefixes, OR, negation, and words with accents, non-ASCII
// letters, underscores and curly quotes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, sleep, startServer, traceId } from './helpers.mjs';

const SPANS = 80;
const WORDS = 5500;          /* ~60 KB of text per span, under the 64 KB a field keeps */
const word = () => 'zq' + crypto.randomBytes(4).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
const mixed = ['Café', 'naïve', 'Straße', 'ÉCOLE', 'snake_case_word', '“curly”', 'Ωmega', 'don’t', 'x²'];

/* span i's text: its own words, one word shared by all and every tenth, mixed words */
function spanText(i) {
	const w = Array.from({ length: WORDS }, word);
	w[0] = `first${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)}`;
	w[1] = 'zzcommon';
	if (i % 10 === 0) w[2] = 'zztenth';
	w[3] = mixed[i % mixed.length];
	return { words: w, text: w.join(i % 3 ? ' ' : '\n') };
}

describe('an index batch over 4 MB of text answers as the scan does', () => {
	let server, dataDir, want;
	const texts = Array.from({ length: SPANS }, (_, i) => spanText(i));
	const queries = [
		'zzcommon', 'zztenth', 'zzcommon -zztenth', texts[0].words[5], texts[30].words[100], texts[SPANS - 1].words[WORDS - 1],
		`"${texts[7].words[10]} ${texts[7].words[11]}"`, `${texts[3].words[20].slice(0, 5)}*`,
		`${texts[1].words[9]} OR ${texts[50].words[9]}`, 'cafe', 'CAFÉ', 'naive', 'strasse', 'straße', 'ecole', 'snake_case_word',
		'snake', 'curly', 'ωmega', 'don', 't', 'x²', 'x', 'nosuchwordzz',
	];
	async function answers(s) {
		const out = {};
		for (const q of queries) {
			const pages = [];
			let cursor;
			do {
				const body = await getJson(s, `/api/search${query({ q, limit: 50, cursor })}`);
				pages.push(body.items.map((t) => [t.trace_id, t.matches]));
				cursor = body.next_cursor ?? undefined;
			} while (cursor && pages.length < 20);
			out[q] = pages;
		}
		return out;
	}
	before(async () => {
		server = await startServer({ label: 'batch-scan', env: { TRACELITE_SEARCH_PAUSE: '1' } });
		dataDir = server.dataDir;
		for (let r = 0; r < SPANS / 10; r++) {
			const spans = [];
			for (let i = r * 10; i < r * 10 + 10; i++)
				spans.push(otlpSpan({ traceId: traceId(), name: `big ${i}`, start: nanosFromNow(-600000 + i * 1000),
					durationMs: 10, attrs: { 'input.value': texts[i].text } }));
			await postOk(server, '/v1/traces', otlpRequest(spans, { resource: { 'service.name': 'batch' } }));
		}
		want = await answers(server);
		await server.stop();
		server = await startServer({ label: 'batch-index', dataDir });
		for (let i = 0; ; i++) {
			const h = await getJson(server, '/api/health');
			if (h.search.pending_chunks === 0 && h.search.indexed_spans >= SPANS) break;
			assert.ok(i < 1200, `indexer did not catch up: ${JSON.stringify(h.search)}`);
			await sleep(50);
		}
	});
	after(async () => {
		if (server) await server.stop();
	});

	test('every query agrees with the scan of the text', async () => {
		const h = await getJson(server, '/api/health');
		assert.equal(h.search.indexed_spans, SPANS);
		assert.ok(h.search.indexed_text_bytes > 4 << 20, `${h.search.indexed_text_bytes} bytes: more than one statement`);
		assert.deepEqual(await answers(server), want);
		/* not vacuous */
		assert.equal(want.zzcommon.flat().length, SPANS);
		assert.equal(want.zztenth.flat().length, SPANS / 10);
		for (const q of [texts[0].words[5], texts[SPANS - 1].words[WORDS - 1], 'cafe', 'straße', 'snake_case_word', 'ωmega'])
			assert.equal(want[q].flat().length > 0, true, q);
	});
});
