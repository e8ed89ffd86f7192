// span_ids.test.mjs: schema/019, 021 and 032 find spans by id through
// span_ids_new, which holds the spans not merged yet, span_ids_mid, which
// the writer fills in batches of SPANIDS_MERGE_SPANS (8,192) spans, and
// span_ids, which takes span_ids_mid every SPANIDS_MID_MERGES (16) batches.
// GET /api/spans/{id} must answer the same on either side of a merge, after
// a restart, after a deletion, on a store written before 019
// (TRACELITE_PRE019_BIN, e.g. main at 765b564) and on one written before
// 021 (TRACELITE_PRE021_BIN, e.g. main at 89d8faf); else this binary's
// store turned back into the older form with the sqlite3 tool. Since 032
// the three keep the first 4 bytes of each id: ids sharing them must each
// be found, and a row goes when its trace does (since 033 a span leaves
// only with its trace; a newer version keeps its id).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BIN, get, nanosFromNow, otlpSpan, postOtlp, request, spanId, startServer, tempDataDir, tlSql, traceId, undo033 } from './helpers.mjs';

const OLD = process.env.TRACELITE_PRE019_BIN ? path.resolve(process.env.TRACELITE_PRE019_BIN) : BIN;
const OLD021 = process.env.TRACELITE_PRE021_BIN ? path.resolve(process.env.TRACELITE_PRE021_BIN) : BIN;
// SPANIDS_MERGE_SPANS (src/store/spanids.h) is 8,192; the servers here merge
// every 1,024 spans (TRACELITE_SPANIDS_MERGE_SPANS), which takes the test
// through both merges with an eighth of the spans. An older binary ignores
// the setting.
const MERGE = 1024;
const ENV = { TRACELITE_SPANIDS_MERGE_SPANS: String(MERGE) };
const MERGE_OLD = 8192;
const MID = 16;       // SPANIDS_MID_MERGES
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' }).trim();
let server;
after(async () => { await server?.stop().catch(() => {}); });

/* n traces of 10 spans each: [{ tid, sid, start }] of every span. */
async function ingest(s, traces, startMs = -600000) {
	const out = [];
	const spans = [];
	for (let t = 0; t < traces; t++) {
		const tid = traceId();
		const root = otlpSpan({ traceId: tid, name: 'root', start: nanosFromNow(startMs + t) });
		spans.push(root);
		out.push({ tid, sid: root.spanId });
		for (let k = 0; k < 9; k++) {
			const c = otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: `child-${k}`, start: nanosFromNow(startMs + t + k) });
			spans.push(c);
			out.push({ tid, sid: c.spanId });
		}
		if (spans.length >= 2000) await postOtlp(s, spans.splice(0));
	}
	if (spans.length) await postOtlp(s, spans);
	return out;
}

async function expectFound(s, list, step = 1) {
	for (let i = 0; i < list.length; i += step) {
		const r = await get(s, `/api/spans/${list[i].sid}`);
		assert.equal(r.status, 200, `span ${list[i].sid}`);
		assert.equal(r.json.trace_id, list[i].tid);
		assert.equal(r.json.span_id, list[i].sid);
	}
}

/* merged: rows in span_ids and span_ids_mid (main, mid apart); pending:
 * in span_ids_new; all: spans. Each span is in exactly one of the three. */
const state = (dir) => {
	const [main, mid, pending, all, both] = tlSql(dir, 'SELECT (SELECT count(*) FROM span_ids), (SELECT count(*) FROM span_ids_mid),'
		+ ' (SELECT count(*) FROM span_ids_new), (SELECT count(*) FROM spans),'
		+ ' (SELECT count(*) FROM span_ids JOIN span_ids_new USING (id_prefix, trace)) + (SELECT count(*) FROM span_ids JOIN span_ids_mid USING (id_prefix, trace))'
		+ ' + (SELECT count(*) FROM span_ids_mid JOIN span_ids_new USING (id_prefix, trace));').split('|').map(Number);
	assert.equal(both, 0, 'no span in two of them');
	const missing = Number(tlSql(dir, `SELECT count(*) FROM spans s WHERE ${['span_ids', 'span_ids_mid', 'span_ids_new'].map((t) =>
		`NOT EXISTS (SELECT 1 FROM ${t} i WHERE i.id_prefix = substr(s.span_id, 1, 4) AND i.trace = s.trace)`).join(' AND ')};`));
	assert.equal(missing, 0, 'every span in one of them');
	return { merged: main + mid, main, mid, pending, all };
};

/* SQL turning this binary's span_ids tables (schema/032: 4-byte id
 * prefixes) back into full ids, each level from the spans its rows stand
 * for; the triggers go too, and the caller makes the form it needs. */
const undo032 = 'DROP TRIGGER span_ids_insert; DROP TRIGGER span_ids_delete; DELETE FROM schema_migrations WHERE number = 32;'
	+ ['span_ids', 'span_ids_mid', 'span_ids_new'].map((t) => ` ALTER TABLE ${t} RENAME TO ${t}_p;
	CREATE TABLE ${t} (span_id BLOB NOT NULL, trace INTEGER NOT NULL, PRIMARY KEY (span_id, trace)) WITHOUT ROWID;
	INSERT INTO ${t} SELECT s.span_id, s.trace FROM ${t}_p p JOIN spans s ON s.trace = p.trace AND substr(s.span_id, 1, 4) = p.id_prefix;
	DROP TABLE ${t}_p;`).join('');

describe('schema/019: spans by id', () => {
	test('found on either side of a merge, after a restart and a deletion; a shared span id answers its latest span', async () => {
		const dir = tempDataDir('spanids');
		server = await startServer({ label: 'spanids', dataDir: dir, env: ENV });
		const shared = spanId();
		const [ta, tb] = [traceId(), traceId()];
		await postOtlp(server, [otlpSpan({ traceId: ta, spanId: shared, name: 'early', start: nanosFromNow(-900000) })]);
		let first = await ingest(server, 100);
		let st = state(dir);
		assert.equal(st.merged, 0, 'nothing merged before SPANIDS_MERGE_SPANS spans');
		await expectFound(server, first, 7);
		let r = await get(server, `/api/spans/${shared}`);
		assert.equal(r.json.trace_id, ta);

		const bulk = await ingest(server, Math.ceil(MERGE / 10));   // crosses the merge threshold
		st = state(dir);
		assert.ok(st.merged > 0, JSON.stringify(st));
		assert.equal(st.merged + st.pending, st.all, 'each span in one of span_ids, span_ids_mid, span_ids_new');
		assert.ok(st.pending < MERGE, JSON.stringify(st));
		assert.equal(st.main, 0, 'span_ids_mid merged into span_ids after SPANIDS_MID_MERGES merges only');
		await postOtlp(server, [otlpSpan({ traceId: tb, spanId: shared, name: 'late', start: nanosFromNow(-1000) })]);
		const tail = await ingest(server, 30);
		await expectFound(server, first, 3);
		await expectFound(server, bulk, 97);
		await expectFound(server, tail, 3);
		r = await get(server, `/api/spans/${shared}`);
		assert.equal(r.json.trace_id, tb, 'the later-starting span of the two with this id');
		assert.equal(r.json.name, 'late');
		assert.equal((await get(server, `/api/spans/${spanId()}`)).status, 404);

		// a restart re-reads where the merge stands; the next merge goes on from there
		await server.stop();
		server = await startServer({ label: 'spanids-2', dataDir: dir, env: ENV });
		await expectFound(server, first, 11);
		await expectFound(server, tail, 5);
		const more = await ingest(server, Math.ceil(MERGE / 10), -300000);
		const st2 = state(dir);
		assert.ok(st2.merged > st.merged, JSON.stringify([st, st2]));
		assert.equal(st2.merged + st2.pending, st2.all);
		await expectFound(server, more, 89);
		await expectFound(server, tail, 5);

		// deleting traces takes their rows in span_ids and span_ids_new
		const gone = [first[0].tid, tb, more[more.length - 1].tid];
		for (const tid of gone) assert.equal((await request(server, 'DELETE', `/api/traces/${tid}`)).status, 200);
		for (const x of [first[0], ...first.slice(1, 10), more[more.length - 1]])
			assert.equal((await get(server, `/api/spans/${x.sid}`)).status, 404, x.sid);
		r = await get(server, `/api/spans/${shared}`);
		assert.equal(r.json.trace_id, ta, 'the span left with the shared id');
		const st3 = state(dir);
		assert.equal(st3.merged + st3.pending, st3.all, JSON.stringify(st3));
		await server.stop();
		server = await startServer({ label: 'spanids-3', dataDir: dir, env: ENV });
		const after = await ingest(server, 5, -1000);
		await expectFound(server, after);
		const st4 = state(dir);
		assert.equal(st4.merged + st4.pending, st4.all, JSON.stringify(st4));
		await server.stop();
		server = null;
	});

	test('a store from before 019 is converted: every span found, spans_span gone', async () => {
		const dir = tempDataDir('spanids-old');
		server = await startServer({ label: 'spanids-old', dataDir: dir, bin: OLD });   // 1,200 spans: none merged
		const spans = await ingest(server, 120);
		await server.stop();
		if (OLD === BIN) {   // this binary's store, turned back into the 018 form
			undo033(dir);
			const v = Number(sqlite(dir, 'PRAGMA user_version;'));
			sqlite(dir, `BEGIN; ${undo032} DROP TABLE span_ids; DROP TABLE span_ids_new; DROP TABLE span_ids_mid;`
				+ ' CREATE INDEX spans_span ON spans (span_id); DELETE FROM schema_migrations WHERE number IN (19, 21);'
				+ ` PRAGMA user_version = ${v - 3}; COMMIT;`);
		}
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'span_ids';"), '0');
		server = await startServer({ label: 'spanids-new', dataDir: dir, env: ENV });
		const st = state(dir);
		assert.equal(st.merged, st.all, 'every stored span in span_ids');
		assert.equal(st.pending, 0);
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'spans_span';"), '0');
		await expectFound(server, spans);
		const later = await ingest(server, 10, -1000);
		await expectFound(server, later);
		await expectFound(server, spans, 13);
		await server.stop();
		server = null;
	});

	test('span_ids_mid goes into span_ids after SPANIDS_MID_MERGES merges; found on each side, after a restart and a deletion', async () => {
		const dir = tempDataDir('spanids-mid');
		server = await startServer({ label: 'spanids-mid', dataDir: dir, env: ENV });
		const early = await ingest(server, 50, -3600000);
		const bulk = [];
		let st, midMax = 0, rounds = 0;
		for (;;) {   // a merge's worth at a time, until span_ids_mid went into span_ids
			bulk.push(...await ingest(server, Math.ceil(MERGE / 10), -3000000 + bulk.length));
			st = state(dir);
			assert.equal(st.merged + st.pending, st.all, JSON.stringify(st));
			if (st.main > 0)
				break;
			midMax = Math.max(midMax, st.mid);
			if (++rounds === 8)
				await expectFound(server, bulk, 53);   // in span_ids_mid and span_ids_new
			assert.ok(rounds < MID + 4, JSON.stringify(st));
		}
		assert.ok(midMax >= (MID - 1) * MERGE, `span_ids_mid held ${midMax} before its merge`);
		assert.ok(st.main >= MID * MERGE, JSON.stringify(st));
		assert.ok(st.mid < MERGE, JSON.stringify(st));
		const tail = await ingest(server, 20, -600000);
		await expectFound(server, early, 7);
		await expectFound(server, bulk, 101);
		await expectFound(server, tail, 3);
		await server.stop();
		server = await startServer({ label: 'spanids-mid-2', dataDir: dir, env: ENV });
		await expectFound(server, early, 13);
		await expectFound(server, tail, 5);
		for (const tid of [early[0].tid, tail[0].tid]) assert.equal((await request(server, 'DELETE', `/api/traces/${tid}`)).status, 200);
		for (const x of [...early.slice(0, 10), ...tail.slice(0, 10)])
			assert.equal((await get(server, `/api/spans/${x.sid}`)).status, 404, x.sid);
		const st2 = state(dir);
		assert.equal(st2.merged + st2.pending, st2.all, JSON.stringify(st2));
		await server.stop();
		server = null;
	});

	test('a store from before 021 is converted: span_ids_mid added, every span found, deletions reach it', async () => {
		const dir = tempDataDir('spanids-pre021');
		server = await startServer({ label: 'spanids-pre021', dataDir: dir, bin: OLD021, env: ENV });
		const spans = await ingest(server, Math.ceil((OLD021 === BIN ? MERGE : MERGE_OLD) / 10) + 30);   // some merged into span_ids, the rest in span_ids_new
		await server.stop();
		if (OLD021 === BIN) {   // this binary's store, turned back into the 020 form
			undo033(dir);
			const v = Number(sqlite(dir, 'PRAGMA user_version;'));
			sqlite(dir, `BEGIN; ${undo032} INSERT INTO span_ids SELECT * FROM span_ids_mid; DROP TABLE span_ids_mid;`
				+ ' CREATE TRIGGER span_ids_insert AFTER INSERT ON spans BEGIN'
				+ ' INSERT OR IGNORE INTO span_ids_new (span_id, trace) VALUES (new.span_id, new.trace); END;'
				+ ' CREATE TRIGGER span_ids_delete AFTER DELETE ON spans BEGIN'
				+ ' DELETE FROM span_ids WHERE span_id = old.span_id AND trace = old.trace;'
				+ ' DELETE FROM span_ids_new WHERE span_id = old.span_id AND trace = old.trace; END;'
				+ ` DELETE FROM schema_migrations WHERE number = 21; PRAGMA user_version = ${v - 2}; COMMIT;`);
		}
		assert.equal(sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'span_ids_mid';"), '0');
		const before = Number(sqlite(dir, 'SELECT count(*) FROM span_ids;'));
		assert.ok(before > 0);
		server = await startServer({ label: 'spanids-021', dataDir: dir, env: ENV });
		let st = state(dir);
		assert.equal(st.main, before, 'span_ids kept as it was');
		assert.equal(st.merged + st.pending, st.all);
		await expectFound(server, spans, 17);
		const later = await ingest(server, Math.ceil(MERGE / 10) + 10, -1000);   // a merge: into span_ids_mid
		st = state(dir);
		assert.ok(st.mid > 0, JSON.stringify(st));
		assert.equal(st.merged + st.pending, st.all);
		await expectFound(server, later, 31);
		await expectFound(server, spans, 29);
		const gone = [spans[0], later[0]];
		for (const x of gone) assert.equal((await request(server, 'DELETE', `/api/traces/${x.tid}`)).status, 200);
		for (const x of gone) assert.equal((await get(server, `/api/spans/${x.sid}`)).status, 404, x.sid);
		st = state(dir);
		assert.equal(st.merged + st.pending, st.all, JSON.stringify(st));
		await server.stop();
		server = null;
	});

	test('schema/032: ids sharing their first 4 bytes, in one trace and in two, each found; a row goes with its trace', async () => {
		const dir = tempDataDir('spanids-prefix');
		server = await startServer({ label: 'spanids-prefix', dataDir: dir, env: ENV });
		const P = 'c0ffee00';
		const [ta, tb] = [traceId(), traceId()];
		const ids = { a1: `${P}00000001`, a2: `${P}ffffffff`, a3: `${P}7fffffff`, b1: `${P}00000000`, c1: 'c0ffee0100000001' };
		const at = { a1: ta, a2: ta, a3: ta, b1: tb, c1: tb };
		await postOtlp(server, Object.entries(ids).map(([name, sid], k) => otlpSpan({ traceId: at[name], spanId: sid, name,
			start: nanosFromNow(-60000 + k) })));
		await ingest(server, Math.ceil(MERGE / 10));   // merges them out of span_ids_new
		const rows = () => sqlite(dir, ['span_ids', 'span_ids_mid', 'span_ids_new'].map((t) =>
			`SELECT hex(id_prefix), trace FROM ${t} WHERE id_prefix IN (X'${P}', X'c0ffee01')`).join(' UNION ALL ') + ' ORDER BY 1, 2;');
		assert.equal(rows().split('\n').length, 3, 'a row per prefix and trace: (P, a), (P, b), (c0ffee01, b)');
		const found = async (name) => {
			const r = await get(server, `/api/spans/${ids[name]}`);
			return r.status === 200 ? `${r.json.name}@${r.json.trace_id === ta ? 'a' : 'b'}` : r.status;
		};
		for (const name of Object.keys(ids)) assert.equal(await found(name), `${name}@${at[name] === ta ? 'a' : 'b'}`);
		assert.equal((await get(server, `/api/spans/${P}12345678`)).status, 404, 'the prefix alone finds nothing');

		// a restart finds them again; a deleted trace takes its rows (schema/033: a span leaves span_ids only so)
		await server.stop();
		server = await startServer({ label: 'spanids-prefix-2', dataDir: dir, env: ENV });
		for (const name of Object.keys(ids)) assert.equal(await found(name), `${name}@${at[name] === ta ? 'a' : 'b'}`);
		assert.equal((await request(server, 'DELETE', `/api/traces/${tb}`)).status, 200);
		assert.equal(await found('b1'), 404);
		assert.equal(await found('c1'), 404);
		assert.equal(await found('a2'), 'a2@a');
		assert.equal(rows().split('\n').length, 1, 'the trace deleted took its rows, (P, a) stays');
		const st = state(dir);
		assert.equal(st.merged + st.pending, st.all - 2, `a1, a2 and a3 share a row: ${JSON.stringify(st)}`);
		await server.stop();
		server = null;
	});
});
