// sql_cmd.test.mjs: `tracelite sql` runs SQL on a store with the server's
// connection setup, so the virtual table spans (schema/033) reads as the
// table it replaced, which the sqlite3 shell cannot: rows as the shell's
// list mode prints them, read only unless --write, and a precise error and
// exit status for bad SQL, flags, stores and oversized input.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, otlpSpan, postOtlp, startServer, storeSql, tempDataDir, traceId } from './helpers.mjs';

let server;
after(async () => { await server?.stop().catch(() => {}); });

const sql = (args, input) => spawnSync(BIN, ['sql', ...args], { input, encoding: 'utf8', timeout: 20000 });

test('tracelite sql reads spans, refuses writes unless --write, and names what is wrong', async () => {
	const dir = tempDataDir('sqlcmd');
	server = await startServer({ label: 'sqlcmd', dataDir: dir });
	const tid = traceId();
	const root = otlpSpan({ traceId: tid, name: 'root', attrs: { 'gen_ai.request.model': 'gpt-4o' } });
	await postOtlp(server, [root, otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: 'child' })]);

	let r = sql(['--data', dir, `SELECT count(*), count(parent_span_id), lower(hex(min(span_id))) FROM spans
		WHERE trace = (SELECT key FROM traces WHERE trace_id = X'${tid}');`]);
	assert.equal(r.status, 0, r.stderr);
	const first = [root.spanId, r.stdout.trim().split('|')[2]].sort()[0];
	assert.equal(r.stdout, `2|1|${first}\n`);
	// stdin, several statements, NULL printed empty, text as is
	r = sql(['--data', dir], "SELECT s.value, m.value FROM spans x JOIN strings s ON s.id = x.name LEFT JOIN strings m ON m.id = x.model ORDER BY 1; SELECT 'a|b';");
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, 'child|\nroot|gpt-4o\na|b\n');
	// the sqlite3 shell has no module spans
	assert.throws(() => storeSql(dir, 'SELECT count(*) FROM spans;'), /no such table: spans/);

	r = sql(['--data', dir, 'CREATE TABLE t (x)']);
	assert.equal(r.status, 1);
	assert.match(r.stderr, /^tracelite sql: attempt to write a readonly database/);
	r = sql(['--data', dir, '--write', 'CREATE TABLE t (x); INSERT INTO t VALUES (1), (NULL); SELECT x FROM t;']);
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, '1\n\n');
	r = sql(['--data', dir, '--write', 'DELETE FROM spans']);
	assert.equal(r.status, 1);
	assert.match(r.stderr, /^tracelite sql: table spans may not be modified/);
	r = sql(['--data', dir, 'SELECT nope FROM spans']);
	assert.equal(r.status, 1);
	assert.match(r.stderr, /^tracelite sql: no such column: nope/);
	r = sql(['--data', dir, '--bogus']);
	assert.equal(r.status, 2);
	assert.match(r.stderr, /^tracelite sql: --bogus: unknown flag or second SQL argument/);
	r = sql(['--data', dir], 'x'.repeat((1 << 20) + 1));
	assert.equal(r.status, 2);
	assert.match(r.stderr, /over 1048576 bytes of SQL on stdin/);
	r = sql(['--data', tempDataDir('sqlcmd-none'), 'SELECT 1']);
	assert.equal(r.status, 1);
	assert.match(r.stderr, /^tracelite sql: /);
	assert.equal(sql(['--help']).status, 0);
	await server.stop();
	server = null;
});
