// preview_refs.test.mjs: trace previews as references into the chunks
// (schema/024, src/store/preview.c). trace_previews keeps the id of the span
// the previews come from; readers derive and clip its texts from its record.
// The same input goes to the binary before 024 (79026f6, built by
// helpers.mjs oldBinary) and to this one: the trace
// list, search and trace answers must be identical, through a unicode cut
// at 240 bytes, Langfuse ingest (a superseded observation keeps its old
// texts), late spans that move the preview to another span, a deletion
// that rewrites a shared chunk, the idle-time compaction, a restart, and
// format-1 chunks. A store the old binary wrote is converted on open.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, addMs, getJson, nanosFromNow, otlpSpan, post, postOtlp, query, request, oldBinary, startServer, tempDataDir, traceId, waitIndexed } from './helpers.mjs';

const OLD = oldBinary('79026f6');   /* main before 024 */
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' }).trim();
const IDLE_MS = 1500;
/* a dictionary trained early (the compaction needs one) */
const ENV = { TRACELITE_ZDICT_SAMPLE_BYTES: '131072', TRACELITE_ZDICT_SIZE: '16384' };
const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop().catch(() => {}))); });

async function start(dir, { bin = BIN, env = {} } = {}) {
	const s = await startServer({ label: 'preview-refs', dataDir: dir, bin, env: { ...ENV, ...env } });
	servers.push(s);
	return s;
}
async function stop(s) {
	await s.stop();
	servers.splice(servers.indexOf(s), 1);
}

const lfAuth = 'Basic ' + Buffer.from('pk-lf-refs:sk-lf-refs').toString('base64');
const langfuse = async (s, batch) => {
	const r = await post(s, '/api/public/ingestion', JSON.stringify({ batch }), { 'Content-Type': 'application/json', Authorization: lfAuth });
	assert.equal(r.status, 207, r.body);
};

/* Texts around the 240-byte cut: 2-, 3- and 4-byte sequences across it. */
const cut2 = 'a' + 'é'.repeat(200);                 // 1 + 400 bytes: the cut falls inside an é
const cut3 = '日本語のテキスト'.repeat(20);         // 3-byte characters
const cut4 = 'x'.repeat(238) + '😀 tail';          // a 4-byte emoji at bytes 238..241

/* The input, in steps run in the same order on both binaries. */
function corpus() {
	const t0 = nanosFromNow(-60000);
	const ids = { uni: traceId(), late: traceId(), shared: [traceId(), traceId(), traceId()], long: traceId(), none: traceId() };
	const root = (tid, start, attrs) => otlpSpan({ traceId: tid, name: 'root', start, durationMs: 900, attrs });
	const child = (tid, parent, start, name, attrs) => otlpSpan({ traceId: tid, parentSpanId: parent.spanId, name, start, durationMs: 100, attrs });
	const uniRoot = root(ids.uni, t0, { 'input.value': cut2, 'output.value': cut4 });
	const lateRoot = root(ids.late, addMs(t0, 10));
	const longRoot = root(ids.long, addMs(t0, 20), { 'gen_ai.prompt': JSON.stringify([{ role: 'user', content: cut3 }]) });
	const sharedRoots = ids.shared.map((tid, i) => root(tid, addMs(t0, 30 + i), { 'input.value': `shared question ${i} ` + 'ü'.repeat(150), 'output.value': `answer ${i}` }));
	const words = 'the model answered a question about invoices shipping refunds and the weather in several cities'.split(' ');
	const prose = (n, k) => Array.from({ length: n }, (_, i) => words[(i * 7 + k * 3) % words.length]).join(' ');
	const filler = [];
	for (let t = 0; t < 40; t++) {
		const tid = traceId(), r = root(tid, addMs(t0, -5000 + t * 10), { 'input.value': `filler ${t} ` + prose(60, t) });
		filler.push(r);
		for (let i = 1; i < 10; i++) filler.push(child(tid, r, addMs(t0, -5000 + t * 10 + i), `f${i}`, { 'input.value': prose(80, t + i), 'output.value': prose(40, i) }));
	}
	return {
		ids,
		steps: [
			// enough text for a dictionary: 400 spans of 40 traces in 4 requests
			...[0, 1, 2, 3].map((k) => async (s) => postOtlp(s, filler.slice(k * 100, k * 100 + 100))),
			// one request, one chunk: several traces share it
			async (s) => postOtlp(s, [uniRoot, child(ids.uni, uniRoot, addMs(t0, 1), 'llm', { 'input.value': 'not the preview' }),
				lateRoot, child(ids.late, lateRoot, addMs(t0, 15), 'second', { 'input.value': 'from the later child', 'output.value': 'out b' }),
				longRoot, child(ids.long, longRoot, addMs(t0, 21), 'tool', { 'output.value': cut3 }),
				...sharedRoots, child(ids.shared[1], sharedRoots[1], addMs(t0, 40), 'step', { 'output.value': 'child of shared 1' }),
				root(ids.none, addMs(t0, 50))]),
			// late spans: an earlier child takes the preview, then nothing changes it until the root
			async (s) => postOtlp(s, [child(ids.late, lateRoot, addMs(t0, 12), 'first', { 'input.value': 'from the earlier child ' + cut2 })]),
			async (s) => postOtlp(s, [child(ids.late, lateRoot, addMs(t0, 13), 'third', { 'output.value': 'not earlier' })]),
			// Langfuse: a trace with its own texts; one whose preview comes from a
			// generation updated in a later batch (the stored version's texts stay)
			async (s) => langfuse(s, [
				{ id: 'e1', type: 'trace-create', timestamp: '2026-12-01T10:00:00Z', body: { id: 'lf-trace-a', name: 'lf-a', timestamp: '2026-12-01T10:00:00Z', input: { question: 'what is ' + cut2 }, output: 'lf answer' } },
				{ id: 'e2', type: 'generation-create', timestamp: '2026-12-01T10:00:01Z', body: { id: 'lf-gen-a', traceId: 'lf-trace-a', name: 'gen', startTime: '2026-12-01T10:00:01Z', input: 'gen in', output: 'gen out' } },
				{ id: 'e3', type: 'trace-create', timestamp: '2026-12-01T10:00:00Z', body: { id: 'lf-trace-b', name: 'lf-b', timestamp: '2026-12-01T10:00:00Z' } },
				{ id: 'e4', type: 'generation-create', timestamp: '2026-12-01T10:00:02Z', body: { id: 'lf-gen-b', traceId: 'lf-trace-b', name: 'gen-b', startTime: '2026-12-01T10:00:02Z', input: 'first version input' } },
			]),
			async (s) => langfuse(s, [
				{ id: 'e5', type: 'generation-update', timestamp: '2026-12-01T10:00:03Z', body: { id: 'lf-gen-b', traceId: 'lf-trace-b', output: 'updated output', input: 'second version input' } },
				{ id: 'e6', type: 'trace-create', timestamp: '2026-12-01T10:00:09Z', body: { id: 'lf-trace-a', output: 'lf answer, updated' } },
			]),
		],
	};
}

/* Every answer that shows previews, by trace. */
async function answers(s, ids) {
	const list = await getJson(s, `/api/traces${query({ limit: 100 })}`);
	const out = { list: list.items, traces: {}, search: {} };
	for (const it of list.items) {
		const t = await getJson(s, `/api/traces/${it.trace_id}`);
		out.traces[it.trace_id] = t.trace;
	}
	for (const q of ['shared', 'earlier', 'answer', 'updated']) {
		const r = await getJson(s, `/api/search${query({ q })}`);
		out.search[q] = r.items.map(({ matches, ...rest }) => rest);
	}
	assert.ok(list.items.length >= 8, `traces stored: ${list.items.length}`);
	assert.ok(list.items.find((x) => x.trace_id === ids.uni)?.input_preview, 'a preview shown');
	// a project made by ingest gets a random UUID in each store: compared by name
	return JSON.parse(JSON.stringify(out, (k, v) => (k === 'project_id' ? undefined : v)));
}


/* Runs the corpus on bin in a fresh store, the steps in order. */
async function ingestAll(bin, c, env = {}) {
	const dir = tempDataDir('preview-refs');
	const s = await start(dir, { bin, env });
	for (const step of c.steps) await step(s);
	await waitIndexed(s);
	return { dir, s };
}

const kinds = (dir) => sqlite(dir, "SELECT (length(body) = 9 AND substr(hex(body), 1, 2) = '08') AS ref, count(*) FROM trace_previews GROUP BY 1 ORDER BY 1;");

describe('trace previews as references into the chunks (schema/024)', () => {
	test('the same answers as the binary that stored texts, through deletion, compaction, restart; an old store converts', async () => {
		const c = corpus();
		const old = await ingestAll(OLD, c);
		const want = await answers(old.s, c.ids);
		const uni = want.list.find((x) => x.trace_id === c.ids.uni);
		assert.equal(Buffer.byteLength(uni.input_preview), 239, 'the cut keeps whole characters');
		assert.equal(uni.output_preview, 'x'.repeat(238), 'the emoji across the cut is left out');
		assert.match(want.list.find((x) => x.trace_id === c.ids.late).input_preview, /^from the earlier child/);

		const neu = await ingestAll(BIN, c);
		assert.deepEqual(await answers(neu.s, c.ids), want, 'identical answers');
		// every preview but the superseded Langfuse generation's is a reference
		assert.equal(kinds(neu.dir), '0|1\n1|47');

		// deleting a trace out of the shared chunk rewrites it; the others read the same
		for (const x of [old, neu]) assert.ok((await request(x.s, 'DELETE', `/api/traces/${c.ids.shared[0]}`)).status < 300);
		const afterDelete = await answers(old.s, c.ids);
		assert.deepEqual(await answers(neu.s, c.ids), afterDelete, 'identical after a deletion');

		// compaction rewrites every chunk; a restart reopens everything
		await stop(neu.s);
		neu.s = await start(neu.dir, { env: { TRACELITE_COMPACT_IDLE_MS: String(IDLE_MS) } });
		for (let i = 0; ; i++) {
			const h = (await getJson(neu.s, '/api/health')).zstd_dictionaries;
			if (h.compaction && h.compaction.pending_chunks === 0 && h.compaction.chunks > 0) break;
			assert.ok(i < 600, `not compacted: ${JSON.stringify(h)}`);
			await sleep(50);
		}
		assert.deepEqual(await answers(neu.s, c.ids), afterDelete, 'identical after the compaction');
		await stop(neu.s);
		neu.s = await start(neu.dir);
		assert.deepEqual(await answers(neu.s, c.ids), afterDelete, 'identical after a restart');

		// the old binary's store, opened by this one: texts become references
		await stop(old.s);
		old.s = await start(old.dir);
		assert.deepEqual(await answers(old.s, c.ids), afterDelete, 'identical after the migration');
		assert.equal(kinds(old.dir), '0|1\n1|46');
		assert.equal(sqlite(old.dir, 'PRAGMA user_version;'), sqlite(neu.dir, 'PRAGMA user_version;'));
	});

	test('format-1 chunks read the same', async () => {
		const c = corpus();
		const old = await ingestAll(OLD, c);
		const want = await answers(old.s, c.ids);
		const neu = await ingestAll(BIN, c, { TRACELITE_CHUNK_FORMAT: '1' });
		assert.equal(sqlite(neu.dir, "SELECT count(*) FROM chunks WHERE substr(hex(data), 1, 2) = '02';"), '0', 'format 1 only');
		assert.deepEqual(await answers(neu.s, c.ids), want);
		await stop(neu.s);
		await stop(old.s);
	});
});
