// auth.test.mjs: API keys, scopes and browser login (docs/auth.md) against
// the real binary: `tracelite keys` on a store a server is running on, 401
// with WWW-Authenticate / 403 / 200 per scope and per route family, bad
// keys, session cookies (flags, expiry, forgery, logout, CSRF), the
// one-time login link, the failed-login backoff, the refusal to listen
// beyond loopback without keys, and the OTel JS SDK sending with a key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
	BIN, freePort, get, otlpRequest, otlpSpan, request, sleep, startServer, tempDataDir, traceId,
} from './helpers.mjs';

/* Runs `tracelite keys ARGS --data dir`; returns {status, stdout, stderr}. */
function keys(dir, ...args) {
	return spawnSync(BIN, ['keys', ...args, '--data', dir], { encoding: 'utf8', timeout: 20000 });
}

/* Creates a key; returns the secret (the last line of stdout). */
function createKey(dir, name, scope, ...extra) {
	const r = keys(dir, 'create', '--name', name, '--scope', scope, ...extra);
	assert.equal(r.status, 0, r.stderr);
	const lines = r.stdout.trim().split('\n');
	return lines[lines.length - 1];
}

const bearer = (key) => ({ authorization: `Bearer ${key}` });

async function until(fn, ms, what) {
	const end = Date.now() + ms;
	for (;;) {
		if (await fn()) return;
		if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
		await sleep(25);
	}
}

/* One request per route family, with a body where the route takes one. */
const INGEST = [
	['POST', '/v1/traces', () => otlpRequest([otlpSpan({ traceId: traceId(), name: 'auth' })])],
	['POST', '/api/v1/traces', () => otlpRequest([otlpSpan({ traceId: traceId(), name: 'auth' })])],
	['POST', '/api/spans', () => ({ trace_id: crypto.randomUUID(), span_id: 's1', name: 'auth', timestamp: new Date().toISOString() })],
	['POST', '/api/traces/ingest', () => ({ trace_id: crypto.randomUUID(), name: 'auth', spans: [] })],
	['POST', '/api/scores', () => ({ trace_id: crypto.randomUUID(), name: 'q', value: 1 })],
];
const READ = ['/api/traces', '/api/traces/00000000000000000000000000000001', '/api/spans/0000000000000001', '/api/scores',
	'/api/projects', '/api/metrics/summary', '/api/metrics/timeseries', '/api/metrics/models',
	'/api/metrics/operations', '/api/search?q=x', '/api/replication', '/api/sessions', '/api/users',
	'/api/scores/summary', '/api/facets', '/', '/traces'];

const denied = (s) => s === 401 || s === 403;

describe('keys and scopes', () => {
	let server, dir;
	const k = {};
	before(async () => {
		dir = tempDataDir('auth');
		k.ingest = createKey(dir, 'ci', 'ingest');
		k.read = createKey(dir, 'viewer', 'read', '--project', 'shop');
		k.admin = createKey(dir, 'root', 'admin');
		server = await startServer({ label: 'auth', dataDir: dir });
	});
	after(async () => { await server?.stop(); });

	test('keys create prints the key once on the last line; list never shows it or its hash', () => {
		assert.match(k.read, /^tl_[0-9a-f]{64}$/);
		const r = keys(dir, 'list');
		assert.equal(r.status, 0, r.stderr);
		assert.match(r.stdout, /viewer\s+read/);
		assert.match(r.stdout, /shop/);
		for (const key of Object.values(k)) {
			assert.ok(!r.stdout.includes(key) && !r.stdout.includes(key.slice(3, 20)), 'the key is listed');
			const hash = crypto.createHash('sha256').update(key).digest('hex');
			assert.ok(!r.stdout.includes(hash.slice(0, 16)), 'the hash is listed');
		}
		assert.equal(keys(dir, 'create', '--name', 'viewer', '--scope', 'read').status, 1, 'duplicate name');
		assert.equal(keys(dir, 'create', '--name', 'x', '--scope', 'owner').status, 2, 'bad scope');
		assert.equal(keys(dir, 'create', '--name', 'bad name', '--scope', 'read').status, 2, 'bad name');
	});

	test('health is public and says auth is on', async () => {
		const r = await get(server, '/api/health');
		assert.equal(r.status, 200);
		assert.equal(r.json.auth.on, true);
		assert.equal(r.json.auth.mode, 'auto');
	});

	test('no key: 401 with WWW-Authenticate and a JSON error on every family', async () => {
		for (const [method, path, body] of INGEST) {
			const r = await request(server, method, path, { body: body() });
			assert.equal(r.status, 401, `${method} ${path}`);
			assert.match(r.headers['www-authenticate'], /^Bearer realm="tracelite"/);
			assert.match(r.json.error, /API key is required/);
		}
		for (const path of READ) {
			const r = await get(server, path);
			assert.equal(r.status, 401, path);
			assert.ok(r.headers['www-authenticate'], path);
		}
		const d = await request(server, 'DELETE', '/api/traces/00000000000000000000000000000001');
		assert.equal(d.status, 401);
	});

	test('ingest scope: ingest routes only', async () => {
		for (const [method, path, body] of INGEST) {
			const r = await request(server, method, path, { body: body(), headers: bearer(k.ingest) });
			assert.ok(!denied(r.status), `${path}: ${r.status} ${r.text}`);
		}
		for (const path of READ) {
			const r = await get(server, path, { headers: bearer(k.ingest) });
			assert.equal(r.status, 403, path);
			assert.match(r.json.error, /key 'ci' has scope ingest; this needs read/);
		}
	});

	test('read scope: the query API and the UI, not ingest or delete', async () => {
		for (const path of READ) {
			const r = await get(server, path, { headers: bearer(k.read) });
			assert.ok(!denied(r.status), `${path}: ${r.status} ${r.text}`);
		}
		for (const [method, path, body] of INGEST) {
			const r = await request(server, method, path, { body: body(), headers: bearer(k.read) });
			assert.equal(r.status, 403, path);
		}
		const d = await request(server, 'DELETE', '/api/traces/00000000000000000000000000000001', { headers: bearer(k.read) });
		assert.equal(d.status, 403);
		assert.match(d.json.error, /needs admin/);
	});

	test('admin scope: everything, including delete', async () => {
		for (const [method, path, body] of INGEST) {
			const r = await request(server, method, path, { body: body(), headers: { 'x-api-key': k.admin } });
			assert.ok(!denied(r.status), `${path}: ${r.status}`);
		}
		for (const path of READ) assert.ok(!denied((await get(server, path, { headers: bearer(k.admin) })).status), path);
		const d = await request(server, 'DELETE', '/api/traces/00000000000000000000000000000001', { headers: bearer(k.admin) });
		assert.ok(!denied(d.status), `DELETE: ${d.status}`);
	});

	test('x-api-key and Bearer (any case) are both accepted; last use is listed', async () => {
		assert.equal((await get(server, '/api/traces', { headers: { 'x-api-key': k.read } })).status, 200);
		assert.equal((await get(server, '/api/traces', { headers: { authorization: `bearer ${k.read}` } })).status, 200);
		const r = keys(dir, 'list');
		assert.doesNotMatch(r.stdout.split('\n').find((l) => l.startsWith('viewer')), /never/);
	});

	test('malformed, overlong, unknown and foreign keys are 401', async () => {
		const other = tempDataDir('auth-other');
		const foreign = createKey(other, 'root', 'admin');
		const cases = [
			['Bearer', /scheme must be Bearer|malformed|required/],
			['Digest username="x"', /scheme must be Bearer/],
			['Basic dXNlcjpwYXNz', /unknown or revoked/],   // user:pass: the password is checked as a key
			['Bearer tl_!!!', /malformed key: byte 4/],
			['Bearer ' + 'a'.repeat(5000), /longer than 200/],
			[`Bearer ${k.admin.slice(0, -1)}${k.admin.endsWith('0') ? '1' : '0'}`, /unknown or revoked/],
			[`Bearer ${foreign}`, /unknown or revoked/],
		];
		for (const [value, message] of cases) {
			const r = await get(server, '/api/traces', { headers: { authorization: value } });
			assert.equal(r.status, 401, value.slice(0, 40));
			assert.match(r.json.error, message);
			assert.match(r.headers['www-authenticate'], /invalid_token/);
			assert.ok(!r.text.includes(value.slice(7, 30)) || value.length < 10, 'the key is echoed');
		}
		// past civetweb's header limit: refused, never served, the server lives on
		const huge = await get(server, '/api/traces', { headers: { authorization: 'Bearer ' + 'a'.repeat(64 * 1024) } })
			.catch((e) => ({ status: 0, error: e }));
		assert.notEqual(huge.status, 200);
		assert.equal((await get(server, '/api/health')).status, 200);
	});

	test('a key created on the running server works at once; a revoked one stops', async () => {
		const fresh = createKey(dir, 'late', 'read');
		assert.equal((await get(server, '/api/traces', { headers: bearer(fresh) })).status, 200);
		const r = keys(dir, 'revoke', 'late');
		assert.equal(r.status, 0, r.stderr);
		const t0 = Date.now();
		await until(async () => (await get(server, '/api/traces', { headers: bearer(fresh) })).status === 401, 2000,
			'revoked key refused');
		assert.ok(Date.now() - t0 < 1000, `revocation took ${Date.now() - t0} ms`);
		assert.equal(keys(dir, 'revoke', 'late').status, 1, 'revoking twice');
		assert.doesNotMatch(keys(dir, 'list').stdout, /late/);
	});

	test('a browser page without a session goes to /login; the login page and assets are public', async () => {
		const r = await get(server, '/traces/abc', { headers: { accept: 'text/html' } });
		assert.equal(r.status, 303);
		assert.equal(r.headers.location, '/login?next=%2ftraces%2fabc');
		const page = await get(server, '/login');
		assert.equal(page.status, 200);
		assert.match(page.text, /login\.js/);
		assert.match(page.headers['content-security-policy'], /default-src 'self'/);
		for (const a of ['login.js', 'style.css', 'theme.js', 'app.js']) assert.equal((await get(server, `/assets/${a}`)).status, 200, a);
	});
});

/* Logs in with body; returns {status, cookie, json, headers}. */
async function login(server, body) {
	const r = await request(server, 'POST', '/api/login', { body });
	const set = r.headers['set-cookie']?.[0] ?? '';
	return { ...r, setCookie: set, cookie: set.split(';')[0] };
}

describe('browser sessions', () => {
	let server, dir;
	const k = {};
	before(async () => {
		dir = tempDataDir('auth-session');
		k.read = createKey(dir, 'viewer', 'read');
		k.admin = createKey(dir, 'root', 'admin');
		k.ingest = createKey(dir, 'ci', 'ingest');
		server = await startServer({ label: 'auth-session', dataDir: dir, env: { TRACELITE_SESSION_TTL_S: '2' } });
	});
	after(async () => { await server?.stop(); });

	test('login sets an HttpOnly SameSite=Strict cookie (not Secure without TLS) that reads the API', async () => {
		const r = await login(server, { key: k.read });
		assert.equal(r.status, 200, r.text);
		assert.match(r.setCookie, /^tracelite_session=[0-9a-f]{64}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
		assert.ok(!r.setCookie.includes(k.read));
		assert.equal(r.json.scope, 'read');
		assert.equal((await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status, 200);
		assert.equal((await get(server, '/traces', { headers: { cookie: r.cookie, accept: 'text/html' } })).status, 200);
		const s = await get(server, '/api/session', { headers: { cookie: r.cookie } });
		assert.deepEqual([s.json.auth, s.json.logged_in, s.json.via, s.json.name], [true, true, 'session', 'viewer']);
		assert.match(s.json.csrf, /^[0-9a-f]{64}$/);
		const anon = await get(server, '/api/session');
		assert.deepEqual([anon.json.auth, anon.json.logged_in], [true, false]);
	});

	test('an ingest key cannot log in; a non-JSON login is refused', async () => {
		assert.equal((await login(server, { key: k.ingest })).status, 403);
		const form = await request(server, 'POST', '/api/login', { body: `key=${k.read}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
		assert.equal(form.status, 415);
		assert.equal((await login(server, { nothing: 1 })).status, 400);
	});

	test('forged and expired cookies are 401', async () => {
		for (const cookie of [`tracelite_session=${'0'.repeat(64)}`, 'tracelite_session=abc', `tracelite_session=${'z'.repeat(5000)}`]) {
			const r = await get(server, '/api/traces', { headers: { cookie } });
			assert.equal(r.status, 401, cookie.slice(0, 40));
		}
		const r = await login(server, { key: k.read });
		assert.equal((await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status, 200);
		await sleep(2300);   // TRACELITE_SESSION_TTL_S=2
		const late = await get(server, '/api/traces', { headers: { cookie: r.cookie } });
		assert.equal(late.status, 401);
		assert.match(late.json.error, /expired/);
	});

	test('CSRF: a cookie session changes nothing without its X-CSRF-Token; a key needs none', async () => {
		const r = await login(server, { key: k.admin });
		const body = otlpRequest([otlpSpan({ traceId: traceId(), name: 'csrf' })]);
		const noToken = await request(server, 'POST', '/v1/traces', { body, headers: { cookie: r.cookie } });
		assert.equal(noToken.status, 403);
		assert.match(noToken.json.error, /X-CSRF-Token/);
		const wrong = await request(server, 'POST', '/v1/traces', { body, headers: { cookie: r.cookie, 'x-csrf-token': '1'.repeat(64) } });
		assert.equal(wrong.status, 403);
		const ok = await request(server, 'POST', '/v1/traces', { body, headers: { cookie: r.cookie, 'x-csrf-token': r.json.csrf } });
		assert.equal(ok.status, 200, ok.text);
		const del = await request(server, 'DELETE', '/api/traces/00000000000000000000000000000001', { headers: { cookie: r.cookie } });
		assert.equal(del.status, 403);
		const byKey = await request(server, 'POST', '/v1/traces', { body, headers: bearer(k.admin) });
		assert.equal(byKey.status, 200);
	});

	test('logout needs the CSRF token, ends the session and clears the cookie', async () => {
		const r = await login(server, { key: k.read });
		const cross = await request(server, 'POST', '/api/logout', { headers: { cookie: r.cookie } });
		assert.equal(cross.status, 403);
		assert.equal((await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status, 200);
		const out = await request(server, 'POST', '/api/logout', { headers: { cookie: r.cookie, 'x-csrf-token': r.json.csrf } });
		assert.equal(out.status, 200);
		assert.match(out.headers['set-cookie'][0], /^tracelite_session=; Path=\/; Max-Age=0/);
		assert.equal((await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status, 401);
	});

	test('revoking the key ends its sessions', async () => {
		const extra = createKey(dir, 'temp', 'read');
		const r = await login(server, { key: extra });
		assert.equal((await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status, 200);
		assert.equal(keys(dir, 'revoke', 'temp').status, 0);
		await until(async () => (await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status === 401, 2000, 'session ended');
	});

	test('the login link printed at start works once', async () => {
		const m = /login\?token=([0-9a-f]{64}) \(one use/.exec(server.log());
		assert.ok(m, 'no login link in the log');
		const r = await login(server, { token: m[1] });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.scope, 'admin');
		assert.equal((await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status, 200);
		assert.equal((await login(server, { token: m[1] })).status, 401, 'second use');
	});

	test('repeated failed logins are slowed down (429 with Retry-After), then a good key works', async () => {
		const bad = 'tl_' + '0'.repeat(64);
		assert.equal((await login(server, { key: k.read })).status, 200, 'a success forgets earlier failures');
		for (let i = 0; i < 4; i++) assert.equal((await login(server, { key: bad })).status, 401, `attempt ${i + 1}`);
		// the 5th failure starts the backoff: the next try, even with a good key, must wait
		assert.equal((await login(server, { key: bad })).status, 401);
		const slow = await login(server, { key: k.read });
		assert.equal(slow.status, 429);
		const wait = Number(slow.headers['retry-after']);
		assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
		await sleep(wait * 1000 + 100);
		assert.equal((await login(server, { key: k.read })).status, 200);
		// a success forgets the failures
		assert.equal((await login(server, { key: bad })).status, 401);
		assert.equal((await login(server, { key: k.read })).status, 200);
	});
});

describe('modes and listening beyond loopback', () => {
	test('--auth required without keys: everything but health and login needs a key or the link', async () => {
		const server = await startServer({ label: 'auth-required', env: { TRACELITE_AUTH: 'required' } });
		try {
			assert.equal((await get(server, '/api/health')).json.auth.on, true);
			assert.equal((await get(server, '/api/traces')).status, 401);
			const m = /login\?token=([0-9a-f]{64})/.exec(server.log());
			const r = await login(server, { token: m[1] });
			assert.equal((await get(server, '/api/traces', { headers: { cookie: r.cookie } })).status, 200);
		} finally { await server.stop(); }
	});

	test('no keys on loopback: auth is off (as before); the first key turns it on without restart', async () => {
		const server = await startServer({ label: 'auth-auto' });
		try {
			assert.equal((await get(server, '/api/health')).json.auth.on, false);
			assert.equal((await get(server, '/api/traces')).status, 200);
			assert.equal((await login(server, { key: 'tl_x' })).status, 409);
			const key = createKey(server.dataDir, 'first', 'read');
			await until(async () => (await get(server, '/api/traces')).status === 401, 2000, 'auth on');
			assert.equal((await get(server, '/api/traces', { headers: bearer(key) })).status, 200);
		} finally { await server.stop(); }
	});

	test('a non-loopback address without keys is refused with how to create one; with a key it starts', async () => {
		const dir = tempDataDir('auth-remote');
		const port = await freePort();
		const r = spawnSync(BIN, ['serve', '--listen', `0.0.0.0:${port}`, '--data', dir], { encoding: 'utf8', timeout: 20000 });
		assert.equal(r.status, 2, r.stderr);
		assert.match(r.stderr, /no API keys/);
		assert.match(r.stderr, /tracelite keys create --name admin --scope admin --data /);
		const off = spawnSync(BIN, ['serve', '--listen', `0.0.0.0:${port}`, '--data', dir, '--auth', 'off'], { encoding: 'utf8', timeout: 20000 });
		assert.equal(off.status, 2);
		assert.match(off.stderr, /--auth off/);
		const bad = spawnSync(BIN, ['serve', '--auth', 'maybe', '--data', dir], { encoding: 'utf8', timeout: 20000 });
		assert.equal(bad.status, 2);
		assert.match(bad.stderr, /--auth: expected auto, required or off/);

		const key = createKey(dir, 'root', 'admin');
		const { spawn } = await import('node:child_process');
		// --grpc-listen off: the default 4317 may be taken by another server on the machine
		const proc = spawn(BIN, ['serve', '--listen', `0.0.0.0:${port}`, '--grpc-listen', 'off', '--data', dir], { stdio: 'ignore' });
		const exited = new Promise((res) => proc.on('exit', res));
		try {
			const s = { url: `http://127.0.0.1:${port}` };
			await until(async () => (await get(s, '/api/health', { timeoutMs: 1000 }).catch(() => ({}))).status === 200, 15000, 'listening');
			assert.equal((await get(s, '/api/traces')).status, 401);
			assert.equal((await get(s, '/api/traces', { headers: bearer(key) })).status, 200);
			// beyond loopback, revoking the last key locks the server instead of opening it
			assert.equal(keys(dir, 'revoke', 'root').status, 0);
			await until(async () => (await get(s, '/api/traces', { headers: bearer(key) })).status === 401, 2000, 'revoked');
			assert.equal((await get(s, '/api/traces')).status, 401);
			assert.equal((await get(s, '/api/health')).json.auth.mode, 'required');
		} finally {
			proc.kill('SIGTERM');   // a no-op when it already exited; exited resolved then
			await exited;
		}
	});
});

describe('OpenTelemetry JS SDK with a key', () => {
	let server, key;
	before(async () => {
		const dir = tempDataDir('auth-sdk');
		key = createKey(dir, 'app', 'ingest');
		server = await startServer({ label: 'auth-sdk', dataDir: dir });
	});
	after(async () => { await server?.stop(); });

	/* Exports one span with headers; returns the export result code. */
	async function exportOne(headers, name) {
		const results = [];
		const inner = new OTLPTraceExporter({ url: `${server.url}/v1/traces`, headers, timeoutMillis: 10000 });
		const exporter = {
			export: (spans, done) => inner.export(spans, (r) => { results.push(r); done(r); }),
			shutdown: () => inner.shutdown(),
		};
		const provider = new BasicTracerProvider({
			resource: resourceFromAttributes({ 'service.name': 'auth-sdk' }),
			spanProcessors: [new SimpleSpanProcessor(exporter)],
		});
		provider.getTracer('t').startSpan(name).end();
		await provider.forceFlush().catch(() => {});   // a refused export rejects the flush
		await provider.shutdown().catch(() => {});
		return results[0]?.code;
	}

	test('Authorization: Bearer from the exporter headers is accepted; none is refused', async () => {
		assert.equal(await exportOne({ Authorization: `Bearer ${key}` }, 'with-key'), 0);
		assert.notEqual(await exportOne({}, 'without-key'), 0);
		const admin = createKey(server.dataDir, 'reader', 'read');
		const r = await get(server, '/api/traces?q=&limit=10', { headers: bearer(admin) });
		assert.equal(r.status, 200);
		const names = r.json.items.map((t) => t.root_name ?? t.name);
		assert.ok(names.includes('with-key'), JSON.stringify(r.json.items).slice(0, 300));
		assert.ok(!names.includes('without-key'));
	});

	test('tracelite demo --url sends TRACELITE_API_KEY', () => {
		const run = (env) => spawnSync(BIN, ['demo', '--traces', '3', '--url', `${server.url}/v1/traces`],
			{ encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env } });
		const none = run({ TRACELITE_API_KEY: '' });
		assert.equal(none.status, 1);
		assert.match(none.stderr, /HTTP 401/);
		assert.equal(run({ TRACELITE_API_KEY: key }).status, 0);
		const bad = run({ TRACELITE_API_KEY: 'two words' });
		assert.equal(bad.status, 2);
		assert.match(bad.stderr, /TRACELITE_API_KEY: malformed key/);
	});
});

describe('under TLS', () => {
	test('the session cookie is Secure over https; keys and the login link work there', async () => {
		const https = await import('node:https');
		const { spawn } = await import('node:child_process');
		const dir = tempDataDir('auth-tls');
		const key = createKey(dir, 'root', 'admin');
		const port = await freePort();
		const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--grpc-listen', 'off', '--data', dir, '--tls-self-signed'],
			{ stdio: ['ignore', 'pipe', 'pipe'] });
		const exited = new Promise((res) => proc.on('exit', res));
		let out = '';
		proc.stdout.on('data', (d) => { out += d; });
		proc.stderr.on('data', (d) => { out += d; });
		const call = (method, p, { headers = {}, body } = {}) => new Promise((resolve, reject) => {
			const req = https.request(`https://127.0.0.1:${port}${p}`, { method, headers, rejectUnauthorized: false, agent: false }, (res) => {
				let text = '';
				res.on('data', (d) => { text += d; });
				res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
			});
			req.on('error', reject);
			req.end(body);
		});
		try {
			await until(() => /login\?token=/.test(out), 20000, `start: ${out}`);
			assert.match(out, /https:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f]{64}/);
			assert.equal((await call('GET', '/api/traces')).status, 401);
			assert.equal((await call('GET', '/api/traces', { headers: bearer(key) })).status, 200);
			const r = await call('POST', '/api/login', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
			assert.equal(r.status, 200, r.text);
			assert.match(r.headers['set-cookie'][0], /; HttpOnly; SameSite=Strict; Secure$/);
		} finally {
			proc.kill('SIGTERM');   // a no-op when it already exited; exited resolved then
			await exited;
		}
	});
});

describe('Langfuse key pairs', () => {
	test('keys create --langfuse: Basic pk:sk sends to the key\'s project; a wrong pk or sk is 401', async () => {
		const dir = tempDataDir('auth-langfuse');
		const r = keys(dir, 'create', '--name', 'lf', '--scope', 'ingest', '--project', 'shop', '--langfuse');
		assert.equal(r.status, 0, r.stderr);
		const lines = r.stdout.trim().split('\n');
		const sk = lines.pop(), pk = /^LANGFUSE_PUBLIC_KEY=(pk-lf-[0-9a-f]{32})$/.exec(lines.pop())[1];
		assert.match(sk, /^sk-lf-[0-9a-f]{64}$/);
		const list = keys(dir, 'list').stdout;
		assert.ok(list.includes(pk) && !list.includes(sk), list);
		const reader = createKey(dir, 'reader', 'read');
		const server = await startServer({ label: 'auth-langfuse', dataDir: dir });
		try {
			const basic = (u, p) => ({ authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64'), 'content-type': 'application/json' });
			const T = traceId();
			const batch = { batch: [{ id: `${T}-t`, type: 'trace-create', timestamp: new Date().toISOString(), body: { id: T, name: 'lf-auth' } }] };
			assert.equal((await request(server, 'GET', '/api/public/health')).status, 200, 'health is public');
			const projects = await request(server, 'GET', '/api/public/projects', { headers: basic(pk, sk) });
			assert.equal(projects.status, 200, projects.text);
			assert.equal(projects.json.data[0].name, 'shop');
			for (const [u, p, why] of [[pk.replace(/.$/, (c) => (c === '0' ? '1' : '0')), sk, 'another pk'], [pk, sk.slice(0, -1) + (sk.endsWith('0') ? '1' : '0'), 'another sk'], [pk, '', 'no sk']]) {
				const bad = await request(server, 'POST', '/api/public/ingestion', { body: JSON.stringify(batch), headers: basic(u, p) });
				assert.equal(bad.status, 401, why);
			}
			const bad = await request(server, 'POST', '/api/public/ingestion', { body: JSON.stringify(batch), headers: { authorization: 'Basic !!!' } });
			assert.equal(bad.status, 401);
			assert.match(bad.json.error, /malformed Basic/);
			const ok = await request(server, 'POST', '/api/public/ingestion', { body: JSON.stringify(batch), headers: basic(pk, sk) });
			assert.equal(ok.status, 207, ok.text);
			const got = await get(server, '/api/traces?project=shop&range=all', { headers: bearer(reader) });
			assert.equal(got.status, 200, got.text);
			assert.ok(got.json.items.some((t) => t.name === 'lf-auth'), JSON.stringify(got.json).slice(0, 400));
		} finally { await server.stop(); }
	});
});

describe('OTLP/gRPC with keys', () => {
	test('a gRPC export needs an ingest key in authorization metadata: 16 without, 7 for read, OK with, project of the key', async () => {
		const { grpcCall, frame, TRACE_PATH } = await import('./grpc_client.mjs');
		const { otlpToProtobuf } = await import('./helpers.mjs');
		const dir = tempDataDir('auth-grpc');
		const ingest = createKey(dir, 'grpc', 'ingest', '--project', 'grpcproj');
		const read = createKey(dir, 'reader', 'read');
		const server = await startServer({ label: 'auth-grpc', dataDir: dir, grpc: true });
		try {
			const tid = traceId();
			const body = frame(otlpToProtobuf(otlpRequest([otlpSpan({ traceId: tid, name: 'over-grpc' })])));
			const none = await grpcCall(server.grpcUrl, TRACE_PATH, body);
			assert.equal(none.grpcStatus, 16, JSON.stringify(none.grpcMessage));
			const wrong = await grpcCall(server.grpcUrl, TRACE_PATH, body, { headers: { authorization: `Bearer ${read}` } });
			assert.equal(wrong.grpcStatus, 7, wrong.grpcMessage);
			const bad = await grpcCall(server.grpcUrl, TRACE_PATH, body, { headers: { authorization: 'Bearer tl_' + '0'.repeat(64) } });
			assert.equal(bad.grpcStatus, 16);
			const ok = await grpcCall(server.grpcUrl, TRACE_PATH, body, { headers: { authorization: `Bearer ${ingest}` } });
			assert.equal(ok.grpcStatus, 0, ok.grpcMessage);
			const t = await get(server, `/api/traces/${tid}`, { headers: bearer(read) });
			assert.equal(t.status, 200, t.text);
			assert.equal(t.json.trace.project ?? t.json.trace.project_name, 'grpcproj', JSON.stringify(t.json.trace).slice(0, 300));
		} finally { await server.stop(); }
	});
});
