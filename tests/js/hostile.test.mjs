// hostile.test.mjs: the server facing hostile clients and web pages. Many
// slow connections at once (idle keep-alive, headers trickled a byte at a
// time, bodies trickled at 8 bytes/s) must not stop /api/health or an OTLP
// export from answering, and a trickled body is refused with 408 and not
// stored; --listen takes one address only; CORS answers only the
// --cors-origin origins; JSON routes refuse form and text bodies (which a
// page can send without a preflight); a Host that does not name the server
// is refused (DNS rebinding); ambiguous body framing is refused (request
// smuggling).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import {
	BIN, get, otlpRequest, otlpSpan, post, request, startServer, tempDataDir, traceId,
} from './helpers.mjs';

const GOOD_ORIGIN = 'http://good.example:3000';
/* Generous limits on what the server promises; tests never assert on time
 * otherwise. */
const ANSWER_MS = 5000;
const BODY_CUTOFF_MS = 5000 + 10000 + 10000;   /* grace + one stalled read + margin */
const HEADER_CUTOFF_MS = 10000 + 10000;        /* request timeout + margin */

let server;
before(async () => { server = await startServer({ label: 'hostile', env: { TRACELITE_CORS_ORIGINS: GOOD_ORIGIN } }); });
after(async () => { if (server) await server.stop(); });

/* A raw TCP client: collects what the server sends and notes when it closes. */
function rawClient(port) {
	const sock = net.connect(port, '127.0.0.1');
	const c = { sock, data: '', closed: false };
	c.connected = new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
	c.ended = new Promise((resolve) => sock.on('close', () => { c.closed = true; resolve(); }));
	sock.on('data', (d) => { c.data += d.toString('latin1'); });
	sock.on('error', () => {});
	c.status = () => Number((/^HTTP\/1\.[01] (\d{3})/.exec(c.data) ?? [])[1]);
	return c;
}

/* Resolves once pred() holds, or rejects after ms naming what. */
async function until(pred, ms, what) {
	const deadline = Date.now() + ms;
	while (!pred()) {
		if (Date.now() > deadline) throw new Error(`${what}: not after ${ms} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/* Sends text to a raw connection and returns { status, text, closed } once
 * the server closed it (or after ms). */
async function rawExchange(text, ms = ANSWER_MS) {
	const c = rawClient(server.port);
	await c.connected;
	c.sock.write(text);
	await Promise.race([c.ended, new Promise((r) => setTimeout(r, ms))]);
	c.sock.destroy();
	return { status: c.status(), text: c.data, closed: c.closed };
}

const exportBody = (tid) => JSON.stringify(otlpRequest([otlpSpan({ traceId: tid, name: 'hostile-ok' })]));

describe('slow clients', () => {
	const N = 200;   /* the sanitized build copes with as many */

	test(`${N} slow connections: health and an OTLP export still answer; trickled bodies are cut off`,
		{ timeout: 90000 }, async (t) => {
			const idle = [], headers = [], bodies = [];
			const timers = [];
			const storedTid = traceId();
			try {
				for (let i = 0; i < N; i++) {
					const c = rawClient(server.port);
					await c.connected;
					const kind = i % 3;
					if (kind === 0) {
						// a keep-alive client that asked once and stays idle
						c.sock.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
						idle.push(c);
					} else if (kind === 1) {
						// a request line and headers, one byte a second
						const text = 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(1000);
						let at = 0;
						timers.push(setInterval(() => { if (!c.closed) c.sock.write(text[at++ % text.length]); }, 1000));
						headers.push(c);
					} else {
						// a body at 8 bytes a second: chunked, or sized (a real export, which must not be stored)
						const sized = bodies.length % 2 === 1;
						const body = exportBody(storedTid);
						c.sock.write(`POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
							(sized ? `Content-Length: ${body.length}\r\n\r\n` : 'Transfer-Encoding: chunked\r\n\r\n'));
						let at = 0;
						timers.push(setInterval(() => {
							if (c.closed || c.status()) return;
							const piece = body.slice(at, at + 8);
							at += 8;
							c.sock.write(sized ? piece : `${piece.length.toString(16)}\r\n${piece}\r\n`);
						}, 1000));
						bodies.push(c);
					}
				}
				await until(() => idle.every((c) => c.status() === 200), ANSWER_MS, 'idle clients answered');
				const opened = Date.now();

				const health = await get(server, '/api/health', { timeoutMs: ANSWER_MS });
				assert.equal(health.status, 200, health.text);
				const tid = traceId();
				const exp = await request(server, 'POST', '/v1/traces',
					{ headers: { 'content-type': 'application/json' }, body: exportBody(tid), timeoutMs: ANSWER_MS });
				assert.equal(exp.status, 200, exp.text);
				assert.equal((await get(server, `/api/traces/${tid}`, { timeoutMs: ANSWER_MS })).status, 200);
				t.diagnostic(`with ${N} slow connections open, health and an export answered in ${Date.now() - opened} ms`);

				await until(() => bodies.every((c) => c.status() || c.closed), BODY_CUTOFF_MS, 'trickled bodies cut off');
				t.diagnostic(`trickled bodies cut off ${Date.now() - opened} ms after all were open`);
				for (const c of bodies) {
					assert.equal(c.status(), 408, `trickled body: ${c.data.slice(0, 300)}`);
					assert.match(c.data, /too slow/);
				}
				// the answer closes the connection: the rest of the trickle is not read
				await until(() => bodies.every((c) => c.closed), ANSWER_MS, 'cut-off connections closed');
				assert.equal((await get(server, `/api/traces/${storedTid}`)).status, 404, 'a cut-off body was stored');

				await until(() => headers.every((c) => c.closed), HEADER_CUTOFF_MS, 'trickled headers closed');
				t.diagnostic(`trickled headers closed ${Date.now() - opened} ms after all were open`);
				assert.equal((await get(server, '/api/health', { timeoutMs: ANSWER_MS })).status, 200);
			} finally {
				timers.forEach(clearInterval);
				for (const c of [...idle, ...headers, ...bodies]) c.sock.destroy();
			}
		});
});

describe('--listen', () => {
	const cases = [
		['127.0.0.1:4318,0.0.0.0:4319', /one HOST:PORT/],
		['127.0.0.1:4318s', /PORT/],
		['127.0.0.1:4318r', /PORT/],
		['127.0.0.1:+4318', /'\+'/],
		['+4318', /'\+'/],
		['example.com:4318', /HOST must be/],
		['::1:4318', /brackets/],
		['0.0.0.0:4318', /--allow-remote/],
	];
	for (const [listen, message] of cases) {
		test(`--listen ${listen} is refused`, () => {
			const r = spawnSync(BIN, ['serve', '--listen', listen, '--data', tempDataDir('listen')],
				{ encoding: 'utf8', timeout: 10000 });
			assert.equal(r.status, 2, `exit ${r.status}, stderr: ${r.stderr}`);
			assert.match(r.stderr, message);
			assert.match(r.stderr, new RegExp(listen.replace(/[+.]/g, '\\$&')));
		});
	}
});

describe('CORS', () => {
	const preflight = (origin) => request(server, 'OPTIONS', '/v1/traces', {
		headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
	});

	test('a preflight from an unlisted origin is refused without CORS headers', async () => {
		const r = await preflight('http://evil.example');
		assert.equal(r.status, 403, r.text);
		assert.equal(r.headers['access-control-allow-origin'], undefined);
		assert.match(r.json?.error ?? '', /--cors-origin/);
		const g = await get(server, '/api/health', { headers: { origin: 'http://evil.example' } });
		assert.equal(g.status, 200);
		assert.equal(g.headers['access-control-allow-origin'], undefined);
	});

	test('a --cors-origin origin gets its preflight and CORS headers', async () => {
		const r = await preflight(GOOD_ORIGIN);
		assert.equal(r.status, 204, r.text);
		assert.equal(r.headers['access-control-allow-origin'], GOOD_ORIGIN);
		assert.match(r.headers['access-control-allow-methods'], /POST/);
		for (const h of ['content-type', 'content-encoding', 'x-project-id', 'authorization']) {
			assert.match(r.headers['access-control-allow-headers'], new RegExp(h));
		}
		assert.ok(Number(r.headers['access-control-max-age']) > 0);
		const g = await get(server, '/api/health', { headers: { origin: GOOD_ORIGIN } });
		assert.equal(g.headers['access-control-allow-origin'], GOOD_ORIGIN);
		assert.match(g.headers.vary, /Origin/);
	});
});

describe('content types on JSON routes', () => {
	for (const path of ['/api/spans', '/api/scores', '/api/traces/ingest', '/v1/traces']) {
		for (const ct of ['application/x-www-form-urlencoded', 'text/plain', undefined]) {
			test(`${path} with ${ct ?? 'no content type'} is 415`, async () => {
				const r = await post(server, path, '['.repeat(700), ct ? { 'content-type': ct } : {});
				assert.equal(r.status, 415, r.text);
				assert.match(r.json?.error ?? '', /application\/json/);
			});
		}
	}
});

describe('Host', () => {
	test('a foreign Host is refused, loopback names answer', async () => {
		const r = await get(server, '/api/traces', { headers: { host: 'evil.example' } });
		assert.equal(r.status, 403, r.text);
		assert.match(r.json?.error ?? '', /evil\.example/);
		assert.match(r.json.error, /--allow-host/);
		for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, 'localhost', `[::1]:${server.port}`]) {
			assert.equal((await get(server, '/api/health', { headers: { host } })).status, 200, host);
		}
		const noHost = await rawExchange('GET /api/health HTTP/1.0\r\n\r\n');
		assert.equal(noHost.status, 200, noHost.text);
	});

	test('--allow-host lets a name through', async () => {
		const other = await startServer({ label: 'hostile-allow', env: { TRACELITE_ALLOW_HOSTS: 'evil.example' } });
		try {
			assert.equal((await get(other, '/api/health', { headers: { host: 'evil.example:8080' } })).status, 200);
			assert.equal((await get(other, '/api/health', { headers: { host: 'other.example' } })).status, 403);
		} finally {
			await other.stop();
		}
	});
});

describe('body framing', () => {
	const head = 'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
	const cases = [
		['Content-Length with Transfer-Encoding', `${head}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
		['two different Content-Lengths', `${head}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}`],
		['Transfer-Encoding gzip', `${head}Transfer-Encoding: gzip\r\n\r\n{}`],
		['Transfer-Encoding identity', `${head}Transfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n{}`],
		['Transfer-Encoding twice', `${head}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
	];
	for (const [name, text] of cases) {
		test(`${name}: 400 and the connection closed`, async () => {
			const r = await rawExchange(text + 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
			assert.equal(r.status, 400, r.text);
			assert.ok(r.closed, 'connection left open');
			assert.equal(r.text.match(/^HTTP\/1\.1 /gm).length, 1, `a second answer: ${r.text}`);
		});
	}
});
