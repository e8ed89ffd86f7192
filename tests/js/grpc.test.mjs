// grpc.test.mjs: OTLP/gRPC with the real OpenTelemetry exporters from npm
// (@opentelemetry/exporter-trace-otlp-grpc, gzip on and off, a 5,000-span
// trace over 4 MiB even compressed; the metrics exporters over gRPC and
// HTTP), and the gRPC answers real clients rely on, seen on the wire with
// node:http2: trailers, partial_success, UNAVAILABLE from a full write
// queue, 415, UNIMPLEMENTED.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import tls from 'node:tls';
import { credentials } from '@grpc/grpc-js';
import zlib from 'node:zlib';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
	SANITIZED, decodeProtoFields, getJson, listAllTraces, otlpRequest, otlpSpan, otlpToProtobuf, post, request, spanId,
	startServer, tempDataDir, traceId,
} from './helpers.mjs';
import { LOGS_PATH, METRICS_PATH, TRACE_PATH, frame, grpcCall, unframe } from './grpc_client.mjs';

/* Records spans with a tracer and returns the ReadableSpans the SDK made. */
function record(fn, resource = { 'service.name': 'grpc-svc' }) {
	const mem = new InMemorySpanExporter();
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes(resource), spanProcessors: [new SimpleSpanProcessor(mem)],
	});
	fn(provider.getTracer('grpc-test', '1.0.0'));
	return mem.getFinishedSpans();
}

const exportWith = (exporter, spans) => new Promise((resolve) => exporter.export(spans, resolve));

describe('OTLP/gRPC with the OpenTelemetry exporter', () => {
	let server;
	before(async () => { server = await startServer({ label: 'grpc', grpc: true }); });
	after(async () => { if (server) await server.stop(); });

	for (const compression of ['none', 'gzip']) {
		test(`a nested trace, compression ${compression}, reads back field by field`, async () => {
			const spans = record((tracer) => {
				const root = tracer.startSpan('agent-run', { attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
				const ctx = trace.setSpan(context.active(), root);
				const llm = tracer.startSpan('chat gpt-4o', {
					attributes: {
						'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o',
						'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30, 'app.unicode': 'naïve 東京',
					},
				}, ctx);
				llm.addEvent('first-token', { 'app.n': 1 });
				llm.end();
				tracer.startSpan('tool', {}, ctx).end();
				root.end();
			});
			const exporter = new OTLPTraceExporter({ url: server.grpcUrl, compression });
			const result = await exportWith(exporter, spans);
			await exporter.shutdown();
			assert.equal(result.code, 0, `export failed: ${result.error}`);
			const tid = spans[0].spanContext().traceId;
			const t = await getJson(server, `/api/traces/${tid}`);
			assert.equal(t.spans.length, 3);
			const llm = t.spans.find((s) => s.name === 'chat gpt-4o');
			const sdkLlm = spans.find((s) => s.name === 'chat gpt-4o');
			assert.equal(llm.span_id, sdkLlm.spanContext().spanId);
			assert.equal(llm.parent_span_id, sdkLlm.parentSpanContext?.spanId ?? sdkLlm.parentSpanId);
			assert.equal(llm.service, 'grpc-svc');
			assert.equal(llm.model, 'gpt-4o');
			assert.equal(llm.input_tokens, 120);
			assert.equal(llm.output_tokens, 30);
			assert.equal(llm.attributes['app.unicode'], 'naïve 東京');
			assert.equal(llm.events[0].name, 'first-token');
		});
	}

	test('a 5,000-span trace whose export is over 4 MiB even gzipped is stored whole', { timeout: 300000 }, async () => {
		const payloads = [];
		const spans = record((tracer) => {
			const root = tracer.startSpan('big-root');
			const ctx = trace.setSpan(context.active(), root);
			for (let i = 0; i < 4999; i++) {
				const p = crypto.randomBytes(1200).toString('base64');
				payloads.push(p);
				tracer.startSpan(`step-${i}`, { attributes: { 'app.payload': p } }, ctx).end();
			}
			root.end();
		});
		/* random text does not compress below 3/4 of its size: the request is bigger still */
		const floor = zlib.gzipSync(Buffer.from(payloads.join(''))).length;
		assert.ok(floor > 4 * 1024 * 1024, `gzipped payloads alone are ${floor} bytes`);
		const exporter = new OTLPTraceExporter({ url: server.grpcUrl, compression: 'gzip', timeoutMillis: 120000 });
		const result = await exportWith(exporter, spans);
		await exporter.shutdown();
		assert.equal(result.code, 0, `export failed: ${result.error}`);
		const tid = spans[0].spanContext().traceId;
		const t = await getJson(server, `/api/traces/${tid}?limit=10000`);
		assert.equal(t.spans.length, 5000);
		const one = t.spans.find((s) => s.name === 'step-1234');
		assert.equal(one.attributes['app.payload'], payloads[1234]);
	});

	test('metrics exporters over gRPC (protobuf) and HTTP (JSON) are answered OK and counted', async () => {
		const before = (await getJson(server, '/api/health')).otlp_metrics;
		for (const [name, exporter] of [
			['grpc', new GrpcMetricExporter({ url: server.grpcUrl })],
			['grpc gzip', new GrpcMetricExporter({ url: server.grpcUrl, compression: 'gzip' })],
			['http', new HttpMetricExporter({ url: `${server.url}/v1/metrics` })],
		]) {
			const results = [];
			const recording = {
				export: (m, cb) => exporter.export(m, (r) => { results.push(r); cb(r); }),
				forceFlush: () => exporter.forceFlush(), shutdown: () => exporter.shutdown(),
				selectAggregationTemporality: exporter.selectAggregationTemporality?.bind(exporter),
			};
			const reader = new PeriodicExportingMetricReader({ exporter: recording, exportIntervalMillis: 3600000 });
			const provider = new MeterProvider({ readers: [reader] });
			const meter = provider.getMeter('grpc-test');
			meter.createCounter('requests').add(3, { route: '/a' });
			meter.createCounter('requests2').add(1, { route: '/b' });
			meter.createHistogram('latency').record(12.5);
			await reader.forceFlush();
			await provider.shutdown();
			assert.ok(results.length >= 1, `${name}: nothing exported`);
			assert.equal(results[0].code, 0, `${name}: ${results[0].error}`);
		}
		const now = (await getJson(server, '/api/health')).otlp_metrics;
		assert.ok(now.exports >= before.exports + 3, JSON.stringify(now));
		assert.ok(now.data_points_received >= before.data_points_received + 9, JSON.stringify(now));
		assert.equal(now.data_points_dropped, now.data_points_received, 'metrics are not stored');
	});

	test('POST /v1/metrics takes OTLP/JSON (and gzip) and answers {}; a bad shape is 400', async () => {
		const body = {
			resourceMetrics: [{ scopeMetrics: [{ metrics: [
				{ name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, { asInt: '2' }] } },
				{ name: 's', sum: { dataPoints: [{ asInt: '5' }], aggregationTemporality: 2 } },
			] }] }],
		};
		const r = await post(server, '/v1/metrics', body);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, {});
		const gz = await request(server, 'POST', '/v1/metrics', {
			body: zlib.gzipSync(JSON.stringify(body)),
			headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
		});
		assert.equal(gz.status, 200, gz.text);
		const refusedAtStart = (await getJson(server, '/api/health')).otlp_metrics.exports_refused;
		const bad = await post(server, '/v1/metrics', { resourceMetrics: [{ scopeMetrics: 3 }] });
		assert.equal(bad.status, 400);
		assert.match(bad.json.error, /resourceMetrics\[0\]\.scopeMetrics: expected an array/);
		const pb = await request(server, 'POST', '/v1/metrics', {
			body: Buffer.from([0x0a, 0x05, 0xff]), headers: { 'content-type': 'application/x-protobuf' },
		});
		assert.equal(pb.status, 400);
		const wrongType = await request(server, 'POST', '/v1/metrics', { body: 'x', headers: { 'content-type': 'text/plain' } });
		assert.equal(wrongType.status, 415);
		assert.equal((await getJson(server, '/api/health')).otlp_metrics.exports_refused, refusedAtStart + 3,
			'the bad shape above, the bad protobuf and the 415');
		const empty = await request(server, 'POST', '/v1/metrics', {
			body: Buffer.alloc(0), headers: { 'content-type': 'application/x-protobuf' },
		});
		assert.equal(empty.status, 200);
		assert.equal(empty.headers['content-type'], 'application/x-protobuf');
		assert.equal(empty.body.length, 0, 'an empty ExportMetricsServiceResponse');
	});
});

describe('gRPC answers on the wire', () => {
	let server;
	before(async () => { server = await startServer({ label: 'grpc-wire', grpc: true }); });
	after(async () => { if (server) await server.stop(); });

	const spansOf = (n, extra = {}) => {
		const tid = traceId();
		return { tid, spans: Array.from({ length: n }, (_, i) => otlpSpan({ traceId: tid, name: `s${i}`, ...extra })) };
	};

	test('OK: HEADERS, the prefixed response, trailers grpc-status 0; split across many DATA frames', async () => {
		const { tid, spans } = spansOf(3);
		const body = frame(otlpToProtobuf(otlpRequest(spans)));
		const chunks = [];
		for (let i = 0; i < body.length; i += 7) chunks.push(body.subarray(i, i + 7));
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, null, { chunks });
		assert.equal(r.status, 200);
		assert.equal(r.headers['content-type'], 'application/grpc');
		assert.equal(r.grpcStatus, 0);
		assert.equal(r.trailers['grpc-status'], '0');
		assert.deepEqual(unframe(r.data), Buffer.alloc(0), 'an empty ExportTraceServiceResponse');
		assert.equal((await getJson(server, `/api/traces/${tid}`)).spans.length, 3);
	});

	test('partial_success names the spans refused', async () => {
		const { tid, spans } = spansOf(2);
		spans.push(otlpSpan({ traceId: tid, spanId: 'abcd', name: 'bad-id' }));
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(otlpToProtobuf(otlpRequest(spans))));
		assert.equal(r.grpcStatus, 0);
		const resp = decodeProtoFields(unframe(r.data));
		const ps = decodeProtoFields(resp[1][0]);
		assert.equal(ps[1][0], 1n, 'rejected_spans');
		assert.match(ps[2][0].toString(), /spanId must be 8 bytes/);
	});

	test('undecodable data is INVALID_ARGUMENT with a percent-encoded grpc-message', async () => {
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.from([0x0a, 0x10, 0x01])),
			{ headers: { 'x-note': 'naïve' } });
		assert.equal(r.status, 200);
		assert.equal(r.grpcStatus, 3);
		assert.match(r.grpcMessage, /invalid protobuf/);
	});

	test('a content type other than application/grpc is HTTP 415', async () => {
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.alloc(0)),
			{ headers: { 'content-type': 'application/json' } });
		assert.equal(r.status, 415);
	});

	test('unknown methods are UNIMPLEMENTED; an empty logs export is OK (logs.test.mjs has the rest)', async () => {
		const r = await grpcCall(server.grpcUrl, '/foo.Bar/Baz', frame(Buffer.alloc(0)));
		assert.equal(r.grpcStatus, 12);
		const logs = await grpcCall(server.grpcUrl, LOGS_PATH, frame(Buffer.alloc(0)));
		assert.equal(logs.grpcStatus, 0);
	});

	test('an unsupported grpc-encoding is UNIMPLEMENTED; compressed without one is INVALID_ARGUMENT', async () => {
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.alloc(0)), { headers: { 'grpc-encoding': 'snappy' } });
		assert.equal(r.grpcStatus, 12);
		const c = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.alloc(3), { compressed: true }));
		assert.equal(c.grpcStatus, 3);
	});

	test('an empty metrics export over gRPC is OK with an empty response', async () => {
		const r = await grpcCall(server.grpcUrl, METRICS_PATH, frame(Buffer.alloc(0)));
		assert.equal(r.grpcStatus, 0);
		assert.deepEqual(unframe(r.data), Buffer.alloc(0));
	});

	test('x-project-id metadata names the project, as X-Project-ID does on HTTP', async () => {
		const { tid, spans } = spansOf(1);
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(otlpToProtobuf(otlpRequest(spans))),
			{ headers: { 'x-project-id': 'grpc-team' } });
		assert.equal(r.grpcStatus, 0);
		const listed = await listAllTraces(server, { project: 'grpc-team' });
		assert.deepEqual(listed.map((t) => t.trace_id), [tid]);
	});
});

describe('gRPC backpressure', () => {
	/* The smallest write queue (1 MiB) and concurrent large calls: each is
	 * OK or UNAVAILABLE (14, the code exporters retry), none is lost. */
	let small;
	before(async () => { small = await startServer({ label: 'grpc-queue', grpc: true, env: { TRACELITE_QUEUE_MB: '1' } }); });
	after(async () => { if (small) await small.stop(); });

	test('a full write queue answers UNAVAILABLE; every OK is stored', { timeout: 180000 }, async () => {
		const payload = crypto.randomBytes(200 * 1024).toString('base64');
		const acked = [];
		const statuses = {};
		const client = async () => {
			for (let i = 0; i < (SANITIZED ? 10 : 25) && !statuses[14]; i++) {
				const tid = traceId();
				const spans = [otlpSpan({ traceId: tid, attrs: { payload } }), otlpSpan({ traceId: tid, attrs: { payload } })];
				const r = await grpcCall(small.grpcUrl, TRACE_PATH, frame(otlpToProtobuf(otlpRequest(spans))));
				statuses[r.grpcStatus] = (statuses[r.grpcStatus] ?? 0) + 1;
				if (r.grpcStatus === 0) acked.push(tid);
				if (r.grpcStatus === 14) assert.match(r.grpcMessage, /queue full/);
			}
		};
		await Promise.all(Array.from({ length: 8 }, client));
		assert.deepEqual(Object.keys(statuses).filter((s) => s !== '0' && s !== '14'), [], JSON.stringify(statuses));
		assert.ok(statuses[14], `no UNAVAILABLE from a 1 MiB queue under 8 clients: ${JSON.stringify(statuses)}`);
		for (const tid of acked) assert.equal((await getJson(small, `/api/traces/${tid}`)).spans.length, 2);
	});

	test('the real exporter sees 14 UNAVAILABLE from a full queue (it does not retry); every OK is stored',
		{ timeout: 180000 }, async () => {
			const payload = crypto.randomBytes(200 * 1024).toString('base64');
			const acked = [];
			const outcomes = {};
			const client = async () => {
				const exporter = new OTLPTraceExporter({ url: small.grpcUrl });
				for (let i = 0; i < (SANITIZED ? 5 : 10); i++) {
					const spans = record((tracer) => {
						const root = tracer.startSpan('a', { attributes: { payload } });
						tracer.startSpan('b', { attributes: { payload } }, trace.setSpan(context.active(), root)).end();
						root.end();
					});
					const r = await exportWith(exporter, spans);
					const key = r.code === 0 ? 'ok' : String(r.error?.message).slice(0, 60);
					outcomes[key] = (outcomes[key] ?? 0) + 1;
					if (r.code === 0) acked.push(spans[0].spanContext().traceId);
				}
				await exporter.shutdown();
			};
			await Promise.all(Array.from({ length: 8 }, client));
			const failures = Object.keys(outcomes).filter((k) => k !== 'ok');
			assert.ok(failures.length > 0, `no refusal from a 1 MiB queue under 8 exporters: ${JSON.stringify(outcomes)}`);
			for (const f of failures) assert.match(f, /^14 UNAVAILABLE: write queue full/, JSON.stringify(outcomes));
			for (const tid of acked) assert.equal((await getJson(small, `/api/traces/${tid}`)).spans.length, 2);
		});
});

describe('OTLP/gRPC over TLS (ALPN h2)', () => {
	/* A self-signed pair for 127.0.0.1 made with openssl; the exporter
	 * trusts it as its root; the HTTP port serves TLS with it too. */
	let server, dir, ca;
	before(async () => {
		dir = tempDataDir('grpc-tls-pem');
		execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
			'-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1',
			'-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
		ca = fs.readFileSync(path.join(dir, 'cert.pem'));
		server = await startServer({
			label: 'grpc-tls', grpc: true, ca,
			env: { TRACELITE_TLS_CERT: path.join(dir, 'cert.pem'), TRACELITE_TLS_KEY: path.join(dir, 'key.pem') },
		});
	});
	after(async () => { if (server) await server.stop(); });

	for (const compression of ['none', 'gzip']) {
		test(`the exporter over https, compression ${compression}`, async () => {
			const spans = record((tracer) => tracer.startSpan(`tls-${compression}`).end());
			const exporter = new OTLPTraceExporter({
				url: `https://127.0.0.1:${server.grpcPort}`, compression, credentials: credentials.createSsl(ca),
			});
			const result = await exportWith(exporter, spans);
			await exporter.shutdown();
			assert.equal(result.code, 0, `export failed: ${result.error}`);
			const t = await getJson(server, `/api/traces/${spans[0].spanContext().traceId}`);
			assert.equal(t.spans[0].name, `tls-${compression}`);
		});
	}

	test('node:http2 over TLS: ALPN h2, trailers; a client without h2 in ALPN and cleartext are refused', async () => {
		const r = await new Promise((resolve, reject) => {
			const s = http2.connect(`https://127.0.0.1:${server.grpcPort}`, { ca });
			s.on('error', reject);
			const req = s.request({ ':method': 'POST', ':path': METRICS_PATH, 'content-type': 'application/grpc' });
			let trailers = {};
			req.on('trailers', (t) => { trailers = t; });
			req.on('data', () => {});
			req.on('close', () => { resolve({ alpn: s.alpnProtocol, trailers }); s.close(); });
			req.end(frame(Buffer.alloc(0)));
		});
		assert.equal(r.alpn, 'h2');
		assert.equal(r.trailers['grpc-status'], '0');
		const noH2 = await new Promise((resolve) => {
			const sock = tls.connect({ host: '127.0.0.1', port: server.grpcPort, ca, ALPNProtocols: ['http/1.1'] });
			sock.on('error', () => resolve('refused'));
			sock.on('close', () => resolve('closed'));
			sock.on('secureConnect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
		});
		assert.ok(['refused', 'closed'].includes(noH2));
		const clear = await grpcCall(`http://127.0.0.1:${server.grpcPort}`, METRICS_PATH, frame(Buffer.alloc(0)), { timeoutMs: 10000 });
		assert.ok(clear.error, 'cleartext HTTP/2 is not served on a TLS port');
	});

	test('a key that does not load stops start-up naming the file', async () => {
		fs.writeFileSync(path.join(dir, 'bad.pem'), 'not a key');
		await assert.rejects(startServer({
			label: 'grpc-tls-bad', grpc: true, timeoutMs: 5000,
			env: { TRACELITE_TLS_CERT: path.join(dir, 'cert.pem'), TRACELITE_TLS_KEY: path.join(dir, 'bad.pem') },
		}), /TLS key .*bad\.pem/);   // checked once for both ports, before start
	});
});
