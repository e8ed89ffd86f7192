// sdk.test.mjs: the OpenTelemetry JS SDK, unmodified, exports a nested
// trace through its own OTLP/HTTP exporters (JSON and protobuf, gzip on and
// off) to the real server; the trace read back through the REST API must
// match, field by field, what the SDK recorded (an InMemorySpanExporter on
// the same provider sees exactly the spans the OTLP exporter sent).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, createTraceState, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
	getJson, hrTimeToNanos, isIsoMs, kindNumber, listAllTraces, nanosToIso, spanId, startServer,
	statusNumber, traceId,
} from './helpers.mjs';

const EXPORTERS = { json: JsonExporter, protobuf: ProtoExporter };
const SCOPE = { name: 'tracelite-sdk-test', version: '1.2.3' };

/* Wraps an exporter to record every export result: BatchSpanProcessor
 * only logs failures, and a silent failure must fail the test. */
class RecordingExporter {
	constructor(inner) { this.inner = inner; this.results = []; }
	export(spans, done) {
		this.inner.export(spans, (result) => { this.results.push(result); done(result); });
	}
	shutdown() { return this.inner.shutdown(); }
	forceFlush() { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

/* Times with every nanosecond digit significant, so a server that stores
 * doubles or microseconds is caught. */
const BASE_S = Math.floor(Date.now() / 1000) - 60;
const at = (ms, extraNs) => [BASE_S + Math.floor(ms / 1000), (ms % 1000) * 1e6 + extraNs];

/* Records a 3-level trace with every attribute kind, events, an exception,
 * links within and outside the trace, all span kinds and an error status. */
function recordTrace(tracer) {
	const inTrace = (span) => trace.setSpan(context.active(), span);
	const root = tracer.startSpan('checkout', {
		kind: SpanKind.SERVER,
		startTime: at(0, 123457),
		attributes: {
			'http.request.method': 'POST',
			'http.response.status_code': 500,
			'app.flag': true,
			'app.flag.off': false,
			'app.ratio': 0.125,
			'app.negative': -42,
			'app.big': 9007199254740991,
			'app.empty': '',
			'app.unicode': 'naïve – 東京 🚀',
			'app.tags': ['a', 'b', 'c'],
			'app.ints': [1, 2, 3],
			'app.doubles': [1.5, -2.25],
			'app.bools': [true, false, true],
		},
	});
	root.addEvent('request.received', { 'bytes': 512, 'client': 'sdk' }, at(1, 7));
	const rootCtx = inTrace(root);

	const child = tracer.startSpan('reserve-stock', {
		kind: SpanKind.INTERNAL, startTime: at(5, 999999), attributes: { 'stock.items': 3 },
	}, rootCtx);
	const grandchild = tracer.startSpan('GET /inventory', {
		kind: SpanKind.CLIENT, startTime: at(10, 1), attributes: { 'server.address': 'inventory.local', 'server.port': 8080 },
	}, inTrace(child));
	const err = new Error('inventory timed out');
	err.name = 'TimeoutError';
	grandchild.recordException(err, at(40, 5));
	grandchild.setStatus({ code: SpanStatusCode.ERROR, message: 'downstream timeout' });
	grandchild.end(at(41, 3));
	child.setStatus({ code: SpanStatusCode.OK });
	child.end(at(45, 0));

	const producer = tracer.startSpan('publish order', {
		kind: SpanKind.PRODUCER,
		startTime: at(50, 250),
		links: [{
			context: child.spanContext(),
			attributes: { 'link.reason': 'same-trace' },
		}, {
			context: { traceId: traceId(), spanId: spanId(), traceFlags: 1, traceState: createTraceState('vendor=abc,other=1') },
			attributes: { 'link.reason': 'foreign', 'link.n': 2 },
		}],
	}, rootCtx);
	const consumer = tracer.startSpan('handle order', { kind: SpanKind.CONSUMER, startTime: at(60, 60) }, inTrace(producer));
	consumer.addEvent('processed', { ok: true }, at(70, 70));
	consumer.addLink({ context: root.spanContext() });
	consumer.end(at(80, 80));
	producer.end(at(81, 81));
	root.setStatus({ code: SpanStatusCode.ERROR, message: 'checkout failed' });
	root.end(at(100, 999));
	return root.spanContext().traceId;
}

/* Asserts that the API's span matches the SDK's ReadableSpan in every field. */
function assertSpanMatches(api, sdk, label) {
	const msg = (field) => `${label} span ${sdk.name}: ${field}`;
	assert.equal(api.span_id, sdk.spanContext().spanId, msg('span_id'));
	assert.equal(api.parent_span_id || null, sdk.parentSpanContext?.spanId ?? null, msg('parent_span_id'));
	assert.equal(api.name, sdk.name, msg('name'));
	assert.equal(kindNumber(api.kind), sdk.kind + 1, msg(`kind (API says ${JSON.stringify(api.kind)})`));
	assert.equal(api.start_time_unix_nano, hrTimeToNanos(sdk.startTime), msg('start_time_unix_nano'));
	assert.equal(api.end_time_unix_nano, hrTimeToNanos(sdk.endTime), msg('end_time_unix_nano'));
	assert.ok(isIsoMs(api.start_time), msg(`start_time format ${api.start_time}`));
	assert.equal(api.start_time, nanosToIso(hrTimeToNanos(sdk.startTime)), msg('start_time'));
	assert.equal(api.end_time, nanosToIso(hrTimeToNanos(sdk.endTime)), msg('end_time'));
	const durMs = Number(BigInt(hrTimeToNanos(sdk.endTime)) - BigInt(hrTimeToNanos(sdk.startTime))) / 1e6;
	assert.ok(Math.abs(api.duration_ms - durMs) < 1, msg(`duration_ms ${api.duration_ms} vs ${durMs}`));
	assert.equal(statusNumber(api.status?.code), sdk.status.code, msg(`status.code (API says ${JSON.stringify(api.status)})`));
	assert.equal(api.status?.message || '', sdk.status.message || '', msg('status.message'));
	assert.deepEqual(api.attributes, sdk.attributes, msg('attributes'));
	assert.equal(api.dropped_attributes_count ?? 0, sdk.droppedAttributesCount, msg('dropped_attributes_count'));
	assert.equal(api.service, sdk.resource.attributes[ATTR_SERVICE_NAME], msg('service'));

	assert.equal(api.events?.length, sdk.events.length, msg('event count'));
	sdk.events.forEach((e, i) => {
		const a = api.events[i];
		assert.equal(a.name, e.name, msg(`event ${i} name`));
		assert.equal(a.time_unix_nano, hrTimeToNanos(e.time), msg(`event ${i} time_unix_nano`));
		assert.deepEqual(a.attributes ?? {}, e.attributes ?? {}, msg(`event ${i} attributes`));
	});

	assert.equal(api.links?.length, sdk.links.length, msg('link count'));
	sdk.links.forEach((l, i) => {
		const a = api.links[i];
		assert.equal(a.trace_id, l.context.traceId, msg(`link ${i} trace_id`));
		assert.equal(a.span_id, l.context.spanId, msg(`link ${i} span_id`));
		assert.equal(a.trace_state || '', l.context.traceState?.serialize() ?? '', msg(`link ${i} trace_state`));
		assert.deepEqual(a.attributes ?? {}, l.attributes ?? {}, msg(`link ${i} attributes`));
	});

	assert.deepEqual(api.resource?.attributes, sdk.resource.attributes, msg('resource'));
	assert.equal(api.scope?.name, sdk.instrumentationScope.name, msg('scope.name'));
	assert.equal(api.scope?.version, sdk.instrumentationScope.version, msg('scope.version'));
}

describe('OpenTelemetry JS SDK round trip', () => {
	let server;
	before(async () => { server = await startServer({ label: 'sdk' }); });
	after(async () => { if (server) await server.kill9().catch(() => {}); });

	for (const encoding of Object.keys(EXPORTERS)) {
		for (const compression of ['gzip', 'none']) {
			const service = `sdk-${encoding}-${compression}`;
			test(`${encoding} exporter, compression ${compression}`, { timeout: 60000 }, async () => {
				const memory = new InMemorySpanExporter();
				const otlp = new RecordingExporter(new EXPORTERS[encoding]({
					url: `${server.url}/v1/traces`, compression, timeoutMillis: 20000,
				}));
				const provider = new BasicTracerProvider({
					resource: resourceFromAttributes({
						[ATTR_SERVICE_NAME]: service,
						[ATTR_SERVICE_VERSION]: '9.8.7',
						'deployment.environment.name': 'test',
						'host.cores': 2,
						'process.tags': ['x', 'y'],
					}),
					spanProcessors: [new SimpleSpanProcessor(memory), new BatchSpanProcessor(otlp)],
				});
				const tracer = provider.getTracer(SCOPE.name, SCOPE.version);
				const tid = recordTrace(tracer);
				await provider.forceFlush();
				const sent = memory.getFinishedSpans().filter((s) => s.spanContext().traceId === tid);
				await provider.shutdown();   // clears the in-memory exporter

				assert.ok(otlp.results.length > 0, 'the OTLP exporter exported nothing');
				for (const r of otlp.results) assert.equal(r.code, 0, `export failed: ${r.error?.message ?? JSON.stringify(r)}`);
				assert.equal(sent.length, 5);
				const got = await getJson(server, `/api/traces/${tid}`);
				assert.equal(got.trace?.trace_id, tid, 'trace.trace_id');
				assert.equal(got.spans.length, sent.length, 'span count in the detail');
				const byId = new Map(got.spans.map((s) => [s.span_id, s]));
				for (const s of sent) {
					const api = byId.get(s.spanContext().spanId);
					assert.ok(api, `span ${s.name} missing from the API`);
					assertSpanMatches(api, s, service);
				}

				// The list summary: one row, built from the five spans.
				const root = sent.find((s) => !s.parentSpanContext);
				const items = await listAllTraces(server, { service });
				const row = items.find((t) => t.trace_id === tid);
				assert.ok(row, `trace ${tid} missing from GET /api/traces?service=${service}`);
				assert.equal(items.length, 1, 'one trace for this service');
				assert.equal(row.name, root.name, 'summary name is the root span name');
				assert.equal(row.service, service);
				assert.equal(row.span_count, 5, 'span_count');
				assert.equal(row.error_count, 2, 'error_count (root and grandchild have status error)');
				assert.equal(row.start_time, nanosToIso(hrTimeToNanos(root.startTime)), 'summary start_time');
				const rootMs = Number(BigInt(hrTimeToNanos(root.endTime)) - BigInt(hrTimeToNanos(root.startTime))) / 1e6;
				assert.ok(Math.abs(row.duration_ms - rootMs) < 1, `summary duration_ms ${row.duration_ms} vs ${rootMs}`);
				assert.equal(statusNumber(row.status), SpanStatusCode.ERROR, `summary status ${JSON.stringify(row.status)}`);
			});
		}
	}

	test('server stops cleanly on SIGTERM', async () => {
		const s = server;
		server = null;
		await s.stop();
	});
});
