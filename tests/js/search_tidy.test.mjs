// search_tidy.test.mjs: the indexer merges the index's segments into one
// when it has caught up. A store is indexed in rounds with the merge off
// (TRACELITE_SEARCH_TIDY_PAGES=0: a segment per round) and its answers
// kept; then, on copies of it: the merge runs once idle, the answers stay
// the same and the index shrinks, and a restart finds nothing to do; in
// steps of one page, a search during the merge answers (and a malformed
// one is refused with 400), new spans are indexed before the merge goes
// on, and a merge cut short by kill -9 is finished by the next process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { get, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, sleep, startServer, tempDataDir, traceId,
	waitIndexed } from './helpers.mjs';

const ROUNDS = 6;
const SPANS = 8;             /* per round: one chunk, one index batch, one segment */
const letters = (n) => crypto.randomBytes(n).toString('hex').replace(/[0-9]/g, (d) => 'ghijklmnop'[d]);
const pool = Array.from({ length: 3000 }, () => 'zp' + letters(3));

/* a span's text: words of the shared pool (what merging saves on) and its own */
function spanText(round, i) {
	const w = [];
	for (let k = 0; k < 1500; k++) w.push(pool[(round * 997 + i * 131 + k * 7) % pool.length]);
	for (let k = 0; k < 4000; k++) w.push('zu' + letters(4));
	w.push('zzshared', `zzround${round}`, `zzspan${round}x${i}`);
	return w.join(i % 2 ? ' ' : '\n');
}

async function postRound(server, round, extra = '') {
	const spans = Array.from({ length: SPANS }, (_, i) => otlpSpan({ traceId: traceId(), name: `tidy ${round}.${i}`,
		start: nanosFromNow(-600000 + round * 10000 + i * 100), durationMs: 5,
		attrs: { 'input.value': spanText(round, i) + extra } }));
	await postOk(server, '/v1/traces', otlpRequest(spans, { resource: { 'service.name': 'tidy' } }));
	await waitIndexed(server);
}

const queries = ['zzshared', 'zzround0', 'zzround3', `zzround${ROUNDS - 1}`, 'zzspan2x3', pool[5], `${pool[17]} ${pool[900]}`,
	`"${pool[40]} ${pool[47]}"`, 'zp*', `${pool[3].slice(0, 4)}*`, `zzround1 OR zzround4`, 'zzshared -zzround2',
	'nosuchwordzz'];

async function answers(server) {
	const out = {};
	for (const q of queries) {
		const pages = [];
		let cursor;
		do {
			const body = await getJson(server, `/api/search${query({ q, limit: 20, cursor })}`);
			pages.push(body.items.map((t) => [t.trace_id, t.matches]));
			cursor = body.next_cursor ?? undefined;
		} while (cursor && pages.length < 10);
		out[q] = pages;
	}
	return out;
}

const health = async (server) => (await getJson(server, '/api/health')).search;

async function waitMerged(server, tries = 1200) {
	for (let i = 0; i < tries; i++) {
		const h = await health(server);
		if (h.segments === 1 && !h.tidy.running && h.pending_chunks === 0) return h;
		await sleep(50);
	}
	throw new Error(`index not merged: ${JSON.stringify(await health(server))}`);
}

describe('idle-time merge of the search index', () => {
	let server, unmerged, want, offHealth;
	const servers = [];
	const start = async (opts) => {
		const s = await startServer(opts);
		servers.push(s);
		return s;
	};

	before(async () => {
		server = await start({ label: 'tidy-off', env: { TRACELITE_SEARCH_TIDY_PAGES: '0' } });
		unmerged = server.dataDir;
		for (let r = 0; r < ROUNDS; r++)
			await postRound(server, r);
		offHealth = await health(server);
		want = await answers(server);
		await server.stop();
	});
	after(async () => {
		for (const s of servers) await s.stop();
	});

	test('with the merge off, every round left a segment', () => {
		assert.ok(offHealth.segments >= ROUNDS, JSON.stringify(offHealth));
		assert.equal(offHealth.tidy.steps, 0);
		assert.equal(offHealth.tidy.running, false);
	});

	test('once idle the index is one segment, smaller, answering the same; a restart leaves it', async () => {
		const dir = tempDataDir('tidy-merged');
		fs.cpSync(unmerged, dir, { recursive: true });
		server = await start({ label: 'tidy-on', dataDir: dir });
		const h = await waitMerged(server);
		assert.equal(h.tidy.finished, 1, JSON.stringify(h));
		assert.ok(h.tidy.steps >= 1);
		assert.ok(h.index_bytes < offHealth.index_bytes, `${h.index_bytes} bytes, ${offHealth.index_bytes} before`);
		assert.deepEqual(await answers(server), want);
		const m = await get(server, '/metrics');
		assert.match(m.text, /^tracelite_search_index_segments 1$/m);
		await server.stop();

		server = await start({ label: 'tidy-again', dataDir: dir });
		await waitIndexed(server);
		await sleep(300);
		const h2 = await health(server);
		assert.equal(h2.segments, 1);
		assert.equal(h2.tidy.steps, 0, 'a merged index is not merged again');
		assert.equal(h2.index_bytes, h.index_bytes);
		assert.deepEqual(await answers(server), want);
		await server.stop();
	});

	test('one page a step: searches answer meanwhile, new spans go first, a restart finishes it', async () => {
		const dir = tempDataDir('tidy-steps');
		fs.cpSync(unmerged, dir, { recursive: true });
		/* no step for 3 s after the start or a batch: the new round comes first */
		const env = { TRACELITE_SEARCH_TIDY_PAGES: '1', TRACELITE_SEARCH_TIDY_QUIET_MS: '3000' };
		server = await start({ label: 'tidy-steps', dataDir: dir, env });
		let h;
		for (let i = 0; !(h = await health(server)).tidy.running; i++) {
			assert.ok(i < 400 && h.tidy.finished === 0, `merge not seen due: ${JSON.stringify(h)}`);
			await sleep(5);
		}
		await postRound(server, ROUNDS, ' zzlate');
		h = await health(server);
		assert.ok(h.tidy.yields >= 1 && h.tidy.finished === 0, `new spans waited for the merge: ${JSON.stringify(h)}`);
		const late = await getJson(server, `/api/search${query({ q: 'zzlate', limit: 20 })}`);
		assert.equal(late.items.length, SPANS);
		for (let i = 0; (h = await health(server)).tidy.steps === 0; i++) {
			assert.ok(i < 600, `merge never went on: ${JSON.stringify(h)}`);
			await sleep(10);
		}
		const during = getJson(server, `/api/search${query({ q: 'zzround3', limit: 20 })}`);
		const bad = get(server, `/api/search${query({ q: '"unclosed' })}`);
		assert.deepEqual((await during).items.map((t) => [t.trace_id, t.matches]), want.zzround3[0]);
		assert.equal((await bad).status, 400, (await bad).text);
		assert.match((await bad).json.error, /^q: /);

		const stopped = await health(server);
		await server.kill9();   /* SIGTERM would let it finish the merge while the server shuts down */
		servers.splice(servers.indexOf(server), 1);
		server = await start({ label: 'tidy-resume', dataDir: dir, env });
		h = await waitMerged(server);
		assert.ok(!stopped.tidy.running || h.tidy.steps >= 1, `${JSON.stringify(stopped)} ${JSON.stringify(h)}`);
		const now = await answers(server);
		for (const q of ['zzround0', 'zzround3', `zzround${ROUNDS - 1}`, 'zzspan2x3', 'zzround1 OR zzround4', 'nosuchwordzz'])
			assert.deepEqual(now[q], want[q], q);   /* the others now find the late round too */
		const late2 = await getJson(server, `/api/search${query({ q: 'zzlate zzshared', limit: 20 })}`);
		assert.equal(late2.items.length, SPANS);
	});
});
