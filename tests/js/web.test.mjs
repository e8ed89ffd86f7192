// web.test.mjs: the embedded web UI as HTTP sees it: page paths answer
// index.html while /api/ and /v1/ keep their handlers, assets carry their
// content type, an ETag that yields 304, and gzip only when accepted; and
// GET /api/facets (the filter pickers' values) with its parameter errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { get, getJson, postOtlp, otlpSpan, request, startServer, traceId } from './helpers.mjs';

let server;
before(async () => { server = await startServer({ label: 'web' }); });
after(async () => { if (server) await server.stop(); });

describe('web UI pages and assets', () => {
	for (const p of ['/', '/traces', '/traces/0123456789abcdef0123456789abcdef', '/sessions', '/sessions/abc', '/scores', '/users', '/users/u1', '/logs']) {
		test(`GET ${p} is the app's index.html`, async () => {
			const r = await get(server, p);
			assert.equal(r.status, 200);
			assert.match(r.headers['content-type'], /^text\/html/);
			assert.match(r.text, /<script type="module" src="\/assets\/app.js">/);
			assert.match(r.headers['content-security-policy'], /default-src 'self'/);
		});
	}

	test('API and ingest routes keep precedence over the UI', async () => {
		const r = await get(server, '/api/traces');
		assert.equal(r.status, 200);
		assert.match(r.headers['content-type'], /^application\/json/);
		assert.equal((await get(server, '/v1/traces')).status, 405);
		const unknown = await get(server, '/nope');
		assert.equal(unknown.status, 404);
		assert.match(unknown.json.error, /no such endpoint/);
	});

	test('an unknown path asked for by a browser is the app with status 404 (its not-found page); others stay JSON', async () => {
		const page = await get(server, '/nope/deeper', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
		assert.equal(page.status, 404);
		assert.match(page.headers['content-type'], /^text\/html/);
		assert.match(page.text, /<script type="module" src="\/assets\/app.js">/);
		assert.match(page.headers['content-security-policy'], /default-src 'self'/);
		for (const p of ['/api/nope', '/v1/nope', '/assets/nope.js']) {
			const r = await get(server, p, { headers: { accept: 'text/html' } });
			assert.equal(r.status, 404, p);
			assert.match(r.json.error, /no such (endpoint|asset)/, p);
		}
		const post = await request(server, 'POST', '/nope', { headers: { accept: 'text/html' }, body: '' });
		assert.equal(post.status, 404);
		assert.match(post.json.error, /no such endpoint/);
	});

	test('assets have content types; JS, CSS and uPlot are served', async () => {
		const types = { 'app.js': /^text\/javascript/, 'style.css': /^text\/css/, 'uPlot.iife.min.js': /^text\/javascript/,
			'uPlot.min.css': /^text\/css/, 'favicon.svg': /^image\/svg\+xml/ };
		for (const [name, re] of Object.entries(types)) {
			const r = await get(server, `/assets/${name}`);
			assert.equal(r.status, 200, name);
			assert.match(r.headers['content-type'], re, name);
			assert.equal(r.headers['x-content-type-options'], 'nosniff');
		}
		assert.match((await get(server, '/assets/uPlot.iife.min.js')).text, /uPlot/);
	});

	test('unknown assets are 404 JSON', async () => {
		for (const name of ['nope.js', 'sub%2Fapp.js', 'index.html']) {
			const r = await get(server, `/assets/${name}`);
			assert.equal(r.status, 404, name);
			assert.match(r.json.error, /no such asset/);
		}
	});

	test('ETag revalidation answers 304 without a body', async () => {
		const r = await get(server, '/assets/app.js');
		const etag = r.headers.etag;
		assert.match(etag, /^"[0-9a-f]{16}"$/);
		assert.equal(r.headers['cache-control'], 'no-cache');
		const again = await get(server, '/assets/app.js', { headers: { 'if-none-match': etag } });
		assert.equal(again.status, 304);
		assert.equal(again.text, '');
		const other = await get(server, '/assets/app.js', { headers: { 'if-none-match': '"0000000000000000"' } });
		assert.equal(other.status, 200);
	});

	test('gzip only when the client accepts it, and it decodes to the same bytes', async () => {
		const plain = await get(server, '/assets/style.css');
		assert.equal(plain.headers['content-encoding'], undefined);
		const gz = await get(server, '/assets/style.css', { headers: { 'accept-encoding': 'gzip, deflate' } });
		assert.equal(gz.headers['content-encoding'], 'gzip');
		assert.equal(gz.headers.vary, 'Accept-Encoding');
		assert.ok(gz.body.length < plain.text.length / 2, `gzip ${gz.body.length} vs ${plain.text.length}`);
		assert.equal(zlib.gunzipSync(gz.body).toString('utf8'), plain.text);
		const refused = await get(server, '/assets/style.css', { headers: { 'accept-encoding': 'gzip;q=0' } });
		assert.equal(refused.headers['content-encoding'], undefined);
	});
});

describe('GET /api/facets', () => {
	test('lists distinct services, models and names, sorted', async () => {
		const tid = traceId(), svc = `facet-svc-${tid.slice(0, 6)}`;
		await postOtlp(server, [
			otlpSpan({ traceId: tid, name: 'facet root', attrs: {} }),
			otlpSpan({ traceId: tid, name: 'chat', attrs: { 'gen_ai.request.model': 'zz-model-b' } }),
			otlpSpan({ traceId: tid, name: 'chat', attrs: { 'gen_ai.request.model': 'aa-model-a' } }),
		], { resource: { 'service.name': svc } });
		const f = await getJson(server, '/api/facets');
		assert.ok(f.services.includes(svc));
		assert.ok(f.models.includes('aa-model-a') && f.models.includes('zz-model-b'));
		assert.ok(f.names.includes('facet root'));
		for (const list of [f.services, f.models, f.names]) {
			assert.deepEqual(list, [...new Set(list)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
		}
		assert.ok(f.traces_scanned >= 1);
		const later = await getJson(server, `/api/facets?from=${Date.now() + 3600e3}`);
		assert.deepEqual(later.services, []);
	});

	test('bad parameters are 400 naming them; an unknown project is 404', async () => {
		for (const [q, name] of [['from=yesterday', 'from'], ['to=2025-13-01', 'to']]) {
			const r = await get(server, `/api/facets?${q}`);
			assert.equal(r.status, 400, q);
			assert.match(r.json.error, new RegExp(`^${name}:`));
		}
		const r = await get(server, "/api/facets?project=nope'--");
		assert.equal(r.status, 404);
		assert.match(r.json.error, /project/);
	});
});
