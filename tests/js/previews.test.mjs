// previews.test.mjs: a trace's input and output previews live in
// trace_previews (schema/017, src/store/preview.c), one body per trace
// compressed with the store's zstd dictionary, instead of two text columns
// of `traces`. A store written before (by TRACELITE_PRE017_BIN, e.g. a copy
// of /work/main/tracelite at 765b564; else this binary's store turned back
// into the pre-017 form with sqlite3 from its own answers) with a trained
// dictionary is upgraded in place: every read API that shows previews
// (trace list and its pages, a trace, search, trace export as JSONL and CSV)
// answers byte for byte the same. Then a late root replaces a converted
// trace's preview, a deletion removes its row, and a corrupt body is a
// store error for the reads that show it, not a crash.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
	BIN, getJson, nanosFromNow, otlpRequest, otlpSpan, postOk, query, request, sleep, startServer, tempDataDir, traceId, spanId,
} from './helpers.mjs';

const OLD = process.env.TRACELITE_PRE017_BIN ? path.resolve(process.env.TRACELITE_PRE017_BIN) : BIN;
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });
const TRAIN_ENV = { TRACELITE_ZDICT_SAMPLE_BYTES: '131072', TRACELITE_ZDICT_SIZE: '16384' };
let server;   /* the one running, stopped after a failure */
after(async () => { await server?.stop().catch(() => {}); });

async function start(opts) {
	await server?.stop().catch(() => {});   /* left running by a failed test */
	server = await startServer(opts);
	return server;
}
async function stop(s) {
	await s.stop();
	server = null;
}

const WORDS = ('the a of to and in that is was for on with as by at from this which be are it or have not an their ' +
	'model user assistant answer question weather river city history summary document table order customer ' +
	'café naïve résumé 東京 데이터 emoji 🙂 because however therefore although quickly carefully').split(' ');
function prose(r, n) {
	const w = [];
	for (let i = 0; i < n; i++) w.push(r() < 0.05 ? `w${Math.floor(r() * 100000)}` : WORDS[Math.floor(r() * WORDS.length)]);
	return w.join(' ');
}

/* 20 traces of 4 spans with prose prompts (longer than a preview, multibyte
 * text around the cut), session per request. */
function proseRequest(r, k, base) {
	const spans = [];
	for (let t = 0; t < 20; t++) {
		const tid = traceId();
		let parent;
		for (let s = 0; s < 4; s++) {
			const sp = otlpSpan({ traceId: tid, parentSpanId: parent, name: s ? 'chat' : 'agent',
				start: (BigInt(base) + BigInt((k * 100 + t * 4 + s) * 1000000)).toString(), durationMs: 5 + s,
				attrs: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o',
					'gen_ai.prompt': `You are a helpful assistant. ${prose(r, 120)}`,
					'gen_ai.completion': prose(r, 50), 'session.id': `sess-${k}` } });
			parent = parent || sp.spanId;
			spans.push(sp);
		}
	}
	return otlpRequest(spans, { resource: { 'service.name': 'pv-svc' } });
}

/* Traces whose previews take the less common paths. */
function oddTraces(base) {
	const at = (ms) => (BigInt(base) + BigInt(ms * 1000000)).toString();
	const t = { none: traceId(), inOnly: traceId(), outOnly: traceId(), lateRoot: traceId(), childText: traceId() };
	const root = { lateRoot: spanId(), childText: spanId() };
	const first = [
		otlpSpan({ traceId: t.none, name: 'quiet', start: at(1), attrs: { x: 1 } }),
		otlpSpan({ traceId: t.inOnly, name: 'ask', start: at(2), attrs: { 'input.value': 'only a question?' } }),
		otlpSpan({ traceId: t.outOnly, name: 'say', start: at(3), attrs: { 'output.value': 'é'.repeat(200) } }),
		// the root comes later (second request): the child's text until then
		otlpSpan({ traceId: t.lateRoot, parentSpanId: root.lateRoot, name: 'child', start: at(5),
			attrs: { 'input.value': 'from the child', 'output.value': 'child says' } }),
		// a root without text: the child's text is the preview
		otlpSpan({ traceId: t.childText, spanId: root.childText, name: 'root', start: at(6) }),
		otlpSpan({ traceId: t.childText, parentSpanId: root.childText, name: 'child', start: at(7),
			attrs: { 'input.value': 'child input 🙂'.repeat(30), 'output.value': '' } }),
	];
	const late = [otlpSpan({ traceId: t.lateRoot, spanId: root.lateRoot, name: 'root', start: at(4), durationMs: 10,
		attrs: { 'input.value': 'from the root', 'output.value': 'root says' } })];
	return { t, first: otlpRequest(first, { resource: { 'service.name': 'pv-odd' } }),
		late: otlpRequest(late, { resource: { 'service.name': 'pv-odd' } }) };
}

async function text(s, p) {
	const r = await request(s, 'GET', p);
	assert.equal(r.status, 200, `${p}: ${r.text}`);
	return r.text;
}

/* Every answer that shows previews, as text. */
async function answers(s) {
	const out = {};
	for (let i = 0; i < 200 && (await getJson(s, '/api/health')).search?.pending_chunks; i++) await sleep(50);
	let cursor;
	for (let page = 0; ; page++) {
		const p = `/api/traces${query({ range: 'all', limit: 50, cursor })}`;
		out[p] = await text(s, p);
		cursor = JSON.parse(out[p]).next_cursor;
		if (!cursor) break;
	}
	for (const p of ['/api/traces?range=all&limit=7&service=pv-odd', '/api/traces?range=all&session_id=sess-1&limit=100',
		'/api/traces?range=all&limit=20&order=asc', '/api/search?q=assistant&range=all&limit=30',
		'/api/search?q=question&range=all', '/api/export/traces?format=jsonl&range=all',
		'/api/export/traces?format=csv&range=all'])
		out[p] = await text(s, p);
	for (const p of Object.keys(out).filter((k) => k.startsWith('/api/search'))) {
		const { index, ...rest } = JSON.parse(out[p]);   /* the index's state is not the answer */
		assert.equal(index.pending_chunks, 0);
		out[p] = JSON.stringify(rest);
	}
	const ids = out['/api/export/traces?format=jsonl&range=all'].trim().split('\n').map((l) => JSON.parse(l).trace_id);
	for (const id of ids) out[`/api/traces/${id}`] = await text(s, `/api/traces/${id}`);
	return out;
}

const sqlText = (v) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);

describe('trace previews in trace_previews (schema/017)', () => {
	test('an old store upgrades in place; every answer showing previews is the same; later writes and deletes use the table', async () => {
		const base = nanosFromNow(-3600 * 1000);
		const dir = tempDataDir('previews');
		const r = Math.random;
		let s = await start({ label: 'previews-old', dataDir: dir, bin: OLD, env: TRAIN_ENV });
		for (let k = 0; k < 4; k++) await postOk(s, '/v1/traces', proseRequest(r, k, base));
		for (let i = 0; i < 100 && !(await getJson(s, '/api/health')).zstd_dictionaries?.count; i++) await sleep(100);
		assert.equal((await getJson(s, '/api/health')).zstd_dictionaries.count, 1, 'the old store trained a dictionary');
		for (let k = 4; k < 6; k++) await postOk(s, '/v1/traces', proseRequest(r, k, base));
		const odd = oddTraces(base);
		await postOk(s, '/v1/traces', odd.first);
		const before = await answers(s);
		await stop(s);
		const list = before['/api/export/traces?format=jsonl&range=all'].trim().split('\n').map((l) => JSON.parse(l));
		assert.equal(list.length, 6 * 20 + 5);
		const byId = Object.fromEntries(list.map((t) => [t.trace_id, t]));
		assert.equal(byId[odd.t.none].input_preview, null);
		assert.equal(byId[odd.t.inOnly].output_preview, '');
		assert.equal(byId[odd.t.outOnly].output_preview, 'é'.repeat(120), 'cut at 240 bytes');
		assert.equal(byId[odd.t.lateRoot].input_preview, 'from the child');
		assert.ok(list.filter((t) => Buffer.byteLength(t.input_preview ?? '') > 200).length > 100, 'long previews');
		if (OLD === BIN) {
			// the pre-017 form: the texts as columns of traces, no trace_previews
			const sets = list.map((t) => `UPDATE traces SET input_preview = ${sqlText(t.input_preview)},` +
				` output_preview = ${sqlText(t.output_preview)} WHERE trace_id = X'${t.trace_id}';`).join('\n');
			sqlite(dir, `ALTER TABLE traces ADD COLUMN input_preview TEXT; ALTER TABLE traces ADD COLUMN output_preview TEXT;
				BEGIN; ${sets} COMMIT; DROP TABLE trace_previews; DELETE FROM schema_migrations WHERE number = 17;
				PRAGMA user_version = ${Number(sqlite(dir, 'PRAGMA user_version;')) - 1};`);
		}
		assert.equal(sqlite(dir, "SELECT count(*) FROM pragma_table_info('traces') WHERE name LIKE '%_preview';").trim(), '2');
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'trace_previews';").trim(), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM zdicts;').trim(), '1');

		// the upgrade
		s = await start({ label: 'previews-new', dataDir: dir });
		const upgraded = await answers(s);
		assert.deepEqual(Object.keys(upgraded), Object.keys(before));
		for (const p of Object.keys(before)) assert.equal(upgraded[p], before[p], `${p} answers the same`);
		assert.equal(sqlite(dir, "SELECT count(*) FROM pragma_table_info('traces') WHERE name LIKE '%_preview';").trim(), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_previews;').trim(), String(list.length - 1), 'a row per trace with previews');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM schema_migrations WHERE number = 17;').trim(), '1');
		// traces was copied afresh: its pages are full again, not two thirds empty
		// (leaves only: with 125 small rows the near-empty root is a quarter of the pages)
		const unused = Number(sqlite(dir, "SELECT sum(unused) * 1.0 / sum(pgsize) FROM dbstat WHERE name = 'traces' AND pagetype = 'leaf';"));
		assert.ok(unused < 0.3, `traces pages ${Math.round(unused * 100)}% unused`);
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'traces' AND type = 'index';").trim(), '6');
		// packed with the store's dictionary: the zstd frames name it
		const dictId = Number(sqlite(dir, 'SELECT id FROM zdicts;'));
		const frames = sqlite(dir, "SELECT hex(substr(body, 1, 12)) FROM trace_previews WHERE substr(hex(body), 1, 2) = '01';").trim().split('\n');
		assert.ok(frames.length > 100, `${frames.length} compressed bodies`);
		for (const h of frames) {
			const b = Buffer.from(h, 'hex').subarray(1);
			assert.equal(b.readUInt32LE(0), 0xFD2FB528, 'a zstd frame');
			const fhd = b[4], p = 5 + (fhd & 0x20 ? 0 : 1), size = [0, 1, 2, 4][fhd & 3];
			assert.equal(size === 4 ? b.readUInt32LE(p) : size === 2 ? b.readUInt16LE(p) : b[p], dictId);
		}
		const bytes = Number(sqlite(dir, 'SELECT sum(length(body)) FROM trace_previews;'));
		const textBytes = list.reduce((n, t) => n + Buffer.byteLength(t.input_preview ?? '') + Buffer.byteLength(t.output_preview ?? ''), 0);
		assert.ok(bytes < textBytes * 0.7, `bodies ${bytes} B for ${textBytes} B of text`);

		// a late root takes over a converted trace's preview; new traces get rows
		await postOk(s, '/v1/traces', odd.late);
		let t = await getJson(s, `/api/traces/${odd.t.lateRoot}`);
		assert.equal(t.trace.input_preview, 'from the root');
		assert.equal(t.trace.output_preview, 'root says');
		await postOk(s, '/v1/traces', proseRequest(r, 6, base));
		const fresh = (await getJson(s, '/api/traces?range=all&session_id=sess-6&limit=100')).items;
		assert.equal(fresh.length, 20);
		for (const x of fresh) assert.match(x.input_preview, /^You are a helpful assistant\. /);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_previews;').trim(), String(list.length - 1 + 20));

		// deleting traces deletes their rows
		const del = await request(s, 'DELETE', '/api/traces?session_id=sess-2');
		assert.equal(del.status, 200, del.text);
		assert.equal(JSON.parse(del.text).deleted, 20);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_previews WHERE key NOT IN (SELECT key FROM traces);').trim(), '0');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM trace_previews;').trim(), String(list.length - 1));

		// after a restart, the same answers again (the deleted session aside)
		await stop(s);
		s = await start({ label: 'previews-restart', dataDir: dir });
		const p = '/api/traces?range=all&session_id=sess-1&limit=100';
		assert.equal(await text(s, p), before[p]);
		t = await getJson(s, `/api/traces/${odd.t.lateRoot}`);
		assert.equal(t.trace.input_preview, 'from the root');
		await stop(s);
	});

	test('a corrupt preview body is a store error for the answers that show it; the server keeps serving', async () => {
		const dir = tempDataDir('previews-bad');
		let s = await start({ label: 'previews-bad', dataDir: dir });
		const base = nanosFromNow(-60 * 1000);
		const odd = oddTraces(base);
		await postOk(s, '/v1/traces', odd.first);
		await stop(s);
		const key = sqlite(dir, `SELECT key FROM traces WHERE trace_id = X'${odd.t.inOnly}';`).trim();
		for (const body of ["X'00'", "X'FF6869'", `substr((SELECT body FROM trace_previews WHERE key = ${key}), 1, 3)`,
			"X'0128B52FFD00'"]) {
			sqlite(dir, `UPDATE trace_previews SET body = ${body} WHERE key = ${key};`);
			s = await start({ label: 'previews-bad', dataDir: dir });
			for (const p of ['/api/traces?range=all', `/api/traces/${odd.t.inOnly}`, '/api/export/traces?format=jsonl&range=all']) {
				const r = await request(s, 'GET', p);
				assert.equal(r.status, 503, `${body} ${p}: ${r.status} ${r.text}`);
			}
			// other traces and the rest of the API still answer
			const ok = await getJson(s, `/api/traces/${odd.t.outOnly}`);
			assert.equal(ok.trace.output_preview, 'é'.repeat(120));
			assert.equal((await request(s, 'GET', '/api/health')).status, 200);
			await stop(s);
			assert.match(s.log(), new RegExp(`trace_previews row ${key} is corrupt`));
		}
	});
});
