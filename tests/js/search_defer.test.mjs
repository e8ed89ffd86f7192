// search_defer.test.mjs: while ingest goes on, the indexer leaves new
// chunks for later (TRACELITE_SEARCH_DEFER_MS, /api/health
// search.deferring), so ingest gets its CPU; searches stay exact meanwhile
// (the waiting chunks are walked), and once ingest is quiet the index
// catches up and finds every trace. With the setting at 0 it never defers;
// with a small one it indexes during the stream.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { getJson, otlpRequest, otlpSpan, postOk, sleep, startServer, traceId } from './helpers.mjs';

const word = () => 'dq' + crypto.randomBytes(5).toString('hex').replace(/[0-9]/g, (d) => 'ghijklmnop'[d]);

/* Sends `requests` requests of 20 one-span traces, each with its own
 * word, gapMs apart (well under the 300 ms after which ingest counts as
 * quiet), polling /api/health meanwhile; returns the words and what the
 * polls saw. */
async function stream(server, requests, gapMs = 0) {
	const words = [];
	const seen = { deferring: false, indexedDuring: 0, polls: 0 };
	let done = false;
	const poller = (async () => {
		while (!done) {
			const h = (await getJson(server, '/api/health')).search;
			seen.polls++;
			if (h.deferring) {
				assert.ok(h.pending_chunks > 0, 'deferring only with chunks waiting');
				seen.deferring = true;
			}
			if (!done) seen.indexedDuring = Math.max(seen.indexedDuring, h.indexed_spans);
			await sleep(40);
		}
	})();
	for (let r = 0; r < requests; r++) {
		const spans = Array.from({ length: 20 }, () => {
			const w = word();
			words.push(w);
			return otlpSpan({ traceId: traceId(), name: `step ${w}`, attrs: { 'gen_ai.prompt': `please look up ${w} and more` } });
		});
		await postOk(server, '/v1/traces', otlpRequest(spans));
		if (gapMs) await sleep(gapMs);
	}
	done = true;
	await poller;
	return { words, seen };
}

const found = async (server, w) => (await getJson(server, `/api/search?q=${w}&limit=5`)).items.length;

async function caughtUp(server) {
	for (let i = 0; i < 600; i++) {
		const h = (await getJson(server, '/api/health')).search;
		if (h.pending_chunks === 0) return h;
		await sleep(100);
	}
	throw new Error('the search index did not catch up within 60 s');
}

describe('the indexer defers to ingest', () => {
	let server;
	after(async () => { await server?.stop(); });

	test('new chunks wait while spans arrive; searches stay exact; once quiet every trace is indexed', async () => {
		server = await startServer({ label: 'search-defer' });
		const { words, seen } = await stream(server, 60);
		assert.ok(seen.deferring, `no poll of ${seen.polls} saw the indexer deferring`);
		// exact before the index caught up: the waiting chunks are walked
		assert.equal(await found(server, words[0]), 1, 'the first trace found');
		assert.equal(await found(server, words[words.length - 1]), 1, 'the last trace found');
		const h = await caughtUp(server);
		assert.equal(h.deferring, false);
		assert.equal(h.indexed_spans, words.length);
		for (const w of [words[0], words[words.length >> 1], words[words.length - 1]])
			assert.equal(await found(server, w), 1, w);
		await server.stop();
		server = null;
	});

	test('TRACELITE_SEARCH_DEFER_MS=0: never defers', async () => {
		server = await startServer({ label: 'search-defer-off', env: { TRACELITE_SEARCH_DEFER_MS: '0' } });
		const { words, seen } = await stream(server, 30);
		assert.equal(seen.deferring, false);
		await caughtUp(server);
		assert.equal(await found(server, words[7]), 1);
		await server.stop();
		server = null;
	});

	test('a small TRACELITE_SEARCH_DEFER_MS: the index advances while spans still arrive', async () => {
		server = await startServer({ label: 'search-defer-small', env: { TRACELITE_SEARCH_DEFER_MS: '150' } });
		const { words, seen } = await stream(server, 60, 25);
		assert.ok(seen.indexedDuring > 0, `nothing indexed during the stream (${seen.polls} polls)`);
		await caughtUp(server);
		assert.equal(await found(server, words[words.length - 3]), 1);
		await server.stop();
		server = null;
	});
});
