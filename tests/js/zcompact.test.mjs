// zcompact.test.mjs: the idle-time compaction of span chunks (schema/022,
// src/store/zconvert.c). Chunks are packed at zstd level 3 on ingest; once
// ingest has been idle TRACELITE_COMPACT_IDLE_MS they are recompressed once
// at --compact-level. Every answer reads back byte-identical, the chunks get
// smaller, nothing is compacted while requests keep coming, a kill -9 in the
// middle loses nothing, a restart goes on where it stopped, a chunk that a
// deletion rewrote is compacted again (schema/026), and level 0 turns it off.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import {
	BIN, chunkDictIds, freePort, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, request, serverSet, sleep,
	tempDataDir,
} from './helpers.mjs';

const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });
const IDLE_MS = 1500;
const ENV = { TRACELITE_ZDICT_SAMPLE_BYTES: '131072', TRACELITE_ZDICT_SIZE: '16384',
	TRACELITE_COMPACT_IDLE_MS: String(IDLE_MS) };
const servers = serverSet();
const start = (dir, env = {}) => servers.start({ label: 'zcompact', dataDir: dir, env: { ...ENV, ...env } });
const stop = (s, kill) => servers.stop(s, kill);

/* Seeded words, so runs are alike: 10 traces of 4 spans with prose. */
let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const VOCAB = ('when the river rose the village moved its market up the hill and the old road to the mill was ' +
	'closed for a season while engineers argued about bridges tolls and the weather of an uncertain spring').split(' ');
const text = (n) => Array.from({ length: n }, () => (rand() < 0.1 ? `n${Math.floor(rand() * 9999)}` :
	VOCAB[Math.floor(rand() * VOCAB.length)])).join(' ');
const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const base = nanosFromNow(-600 * 1000);
let reqNo = 0;
function makeRequest() {
	const k = reqNo++;
	const spans = [];
	for (let t = 0; t < 10; t++) {
		const tid = hex(32);
		let parent;
		for (let i = 0; i < 4; i++) {
			const sp = otlpSpan({ traceId: tid, spanId: hex(16), parentSpanId: parent, name: i ? 'llm' : 'agent',
				start: (BigInt(base) + BigInt((k * 40 + t * 4 + i) * 1000000)).toString(), durationMs: 3 + i,
				attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.prompt': text(120), 'gen_ai.completion': text(40) } });
			parent = parent || sp.spanId;
			spans.push(sp);
		}
	}
	return otlpRequest(spans, { resource: { 'service.name': 'zc-svc' } });
}

const health = async (s) => (await getJson(s, '/api/health')).zstd_dictionaries;
/* Every answer that reads chunks: the OTLP export, each trace's view. */
async function answers(s) {
	const r = await request(s, 'GET', '/api/export/spans?format=otlp&range=all&service=zc-svc');
	assert.equal(r.status, 200, r.text);
	const ids = [...new Set(r.text.match(/"traceId":"[0-9a-f]{32}"/g))].slice(0, 25);
	const views = [];
	for (const id of ids) {
		const v = await request(s, 'GET', `/api/traces/${id.slice(11, 43)}`);
		assert.equal(v.status, 200, v.text);
		views.push(v.text);
	}
	return { export: r.text, views };
}
const chunkBytes = (dir) => Number(sqlite(dir, 'SELECT sum(length(data)) FROM chunks;'));
/* Waits until the compaction has its own dictionary and nothing is pending; returns its health. */
async function waitDictionary(s) {
	let h;
	for (let i = 0; i < 600; i++) {
		h = (await health(s)).compaction;
		if (h.dictionary && h.pending_chunks === 0) return h;
		await sleep(50);
	}
	assert.fail(`no compaction dictionary: ${JSON.stringify(h)}`);
}
async function waitCompacted(s, n = 600) {
	let h;
	for (let i = 0; i < n; i++) {
		h = await health(s);
		if (h.compaction && h.compaction.pending_chunks === 0 && h.compaction.chunks > 0) return h.compaction;
		await sleep(50);
	}
	assert.fail(`not compacted: ${JSON.stringify(h)}`);
}

describe('idle-time compaction of span chunks (schema/022)', () => {
	test('a bad --compact-level stops start-up naming the flag and its range', async () => {
		const listen = `127.0.0.1:${await freePort()}`;
		for (const v of ['20', '-1', 'max']) {
			const r = spawnSync(BIN, ['serve', '--data', tempDataDir('zc-flag'), '--listen', listen, '--grpc-listen', 'off',
				'--compact-level', v], { encoding: 'utf8', timeout: 20000 });
			assert.notEqual(r.status, 0, `--compact-level ${v} was accepted`);
			assert.match(r.stderr, new RegExp(`--compact-level: expected a zstd level 0\\.\\.19 \\(0 = off\\), got '${v}'`));
		}
	});

	test('chunks shrink, answers stay byte-identical, ingest pauses it, kill -9 and restart lose nothing', async () => {
		const dir = tempDataDir('zcompact');
		// level 19 so that the compaction takes long enough to be caught midway
		let s = await start(dir, { TRACELITE_COMPACT_LEVEL: '19' });
		// a burst: one request every 200 ms, never IDLE_MS apart, so nothing is compacted meanwhile
		for (let i = 0; i < 12; i++) {
			await postOk(s, '/v1/traces', makeRequest());
			await sleep(200);
			const h = await health(s);
			assert.ok(!h.compaction || h.compaction.chunks === 0, `compacted during ingest: ${JSON.stringify(h.compaction)}`);
		}
		for (let i = 0; i < 28; i++) await postOk(s, '/v1/traces', makeRequest());
		// the chunks as ingested: measured at once, and shown to be so by a
		// compaction count of 0 read afterwards (a chunk swapped counts in the
		// same transaction); answers() can take longer than IDLE_MS (ASan)
		const before = chunkBytes(dir);
		const fresh = (await health(s)).compaction;
		assert.ok(!fresh || fresh.chunks === 0, `compacted before the chunks were measured: ${JSON.stringify(fresh)}`);
		const want = await answers(s);
		const nChunks = Number(sqlite(dir, 'SELECT count(*) FROM chunks;'));
		assert.ok(nChunks >= 40, `${nChunks} chunks`);

		// caught midway (some compacted, some not), killed: a restart finishes it
		let h;
		for (let i = 0; i < 400; i++) {
			h = (await health(s)).compaction;
			if (h && h.chunks > 0) break;
			await sleep(10);
		}
		assert.ok(h && h.chunks > 0, `compaction started after ${IDLE_MS} ms idle: ${JSON.stringify(h)}`);
		await stop(s, true);
		const midway = Number(sqlite(dir, 'SELECT upto FROM zcompact;'));
		assert.ok(midway > 0, `progress kept: ${midway}`);
		s = await start(dir, { TRACELITE_COMPACT_LEVEL: '19' });
		const done = await waitCompacted(s);
		assert.equal(done.upto, Number(sqlite(dir, 'SELECT max(id) FROM chunks;')));
		assert.equal(done.level, 19);
		assert.equal(done.enabled, true);
		assert.equal(done.configured_level, 19);
		const prom = await (await fetch(`${s.url}/metrics`)).text();
		assert.match(prom, /^tracelite_compaction_enabled 1$/m);
		assert.match(prom, /^tracelite_compaction_pending_chunks 0$/m);
		assert.match(prom, new RegExp(`^tracelite_compaction_chunks_total ${done.chunks}$`, 'm'));
		assert.match(prom, new RegExp(`^tracelite_compaction_bytes_saved_total ${done.bytes_saved}$`, 'm'));
		const after1 = chunkBytes(dir);
		assert.ok(after1 < before * 0.97, `chunks smaller: ${after1} < ${before}`);
		assert.ok(done.bytes_saved > 0 && done.bytes_saved <= before - after1, JSON.stringify(done));
		assert.deepEqual(await answers(s), want, 'every answer byte-identical after the compaction');
		assert.match(s.log(), /compaction: \d+ chunks recompressed at zstd level 19/);

		// new chunks are compacted after the next idle period, the old ones are not again
		for (let i = 0; i < 5; i++) await postOk(s, '/v1/traces', makeRequest());
		const want2 = await answers(s);
		await sleep(IDLE_MS + 500);
		const done2 = await waitCompacted(s);
		assert.equal(done2.upto, Number(sqlite(dir, 'SELECT max(id) FROM chunks;')));
		assert.ok(done2.chunks > done.chunks && done2.chunks <= done.chunks + 5, JSON.stringify(done2));
		assert.deepEqual(await answers(s), want2);

		// deleting a trace rewrites its compacted chunk (record_chunk_keep): the rest reads as before
		const victim = want2.export.match(/"traceId":"([0-9a-f]{32})"/)[1];
		const chunkOf = sqlite(dir, `SELECT c.chunk FROM trace_chunks c JOIN traces t ON t.key = c.trace
			WHERE hex(t.trace_id) = '${victim.toUpperCase()}';`).trim();
		assert.match(chunkOf, /^\d+$/, 'the victim sits in one chunk');
		const compacted = Number(sqlite(dir, `SELECT length(data) FROM chunks WHERE id = ${chunkOf};`));
		// with the compaction off, so that it cannot take the chunk before it is looked at
		await stop(s);
		s = await start(dir, { TRACELITE_COMPACT_LEVEL: '0' });
		const del = await request(s, 'DELETE', `/api/traces/${victim}`);
		assert.ok(del.status === 200 || del.status === 204, `${del.status} ${del.text}`);
		const left = await answers(s);
		assert.ok(!left.export.includes(victim));
		assert.equal((left.export.match(/"spanId"/g) || []).length, (want2.export.match(/"spanId"/g) || []).length - 4);
		// ... at the ingest level, so it is listed to be compacted again (schema/026)
		assert.equal(sqlite(dir, 'SELECT group_concat(chunk) FROM zcompact_again;').trim(), chunkOf);
		const rewritten = Number(sqlite(dir, `SELECT length(data) FROM chunks WHERE id = ${chunkOf};`));
		assert.ok(rewritten > compacted, `rewritten at level 3: ${rewritten} > ${compacted} (the same spans less 4)`);
		await stop(s);
		s = await start(dir, { TRACELITE_COMPACT_LEVEL: '19' });
		const h3 = (await health(s)).compaction;
		if (h3.chunks === done2.chunks) assert.equal(h3.pending_chunks, 1, 'the listed chunk is pending');
		await sleep(IDLE_MS + 500);
		const done3 = await waitCompacted(s);
		assert.equal(done3.chunks, done2.chunks + 1, JSON.stringify(done3));
		assert.equal(done3.upto, done2.upto, 'the mark stays where it was');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM zcompact_again;').trim(), '0');
		const again = Number(sqlite(dir, `SELECT length(data) FROM chunks WHERE id = ${chunkOf};`));
		assert.ok(again < rewritten && again <= compacted, `compacted again: ${again} < ${rewritten}, <= ${compacted}`);
		assert.deepEqual(await answers(s), left, 'answers unchanged by compacting it again');

		// a plain restart keeps the state and the answers
		await stop(s);
		s = await start(dir, { TRACELITE_COMPACT_LEVEL: '19' });
		assert.equal((await health(s)).compaction.chunks, done3.chunks);
		assert.deepEqual(await answers(s), left);
		await stop(s);
	});

	test('the compaction trains its own dictionary once the chunks hold enough spans, and every chunk is'
		+ ' recompressed with it (schema/029)', async () => {
		const dir = tempDataDir('zcompact-dict');
		// first as a store before 029 left it: compacted with the ingest dictionary (0 = never train one)
		let s = await start(dir, { TRACELITE_ZDICT_COMPACT_SAMPLE_BYTES: '0' });
		for (let i = 0; i < 16; i++) await postOk(s, '/v1/traces', makeRequest());
		const old = await waitCompacted(s);
		assert.equal(old.dictionary, null);
		const ingestDict = (await health(s)).newest_id;
		// (0: a chunk packed before the ingest dictionary was published but committed after it keeps a plain frame)
		assert.ok(chunkDictIds(dir).every((id) => id === ingestDict || id === 0), chunkDictIds(dir).join());
		const want = await answers(s);
		const before = chunkBytes(dir);
		await stop(s);

		// 256 KiB of spans to train on: the 16 requests hold about 640 KiB
		const env = { TRACELITE_ZDICT_COMPACT_SAMPLE_BYTES: '262144', TRACELITE_ZDICT_COMPACT_SIZE: '32768' };
		s = await start(dir, env);
		const h = await waitDictionary(s);
		const dict = h.dictionary;
		assert.ok(dict.bytes > 1024 && dict.bytes <= 32768 && dict.spans > 100, JSON.stringify(dict));
		assert.notEqual(dict.id, ingestDict);
		assert.equal(sqlite(dir, 'SELECT id, size = length(data), samples FROM zcompact_dicts;').trim(),
			`${dict.id}|1|${dict.spans}`);
		assert.equal(sqlite(dir, `SELECT count(*) FROM zdicts WHERE id = ${dict.id};`).trim(), '0');
		assert.match(s.log(), new RegExp(`compaction: zstd dictionary ${dict.id}: ${dict.bytes} bytes trained on`
			+ ` ${dict.spans} spans \\(\\d+ bytes\\) in [0-9.]+ s; every chunk is recompressed with it`));
		// the chunks compacted before are compacted again with it (a chunk it would not shrink keeps its frame)
		const ids = chunkDictIds(dir);
		assert.ok(ids.every((id) => id === dict.id || id === ingestDict || id === 0), ids.join());
		assert.ok(ids.filter((id) => id === dict.id).length >= ids.length * 0.9, ids.join());
		const after = chunkBytes(dir);
		assert.ok(after < before, `chunks smaller with the larger dictionary: ${after} < ${before}`);
		assert.equal(h.upto, Number(sqlite(dir, 'SELECT max(id) FROM chunks;')));
		assert.deepEqual(await answers(s), want, 'every answer byte-identical');

		// a restart keeps it (no second training); new chunks are compacted with it
		await stop(s, true);
		s = await start(dir, env);
		for (let i = 0; i < 3; i++) await postOk(s, '/v1/traces', makeRequest());
		const want2 = await answers(s);
		await sleep(IDLE_MS + 500);
		const done = await waitCompacted(s);
		assert.deepEqual(done.dictionary, dict);
		assert.equal(done.upto, Number(sqlite(dir, 'SELECT max(id) FROM chunks;')));
		assert.equal(sqlite(dir, 'SELECT count(*) FROM zcompact_dicts;').trim(), '1');
		assert.equal(chunkDictIds(dir).at(-1), dict.id, 'a new chunk compacted with it');
		assert.doesNotMatch(s.log(), /trained on/);
		assert.deepEqual(await answers(s), want2);
		await stop(s);
	});

	test('a store with too few spans for the compaction dictionary gets one once more chunks come', async () => {
		const dir = tempDataDir('zcompact-dict-later');
		const env = { TRACELITE_ZDICT_COMPACT_SAMPLE_BYTES: '262144', TRACELITE_ZDICT_COMPACT_SIZE: '32768' };
		const s = await start(dir, env);
		// about 180 KiB of spans: compacted with the ingest dictionary meanwhile
		for (let i = 0; i < 4; i++) await postOk(s, '/v1/traces', makeRequest());
		const first = await waitCompacted(s);
		assert.equal(first.dictionary, null, JSON.stringify(first));
		assert.equal(sqlite(dir, 'SELECT count(*) FROM zcompact_dicts;').trim(), '0');
		// an idle period without new chunks does not look again; new chunks are enough
		await sleep(IDLE_MS + 500);
		assert.equal((await health(s)).compaction.dictionary, null);
		for (let i = 0; i < 8; i++) await postOk(s, '/v1/traces', makeRequest());
		const want = await answers(s);
		const h = await waitDictionary(s);
		assert.ok(chunkDictIds(dir).filter((id) => id === h.dictionary.id).length >= 10, chunkDictIds(dir).join());
		assert.deepEqual(await answers(s), want);
		await stop(s);
	});

	test('--compact-level 0 turns it off', async () => {
		const dir = tempDataDir('zcompact-off');
		const s = await start(dir, { TRACELITE_COMPACT_LEVEL: '0' });
		for (let i = 0; i < 10; i++) await postOk(s, '/v1/traces', makeRequest());
		// the chunks stored before the dictionary are recompressed with it (zconvert.h), at level 3
		let h;
		for (let i = 0; i < 200 && !(h = await health(s)).older_chunks?.complete; i++) await sleep(50);
		assert.ok(h.newest_id && h.older_chunks.complete, JSON.stringify(h));
		const before = chunkBytes(dir);
		await sleep(IDLE_MS + 1500);
		h = await health(s);
		assert.equal(h.compaction.chunks, 0);
		assert.equal(h.compaction.enabled, false, 'health says the compaction is off');
		assert.equal(h.compaction.configured_level, 0);
		assert.equal(h.compaction.pending_chunks, 0, 'nothing waits for a compaction that is off');
		const prom = await (await fetch(`${s.url}/metrics`)).text();
		assert.match(prom, /^tracelite_compaction_enabled 0$/m);
		assert.match(prom, /^tracelite_compaction_pending_chunks 0$/m);
		assert.equal(chunkBytes(dir), before);
		await stop(s);
	});
});
