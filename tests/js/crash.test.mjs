// crash.test.mjs: durable on ack. Several clients ingest at once (JSON and
// protobuf, traces split across requests), the server is killed with
// SIGKILL mid-stream, then restarted on the same data directory: every span
// of a request that was answered 200 must be there, and every trace summary
// must agree with the spans the detail endpoint returns (no half-written
// trace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	SANITIZED, addMs, getJson, listAllTraces, nanosFromNow, nanosToIso, otlpRequest, otlpSpan, otlpToProtobuf,
	post, postOtlp, sleep, spanId, startServer, statusNumber, traceId,
} from './helpers.mjs';

const PROJECT = 'crash';
const CLIENTS = SANITIZED ? 2 : 4;
const SPANS_PER_TRACE = 12;
const INGEST_MS = SANITIZED ? 1500 : 3000;
const CYCLES = SANITIZED ? 1 : 2;          /* kill, restart, verify; again on the recovered store */

/* The spans of one trace: a root and children, one in six an error. */
function makeTrace() {
	const tid = traceId();
	const start = nanosFromNow(-60000 + crypto.randomInt(30000));
	const root = otlpSpan({ traceId: tid, name: `crash-root-${tid.slice(0, 6)}`, start, durationMs: 500 });
	const spans = [root];
	for (let i = 1; i < SPANS_PER_TRACE; i++) {
		spans.push(otlpSpan({
			traceId: tid, spanId: spanId(), parentSpanId: root.spanId, name: `step-${i}`,
			start: addMs(start, i * 10), durationMs: 5,
			attrs: { 'step.index': i, payload: crypto.randomBytes(96).toString('base64') },
			status: i % 6 === 0 ? { code: 2, message: `step ${i} failed` } : undefined,
		}));
	}
	return { tid, spans };
}

/* One client: each request carries the second half of the previous trace
 * (children first, root last) and the first half of a new one, so traces
 * span requests and arrive out of order. Stops at the first network error
 * after stop() or when told to. */
async function runClient(server, index, acked, anomalies, shouldStop) {
	const protobuf = index % 2 === 1;
	let carry = [];
	while (!shouldStop()) {
		const t = makeTrace();
		const half = SPANS_PER_TRACE / 2;
		const spans = [...carry, ...t.spans.slice(half).reverse()];
		carry = t.spans.slice(0, half).reverse();
		const req = otlpRequest(spans, { resource: { 'service.name': `crash-client-${index}` } });
		const body = protobuf ? otlpToProtobuf(req) : req;
		const headers = { 'X-Project-ID': PROJECT, 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' };
		let r;
		try {
			r = await post(server, '/v1/traces', body, headers);
		} catch {
			await sleep(20);   // the server is gone (or going): nothing was acknowledged
			continue;
		}
		if (r.status === 200) {
			if (r.body.length > 0 && (protobuf || r.json?.partialSuccess)) anomalies.push(`partial success: ${r.text}`);
			for (const s of spans) {
				if (!acked.has(s.traceId)) acked.set(s.traceId, new Set());
				acked.get(s.traceId).add(s.spanId);
			}
		} else if (r.status === 503) {
			await sleep(Math.min(1000, 1000 * Number(r.headers['retry-after'] || 0.05)));
		} else {
			anomalies.push(`unexpected ${r.status}: ${r.text.slice(0, 200)}`);
		}
	}
}

/* Runs fn over items with n in flight. */
async function eachLimited(items, n, fn) {
	let next = 0;
	await Promise.all(Array.from({ length: n }, async () => {
		while (next < items.length) await fn(items[next++]);
	}));
}

/* Ingests from CLIENTS clients into server, SIGKILLs it mid-stream, and
 * adds what was acknowledged to acked. */
async function ingestThenKill(server, acked) {
	const anomalies = [];
	let stopped = false;
	const clients = Array.from({ length: CLIENTS }, (_, i) => runClient(server, i, acked, anomalies, () => stopped));
	await sleep(INGEST_MS + crypto.randomInt(500));
	await server.kill9();
	await sleep(200);   // let in-flight requests fail
	stopped = true;
	await Promise.all(clients);
	assert.deepEqual(anomalies, []);
}

/* Every acknowledged span is in the detail of its trace, every
 * acknowledged trace is listed, and every listed summary (acknowledged or
 * not) agrees with the spans of its detail. Returns the number of traces. */
async function verify(server, acked) {
	const missing = [];
	const details = new Map();
	await eachLimited([...acked.keys()], 4, async (tid) => {
		const r = await getJson(server, `/api/traces/${tid}`).catch((e) => ({ error: e.message }));
		if (r.error) { missing.push(`${tid}: ${r.error.slice(0, 120)}`); return; }
		details.set(tid, r);
		const have = new Set(r.spans.map((s) => s.span_id));
		for (const sid of acked.get(tid)) if (!have.has(sid)) missing.push(`${tid}/${sid}`);
	});
	assert.deepEqual(missing.slice(0, 20), [], `${missing.length} acknowledged spans lost`);

	const rows = await listAllTraces(server, { project: PROJECT });
	const listed = new Set(rows.map((row) => row.trace_id));
	const unlisted = [...acked.keys()].filter((tid) => !listed.has(tid));
	assert.deepEqual(unlisted.slice(0, 20), [], `${unlisted.length} acknowledged traces missing from the list`);
	const disagreements = [];
	await eachLimited(rows, 4, async (row) => {
		const d = details.get(row.trace_id) ?? await getJson(server, `/api/traces/${row.trace_id}`);
		const errors = d.spans.filter((s) => statusNumber(s.status?.code) === 2).length;
		const minStart = d.spans.map((s) => BigInt(s.start_time_unix_nano)).reduce((a, b) => (a < b ? a : b));
		const want = { span_count: d.spans.length, error_count: errors, start_time: nanosToIso(minStart.toString()) };
		const got = { span_count: row.span_count, error_count: row.error_count, start_time: row.start_time };
		if (JSON.stringify(want) !== JSON.stringify(got)) {
			disagreements.push(`${row.trace_id}: summary ${JSON.stringify(got)} vs spans ${JSON.stringify(want)}`);
		}
	});
	assert.deepEqual(disagreements.slice(0, 20), [], `${disagreements.length} of ${rows.length} summaries disagree`);
	return rows.length;
}

test('kill -9 during concurrent ingest loses no acknowledged span', { timeout: 240000 }, async (t) => {
	const acked = new Map();
	let server = await startServer({ label: 'crash' });
	try {
		for (let cycle = 1; cycle <= CYCLES; cycle++) {
			await ingestThenKill(server, acked);
			const spans = [...acked.values()].reduce((n, set) => n + set.size, 0);
			assert.ok(spans > 0, 'no request was acknowledged before the kill');
			server = await startServer({ label: `crash-restart${cycle}`, dataDir: server.dataDir });
			const listed = await verify(server, acked);
			t.diagnostic(`cycle ${cycle}: ${spans} spans in ${acked.size} traces acknowledged so far; ` +
				`after restart ${listed} traces listed, all agree with their spans`);
		}
		// The recovered server takes new work.
		const fresh = makeTrace();
		await postOtlp(server, fresh.spans, { headers: { 'X-Project-ID': PROJECT } });
		assert.equal((await getJson(server, `/api/traces/${fresh.tid}`)).spans.length, SPANS_PER_TRACE);
	} finally {
		await server.stop();
	}
});
