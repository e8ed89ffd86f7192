// langfuse.test.mjs: Langfuse's own SDKs, unmodified, pointed at tracelite:
// the current one (@langfuse/tracing + @langfuse/otel, OTLP to
// /api/public/otel/v1/traces, scores through @langfuse/client) and the
// older langfuse 3.x (everything as batches to /api/public/ingestion, updates
// merged into their entities). Each records a trace with a generation, a
// nested span, an error, scores of the three kinds, user, session, tags and
// metadata, read back through tracelite's API field by field. Then the
// batch endpoint's hostile and odd input (not a batch, wrong types,
// missing ids, oversized, resent batches, updates in a later batch).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, otlpRequest, otlpSpan, otlpToProtobuf, post, request, spanId, startServer, traceId as newTraceId } from './helpers.mjs';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const PK = 'pk-lf-tracelite-test';
const SK = 'sk-lf-anything';
const BASIC = 'Basic ' + Buffer.from(`${PK}:${SK}`).toString('base64');

const byName = (spans, name) => {
	const s = spans.find((x) => x.name === name);
	assert.ok(s, `span ${name} in ${spans.map((x) => x.name).join(', ')}`);
	return s;
};

async function waitFor(fn, what, ms = 15000) {
	const deadline = Date.now() + ms;
	const seen = { last: null };
	while (Date.now() < deadline) {
		const got = await fn(seen);
		if (got) return got;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(seen.last)?.slice(0, 3000)}`);
}

const ingest = (server, batch, auth = BASIC) =>
	post(server, '/api/public/ingestion', JSON.stringify({ batch }), { 'Content-Type': 'application/json', Authorization: auth });

describe('Langfuse endpoints', () => {
	let server;
	before(async () => { server = await startServer({ label: 'langfuse' }); });
	after(async () => { await server?.stop(); });

	test('health and projects answer what the SDKs check', async () => {
		const h = await getJson(server, '/api/public/health');
		assert.equal(h.status, 'OK');
		const r = await request(server, 'GET', '/api/public/projects', { headers: { Authorization: BASIC } });
		assert.equal(r.status, 200);
		assert.deepEqual(JSON.parse(r.body).data.map((p) => p.name), [PK]);
		const bad = await request(server, 'GET', '/api/public/projects', { headers: { Authorization: 'Basic !!!' } });
		assert.equal(bad.status, 401);
	});

	test('@langfuse/tracing + @langfuse/otel + @langfuse/client (OTLP)', { skip: NODE_MAJOR < 20 && 'the @langfuse 5.x packages need Node 20' }, async () => {
		const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
		const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
		const { context } = await import('@opentelemetry/api');
		context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
		const { LangfuseSpanProcessor } = await import('@langfuse/otel');
		const { startActiveObservation, startObservation, propagateAttributes, setLangfuseTracerProvider } = await import('@langfuse/tracing');
		const { LangfuseClient } = await import('@langfuse/client');
		const processor = new LangfuseSpanProcessor({ publicKey: PK, secretKey: SK, baseUrl: server.url, exportMode: 'immediate', environment: 'test-env', release: 'r-1.2' });
		const provider = new BasicTracerProvider({ spanProcessors: [processor] });
		setLangfuseTracerProvider(provider);

		let traceId, genId;
		await propagateAttributes({ userId: 'user-5', sessionId: 'sess-5', tags: ['beta', 'checkout'], metadata: { tenant: 'acme' }, traceName: 'support-chat' }, async () => {
			await startActiveObservation('handle-request', async (root) => {
				traceId = root.traceId;
				root.update({ input: { question: 'refund?' } });
				const retrieve = root.startObservation('retrieve', { input: 'refund policy' });
				const gen = retrieve.startObservation('answer-llm', {
					model: 'gpt-4o-mini', modelParameters: { temperature: 0.3, max_tokens: 200 },
					input: [{ role: 'user', content: 'Can I get a refund?' }],
				}, { asType: 'generation' });
				genId = gen.id;
				gen.update({ completionStartTime: new Date(), output: { role: 'assistant', content: 'Yes, within 30 days.' },
					usageDetails: { input: 120, output: 30, total: 150 }, costDetails: { input: 0.0012, output: 0.0006, total: 0.0018 } });
				gen.end();
				retrieve.update({ output: 'found 3 docs', metadata: { hits: 3 } });
				retrieve.end();
				const failing = startObservation('charge-card', { input: { amount: 12 } }, { asType: 'tool' });
				failing.update({ level: 'ERROR', statusMessage: 'card declined' });
				failing.end();
				root.update({ output: { answer: 'yes' } });
			});
		});
		await provider.forceFlush();

		const client = new LangfuseClient({ publicKey: PK, secretKey: SK, baseUrl: server.url });
		client.score.create({ traceId, name: 'helpfulness', value: 0.8, dataType: 'NUMERIC', comment: 'good' });
		client.score.create({ traceId, observationId: genId, name: 'tone', value: 'friendly', dataType: 'CATEGORICAL' });
		client.score.create({ traceId, name: 'resolved', value: 1, dataType: 'BOOLEAN' });
		await client.score.flush();
		await provider.shutdown();
		context.disable();

		const t = await waitFor(async (seen) => {
			const r = await request(server, 'GET', `/api/traces/${traceId}`);
			seen.last = r.status === 200 ? JSON.parse(r.body).spans.map((s) => s.name) : r.status;
			return r.status === 200 && JSON.parse(r.body).spans.length === 4 ? JSON.parse(r.body) : null;
		}, 'the OTLP trace');
		assert.equal(t.trace.name, 'support-chat');
		assert.equal(t.trace.project, PK);
		assert.equal(t.trace.user_id, 'user-5');
		assert.equal(t.trace.session_id, 'sess-5');
		assert.equal(t.trace.error_count, 1);
		assert.equal(t.trace.status, 'error');
		assert.equal(t.trace.llm_calls, 1);
		assert.equal(t.trace.input_tokens, 120);
		assert.equal(t.trace.output_tokens, 30);
		assert.ok(Math.abs(t.trace.cost_usd - 0.0018) < 1e-12, `cost ${t.trace.cost_usd}`);
		assert.deepEqual(t.trace.models, ['gpt-4o-mini']);

		const root = byName(t.spans, 'handle-request');
		assert.equal(root.parent_span_id, null);
		assert.deepEqual(root.attributes['langfuse.trace.tags'], ['beta', 'checkout']);
		assert.equal(root.attributes['langfuse.trace.metadata.tenant'], 'acme');
		assert.equal(root.attributes['langfuse.environment'], 'test-env');
		assert.equal(root.attributes['langfuse.release'], 'r-1.2');
		assert.equal(JSON.parse(root.input).question, 'refund?');
		assert.equal(JSON.parse(root.output).answer, 'yes');

		const retrieve = byName(t.spans, 'retrieve');
		assert.equal(retrieve.parent_span_id, root.span_id);
		assert.equal(retrieve.type, 'span');
		assert.equal(retrieve.output, 'found 3 docs');
		const gen = byName(t.spans, 'answer-llm');
		assert.equal(gen.parent_span_id, retrieve.span_id);
		assert.equal(gen.type, 'llm');
		assert.equal(gen.model, 'gpt-4o-mini');
		assert.equal(gen.input_tokens, 120);
		assert.equal(gen.output_tokens, 30);
		assert.equal(gen.cost_source, 'client');
		assert.ok(Math.abs(gen.cost_usd - 0.0018) < 1e-12);
		assert.equal(JSON.parse(gen.input)[0].content, 'Can I get a refund?');
		assert.equal(JSON.parse(gen.output).content, 'Yes, within 30 days.');
		assert.equal(JSON.parse(gen.attributes['langfuse.observation.model.parameters']).temperature, 0.3);
		assert.ok(gen.attributes['langfuse.observation.completion_start_time']);
		assert.equal(gen.user_id, 'user-5');
		const failing = byName(t.spans, 'charge-card');
		assert.equal(failing.type, 'tool');
		assert.equal(failing.status.code, 2);
		assert.equal(failing.status.message, 'card declined');

		const scores = await waitFor(async () => {
			const s = await getJson(server, `/api/scores?trace_id=${traceId}`);
			return s.items.length === 3 ? s.items : null;
		}, 'three scores');
		const sc = Object.fromEntries(scores.map((s) => [s.name, s]));
		assert.equal(sc.helpfulness.value, 0.8);
		assert.equal(sc.helpfulness.score_type, 'numeric');
		assert.equal(sc.helpfulness.comment, 'good');
		assert.equal(sc.tone.string_value, 'friendly');
		assert.equal(sc.tone.score_type, 'categorical');
		assert.equal(sc.tone.span_id, gen.span_id);
		assert.equal(sc.resolved.value, 1);
		assert.equal(sc.resolved.score_type, 'boolean');
	});

	test('langfuse 3.x (batch ingestion, updates merged by id)', async () => {
		const { Langfuse } = await import('langfuse');
		const lf = new Langfuse({ publicKey: PK, secretKey: SK, baseUrl: server.url, flushAt: 1000, flushInterval: 60000 });
		const trace = lf.trace({ name: 'legacy-chat', userId: 'user-3', sessionId: 'sess-3', tags: ['v3'], metadata: { plan: 'pro' }, input: 'hello?', release: 'rel-9', version: 'v9' });
		const span = trace.span({ name: 'plan', input: { step: 1 } });
		const gen = span.generation({ name: 'llm-call', model: 'gpt-4o', modelParameters: { temperature: 0.1 }, input: [{ role: 'user', content: 'hello?' }], completionStartTime: new Date() });
		gen.end({ output: 'hi!', usage: { promptTokens: 11, completionTokens: 4, totalTokens: 15 } });
		span.end({ output: { planned: true } });
		const bad = trace.span({ name: 'flaky-tool' });
		bad.end({ level: 'ERROR', statusMessage: 'timeout after 30s' });
		trace.event({ name: 'cache-miss', metadata: { key: 'k1' } });
		trace.update({ output: 'hi!' });
		trace.score({ name: 'accuracy', value: 0.75 });
		lf.score({ traceId: trace.id, observationId: gen.id, name: 'style', value: 'concise', dataType: 'CATEGORICAL' });
		lf.score({ traceId: trace.id, name: 'thumbs-up', value: 0, dataType: 'BOOLEAN' });
		await lf.flushAsync();
		// an update in a later batch merges into the stored generation
		gen.update({ metadata: { reviewed: true } });
		await lf.shutdownAsync();

		const hex = trace.id.replace(/-/g, '');
		const t = await getJson(server, `/api/traces/${hex}`);
		assert.equal(t.spans.length, 5, t.spans.map((s) => s.name).join(', '));
		assert.equal(t.trace.name, 'legacy-chat');
		assert.equal(t.trace.project, PK);
		assert.equal(t.trace.user_id, 'user-3');
		assert.equal(t.trace.session_id, 'sess-3');
		assert.equal(t.trace.error_count, 1);
		assert.equal(t.trace.span_count, 5);
		assert.equal(t.trace.llm_calls, 1);
		assert.equal(t.trace.input_tokens, 11);
		assert.equal(t.trace.output_tokens, 4);
		assert.equal(t.trace.input_preview, 'hello?');
		assert.equal(t.trace.output_preview, 'hi!');

		const root = byName(t.spans, 'legacy-chat');
		assert.equal(root.parent_span_id, null);
		assert.deepEqual(root.attributes['langfuse.trace.tags'], ['v3']);
		assert.equal(root.attributes['metadata.plan'], 'pro');
		assert.equal(root.attributes['langfuse.release'], 'rel-9');
		assert.equal(root.attributes['langfuse.version'], 'v9');
		const span2 = byName(t.spans, 'plan');
		assert.equal(span2.parent_span_id, root.span_id);
		assert.equal(JSON.parse(span2.output).planned, true);
		const g = byName(t.spans, 'llm-call');
		assert.equal(g.parent_span_id, span2.span_id);
		assert.equal(g.type, 'llm');
		assert.equal(g.model, 'gpt-4o');
		assert.equal(g.input_tokens, 11);
		assert.equal(g.output_tokens, 4);
		assert.equal(g.output, 'hi!');
		assert.equal(JSON.parse(g.input)[0].content, 'hello?');
		assert.equal(g.attributes['gen_ai.request.temperature'], 0.1);
		assert.equal(g.attributes['metadata.reviewed'], true, 'the later update merged in');
		assert.ok(g.attributes['langfuse.observation.completion_start_time_ns']);
		assert.ok(BigInt(g.end_time_unix_nano) >= BigInt(g.start_time_unix_nano));
		assert.ok(BigInt(root.end_time_unix_nano) >= BigInt(g.end_time_unix_nano), 'the root span covers its observations');
		const f = byName(t.spans, 'flaky-tool');
		assert.equal(f.status.code, 2);
		assert.equal(f.status.message, 'timeout after 30s');
		const ev = byName(t.spans, 'cache-miss');
		assert.equal(ev.attributes['langfuse.observation.type'], 'event');
		assert.equal(ev.attributes['metadata.key'], 'k1');

		const scores = (await getJson(server, `/api/scores?trace_id=${hex}`)).items;
		const sc = Object.fromEntries(scores.map((s) => [s.name, s]));
		assert.equal(sc.accuracy.value, 0.75);
		assert.equal(sc.accuracy.score_type, 'numeric');
		assert.equal(sc.style.string_value, 'concise');
		assert.equal(sc.style.span_id, g.span_id);
		assert.equal(sc['thumbs-up'].value, 0);
		assert.equal(sc['thumbs-up'].score_type, 'boolean');
	});

	test('updates before creates, scores before their trace, a resent batch, a later batch', async () => {
		const T = '0badc0de-0000-4000-8000-000000000001';
		const batch = [
			{ id: 'ev-s', type: 'score-create', timestamp: '2026-11-30T10:00:09Z', body: { id: 'sc-x', traceId: T, name: 'q', value: 2 } },
			{ id: 'ev-u', type: 'generation-update', timestamp: '2026-11-30T10:00:05Z', body: { id: 'g-x', traceId: T, endTime: '2026-11-30T10:00:05Z', output: 'done', usage: { input: 7, output: 3 } } },
			{ id: 'ev-c', type: 'generation-create', timestamp: '2026-11-30T10:00:01Z', body: { id: 'g-x', traceId: T, name: 'gen-x', startTime: '2026-11-30T10:00:01Z', model: 'm-1' } },
			{ id: 'ev-t', type: 'trace-create', timestamp: '2026-11-30T10:00:00Z', body: { id: T, name: 'order-test' } },
			{ id: 'ev-l', type: 'sdk-log', body: { log: 'hello' } },
		];
		const ORDER = 'Basic ' + Buffer.from('pk-order:x').toString('base64');
		for (let i = 0; i < 2; i++) {   // the 3.x SDK resends whole batches
			const r = await ingest(server, batch, ORDER);
			assert.equal(r.status, 207);
			const body = JSON.parse(r.body);
			assert.deepEqual(body.errors, []);
			assert.deepEqual(body.successes.map((s) => [s.id, s.status]), batch.map((e) => [e.id, 201]));
		}
		let t = await getJson(server, `/api/traces/${T.replace(/-/g, '')}`);
		assert.equal(t.spans.length, 2);
		assert.equal(t.trace.name, 'order-test');
		assert.equal(t.trace.span_count, 2);
		assert.equal(t.trace.input_tokens, 7);
		const g = byName(t.spans, 'gen-x');
		assert.equal(g.output, 'done');
		assert.equal(g.start_time, '2026-11-30T10:00:01.000Z');
		assert.equal(g.end_time, '2026-11-30T10:00:05.000Z');
		// a later batch: an update that turns it into an error with more tokens
		const r = await ingest(server, [{ id: 'ev-u2', type: 'generation-update', timestamp: '2026-11-30T10:00:06Z', body: { id: 'g-x', level: 'ERROR', statusMessage: 'bad', usageDetails: { input: 9, output: 4 } } }], ORDER);
		assert.equal(r.status, 207);
		t = await getJson(server, `/api/traces/${T.replace(/-/g, '')}`);
		assert.equal(t.trace.span_count, 2);
		assert.equal(t.trace.error_count, 1);
		assert.equal(t.trace.input_tokens, 9);
		assert.equal(t.trace.output_tokens, 4);
		const g2 = byName(t.spans, 'gen-x');
		assert.equal(g2.status.code, 2);
		assert.equal(g2.output, 'done', 'fields of the stored version stay');
		assert.equal(g2.model, 'm-1');
		assert.equal(g2.end_time, '2026-11-30T10:00:05.000Z');
		const scores = (await getJson(server, `/api/scores?trace_id=${T.replace(/-/g, '')}`)).items;
		assert.equal(scores.length, 1);
		// the rollups took the superseded version out: the metrics agree with the trace
		const m = (await getJson(server, '/api/metrics/summary?project=pk-order&from=2026-11-30T00:00:00Z&to=2026-11-30T23:00:00Z')).current;
		assert.deepEqual([m.traces, m.spans, m.error_spans, m.llm_calls, m.input_tokens, m.output_tokens], [1, 2, 1, 1, 9, 4]);
	});

	test('OTLP protobuf, gzip, on the Langfuse path (what the Python SDK v3 sends)', async () => {
		const zlib = await import('node:zlib');
		const tid = newTraceId(), root = spanId();
		const spans = [
			otlpSpan({ traceId: tid, spanId: root, name: 'py-root', attrs: { 'langfuse.trace.name': 'py-trace', 'user.id': 'py-user' } }),
			otlpSpan({ traceId: tid, parentSpanId: root, name: 'py-gen', attrs: {
				'langfuse.observation.type': 'generation', 'langfuse.observation.model.name': 'claude-x',
				'langfuse.observation.usage_details': JSON.stringify({ input: 50, output: 10, input_cache_read: 20 }),
				'langfuse.observation.level': 'ERROR', 'langfuse.observation.status_message': 'overloaded' } }),
		];
		const body = zlib.gzipSync(otlpToProtobuf(otlpRequest(spans)));
		const r = await post(server, '/api/public/otel/v1/traces', body, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip', Authorization: 'Basic ' + Buffer.from('pk-py:sk').toString('base64') });
		assert.equal(r.status, 200);
		const t = await getJson(server, `/api/traces/${tid}`);
		assert.equal(t.trace.name, 'py-trace');
		assert.equal(t.trace.project, 'pk-py');
		assert.equal(t.trace.user_id, 'py-user');
		assert.equal(t.trace.error_count, 1);
		const g = byName(t.spans, 'py-gen');
		assert.deepEqual([g.type, g.model, g.input_tokens, g.output_tokens, g.cache_read_tokens, g.status.code, g.status.message],
			['llm', 'claude-x', 70, 10, 20, 2, 'overloaded']);
	});

	test('a gzip batch', async () => {
		const zlib = await import('node:zlib');
		const body = zlib.gzipSync(JSON.stringify({ batch: [{ id: 'gz-1', type: 'trace-create', body: { id: 'gz-trace', name: 'zipped' } }] }));
		const r = await post(server, '/api/public/ingestion', body, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: BASIC });
		assert.equal(r.status, 207);
		assert.deepEqual(JSON.parse(r.body).successes, [{ id: 'gz-1', status: 201 }]);
	});

	test('bad input: not a batch is 400, bad events are reported one by one', async () => {
		for (const body of ['[]', '{}', '{"batch": 3}', '"x"', '{"batch": {}}']) {
			const r = await post(server, '/api/public/ingestion', body, { 'Content-Type': 'application/json', Authorization: BASIC });
			assert.equal(r.status, 400, body);
			assert.match(JSON.parse(r.body).error, /batch/);
		}
		const r0 = await post(server, '/api/public/ingestion', '{"batch":[', { 'Content-Type': 'application/json' });
		assert.equal(r0.status, 400);
		assert.ok(JSON.parse(r0.body).error);
		const T = 'feedface-0000-4000-8000-000000000002';
		const r = await ingest(server, [
			{ id: 'ok-1', type: 'trace-create', body: { id: T, name: 'fine' } },
			{ type: 'trace-create', body: { id: T } },
			{ id: 'no-body', type: 'span-create' },
			{ id: 'no-body-id', type: 'span-create', body: { name: 'x' } },
			{ id: 'bad-type', type: 'span-explode', body: { id: 'a' } },
			{ id: 'bad-name', type: 'span-create', body: { id: 's-1', traceId: T, name: 42 } },
			{ id: 'bad-time', type: 'span-create', body: { id: 's-2', traceId: T, startTime: 'yesterday' } },
			{ id: 'bad-level', type: 'span-create', body: { id: 's-3', traceId: T, level: 'LOUD' } },
			{ id: 'bad-usage', type: 'generation-create', body: { id: 's-4', traceId: T, usage: 'lots' } },
			{ id: 'bad-score', type: 'score-create', body: { traceId: T, name: 'n', value: { x: 1 } } },
			{ id: 'score-no-trace', type: 'score-create', body: { name: 'n', value: 1 } },
			{ id: 'bad-tags', type: 'trace-create', body: { id: 'tr-2', tags: [1, 2] } },
			7,
		]);
		assert.equal(r.status, 207);
		const body = JSON.parse(r.body);
		assert.deepEqual(body.successes.map((s) => s.id), ['ok-1']);
		const errs = Object.fromEntries(body.errors.map((e) => [e.id || 'none', e]));
		const expect = {
			'no-body': /body: required/, 'no-body-id': /body\.id: required/, 'bad-type': /unknown event type/,
			'bad-name': /name: must be a string/, 'bad-time': /startTime: not an ISO-8601/,
			'bad-level': /level: must be one of/, 'bad-usage': /usage: must be an object/,
			'bad-score': /value: must be a number or a string/, 'score-no-trace': /traceId: required/,
			'bad-tags': /tags: must be an array of strings/,
		};
		for (const [id, re] of Object.entries(expect)) {
			assert.ok(errs[id], `error for ${id}: ${JSON.stringify(body.errors)}`);
			assert.equal(errs[id].status, 400);
			assert.match(errs[id].message, re, id);
		}
		assert.equal(body.errors.length, 12);
		const t = await getJson(server, `/api/traces/${T.replace(/-/g, '')}`);
		assert.equal(t.spans.length, 1, 'only the good event was stored');
		// oversized: refused before it is parsed
		const big = JSON.stringify({ batch: [{ id: 'x', type: 'trace-create', body: { id: 'y', input: 'a'.repeat(65 << 20) } }] });
		const rb = await post(server, '/api/public/ingestion', big, { 'Content-Type': 'application/json' });
		assert.equal(rb.status, 413);
		const rc = await post(server, '/api/public/ingestion', '{"batch":[]}', { 'Content-Type': 'text/plain' });
		assert.equal(rc.status, 415);
		assert.ok(JSON.parse(rc.body).error);
	});
});
