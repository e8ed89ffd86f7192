// search_order.test.mjs: searches answer in the trace list's order (start
// time, newest first; trace id breaks ties) whatever order the traces
// arrived in, and page by cursor without duplicates or gaps, also when
// traces (newer and older ones) arrive between pages. Run three ways: the
// index caught up, the indexer paused (the unindexed tail), and a tiny
// candidate bound (TRACELITE_SEARCH_MAX_CANDIDATES=3) that makes a search
// walk the list and cut pages short, with attribute filters switching to
// the set path at the start of a walk and midway (TRACELITE_FILTER_PROBE_BUDGET=20).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, sleep, startServer, traceId,
} from './helpers.mjs';

const word = () => 'zo' + crypto.randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
const HOUR = 3600 * 1000;

function trace(w, startMs, extra = 'plain', attrs = {}) {
	const tid = traceId();
	const start = nanosFromNow(startMs);
	const span = otlpSpan({
		traceId: tid, name: 'ask', start, durationMs: 20,
		attrs: { 'input.value': `question about ${w} and ${extra}`, 'output.value': 'an answer', ...attrs },
	});
	return { tid, start: BigInt(start), request: otlpRequest([span], { resource: { 'service.name': 'order-svc' } }) };
}

/* newest first, trace id descending on equal starts (the API's order) */
const order = (ts) => [...ts].sort((a, b) => (a.start === b.start ? (a.tid < b.tid ? 1 : -1) : a.start < b.start ? 1 : -1))
	.map((t) => t.tid);

async function waitIndexed(server) {
	for (let i = 0; i < 600; i++) {
		const h = await getJson(server, '/api/health');
		if (h.search.pending_chunks === 0) return;
		await sleep(50);
	}
	throw new Error('indexer did not catch up');
}

/* Pages through path with params; calls between(pageNo) after each page. */
async function pages(server, path, params, between = async () => {}) {
	const out = [];
	let cursor;
	for (let n = 0; n < 200; n++) {
		const body = await getJson(server, `${path}${query({ ...params, cursor })}`);
		out.push(...body.items.map((t) => t.trace_id));
		if (!body.next_cursor) return out;
		assert.match(body.next_cursor, /^\d+\.[0-9a-f]{32}$/);
		cursor = body.next_cursor;
		await between(n);
	}
	throw new Error('too many pages');
}

for (const mode of ['indexed', 'tail', 'walk']) {
	describe(`search order and paging (${mode})`, () => {
		let server;
		const w = word();
		// backfill: sent newest day first, then older ones, then some in between
		const offsets = [0, -1, -2, -30, -29, -5, -48, -3, -72, -4, -6, -7, -71, -8, -9, -10, -11, -12, -13, -50];
		const traces = offsets.map((h, i) => trace(w, -60000 + h * HOUR - i, i % 3 ? 'common' : 'rare', { plan: i % 4 ? 'free' : 'pro' }));
		const others = [trace(word(), -2 * HOUR), trace(word(), -40 * HOUR)];
		before(async () => {
			const env = mode === 'tail' ? { TRACELITE_SEARCH_PAUSE: '1' }
				: mode === 'walk' ? { TRACELITE_SEARCH_MAX_CANDIDATES: '3', TRACELITE_FILTER_PROBE_BUDGET: '20' } : {};
			server = await startServer({ label: `search-order-${mode}`, env });
			for (const t of [...traces, ...others]) await postOk(server, '/v1/traces', t.request);
			if (mode !== 'tail') await waitIndexed(server);
		});
		after(async () => { await server?.stop(); });

		test('one page: newest first by start time, not by arrival', async () => {
			for (const path of ['/api/search', '/api/traces']) {
				const body = await getJson(server, `${path}${query({ q: w, limit: 100 })}`);
				if (mode === 'walk') {
					// bounded work: pages may be short, but what comes is in order
					const all = await pages(server, path, { q: w, limit: 100 });
					assert.deepEqual(all, order(traces), path);
				} else {
					assert.deepEqual(body.items.map((t) => t.trace_id), order(traces), path);
					assert.equal(body.next_cursor, null);
				}
			}
			const rare = await pages(server, '/api/search', { q: `${w} rare`, limit: 100 });
			assert.deepEqual(rare, order(traces.filter((t, i) => i % 3 === 0)));
		});

		test('cursor pages: no duplicate, no gap, same order as the list', async () => {
			for (const limit of [1, 3, 7]) {
				const got = await pages(server, '/api/search', { q: w, limit });
				assert.deepEqual(got, order(traces), `limit ${limit}`);
			}
			const list = await pages(server, '/api/traces', { service: 'order-svc', limit: 4 });
			assert.deepEqual(list, order([...traces, ...others]));
		});

		test('with an attribute filter: the same order, only the passing traces', async () => {
			const pro = traces.filter((t, i) => i % 4 === 0);
			for (const limit of [1, 2, 10]) {
				assert.deepEqual(await pages(server, '/api/search', { q: w, 'attr.plan': 'eq:pro', limit }), order(pro), `limit ${limit}`);
				assert.deepEqual(await pages(server, '/api/search', { q: w, 'attr.plan': 'ne:pro', limit }),
					order(traces.filter((t, i) => i % 4 !== 0)), `ne, limit ${limit}`);
			}
		});

		test('traces arriving between pages: newer ones stay out, older ones are found once', async () => {
			const w2 = word();
			const first = offsets.slice(0, 10).map((h, i) => trace(w2, -60000 + h * HOUR - i));
			for (const t of first) await postOk(server, '/v1/traces', t.request);
			if (mode !== 'tail') await waitIndexed(server);
			const late = [];
			const got = await pages(server, '/api/search', { q: w2, limit: 2 }, async (n) => {
				if (n > 1) return;
				// one newer than anything (before the cursor) and one older than everything
				const added = [trace(w2, -1000), trace(w2, -200 * HOUR)];
				for (const t of added) await postOk(server, '/v1/traces', t.request);
				if (mode !== 'tail') await waitIndexed(server);
				late.push(...added);
			});
			assert.equal(new Set(got).size, got.length, 'no duplicates');
			const newer = late.filter((t, i) => i % 2 === 0).map((t) => t.tid);
			const older = late.filter((t, i) => i % 2 === 1);
			assert.ok(!got.some((id) => newer.includes(id)), 'newer than the cursor: not on later pages');
			assert.deepEqual(got, order([...first, ...older]));
		});
	});
}
