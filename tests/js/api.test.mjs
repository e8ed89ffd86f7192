// api.test.mjs: black-box tests of every endpoint of the real binary, and
// of its answers to bad input: content types, malformed and hostile bodies,
// size limits, id validation, duplicates, out-of-order arrival, project
// routing, the native JSON shapes, every list filter, paging, parameter
// errors and 404s. One server serves the whole file; each test writes its
// own traces (fresh ids, own service or project) so tests do not interfere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import {
	DEFAULT_PROJECT_ID, addMs, decodeProtoFields, get, getJson, isIsoMs, listAllTraces, listOf,
	nanosFromNow, nanosToIso, otlpRequest, otlpSpan, otlpToProtobuf, post, postOk, postOtlp, query,
	request, sameConnection, spanId, startServer, statusNumber, traceId,
} from './helpers.mjs';

const MiB = 1 << 20;
const JSON_CT = { 'content-type': 'application/json' };
const PROTO_CT = { 'content-type': 'application/x-protobuf' };

let server;
before(async () => { server = await startServer({ label: 'api' }); });
after(async () => { if (server) await server.kill9().catch(() => {}); });

/* A response that must be an error with a JSON {"error": "..."} body. */
function assertJsonError(r, status, mention) {
	assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
	assert.equal(typeof r.json?.error, 'string', `error body is not {"error": "..."}: ${r.text.slice(0, 300)}`);
	assert.ok(r.json.error.length > 0, 'empty error message');
	if (mention) assert.match(r.json.error, new RegExp(mention, 'i'), `error message should name ${mention}`);
}

/* A two-span trace (root + child) as OTLP JSON spans. */
function smallTrace({ tid = traceId(), start = nanosFromNow(-5000), name = 'root', attrs = {}, childAttrs = {}, durationMs = 100 } = {}) {
	const root = otlpSpan({ traceId: tid, name, start, durationMs, attrs });
	const child = otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: 'child', start: addMs(start, 10), durationMs: 20, attrs: childAttrs });
	return { tid, root, child, spans: [root, child] };
}

const summaryOf = async (tid, params = {}) =>
	(await listAllTraces(server, params)).find((t) => t.trace_id === tid);

describe('health', () => {
	test('GET /api/health answers ok with version and checks', async () => {
		const h = await getJson(server, '/api/health');
		assert.equal(h.status, 'ok');
		assert.equal(typeof h.version, 'string');
		assert.ok(h.version.length > 0);
		assert.equal(typeof h.checks, 'object');
		assert.ok(h.checks !== null);
	});
});

describe('OTLP ingest: encodings and transports', () => {
	const variants = [
		{ name: 'JSON, sized', enc: 'json' },
		{ name: 'JSON, chunked', enc: 'json', chunked: true },
		{ name: 'JSON, gzip', enc: 'json', gzip: true },
		{ name: 'JSON, deflate', enc: 'json', deflate: true },
		{ name: 'JSON, gzip chunked, on /api/v1/traces', enc: 'json', gzip: true, chunked: true, path: '/api/v1/traces' },
		{ name: 'JSON with charset parameter', enc: 'json', ct: 'application/json; charset=utf-8' },
		{ name: 'protobuf, sized', enc: 'proto' },
		{ name: 'protobuf, gzip chunked', enc: 'proto', gzip: true, chunked: true },
		{ name: 'protobuf on /api/v1/traces', enc: 'proto', path: '/api/v1/traces' },
	];
	for (const v of variants) {
		test(`${v.name}: 200, response in the request's encoding, spans stored`, async () => {
			const t = smallTrace({ name: `enc ${v.name}` });
			const req = otlpRequest(t.spans);
			let body = v.enc === 'json' ? Buffer.from(JSON.stringify(req)) : otlpToProtobuf(req);
			const headers = { 'content-type': v.ct ?? (v.enc === 'json' ? 'application/json' : 'application/x-protobuf') };
			if (v.gzip) { body = zlib.gzipSync(body); headers['content-encoding'] = 'gzip'; }
			if (v.deflate) { body = zlib.deflateSync(body); headers['content-encoding'] = 'deflate'; }
			if (v.chunked) body = { chunks: [body.subarray(0, 7), body.subarray(7)] };
			const r = await request(server, 'POST', v.path ?? '/v1/traces', { headers, body });
			assert.equal(r.status, 200, r.text);
			if (v.enc === 'json') {
				assert.match(r.headers['content-type'], /^application\/json/);
				assert.equal(r.json?.partialSuccess, undefined, `unexpected ${r.text}`);
			} else {
				assert.match(r.headers['content-type'], /^application\/x-protobuf/);
				assert.deepEqual(decodeProtoFields(r.body)[1] ?? [], [], 'no partial success expected');
			}
			const got = await getJson(server, `/api/traces/${t.tid}`);
			assert.deepEqual(got.spans.map((s) => s.name).sort(), ['child', `enc ${v.name}`]);
		});
	}

	test('a 2 MiB attribute value survives', async () => {
		const big = crypto.randomBytes(MiB).toString('hex');
		const t = smallTrace({ attrs: { big } });
		await postOtlp(server, t.spans);
		const got = await getJson(server, `/api/traces/${t.tid}`);
		assert.equal(got.spans.find((s) => s.span_id === t.root.spanId).attributes.big, big);
	});

	test('attribute kinds: kvlist as nested object, bytes as base64, arrays, unicode', async () => {
		const attrs = {
			s: 'héllo\n"quoted"\u0001', i: 7, neg: -3, d: 0.5, b: false,
			arr: ['x', 1, true, 2.5], nested: { a: 'b', deeper: { n: 1, list: [1, 2] } },
			raw: Buffer.from([0, 1, 2, 250, 255]),
		};
		const t = smallTrace({ attrs });
		await postOtlp(server, t.spans);
		const got = await getJson(server, `/api/traces/${t.tid}`);
		const expected = { ...attrs, raw: Buffer.from([0, 1, 2, 250, 255]).toString('base64') };
		assert.deepEqual(got.spans.find((s) => s.span_id === t.root.spanId).attributes, expected);
	});

	test('non-finite doubles: null in the API (base/json), proto3 strings in ?format=otlp', async () => {
		const tid = traceId();
		const span = otlpSpan({ traceId: tid, name: 'nonfinite', attrs: { d: 0.1 } });
		for (const [key, doubleValue] of [['nan', 'NaN'], ['inf', 'Infinity'], ['ninf', '-Infinity']])
			span.attributes.push({ key, value: { doubleValue } });
		await postOk(server, '/v1/traces', otlpRequest([span]));
		const got = await getJson(server, `/api/traces/${tid}`);
		assert.deepEqual(got.spans[0].attributes, { d: 0.1, nan: null, inf: null, ninf: null });
		const otlp = await getJson(server, `/api/traces/${tid}?format=otlp`);
		const attrs = otlp.resourceSpans[0].scopeSpans[0].spans[0].attributes;
		assert.deepEqual(attrs.map((a) => a.value.doubleValue), [0.1, 'NaN', 'Infinity', '-Infinity']);
	});

	test('GET /api/traces/{id}?format=otlp returns the spans as sent', async () => {
		const tid = traceId();
		const start = nanosFromNow(-3000);
		const spans = [
			otlpSpan({
				traceId: tid, name: 'otlp-root', kind: 2, start, attrs: { k: 'v', n: 5, nested: { x: [1, 'a'] } },
				events: [{ name: 'e1', time: addMs(start, 1), attrs: { a: 1 } }],
				links: [{ traceId: traceId(), spanId: spanId(), attrs: { why: 'x' } }],
				status: { code: 2, message: 'bad' },
			}),
		];
		spans.push(otlpSpan({ traceId: tid, parentSpanId: spans[0].spanId, name: 'otlp-child', start: addMs(start, 5) }));
		const sent = otlpRequest(spans, { resource: { 'service.name': 'otlp-out', 'r.n': 1 }, scope: { name: 'sc', version: '2' } });
		await postOk(server, '/v1/traces', sent);
		const r = await getJson(server, `/api/traces/${tid}?format=otlp`);
		assert.deepEqual(canonicalOtlp(r), canonicalOtlp(sent));
	});
});

/* OTLP JSON with default values dropped (0, "", [], {}), spans sorted by
 * id, so two encodings of the same request compare equal. */
function canonicalOtlp(req) {
	const strip = (v) => {
		if (Array.isArray(v)) return v.map(strip);
		if (v && typeof v === 'object') {
			const out = {};
			for (const [k, x] of Object.entries(v)) {
				const s = strip(x);
				const empty = s === 0 || s === '' || (s === '0' && k.endsWith('Count')) ||
					(Array.isArray(s) && !s.length) || (s && typeof s === 'object' && !Array.isArray(s) && !Object.keys(s).length);
				if (!empty) out[k] = s;
			}
			return out;
		}
		return v;
	};
	const spans = [];
	for (const rs of req.resourceSpans ?? []) {
		for (const ss of rs.scopeSpans ?? []) {
			for (const sp of ss.spans ?? []) spans.push({ resource: rs.resource, scope: ss.scope, span: sp });
		}
	}
	spans.sort((a, b) => (a.span.spanId < b.span.spanId ? -1 : 1));
	return strip(spans);
}

describe('OTLP ingest: bad input', () => {
	const validJson = () => JSON.stringify(otlpRequest(smallTrace().spans));
	const validProto = () => otlpToProtobuf(otlpRequest(smallTrace().spans));
	const gzipBomb = () => zlib.gzipSync(Buffer.alloc(80 * MiB, 0x20), { level: 9 });
	const cases = [
		{ name: 'text/plain is 415', headers: { 'content-type': 'text/plain' }, body: () => 'hello', status: 415 },
		{ name: 'application/xml is 415', headers: { 'content-type': 'application/xml' }, body: () => '<a/>', status: 415 },
		{ name: 'no content type is 415', headers: {}, body: () => Buffer.from(validJson()), status: 415 },
		{ name: 'malformed JSON is 400', headers: JSON_CT, body: () => '{"resourceSpans": [', status: 400, json: true },
		{ name: 'JSON that is not an object is 400', headers: JSON_CT, body: () => '[1,2,3]', status: 400, json: true },
		{ name: 'resourceSpans of the wrong type is 400', headers: JSON_CT, body: () => '{"resourceSpans": 5}', status: 400, json: true },
		{ name: 'a logs export posted as JSON is 400', headers: JSON_CT, status: 400, json: true,
			body: () => JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }) },
		{ name: 'empty JSON body is 400', headers: JSON_CT, body: () => '', status: 400, json: true },
		{ name: 'garbage protobuf is 400', headers: PROTO_CT, body: () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12]), status: 400 },
		{ name: 'truncated protobuf is 400', headers: PROTO_CT, body: () => { const b = validProto(); return b.subarray(0, b.length - 9); }, status: 400 },
		{ name: 'protobuf length past the end is 400', headers: PROTO_CT, body: () => Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x0a]), status: 400 },
		{ name: 'a logs export posted as protobuf (no ids) is 400', headers: PROTO_CT, status: 400,
			body: () => otlpToProtobuf({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'log-like' }] }] }] }) },
		{ name: 'truncated gzip is 400', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, status: 400, json: true,
			body: () => { const g = zlib.gzipSync(validJson()); return g.subarray(0, g.length >> 1); } },
		{ name: 'gzip header on a plain body is 400', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, status: 400, json: true,
			body: () => validJson() },
		{ name: 'gzip bomb (80 MiB inflated) is 413', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, status: 413, json: true,
			body: gzipBomb },
		{ name: 'gzip bomb as protobuf, chunked, is 413', headers: { ...PROTO_CT, 'content-encoding': 'gzip' }, status: 413,
			body: () => { const g = gzipBomb(); return { chunks: [g.subarray(0, 1000), g.subarray(1000)] }; } },
		{ name: 'plain body over 64 MiB is 413', headers: JSON_CT, status: 413, json: true,
			body: () => Buffer.alloc(64 * MiB + 1, 0x20) },
		{ name: 'chunked plain body over 64 MiB is 413', headers: JSON_CT, status: 413, json: true,
			body: () => ({ chunks: Array.from({ length: 65 }, () => Buffer.alloc(MiB, 0x20)) }) },
	];
	for (const c of cases) {
		test(c.name, { timeout: 60000 }, async () => {
			const r = await request(server, 'POST', '/v1/traces', { headers: c.headers, body: c.body() });
			if (c.json) assertJsonError(r, c.status);
			else assert.equal(r.status, c.status, r.text.slice(0, 300));
		});
	}

	test('the server still works after the hostile inputs', async () => {
		const t = smallTrace();
		await postOtlp(server, t.spans);
		assert.equal((await getJson(server, `/api/traces/${t.tid}`)).spans.length, 2);
	});
});

describe('keep-alive', () => {
	const raw = (method, target, headers = {}, body = '') =>
		`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
		Object.entries({ ...headers, 'Content-Length': Buffer.byteLength(body) }).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
		`\r\n${body}`;
	const cases = [
		{ name: '200 from an ingest', req: raw('POST', '/v1/traces', JSON_CT, JSON.stringify(otlpRequest(smallTrace().spans))), status: 200 },
		{ name: '415 for XML', req: raw('POST', '/v1/traces', { 'content-type': 'application/xml' }, '<a/>'), status: 415 },
		{ name: '415 without a content type', req: raw('POST', '/v1/traces', {}, '{}'), status: 415 },
		{ name: '400 for malformed JSON', req: raw('POST', '/v1/traces', JSON_CT, '{"resourceSpans": ['), status: 400 },
		{ name: '400 for a bad parameter', req: raw('GET', '/api/traces?limit=abc'), status: 400 },
		{ name: '404 for an unknown trace', req: raw('GET', `/api/traces/${traceId()}`), status: 404 },
	];
	for (const c of cases) {
		test(`after a ${c.name}, the connection serves the next request or says Connection: close`, async () => {
			const [first, second] = await sameConnection(server, [c.req, raw('GET', '/api/health')]);
			assert.equal(first.status, c.status);
			if (/close/i.test(first.headers.connection ?? '')) return;
			assert.ok(!second.closed, `the server closed the connection after ${first.status} without sending Connection: close`);
			assert.equal(second.status, 200);
		});
	}
});

describe('OTLP ingest: id validation', () => {
	const badIdSpans = () => [
		otlpSpan({ traceId: 'abcd', name: 'short trace id' }),
		otlpSpan({ traceId: traceId(), spanId: 'abcdef', name: 'short span id' }),
		otlpSpan({ traceId: traceId(), parentSpanId: '0102', name: 'short parent id' }),
		otlpSpan({ traceId: `${traceId()}00`, name: 'long trace id' }),
	];

	test('JSON: bad ids beside a good span give partialSuccess; the good span is stored', async () => {
		const good = smallTrace();
		const bad = badIdSpans();
		const r = await postOk(server, '/v1/traces', otlpRequest([...bad, ...good.spans]));
		assert.equal(Number(r.json?.partialSuccess?.rejectedSpans), bad.length, r.text);
		assert.ok(r.json.partialSuccess.errorMessage?.length > 0, 'errorMessage should say why');
		assert.equal((await getJson(server, `/api/traces/${good.tid}`)).spans.length, 2);
	});

	test('JSON: only bad ids is 400 with a message', async () => {
		const r = await post(server, '/v1/traces', otlpRequest(badIdSpans()));
		assertJsonError(r, 400);
	});

	test('JSON: a non-hex trace id is 400 naming the field, or a partialSuccess', async () => {
		const good = smallTrace();
		const r = await post(server, '/v1/traces', otlpRequest([otlpSpan({ traceId: 'zz'.repeat(16) }), ...good.spans]));
		if (r.status === 400) {
			assertJsonError(r, 400, 'traceId');
		} else {
			assert.equal(r.status, 200, r.text);
			assert.equal(Number(r.json?.partialSuccess?.rejectedSpans), 1, r.text);
		}
	});

	test('protobuf: bad ids beside a good span give a protobuf partial success', async () => {
		const good = smallTrace();
		const bad = badIdSpans();
		const r = await post(server, '/v1/traces', otlpToProtobuf(otlpRequest([...bad, ...good.spans])), PROTO_CT);
		assert.equal(r.status, 200);
		const partial = decodeProtoFields(r.body)[1]?.[0];
		assert.ok(partial, 'partial_success missing');
		const fields = decodeProtoFields(partial);
		assert.equal(Number(fields[1]?.[0]), bad.length, 'rejected_spans');
		assert.ok(fields[2]?.[0]?.length > 0, 'error_message');
	});
});

describe('trace assembly', () => {
	test('the same request posted twice does not double the spans', async () => {
		const t = smallTrace();
		await postOtlp(server, t.spans);
		await postOtlp(server, t.spans);
		const got = await getJson(server, `/api/traces/${t.tid}`);
		assert.equal(got.spans.length, 2);
		const row = await summaryOf(t.tid);
		assert.equal(row.span_count, 2);
	});

	test('child before parent, across requests: the summary ends up right', async () => {
		const tid = traceId();
		const start = nanosFromNow(-20000);
		const root = otlpSpan({ traceId: tid, name: 'late-root', start, durationMs: 900 });
		const child = otlpSpan({ traceId: tid, parentSpanId: root.spanId, name: 'early-child', start: addMs(start, 100), durationMs: 50 });
		const grandchild = otlpSpan({ traceId: tid, parentSpanId: child.spanId, name: 'grandchild', start: addMs(start, 110), durationMs: 10 });
		await postOtlp(server, [grandchild], { resource: { 'service.name': 'ooo-worker' } });
		await postOtlp(server, [child], { resource: { 'service.name': 'ooo-worker' } });
		let row = await summaryOf(tid);
		assert.equal(row.span_count, 2, 'two spans known before the root');
		await postOtlp(server, [root], { resource: { 'service.name': 'ooo-frontend' } });
		row = await summaryOf(tid);
		assert.equal(row.name, 'late-root');
		assert.equal(row.service, 'ooo-frontend', 'service comes from the root span');
		assert.equal(row.span_count, 3);
		assert.equal(row.start_time, nanosToIso(start));
		assert.ok(Math.abs(row.duration_ms - 900) < 1, `duration_ms ${row.duration_ms}`);
		const got = await getJson(server, `/api/traces/${tid}`);
		assert.equal(got.spans.length, 3);
		assert.equal(got.trace.name, 'late-root');
	});
});

describe('project routing', () => {
	const projectsOf = async (tid) => {
		const names = [];
		for (const p of listOf(await getJson(server, '/api/projects'))) {
			if ((await listAllTraces(server, { project: p.name })).some((t) => t.trace_id === tid)) names.push(p.name);
		}
		return names;
	};
	const cases = [
		{ name: 'X-Project-ID header (a name)', headers: { 'X-Project-ID': 'route-header' }, want: 'route-header' },
		{ name: 'openinference.project.name resource attribute', resource: { 'openinference.project.name': 'route-resource' }, want: 'route-resource' },
		{ name: 'the header wins over the resource attribute', headers: { 'X-Project-ID': 'route-header' },
			resource: { 'openinference.project.name': 'route-resource' }, want: 'route-header' },
		{ name: 'neither: the default project', want: 'default' },
		{ name: 'X-Project-ID with the default project UUID', headers: { 'X-Project-ID': DEFAULT_PROJECT_ID }, want: 'default' },
	];
	for (const c of cases) {
		test(c.name, async () => {
			const t = smallTrace();
			await postOtlp(server, t.spans, { headers: c.headers, resource: { 'service.name': 'routing', ...c.resource } });
			assert.deepEqual(await projectsOf(t.tid), [c.want]);
		});
	}

	test('GET /api/projects lists the default project and the created ones', async () => {
		const projects = listOf(await getJson(server, '/api/projects'));
		const def = projects.find((p) => p.name === 'default');
		assert.equal(def?.id, DEFAULT_PROJECT_ID);
		// created when the store was, not in 1970
		assert.ok(Date.parse(def.created_at) > Date.parse('2020-01-01'), `default created ${def.created_at}`);
		for (const name of ['route-header', 'route-resource']) assert.ok(projects.some((p) => p.name === name), name);
	});

	test('a project filter by UUID equals the filter by name', async () => {
		const byId = await listAllTraces(server, { project: DEFAULT_PROJECT_ID });
		const byName = await listAllTraces(server, { project: 'default' });
		assert.ok(byId.length > 0);
		assert.deepEqual(byId.map((t) => t.trace_id), byName.map((t) => t.trace_id));
	});
});

describe('native JSON shapes', () => {
	test('CognObserve trace on /v1/traces', async () => {
		const tid = traceId();
		const rootId = spanId();
		const llmId = spanId();
		const t0 = Date.now() - 30000;
		const iso = (ms) => new Date(t0 + ms).toISOString();
		await postOk(server, '/v1/traces', {
			trace_id: tid, name: 'cog-agent', session_id: 'cog-session', user_id: 'cog-user', metadata: { env: 'test' },
			spans: [
				{ span_id: rootId, name: 'agent', start_time: iso(0), end_time: iso(2000) },
				{
					span_id: llmId, parent_span_id: rootId, name: 'llm-call', start_time: iso(100), end_time: iso(1100),
					model: 'gpt-4o-mini', input: { prompt: 'hi' }, output: { text: 'hello' },
					usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 }, level: 'ERROR', status_message: 'rate limited',
				},
			],
		}, { 'X-Project-ID': 'cog' });
		// The trace itself becomes the root span; CognObserve's top spans hang under it.
		const got = await getJson(server, `/api/traces/${tid}`);
		assert.deepEqual(got.spans.map((s) => s.name).sort(), ['agent', 'cog-agent', 'llm-call']);
		const traceRoot = got.spans.find((s) => !s.parent_span_id);
		assert.equal(traceRoot.name, 'cog-agent');
		assert.equal(got.spans.find((s) => s.span_id === rootId).parent_span_id, traceRoot.span_id);
		const llm = got.spans.find((s) => s.span_id === llmId);
		assert.equal(llm.parent_span_id, rootId);
		assert.equal(llm.model, 'gpt-4o-mini');
		assert.equal(llm.input_tokens, 11);
		assert.equal(llm.output_tokens, 7);
		assert.equal(statusNumber(llm.status.code), 2, 'level ERROR is an error status');
		assert.equal(llm.status.message, 'rate limited');
		assert.equal(llm.start_time, iso(100));
		const row = await summaryOf(tid, { project: 'cog' });
		assert.ok(row, 'listed under the X-Project-ID project');
		assert.equal(row.name, 'cog-agent');
		assert.equal(row.session_id, 'cog-session');
		assert.equal(row.user_id, 'cog-user');
		assert.equal(row.span_count, 3);
		assert.equal(row.llm_calls, 1);
		assert.equal(row.input_tokens, 11);
		assert.equal(row.output_tokens, 7);
		assert.ok(row.models.includes('gpt-4o-mini'), `models ${JSON.stringify(row.models)}`);
	});

	test('CognObserve trace with foreign ids is found by its own id', async () => {
		const tid = `cog-run-${crypto.randomUUID()}`;
		await postOk(server, '/v1/traces', { trace_id: tid, name: 'cog-foreign', spans: [{ span_id: 'step-1', name: 'step' }] });
		const got = await getJson(server, `/api/traces/${encodeURIComponent(tid)}`);
		assert.deepEqual(got.spans.map((s) => s.name).sort(), ['cog-foreign', 'step']);
	});

	test('CognObserve trace without name is 400', async () => {
		assertJsonError(await post(server, '/v1/traces', { spans: [{ name: 'x' }] }), 400, 'name');
	});

	test('Neon trace ingest: one object and an array', async () => {
		const start = new Date(Date.now() - 60000).toISOString();
		const one = { trace_id: traceId(), name: 'neon-run', status: 'ok', duration_ms: 1500, start_time: start };
		const many = [1, 2].map((i) => ({ trace_id: `neon-trace-${crypto.randomUUID()}`, name: `neon-${i}`, status: 'error', duration_ms: 10 * i, start_time: start }));
		await postOk(server, '/api/traces/ingest', one);
		await postOk(server, '/api/traces/ingest', many);
		for (const t of [one, ...many]) {
			const got = await getJson(server, `/api/traces/${encodeURIComponent(t.trace_id)}`);
			assert.equal(got.trace.name, t.name);
			assert.ok(Math.abs(got.trace.duration_ms - t.duration_ms) < 1, `duration ${got.trace.duration_ms}`);
			assert.equal(statusNumber(got.trace.status), t.status === 'ok' ? 1 : 2, `status ${JSON.stringify(got.trace.status)}`);
			assert.equal(got.trace.start_time, start);
		}
	});

	test('Neon spans: one object and an array, readable via /api/spans/{id}', async () => {
		const tid = traceId();
		const ts = new Date(Date.now() - 50000).toISOString();
		const parent = { trace_id: tid, span_id: spanId(), name: 'neon-agent', kind: 'internal', span_type: 'span', timestamp: ts, duration_ms: 300, status: 'ok' };
		const children = [{
			trace_id: tid, span_id: spanId(), parent_span_id: parent.span_id, name: 'neon-llm', span_type: 'generation',
			timestamp: ts, duration_ms: 120, status: 'error', status_message: 'overloaded', model: 'claude-3-5-sonnet',
			input: 'question', output: 'answer', input_tokens: 30, output_tokens: 12, cost_usd: 0.0042,
		}, { trace_id: tid, span_id: spanId(), parent_span_id: parent.span_id, name: 'neon-tool', span_type: 'tool', timestamp: ts, duration_ms: 5 }];
		await postOk(server, '/api/spans', parent);
		await postOk(server, '/api/spans', children);
		const llm = await getJson(server, `/api/spans/${children[0].span_id}`);
		const s = llm.span ?? llm;
		assert.equal(s.name, 'neon-llm');
		assert.equal(s.parent_span_id, parent.span_id);
		assert.equal(s.model, 'claude-3-5-sonnet');
		assert.equal(s.input_tokens, 30);
		assert.equal(s.output_tokens, 12);
		assert.ok(Math.abs(s.cost_usd - 0.0042) < 1e-9, `cost_usd ${s.cost_usd}`);
		assert.equal(s.type, 'llm');
		assert.equal(statusNumber(s.status.code), 2);
		assert.equal(s.status.message, 'overloaded');
		assert.equal(s.start_time, ts);
		assert.ok(Math.abs(s.duration_ms - 120) < 1);
		const got = await getJson(server, `/api/traces/${tid}`);
		assert.deepEqual(got.spans.map((x) => x.name).sort(), ['neon-agent', 'neon-llm', 'neon-tool']);
		assert.equal(got.spans.find((x) => x.name === 'neon-tool').type, 'tool');
	});

	test('scores: one object and an array, in /api/scores and the trace detail', async () => {
		const t = smallTrace();
		await postOtlp(server, t.spans);
		const numeric = { trace_id: t.tid, span_id: t.child.spanId, name: 'accuracy', value: 0.875, score_type: 'numeric', comment: 'close', source: 'eval' };
		const more = [
			{ trace_id: t.tid, name: 'verdict', value: 1, score_type: 'categorical', string_value: 'pass' },
			{ trace_id: t.tid, name: 'thumbs', value: 0, score_type: 'boolean', source: 'user' },
		];
		await postOk(server, '/api/scores', numeric);
		await postOk(server, '/api/scores', more);
		const scores = listOf(await getJson(server, `/api/scores?trace_id=${t.tid}`));
		assert.equal(scores.length, 3);
		const byName = Object.fromEntries(scores.map((s) => [s.name, s]));
		assert.equal(byName.accuracy.value, 0.875);
		assert.equal(byName.accuracy.span_id, t.child.spanId);
		assert.equal(byName.accuracy.comment, 'close');
		assert.equal(byName.accuracy.source, 'eval');
		assert.equal(byName.verdict.string_value, 'pass');
		assert.equal(byName.verdict.score_type, 'categorical');
		assert.equal(byName.thumbs.score_type, 'boolean');
		const detail = await getJson(server, `/api/traces/${t.tid}`);
		assert.deepEqual(detail.scores.map((s) => s.name).sort(), ['accuracy', 'thumbs', 'verdict']);
		// the latest scores honour the time range and the project
		const mine = (items) => items.filter((x) => x.trace_id === t.tid).length;
		const hourAgo = new Date(Date.now() - 3600e3).toISOString();
		assert.equal(mine(listOf(await getJson(server, `/api/scores?from=${hourAgo}&limit=1000`))), 3);
		assert.equal(mine(listOf(await getJson(server, `/api/scores?to=${hourAgo}&limit=1000`))), 0);
		assert.equal(mine(listOf(await getJson(server, `/api/scores?project=default&from=${hourAgo}&limit=1000`))), 3);
		assert.equal((await get(server, '/api/scores?project=no-such-project')).status, 404);
		assert.equal((await get(server, '/api/scores?from=yesterday')).status, 400);
	});

	const badNative = [
		{ path: '/api/scores', what: 'a score without name', body: { trace_id: traceId(), value: 1 }, mention: 'name' },
		{ path: '/api/scores', what: 'a score without trace_id', body: { name: 'x', value: 1 }, mention: 'trace_id' },
		{ path: '/api/scores', what: 'truncated JSON', body: '{"trace_id":' },
		{ path: '/api/spans', what: 'a span without ids', body: { name: 'no ids' }, mention: 'trace_id' },
		{ path: '/api/traces/ingest', what: 'a trace without trace_id', body: { name: 'no id' }, mention: 'trace_id' },
		{ path: '/api/traces/ingest', what: 'not JSON', body: 'not json' },
	];
	for (const c of badNative) {
		test(`POST ${c.path}: ${c.what} is 400`, async () => {
			const r = await post(server, c.path, c.body, JSON_CT);
			assertJsonError(r, 400, c.mention);
		});
	}

	test('native endpoints refuse other content types with 415', async () => {
		for (const p of ['/api/scores', '/api/spans', '/api/traces/ingest']) {
			const r = await post(server, p, 'a,b\n1,2\n', { 'content-type': 'text/csv' });
			assert.equal(r.status, 415, `${p}: ${r.status}`);
		}
	});
});

describe('trace list: filters, GenAI fields, paging', () => {
	/* Three traces in their own project, a second apart, ten minutes ago. */
	const P = 'filters';
	const T0 = Date.now() - 10 * 60000;
	const nanosAt = (ms) => (BigInt(T0 + ms) * 1000000n).toString();
	const data = {
		t1: { service: 'svc-a', name: 'checkout', at: 0, durationMs: 100, status: { code: 2, message: 'no stock' },
			attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 120,
				'gen_ai.usage.output_tokens': 30, 'llm.cost.total': 0.0123, 'session.id': 's1', 'user.id': 'u1',
				'input.value': 'where is my order?', 'output.value': 'it shipped' } },
		t2: { service: 'svc-b', name: 'search', at: 1000, durationMs: 2000, status: { code: 1 },
			attrs: { 'gen_ai.request.model': 'claude-3-haiku', 'gen_ai.usage.input_tokens': 5, 'gen_ai.usage.output_tokens': 6,
				'session.id': 's2', 'user.id': 'u2' } },
		t3: { service: 'svc-a', name: 'search', at: 2000, durationMs: 500, attrs: {} },
	};
	const ids = {};
	const itemsFor = async (params) =>
		(await getJson(server, `/api/traces${query({ project: P, ...params })}`)).items.map((t) => t.trace_id);
	const named = (...keys) => keys.map((k) => ids[k]);

	before(async () => {
		for (const [key, d] of Object.entries(data)) {
			ids[key] = traceId();
			const root = otlpSpan({ traceId: ids[key], name: d.name, start: nanosAt(d.at), durationMs: d.durationMs, attrs: d.attrs, status: d.status });
			await postOtlp(server, [root], { headers: { 'X-Project-ID': P }, resource: { 'service.name': d.service } });
		}
	});

	test('newest first, all summary fields present', async () => {
		const body = await getJson(server, `/api/traces${query({ project: P })}`);
		assert.deepEqual(body.items.map((t) => t.trace_id), named('t3', 't2', 't1'));
		const fields = ['trace_id', 'name', 'service', 'start_time', 'duration_ms', 'status', 'span_count', 'error_count',
			'llm_calls', 'input_tokens', 'output_tokens', 'cost_usd', 'models', 'session_id', 'user_id', 'input_preview', 'output_preview'];
		for (const item of body.items) for (const f of fields) assert.ok(f in item, `${f} missing from ${JSON.stringify(item)}`);
		assert.ok(isIsoMs(body.items[0].start_time));
		assert.ok(!body.next_cursor, 'no next page');
	});

	test('GenAI fields of the summary and the span', async () => {
		const row = (await listAllTraces(server, { project: P })).find((t) => t.trace_id === ids.t1);
		assert.equal(row.llm_calls, 1);
		assert.equal(row.input_tokens, 120);
		assert.equal(row.output_tokens, 30);
		assert.ok(Math.abs(row.cost_usd - 0.0123) < 1e-9, `client cost wins: ${row.cost_usd}`);
		assert.ok(String(row.models).includes('gpt-4o'), `models ${JSON.stringify(row.models)}`);
		assert.equal(row.session_id, 's1');
		assert.equal(row.user_id, 'u1');
		assert.equal(row.input_preview, 'where is my order?');
		assert.equal(row.output_preview, 'it shipped');
		assert.equal(row.error_count, 1);
		const span = (await getJson(server, `/api/traces/${ids.t1}`)).spans[0];
		assert.equal(span.type, 'llm');
		assert.equal(span.model, 'gpt-4o');
		assert.equal(span.input_tokens, 120);
		assert.equal(span.output_tokens, 30);
	});

	const filters = [
		{ params: { service: 'svc-a' }, want: ['t3', 't1'] },
		{ params: { name: 'search' }, want: ['t3', 't2'] },
		{ params: { status: 'error' }, want: ['t1'] },
		{ params: { model: 'gpt-4o' }, want: ['t1'] },
		{ params: { model: 'claude-3-haiku' }, want: ['t2'] },
		{ params: { session_id: 's2' }, want: ['t2'] },
		{ params: { user_id: 'u1' }, want: ['t1'] },
		{ params: { min_duration_ms: 1000 }, want: ['t2'] },
		{ params: { max_duration_ms: 200 }, want: ['t1'] },
		{ params: { min_duration_ms: 200, max_duration_ms: 1000 }, want: ['t3'] },
		{ params: { from: () => new Date(T0 + 500).toISOString() }, want: ['t3', 't2'] },
		{ params: { to: () => new Date(T0 + 1500).toISOString() }, want: ['t2', 't1'] },
		{ params: { from: () => new Date(T0 + 500).toISOString(), to: () => new Date(T0 + 1500).toISOString() }, want: ['t2'] },
		// epoch numbers: their size says the unit (docs/api.md); microseconds were once read as nanoseconds
		{ params: { from: () => String(T0 + 500) }, want: ['t3', 't2'] },
		{ params: { from: () => String((T0 + 500) * 1000) }, want: ['t3', 't2'] },
		{ params: { to: () => (BigInt(T0 + 1500) * 1000000n).toString() }, want: ['t2', 't1'] },
		{ params: { from: () => String(Math.floor((T0 - 1000) / 1000)), to: () => String((T0 + 1500) * 1000) }, want: ['t2', 't1'] },
		{ params: { service: 'svc-a', name: 'search' }, want: ['t3'] },
		{ params: { service: 'no-such-service' }, want: [] },
		{ params: { limit: 2 }, want: ['t3', 't2'] },
	];
	for (const f of filters) {
		const label = JSON.stringify(f.params, (k, v) => (typeof v === 'function' ? v() : v));
		test(`filter ${label}`, async () => {
			const params = Object.fromEntries(Object.entries(f.params).map(([k, v]) => [k, typeof v === 'function' ? v() : v]));
			assert.deepEqual(await itemsFor(params), named(...f.want));
		});
	}

	test('paging with a cursor: no duplicates, no gaps, newest first, ties included', async () => {
		const project = 'paging';
		const base = Date.now() - 20 * 60000;
		const want = [];
		for (let i = 0; i < 25; i++) {
			const ms = i >= 10 && i <= 13 ? 10 * 1000 : i * 1000;   // four traces share one start time
			const tid = traceId();
			want.push({ tid, ms });
			await postOtlp(server, [otlpSpan({ traceId: tid, name: `page-${i}`, start: (BigInt(base + ms) * 1000000n).toString() })],
				{ headers: { 'X-Project-ID': project } });
		}
		const seen = [];
		let cursor;
		for (let page = 0; page < 10; page++) {
			const body = await getJson(server, `/api/traces${query({ project, limit: 7, cursor })}`);
			assert.ok(body.items.length <= 7);
			seen.push(...body.items);
			if (!body.next_cursor) break;
			cursor = body.next_cursor;
		}
		const seenIds = seen.map((t) => t.trace_id);
		assert.equal(new Set(seenIds).size, seenIds.length, 'a trace appeared on two pages');
		assert.deepEqual([...seenIds].sort(), want.map((w) => w.tid).sort(), 'pages miss or add traces');
		const times = seen.map((t) => Date.parse(t.start_time));
		assert.deepEqual(times, [...times].sort((a, b) => b - a), 'not newest first across pages');
	});
});

describe('query errors', () => {
	const badParams = [
		['limit', '-1'], ['limit', 'abc'], ['limit', '1.5'], ['from', 'garbage'], ['to', 'yesterday'],
		['min_duration_ms', 'x'], ['max_duration_ms', '1e'], ['cursor', 'garbage'], ['cursor', '%%%'],
	];
	for (const [param, value] of badParams) {
		test(`GET /api/traces?${param}=${value} is 400 naming ${param}`, async () => {
			const r = await get(server, `/api/traces?${param}=${encodeURIComponent(value)}`);
			assertJsonError(r, 400, param);
		});
	}

	const notFound = [
		['/api/traces/', () => traceId()],
		['/api/traces/', () => 'not-a-hex-id'],
		['/api/spans/', () => spanId()],
	];
	for (const [prefix, id] of notFound) {
		test(`GET ${prefix}{unknown} is 404 JSON`, async () => {
			assertJsonError(await get(server, `${prefix}${id()}`), 404);
		});
	}

	test('GET /api/scores for an unknown trace is an empty list', async () => {
		assert.deepEqual(listOf(await getJson(server, `/api/scores?trace_id=${traceId()}`)), []);
	});
});

describe('backpressure', () => {
	/* A second server with the smallest write queue (1 MiB): concurrent
	 * large requests must be answered 200 or 503 + Retry-After at once,
	 * never dropped, and every 200 must be stored. */
	let small;
	before(async () => { small = await startServer({ label: 'api-queue', env: { TRACELITE_QUEUE_MB: '1' } }); });
	after(async () => { if (small) await small.kill9().catch(() => {}); });

	test('a full write queue answers 503 with Retry-After; every 200 is stored', { timeout: 120000 }, async () => {
		const acked = [];
		const statuses = {};
		let retryAfter;
		const payload = crypto.randomBytes(200 * 1024).toString('base64');
		const client = async () => {
			for (let i = 0; i < 25 && !retryAfter; i++) {
				const t = smallTrace({ attrs: { payload } });
				const r = await post(small, '/v1/traces', otlpRequest(t.spans));
				statuses[r.status] = (statuses[r.status] ?? 0) + 1;
				if (r.status === 200) acked.push(t.tid);
				if (r.status === 503) {
					assertJsonError(r, 503);
					retryAfter = r.headers['retry-after'];
				}
			}
		};
		await Promise.all(Array.from({ length: 8 }, client));
		assert.deepEqual(Object.keys(statuses).filter((s) => s !== '200' && s !== '503'), [], JSON.stringify(statuses));
		assert.ok(retryAfter !== undefined, `no 503 from a 1 MiB queue under 8 clients: ${JSON.stringify(statuses)}`);
		assert.match(retryAfter, /^\d+$/, 'Retry-After is whole seconds');
		for (const tid of acked) assert.equal((await getJson(small, `/api/traces/${tid}`)).spans.length, 2);
	});

	test('the small-queue server stops cleanly', async () => {
		const s = small;
		small = null;
		await s.stop();
	});
});

test('server stops cleanly on SIGTERM', async () => {
	const s = server;
	server = null;
	await s.stop();
});
