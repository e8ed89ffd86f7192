// zformat.test.mjs: chunks stored in format 1 (whole records, written here
// with TRACELITE_CHUNK_FORMAT=1 or by a binary from before format 2) are
// converted to format 2 once ingest is idle (src/store/zformat.c, schema/027):
// every chunk then starts with 0x02, the chunks are smaller, and every span
// answer (trace list, traces, spans, exports, search, also rebuilt from the
// converted chunks, sessions, facets) is byte-identical to before, with
// entries no row points at (a retried span's copy, a superseded Langfuse
// observation, deleted spans) kept as they were. A corrupt format-1 chunk is
// left as it is, logged once and counted; a kill -9 midway (paced by
// TRACELITE_FORMAT_PAUSE_MS so it lands there) and deletions
// racing the conversion lose nothing; chunks the compaction passed stay
// compacted; a process writing format 1 converts nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { getJson, oldBinary, postOk, request, serverSet, sleep, tempDataDir } from './helpers.mjs';
import { ENV, answers, assertSame, chunkBytes, formats, makeRequest, sqlite } from './chunkfmt.mjs';

const IDLE_MS = 1000;
const FMT1 = { TRACELITE_CHUNK_FORMAT: '1' };
const servers = serverSet();
const start = (label, dir, env = {}, bin) => servers.start({ label, dataDir: dir, bin,
	env: { ...ENV, TRACELITE_COMPACT_IDLE_MS: String(IDLE_MS), TRACELITE_COMPACT_LEVEL: '0', ...env } });
const stop = (s, kill) => servers.stop(s, kill);
const status = async (s) => (await getJson(s, '/api/health')).zstd_dictionaries;
async function waitConverted(s, tries = 1200) {
	let h;
	for (let i = 0; i < tries; i++) {
		h = (await status(s))?.format_conversion;
		if (h && h.pending_chunks === 0 && h.chunks > 0) return h;
		await sleep(50);
	}
	assert.fail(`not converted: ${JSON.stringify(h)}`);
}
const rmSearch = (dir) => { for (const f of ['search.db', 'search.db-wal', 'search.db-shm']) fs.rmSync(path.join(dir, f), { force: true }); };

/* Langfuse batch ingestion: an observation created, then updated by a
 * later request (its first version's entry loses its row). */
const LF = 'Basic ' + Buffer.from('pk-fmt:sk').toString('base64');
const lfBatch = (events) => JSON.stringify({ batch: events });
async function langfuse(s) {
	const T = '0badc0de-0000-4000-8000-00000000f0a1';
	for (const events of [
		[{ id: 'e1', type: 'trace-create', timestamp: '2026-11-30T10:00:00Z', body: { id: T, name: 'lf-fmt', sessionId: 'sess-1' } },
			{ id: 'e2', type: 'generation-create', timestamp: '2026-11-30T10:00:01Z',
				body: { id: 'g-fmt', traceId: T, name: 'gen-fmt', startTime: '2026-11-30T10:00:01Z', model: 'm-1', input: 'customer refund first' } }],
		[{ id: 'e3', type: 'generation-update', timestamp: '2026-11-30T10:00:05Z',
			body: { id: 'g-fmt', traceId: T, endTime: '2026-11-30T10:00:05Z', output: 'refund done', usage: { input: 7, output: 3 } } }],
	]) {
		const r = await request(s, 'POST', '/api/public/ingestion', { body: lfBatch(events),
			headers: { 'Content-Type': 'application/json', Authorization: LF } });
		assert.equal(r.status, 207, r.text);
	}
}

/* Requests 0..n-1, a retry of request 3 (no second rows), the Langfuse
 * update (lf: its project's id is random, so not in stores compared with
 * each other), and deletions (their chunks rewritten with empty entries). */
async function fill(s, n, lf) {
	for (let k = 0; k < n; k++) await postOk(s, '/v1/traces', makeRequest(k));
	await postOk(s, '/v1/traces', makeRequest(3));
	if (lf) await langfuse(s);
	const list = await getJson(s, '/api/traces?range=all&limit=1000');
	for (const t of list.items.filter((_, i) => i % 9 === 4)) {
		const r = await request(s, 'DELETE', `/api/traces/${t.trace_id}`);
		assert.equal(r.status, 200, r.text);
	}
}

describe('format-1 chunks converted to format 2 at idle time (schema/027)', () => {
	test('every answer byte-identical, every chunk format 2 and smaller', async () => {
		const dir = tempDataDir('zformat');
		let s = await start('zformat1', dir, FMT1);
		await fill(s, 40, true);
		const list = await getJson(s, '/api/traces?range=all&limit=1000');
		assert.ok(list.items.length > 300, 'traces listed');
		// a process writing format 1 converts nothing, and says so
		await sleep(IDLE_MS + 700);
		const off = (await status(s)).format_conversion;
		assert.deepEqual([off.enabled, off.chunks, off.pending_chunks], [false, 0, 0], JSON.stringify(off));
		assert.equal(formats(dir), '28');
		const before = chunkBytes(dir);
		await stop(s);
		// search.db rebuilt from the format-1 chunks (its byte count differs
		// from the one counted at ingest: deletions do not lower it)
		rmSearch(dir);
		s = await start('zformat1b', dir, FMT1);
		const rebuilt = await answers(s);
		assert.ok(JSON.parse(rebuilt['/api/search?q=refund&range=all']).items.length > 0, 'search finds something');
		await stop(s);

		s = await start('zformat2', dir);
		const done = await waitConverted(s);
		assert.equal(done.enabled, true);
		assert.equal(done.unreadable, 0, JSON.stringify(done));
		assert.equal(done.skipped, 0, JSON.stringify(done));
		assert.equal(done.upto, Number(sqlite(dir, 'SELECT max(id) FROM chunks;')));
		assert.equal(formats(dir), '02');
		const bytes = chunkBytes(dir);
		assert.ok(bytes < before * 0.97, `smaller: ${bytes} < ${before}`);
		assert.equal(done.bytes_saved, before - bytes);
		assert.equal(done.chunks, Number(sqlite(dir, 'SELECT count(*) FROM chunks;')));
		assertSame(rebuilt, await answers(s), 'after the conversion');
		assert.match(s.log(), /format conversion: \d+ chunks converted to format 2 \(\d+ -> \d+ bytes\), 0 unreadable/);
		const prom = await (await fetch(`${s.url}/metrics`)).text();
		assert.match(prom, /^tracelite_format_conversion_pending_chunks 0$/m);
		assert.match(prom, new RegExp(`^tracelite_format_conversion_chunks_total ${done.chunks}$`, 'm'));
		assert.match(prom, new RegExp(`^tracelite_format_conversion_bytes_saved_total ${done.bytes_saved}$`, 'm'));
		assert.match(prom, /^tracelite_format_conversion_unreadable_total 0$/m);
		assert.match(prom, /^tracelite_format_conversion_skipped_total 0$/m);
		await stop(s);

		// search.db rebuilt from the converted chunks: the same hits (a
		// retried span's copy, which no row points at, is read whole)
		rmSearch(dir);
		s = await start('zformat3', dir);
		assertSame(rebuilt, await answers(s), 'search rebuilt from converted chunks');
		await sleep(IDLE_MS + 700);
		assert.deepEqual((await status(s)).format_conversion, done, 'a restart converts nothing again');
		await stop(s);
	});

	test('corrupt format-1 chunks are left as they are, logged once, counted', async () => {
		const dir = tempDataDir('zformat-bad');
		let s = await start('zformat-bad1', dir, FMT1);
		for (let k = 0; k < 8; k++) await postOk(s, '/v1/traces', makeRequest(k));
		await stop(s);
		// a truncated frame, a first byte that is no format, a frame of garbage
		const ids = sqlite(dir, 'SELECT id FROM chunks ORDER BY id;').trim().split('\n');
		const bad = [ids[1], ids[3], ids[5]];
		sqlite(dir, `UPDATE chunks SET data = substr(data, 1, length(data) / 2) WHERE id = ${bad[0]};
			UPDATE chunks SET data = x'77' || substr(data, 2) WHERE id = ${bad[1]};
			UPDATE chunks SET data = x'28b52ffd' || randomblob(300) WHERE id = ${bad[2]};`);
		const corrupt = sqlite(dir, `SELECT hex(data) FROM chunks WHERE id IN (${bad}) ORDER BY id;`);
		s = await start('zformat-bad2', dir);
		const done = await waitConverted(s);
		assert.equal(done.unreadable, 3, JSON.stringify(done));
		assert.equal(done.chunks, ids.length - 3);
		assert.equal(sqlite(dir, `SELECT hex(data) FROM chunks WHERE id IN (${bad}) ORDER BY id;`), corrupt, 'left as they were');
		assert.equal(sqlite(dir, `SELECT count(*) FROM chunks WHERE id NOT IN (${bad}) AND substr(data, 1, 1) != x'02';`).trim(), '0');
		// the lines are written just after the commit that counts them
		const logged = () => (s.log().match(/stored in format 1 but does not read: left as it is/g) || []).length;
		for (let i = 0; i < 50 && logged() < 3; i++) await sleep(100);
		assert.equal(logged(), 3, 'each logged once');
		const prom = await (await fetch(`${s.url}/metrics`)).text();
		assert.match(prom, /^tracelite_format_conversion_unreadable_total 3$/m);
		await stop(s);
		s = await start('zformat-bad3', dir);
		await sleep(IDLE_MS + 700);
		assert.deepEqual((await status(s)).format_conversion, done, 'not counted again');
		assert.doesNotMatch(s.log(), /does not read/);
		const h = await getJson(s, '/api/health');
		assert.equal(h.status, 'ok', JSON.stringify(h));
	});

	test('kill -9 midway, deletions racing it, compacted chunks stay compacted', async () => {
		const ref = tempDataDir('zformat-ref'), dir = tempDataDir('zformat-race');
		// the reference stays in format 1; the other is compacted at level 19 in format 1 first
		let r = await start('zformat-ref', ref, FMT1);
		let s = await start('zformat-c1', dir, { ...FMT1, TRACELITE_COMPACT_LEVEL: '19' });
		for (const x of [r, s]) await fill(x, 40);
		let h;
		for (let i = 0; i < 1200 && !((h = (await status(s)).compaction)?.pending_chunks === 0 && h.chunks > 0); i++) await sleep(50);
		assert.ok(h.pending_chunks === 0 && h.chunks > 0, JSON.stringify(h));
		assertSame(await answers(r), await answers(s), 'compacted in format 1');
		const compacted = chunkBytes(dir);
		await stop(s);

		// converted at level 19 (the compaction passed these chunks), one
		// step of at most 4 chunks, then a pause the kill lands in
		s = await start('zformat-c2', dir, { TRACELITE_COMPACT_LEVEL: '19', TRACELITE_FORMAT_PAUSE_MS: '600000' });
		for (let i = 0; i < 1200 && !((h = (await status(s)).format_conversion).chunks > 0); i++) await sleep(50);
		await stop(s, true);
		const [upto, converted] = sqlite(dir, 'SELECT upto, chunks FROM zformat;').trim().split('|').map(Number);
		const total = Number(sqlite(dir, 'SELECT count(*) FROM chunks;'));
		assert.ok(converted > 0 && converted <= 4 && converted < total, `killed midway: ${converted} of ${total} (${JSON.stringify(h)})`);
		assert.equal(formats(dir), '02\n28', 'both formats after the kill');
		assert.equal(Number(sqlite(dir, `SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'02' AND id <= ${upto};`)), converted,
			'the mark and the count kept with the chunks');

		// deletions while it goes on: the same ones on the reference
		s = await start('zformat-c3', dir, { TRACELITE_COMPACT_LEVEL: '19' });
		await sleep(IDLE_MS + 100);
		const list = await getJson(r, '/api/traces?range=all&limit=1000');
		for (const t of list.items.filter((_, i) => i % 13 === 6)) {
			for (const x of [s, r]) {
				const d = await request(x, 'DELETE', `/api/traces/${t.trace_id}`);
				assert.equal(d.status, 200, d.text);
			}
		}
		await sleep(IDLE_MS + 100);
		const done = await waitConverted(s);
		for (let i = 0; i < 1200 && (h = (await status(s)).compaction).pending_chunks !== 0; i++) await sleep(50);
		assert.equal(h.pending_chunks, 0, JSON.stringify(h));
		assert.equal(formats(dir), '02');
		assert.equal(done.unreadable, 0);
		assertSame(await answers(r), await answers(s), 'after the conversion and the deletions');
		const bytes = chunkBytes(dir);
		assert.ok(bytes < compacted * 0.97, `converted and still compacted: ${bytes} < ${compacted}`);
		// both search.db rebuilt (the byte count of one built at ingest
		// keeps what deletions took)
		await stop(s);
		await stop(r);
		rmSearch(dir);
		rmSearch(ref);
		s = await start('zformat-c4', dir, { TRACELITE_COMPACT_LEVEL: '19' });
		r = await start('zformat-ref2', ref, FMT1);
		assertSame(await answers(r), await answers(s), 'search rebuilt');
	});

	test('a store written by a binary from before format 2', async () => {
		const OLD = oldBinary('c46bad4');   /* main before format 2 (b5e8c02) */
		const dir = tempDataDir('zformat-old');
		let s = await start('zformat-old', dir, {}, OLD);
		for (let k = 0; k < 12; k++) await postOk(s, '/v1/traces', makeRequest(k));
		await postOk(s, '/v1/traces', makeRequest(3));
		await stop(s);
		assert.equal(formats(dir), '28');
		// migrated, answers read before any conversion (this process writes format 1)
		s = await start('zformat-old1', dir, FMT1);
		const want = await answers(s);
		await stop(s);
		s = await start('zformat-old2', dir);
		await waitConverted(s);
		assert.equal(formats(dir), '02');
		assertSame(want, await answers(s), 'the old store converted');
	});
});
