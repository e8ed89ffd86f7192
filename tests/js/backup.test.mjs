// backup.test.mjs: `tracelite backup DEST` while a server takes traffic:
// each copy is a whole committed state (every listed trace has all its
// spans, and everything acknowledged before the backup started is in it),
// a server started on the copy (the restore) serves the same traces as the
// original, replication checkpoints are copied, and bad usage exits 2 with
// a message naming what is wrong.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, getJson, listAllTraces, otlpSpan, postOtlp, sleep, startServer, tempDataDir, traceId } from './helpers.mjs';

const ALL = { from: '2000-01-01' };
let server;

before(async () => {
	server = await startServer({ label: 'backup' });
});
after(async () => {
	await server?.stop();
});

const backup = (dest, dataDir = server.dataDir) =>
	spawnSync(BIN, ['backup', dest, '--data', dataDir], { encoding: 'utf8', timeout: 120000 });

/* n traces of 3 spans each, acknowledged; returns their ids. */
async function sendTraces(n) {
	const ids = [];
	for (let i = 0; i < n; i++) {
		const tid = traceId();
		const root = otlpSpan({ traceId: tid, name: `backup-root-${i}` });
		await postOtlp(server, [root, otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: 'a' }),
			otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: 'b' })]);
		ids.push(tid);
	}
	return ids;
}

/* Waits until the server lists every id (the write queue commits async). */
async function listed(srv, ids, timeoutMs = 20000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const have = new Set((await listAllTraces(srv, ALL)).map((t) => t.trace_id));
		if (ids.every((id) => have.has(id))) return;
		assert.ok(Date.now() < deadline, 'traces not listed in time');
		await sleep(100);
	}
}

test('backups taken during ingest are consistent, and a server on a copy serves the same traces', async () => {
	const before = await sendTraces(20);
	await listed(server, before);
	// demo traffic through the HTTP port while the backups run
	const bg = spawn(BIN, ['demo', '--traces', '400', '--days', '1', '--batch', '4', '--url', `${server.url}/v1/traces`],
		{ stdio: 'ignore' });
	const done = new Promise((r) => bg.on('exit', r));
	const copies = [];
	try {
		for (let i = 0; i < 3; i++) {
			const dest = path.join(tempDataDir(`backup-copy-${i}`), 'copy');
			const r = backup(dest);
			assert.equal(r.status, 0, r.stderr);
			assert.match(r.stdout, /^backup: .*: tracelite\.db \d+ bytes/);
			assert.ok(fs.existsSync(path.join(dest, 'tracelite.db')));
			assert.ok(!fs.existsSync(path.join(dest, 'tracelite.db.tmp')));
			copies.push(dest);
			await sleep(150);               // spread the copies over the ingest
		}
	} finally {
		await done;
	}
	for (const dest of copies) {
		const restored = await startServer({ label: 'backup-restored', dataDir: dest });
		try {
			const traces = await listAllTraces(restored, ALL);
			const ids = new Set(traces.map((t) => t.trace_id));
			for (const id of before) assert.ok(ids.has(id), `trace ${id} acknowledged before the backup is in it`);
			// a committed state: every listed trace holds exactly its span count
			for (const t of traces.slice(0, 60)) {
				const got = await getJson(restored, `/api/traces/${t.trace_id}`);
				assert.equal(got.spans.length, t.span_count, `trace ${t.trace_id}`);
			}
			// the restore serves what the original serves
			for (const id of before.slice(0, 5)) {
				assert.deepEqual(await getJson(restored, `/api/traces/${id}`), await getJson(server, `/api/traces/${id}`));
			}
		} finally {
			await restored.stop();
		}
	}
});

test('replication checkpoints (replication.db) are copied with the store', async () => {
	// a target that never answers still gets its checkpoint row
	const dataDir = tempDataDir('backup-repl');
	const srv = await startServer({ label: 'backup-repl', dataDir,
		env: { TRACELITE_REPLICATE: 'postgres://u:p@127.0.0.1:1/db', TRACELITE_REPLICATE_BACKOFF_MAX_MS: '250' } });
	try {
		const tid = traceId();
		await postOtlp(srv, [otlpSpan({ traceId: tid })]);
		await listed(srv, [tid]);
		assert.ok(fs.existsSync(path.join(dataDir, 'replication.db')), 'the server made replication.db');
		const dest = path.join(tempDataDir('backup-repl-copy'), 'copy');
		const r = spawnSync(BIN, ['backup', dest, '--data', dataDir], { encoding: 'utf8', timeout: 60000 });
		assert.equal(r.status, 0, r.stderr);
		assert.match(r.stdout, /replication\.db \d+ bytes/);
		assert.ok(fs.statSync(path.join(dest, 'replication.db')).size > 0);
	} finally {
		await srv.stop();
	}
});

test('bad usage exits 2 naming what is wrong, and never overwrites', () => {
	const dest = path.join(tempDataDir('backup-bad'), 'copy');
	fs.mkdirSync(dest);
	fs.writeFileSync(path.join(dest, 'keep'), 'mine');
	const cases = [
		[['backup', dest, '--data', server.dataDir], /DEST .*exists and is not an empty directory/],
		[['backup', '--data', server.dataDir], /DEST: the backup directory is missing/],
		[['backup', `${dest}-new`, '--data', `${dest}/none`], /no store at/],
		[['backup', 'a', 'b', '--data', server.dataDir], /b: unknown flag, missing value or second DEST/],
		[['backup', `${dest}-x`, '--bogus'], /--bogus: unknown flag/],
	];
	for (const [args, re] of cases) {
		const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 20000 });
		assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
		assert.match(r.stderr, re, args.join(' '));
	}
	assert.equal(fs.readFileSync(path.join(dest, 'keep'), 'utf8'), 'mine');
	assert.deepEqual(fs.readdirSync(dest), ['keep']);
	const help = spawnSync(BIN, ['backup', '--help'], { encoding: 'utf8' });
	assert.equal(help.status, 0);
	assert.match(help.stdout, /^usage: tracelite backup DEST \[--data DIR\]/);
});
