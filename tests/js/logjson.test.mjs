// logjson.test.mjs: --log-format json (here through TRACELITE_LOG_FORMAT):
// every line the server writes, from start to a clean stop, is one JSON
// object with time, level, msg and fields, messages with quotes and
// backslashes included; a bad format is refused at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, startServer, tempDataDir } from './helpers.mjs';

test('every log line is one JSON object with time, level, msg, fields', async () => {
	const dataDir = `${tempDataDir('logjson')}/with "quote" and \\ backslash`;
	const server = await startServer({ label: 'logjson', dataDir, env: { TRACELITE_LOG_FORMAT: 'json' } });
	await server.stop();
	const lines = server.log().split('\n').filter((l) => l !== '');
	assert.ok(lines.length >= 3, server.log());
	const records = lines.map((l) => {
		let o;
		assert.doesNotThrow(() => { o = JSON.parse(l); }, `not JSON: ${l}`);
		assert.deepEqual(Object.keys(o), ['time', 'level', 'msg', 'fields'], l);
		assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
		assert.ok(['debug', 'info', 'warn', 'error'].includes(o.level), l);
		assert.equal(typeof o.msg, 'string');
		assert.equal(typeof o.fields, 'object');
		return o;
	});
	const serving = records.find((r) => r.msg.startsWith('serving on '));
	assert.ok(serving, server.log());
	assert.equal(serving.fields.component, 'serve');
	assert.equal(serving.fields.url, `http://127.0.0.1:${server.port}`);
	assert.equal(serving.fields.data, dataDir);
	assert.ok(records.some((r) => r.msg === `search: building ${dataDir}/search.db`), 'quotes and backslashes survive');
	assert.equal(records.at(-1).msg, 'stopped cleanly');
});

test('--log-format takes text or json only', () => {
	const r = spawnSync(BIN, ['serve', '--log-format', 'xml'], { encoding: 'utf8' });
	assert.equal(r.status, 2);
	assert.match(r.stderr, /--log-format: expected text or json, got 'xml'/);
});
