// rollup_hostile.test.mjs: a client may send any uint64 times and int64
// token counts. A span longer than 2^63 ns counts as INT64_MAX ns in the
// rollups (it counted as a negative duration, shown as 0), and sums of
// such durations and counts are held at the int64 limits instead of
// wrapping (signed overflow, which the sanitized build reports); the
// dashboards answer, and a deletion takes such spans back out.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedId, getJson, otlpRequest, otlpSpan, postOk, request, startServer } from './helpers.mjs';

let server;
after(async () => { if (server) await server.stop(); });

const MAX_U64 = ((1n << 64n) - 1n).toString();
const MAX_I64 = ((1n << 63n) - 1n).toString();

test('hostile times and token counts: rollup sums held at the int64 limits, the dashboards answer', async () => {
	server = await startServer({ label: 'rollup-hostile' });
	const start = (BigInt(Date.now() - 60000) * 1000000n).toString();
	const tids = [1, 2, 3].map((i) => fixedId(0x0bad0000 + i, 16));
	for (const [i, tid] of tids.entries())
		await postOk(server, '/v1/traces', otlpRequest([otlpSpan({ traceId: tid, spanId: fixedId(i + 1, 8), name: 'endless', start, end: MAX_U64,
			attrs: { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': BigInt(MAX_I64), 'gen_ai.usage.output_tokens': BigInt(MAX_I64) } })]));
	const sum = (await getJson(server, '/api/metrics/summary')).current;
	assert.equal(sum.spans, 3);
	/* 2^64 - 1 - start ns, held at INT64_MAX ns: about 9.2e12 ms, not 0 */
	assert.ok(sum.trace_latency_ms.p50 > 9e12 && sum.llm_latency_ms.p50 > 9e12, JSON.stringify(sum));
	assert.ok(sum.input_tokens >= 9.2e18 && sum.output_tokens >= 9.2e18, JSON.stringify(sum));
	const ops = (await getJson(server, '/api/metrics/operations')).items;
	assert.equal(ops.length, 1);
	assert.ok(ops[0].avg_ms > 1e12, JSON.stringify(ops));
	const series = await getJson(server, '/api/metrics/timeseries?metric=input_tokens&bucket=1h');
	assert.ok(series.series[0].values.every((v) => v >= 0), JSON.stringify(series.series));

	const r = await request(server, 'DELETE', `/api/traces/${tids[0]}`);
	assert.equal(r.status, 200, r.text);
	const left = (await getJson(server, '/api/metrics/summary')).current;
	assert.equal(left.spans, 2);
	assert.equal(left.traces, 2);
	await server.stop();
	server = null;
});
