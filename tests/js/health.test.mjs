// health.test.mjs: `tracelite health`, the container image's health check:
// exit 0 and "ok" for a healthy server (by --url, and by TRACELITE_LISTEN
// with a wildcard host asked on loopback; https with --tls-self-signed),
// 1 naming the address when nothing answers, 2 for bad usage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { BIN, freePort, sleep, startServer, tempDataDir } from './helpers.mjs';

let server;
before(async () => {
	server = await startServer({ label: 'health' });
});
after(async () => {
	await server?.stop();
});

const health = (args, env = {}) =>
	spawnSync(BIN, ['health', ...args], { encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env } });

test('a healthy server: exit 0, "ok"', () => {
	const r = health(['--url', `http://127.0.0.1:${server.port}`]);
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, 'ok\n');
});

test('by default the address of TRACELITE_LISTEN, 0.0.0.0 asked on 127.0.0.1', () => {
	const r = health([], { TRACELITE_LISTEN: `0.0.0.0:${server.port}` });
	assert.equal(r.status, 0, r.stderr);
	assert.equal(r.stdout, 'ok\n');
});

test('nothing listening: exit 1, naming the address', async () => {
	const port = await freePort();
	const r = health(['--url', `http://127.0.0.1:${port}`]);
	assert.equal(r.status, 1);
	assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
});

test('bad usage: exit 2 with what is wrong', () => {
	let r = health(['--url', 'ftp://x:1']);
	assert.equal(r.status, 2);
	assert.match(r.stderr, /not http:\/\/ or https:\/\//);
	r = health(['--url', 'http://127.0.0.1:99999']);
	assert.equal(r.status, 2);
	assert.match(r.stderr, /not HOST:PORT/);
	r = health(['--nope']);
	assert.equal(r.status, 2);
	assert.match(r.stderr, /--nope: unknown flag/);
});

test('a TLS server: --url https://, or TRACELITE_TLS_CERT set (not verified: a local probe)', async () => {
	const port = await freePort(), dataDir = tempDataDir('health-tls');
	const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--grpc-listen', 'off', '--data', dataDir,
		'--tls-self-signed'], { stdio: 'ignore' });
	const exited = new Promise((resolve) => proc.on('exit', resolve));
	try {
		let r;
		for (let i = 0; i < 200; i++) {
			r = health(['--url', `https://127.0.0.1:${port}`]);
			if (r.status === 0) break;
			await sleep(100);
		}
		assert.equal(r.status, 0, r.stderr);
		assert.equal(r.stdout, 'ok\n');
		r = health([], { TRACELITE_LISTEN: `0.0.0.0:${port}`, TRACELITE_TLS_CERT: path.join(dataDir, 'tls-self-signed.crt') });
		assert.equal(r.status, 0, r.stderr);
		r = health(['--url', `http://127.0.0.1:${port}`]);
		assert.equal(r.status, 1, 'plain http on the TLS port is not healthy');
	} finally {
		proc.kill('SIGTERM');
		assert.equal(await exited, 0);
	}
});
