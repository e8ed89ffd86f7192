// zdict.test.mjs: span chunks compressed with a zstd dictionary trained from
// the store's own spans (schema/014, src/store/zdict.c). A store written
// before (by TRACELITE_OLD_BIN, a build of main before schema/014, else by
// this binary turned back into the pre-014 form with sqlite3) is upgraded; prose-like
// spans sent after it train a dictionary (small thresholds through the env),
// later chunks name it in their zstd frames, the chunks stored before are
// recompressed with it in the background, and every trace exports
// byte-identical to a control store that never trains one, also after a
// restart and after deleting a trace from a chunk compressed with it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import {
	BIN, chunkDictIds, freePort, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, request, sleep, startServer,
	tempDataDir,
} from './helpers.mjs';

const OLD = process.env.TRACELITE_OLD_BIN ? path.resolve(process.env.TRACELITE_OLD_BIN) : BIN;
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });
const TRAIN_ENV = { TRACELITE_ZDICT_SAMPLE_BYTES: '262144', TRACELITE_ZDICT_SIZE: '16384' };
const NO_DICT_ENV = { TRACELITE_ZDICT_SAMPLE_BYTES: '0' };
const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop().catch(() => {}))); });

async function start(opts) {
	const s = await startServer(opts);
	servers.push(s);
	return s;
}
async function stop(s) {
	await s.stop();
	servers.splice(servers.indexOf(s), 1);
}

/* A seeded generator, so the control store gets the very same spans. */
function rng(seed) {
	let x = seed >>> 0;
	return () => {
		x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
		return x / 4294967296;
	};
}
const WORDS = ('the a of to and in that is was for on with as by at from this which be are it or have not an their ' +
	'model user assistant answer question weather river city history summary document table order customer ' +
	'because however therefore although quickly carefully system prompt tool search result report meeting ' +
	'tomorrow yesterday morning evening mountain ocean forest garden library museum theater station').split(' ');
const hex = (r, n) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
function prose(r, n) {
	const w = [];
	for (let i = 0; i < n; i++) w.push(r() < 0.05 ? `w${Math.floor(r() * 100000)}` : WORDS[Math.floor(r() * WORDS.length)]);
	return w.join(' ');
}

/* Request k of a series: 20 traces of 5 spans with prose prompts. */
function makeRequest(seed, k, base) {
	const r = rng(seed * 1000 + k + 1);
	const spans = [];
	for (let t = 0; t < 20; t++) {
		const tid = hex(r, 32);
		let parent;
		for (let s = 0; s < 5; s++) {
			const sp = otlpSpan({ traceId: tid, spanId: hex(r, 16), parentSpanId: parent, name: s ? 'chat' : 'agent',
				start: (BigInt(base) + BigInt((k * 100 + t * 5 + s) * 1000000)).toString(), durationMs: 5 + s,
				attrs: { 'gen_ai.system': 'openai', 'gen_ai.request.model': s % 2 ? 'gpt-4o' : 'gpt-4o-mini',
					'gen_ai.prompt': `You are a helpful assistant. Answer the user briefly. ${prose(r, 150)}`,
					'gen_ai.completion': prose(r, 60), 'session.id': `sess-${k}` } });
			parent = parent || sp.spanId;
			spans.push(sp);
		}
	}
	return otlpRequest(spans, { resource: { 'service.name': 'zd-svc' } });
}

const exportAll = async (s) => {
	const r = await request(s, 'GET', '/api/export/spans?format=otlp&range=all&service=zd-svc');
	assert.equal(r.status, 200, r.text);
	return r.text;
};
const health = (s) => getJson(s, '/api/health');

describe('zstd dictionary for span chunks (schema/014)', () => {
	test('a bad TRACELITE_ZDICT_* value (the ingest and the compaction dictionaries) stops start-up naming the variable and its range', async () => {
		const listen = `127.0.0.1:${await freePort()}`;
		for (const [name, value, range] of [['TRACELITE_ZDICT_SIZE', '12', '1024..4194304'],
			['TRACELITE_ZDICT_SIZE', '5000000', '1024..4194304'], ['TRACELITE_ZDICT_SAMPLE_BYTES', '2MB', '0..268435456'],
			['TRACELITE_ZDICT_SAMPLE_BYTES', '-1', '0..268435456'], ['TRACELITE_ZDICT_COMPACT_SIZE', '12', '1024..4194304'],
			['TRACELITE_ZDICT_COMPACT_SAMPLE_BYTES', '8MB', '0..268435456']]) {
			const r = spawnSync(BIN, ['serve', '--data', tempDataDir('zdict-env'), '--listen', listen, '--grpc-listen', 'off'],
				{ env: { ...process.env, [name]: value }, encoding: 'utf8', timeout: 20000 });
			assert.notEqual(r.status, 0, `${name}=${value} was accepted`);
			assert.match(r.stderr, new RegExp(`${name}: expected a number of bytes ${range.replace('.', '\\.')}.*'${value}'`));
		}
	});

	test('an old store upgrades; a dictionary is trained, named by new chunks, and every trace reads back identical', async () => {
		const base = nanosFromNow(-3600 * 1000);
		const dir = tempDataDir('zdict');
		const ctlDir = tempDataDir('zdict-control');
		const before = [0, 1, 2].map((k) => makeRequest(1, k, base));
		const later = Array.from({ length: 12 }, (_, k) => makeRequest(2, k, base));

		// the store as main writes it: no zdicts table, no dictionary
		let s = await start({ label: 'zdict-old', dataDir: dir, bin: OLD, env: NO_DICT_ENV });
		for (const req of before) await postOk(s, '/v1/traces', req);
		const oldExport = await exportAll(s);
		await stop(s);
		if (OLD === BIN) {
			sqlite(dir, `DROP TABLE zdicts; DELETE FROM schema_migrations WHERE number = 14;
				PRAGMA user_version = ${Number(sqlite(dir, 'PRAGMA user_version;')) - 1};`);
		}
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'zdicts';").trim(), '0');
		const oldChunkBytes = Number(sqlite(dir, 'SELECT sum(length(data)) FROM chunks WHERE id <= 3;'));
		assert.equal(sqlite(dir, 'SELECT count(*) FROM chunks;').trim(), '3');

		// the upgrade: the table is made, old chunks read as they were
		s = await start({ label: 'zdict-new', dataDir: dir, env: TRAIN_ENV });
		let h = await health(s);
		assert.deepEqual(h.zstd_dictionaries, { count: 0, bytes: 0, newest_id: null });
		assert.equal(await exportAll(s), oldExport, 'old chunks read back identical after the upgrade');

		// enough spans to train on, then more that use the dictionary
		for (const req of later.slice(0, 6)) await postOk(s, '/v1/traces', req);
		for (let i = 0; i < 100 && !(h = await health(s)).zstd_dictionaries.count; i++) await sleep(100);
		assert.equal(h.zstd_dictionaries.count, 1, 'a dictionary was trained');
		assert.ok(h.zstd_dictionaries.bytes > 1000 && h.zstd_dictionaries.bytes <= 16384, `${h.zstd_dictionaries.bytes}`);
		const id = h.zstd_dictionaries.newest_id;
		assert.ok(id >= 32768 && id < 2 ** 31, `id ${id}`);
		// the trainer logs once the dictionary is stored, which health may show first
		const trained = /zstd dictionary \d+: \d+ bytes trained on \d+ spans/;
		for (let i = 0; i < 100 && !trained.test(s.log()); i++) await sleep(100);
		assert.match(s.log(), trained);
		for (const req of later.slice(6)) await postOk(s, '/v1/traces', req);
		// the chunks stored before are recompressed with it in the background
		for (let i = 0; i < 100 && !(h = await health(s)).zstd_dictionaries.older_chunks.complete; i++) await sleep(100);
		const older = h.zstd_dictionaries.older_chunks;
		assert.ok(older.complete && older.done === older.upto && older.upto >= 3, JSON.stringify(older));
		const ids = chunkDictIds(dir);
		assert.ok(ids.slice(0, 3).every((x) => x === id), `chunks the old binary wrote now name dictionary ${id}: ${ids}`);
		assert.ok(ids.slice(-6).every((x) => x === id), `chunks written after name dictionary ${id}: ${ids}`);
		const oldBytes = Number(sqlite(dir, 'SELECT sum(length(data)) FROM chunks WHERE id <= 3;'));
		assert.ok(oldBytes < oldChunkBytes, `older chunks are smaller: ${oldBytes} < ${oldChunkBytes}`);

		// a control store with the same spans and no dictionary
		const ctl = await start({ label: 'zdict-control', dataDir: ctlDir, env: NO_DICT_ENV });
		for (const req of [...before, ...later]) await postOk(ctl, '/v1/traces', req);
		const want = await exportAll(ctl);
		assert.ok(want.length > 500000, `${want.length} bytes exported`);
		assert.equal(await exportAll(s), want, 'every trace exports identical to the control store');
		const ctlChunks = Number(sqlite(ctlDir, 'SELECT sum(length(data)) FROM chunks;'));
		const newChunks = Number(sqlite(dir, 'SELECT sum(length(data)) FROM chunks WHERE id > (SELECT max(id) - 6 FROM chunks);'));
		const ctlLast = Number(sqlite(ctlDir, 'SELECT sum(length(data)) FROM chunks WHERE id > (SELECT max(id) - 6 FROM chunks);'));
		assert.ok(newChunks < ctlLast, `chunks with the dictionary are smaller: ${newChunks} < ${ctlLast} (all ${ctlChunks})`);

		// the search indexer reads the new chunks too
		const rare = later[11].resourceSpans[0].scopeSpans[0].spans[3].attributes
			.find((a) => a.key === 'gen_ai.completion').value.stringValue.split(' ').find((w) => /^w\d+$/.test(w));
		assert.ok(rare, 'the span has a rare word');
		let found = 0;
		for (let i = 0; i < 100 && !found; i++) {
			found = (await getJson(s, `/api/search?q=${rare}&range=all`)).items.length;
			if (!found) await sleep(100);
		}
		assert.ok(found > 0, `search finds ${rare}`);

		// a restart reads all, keeps the dictionary and trains no other
		await stop(s);
		s = await start({ label: 'zdict-restart', dataDir: dir, env: TRAIN_ENV });
		assert.equal(await exportAll(s), want, 'identical after a restart');
		await postOk(s, '/v1/traces', makeRequest(3, 0, base));
		await postOk(ctl, '/v1/traces', makeRequest(3, 0, base));
		assert.equal(chunkDictIds(dir).at(-1), id, 'the restarted writer compresses with the stored dictionary');
		h = await health(s);
		assert.equal(h.zstd_dictionaries.count, 1);

		// deleting a trace rewrites its chunk: the others in it stay readable
		const victim = later[10].resourceSpans[0].scopeSpans[0].spans[0].traceId;
		for (const x of [s, ctl]) {
			const r = await request(x, 'DELETE', `/api/traces/${victim}`);
			assert.equal(r.status, 200, r.text);
		}
		assert.equal(await exportAll(s), await exportAll(ctl), 'identical after a deletion');
		assert.ok(chunkDictIds(dir).filter((x) => x === id).length >= 6);
		await stop(ctl);
		await stop(s);
	});
});
