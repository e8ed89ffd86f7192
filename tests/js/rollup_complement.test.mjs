// rollup_complement.test.mjs: a range edge more than half an hour into an
// hour past the minute rollups' horizon is answered as the hour's rollup
// rows less the spans and traces of the rest of the hour
// (src/query/metrics.c, past_minutes). The answers over such ranges, and
// over one read from the spans alone, are checked against what the spans
// sent say, computed here: counts, errors, tokens and costs exactly, and
// each percentile within the sketches' 1% of the value at its rank
// (src/base/sketch.h). A garbled subtraction (a latency added where it
// should be taken out, a group left at zero calls) fails it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDataDir, traceId, spanId, query, getJson } from './helpers.mjs';
import { FLOOR, HOUR, MIN, W, send, span } from './rollup_workload.mjs';

let server;
after(async () => { await server?.stop().catch(() => {}); });

// An old hour with a trace a minute: a root and an LLM call each, errors,
// tokens and costs that differ by minute, so the rest of the hour taken
// out is never empty.
const H0 = FLOOR - 30 * HOUR;
const dense = [];
for (let i = 0; i < 60; i++) {
	const tid = traceId(), root = spanId();
	const start = BigInt(H0 + i * MIN + 13) * 1000000000n;
	dense.push(span({ tid, sid: root, service: 'svc-dense', name: 'handle', start,
		end: start + BigInt(((i * 7919) % 5000) + 1) * 1000000n, error: i % 7 === 0 }));
	const cs = start + 1000000n;
	dense.push(span({ tid, sid: spanId(), parent: root, service: 'svc-dense', name: 'chat', start: cs,
		end: cs + BigInt(((i * 104729) % 3000) + 5) * 100000n, model: ['m-dense', 'acme'], in: i + 1, out: 2 * i,
		cost: i % 3 === 0 ? (i + 1) / 1000 : undefined }));
}
// A model whose costs all fall in the rest of the hour, sent in two
// requests so that its hour row sums them in another order than a read of
// the spans does: its cost over the ranges is 0, not what is left of the
// doubles' rounding (without the clamp, -2.2e-16 by model and -1.1e-16 in
// the summary).
const edgeSpan = (minute, cost) => {
	const start = BigInt(H0 + minute * MIN + 20) * 1000000000n;
	return span({ tid: traceId(), sid: spanId(), service: 'svc-dense', name: 'chat', start, end: start + 2000000n,
		model: ['m-edge', 'acme'], in: 0, out: 0, cost });
};
const edge = [[edgeSpan(0, 0.1), edgeSpan(1, 0.2), edgeSpan(2, 0.3)], [edgeSpan(3, 0.6), edgeSpan(4, 0.7)], [edgeSpan(30)]];
const ALL = [...W.spans, ...dense, ...edge.flat()].map(({ span }) => {
	const attr = (k) => span.attributes?.find((a) => a.key === k)?.value;
	const start = BigInt(span.startTimeUnixNano), end = BigInt(span.endTimeUnixNano);
	return { trace: span.traceId, name: span.name, start, end, dur: end > start ? Number(end - start) : 0,
		error: span.status?.code === 2, model: attr('gen_ai.request.model')?.stringValue,
		in: Number(attr('gen_ai.usage.input_tokens')?.intValue ?? 0),
		out: Number(attr('gen_ai.usage.output_tokens')?.intValue ?? 0), cost: attr('gen_ai.usage.cost')?.doubleValue ?? 0 };
});

const ns = (s) => BigInt(s) * 1000000000n;
const sum = (xs, f) => xs.reduce((a, x) => a + f(x), 0);
// the value at a sketch's rank, floor(q * (n - 1)), of durations in ns
const atRank = (durs, q) => [...durs].sort((a, b) => a - b)[Math.floor(q * (durs.length - 1))];
function near(gotMs, durs, q, what) {
	const want = atRank(durs, q);
	if (want < 1) return assert.equal(gotMs, 0, what);
	assert.ok(Math.abs(gotMs * 1e6 - want) <= 0.0101 * want, `${what}: ${gotMs} ms, the value at its rank ${want / 1e6} ms`);
}
const closeCost = (got, want, what) => want === 0 ? assert.equal(got, 0, what)
	: assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, want), `${what}: ${got} != ${want}`);

// The spans starting in [from, to), and the traces whose first span does.
function expected(from, to) {
	const spans = ALL.filter((s) => s.start >= ns(from) && s.start < ns(to));
	const byTrace = new Map();
	for (const s of ALL) {
		const t = byTrace.get(s.trace) ?? { start: s.start, end: s.end, error: false };
		if (s.start < t.start) t.start = s.start;
		if (s.end > t.end) t.end = s.end;
		t.error ||= s.error;
		byTrace.set(s.trace, t);
	}
	const traces = [...byTrace.values()].filter((t) => t.start >= ns(from) && t.start < ns(to));
	return { spans, traces, llm: spans.filter((s) => s.model) };
}

// [from, to): edges 53 and 50 minutes into old hours, one old hour from
// minute 5 to 50 (the rest taken out on both sides), and an edge 20
// minutes before the hour (read from the spans alone)
const RANGES = [[H0 + 7 * MIN, H0 + 10 * HOUR + 50 * MIN], [H0 + 5 * MIN, H0 + 50 * MIN],
	[H0 + 40 * MIN, H0 + 3 * HOUR]];

describe('an old part-hour as its hour less the rest of it', () => {
	test('summary, models and operations agree with the spans sent', async () => {
		server = await startServer({ label: 'rollup-complement', dataDir: tempDataDir('rollup-complement') });
		await send(server, [...W.spans, ...dense]);
		for (const part of edge)
			await send(server, part);
		for (const [from, to] of RANGES) {
			const e = expected(from, to);
			const r = `${from}..${to}`;
			assert.ok(e.llm.length >= 20, `${r}: the range holds the dense hour's calls`);
			const cur = (await getJson(server, `/api/metrics/summary${query({ from, to })}`)).current;
			assert.deepEqual([cur.spans, cur.error_spans, cur.llm_calls, cur.traces, cur.errors, cur.input_tokens, cur.output_tokens],
				[e.spans.length, e.spans.filter((s) => s.error).length, e.llm.length, e.traces.length,
					e.traces.filter((t) => t.error).length, sum(e.spans, (s) => s.in), sum(e.spans, (s) => s.out)], r);
			closeCost(cur.cost_usd, sum(e.spans, (s) => s.cost), `${r} cost`);
			for (const [q, k] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']]) {
				near(cur.llm_latency_ms[k], e.llm.map((s) => s.dur), q, `${r} LLM ${k}`);
				near(cur.trace_latency_ms[k], e.traces.map((t) => (t.end > t.start ? Number(t.end - t.start) : 0)), q,
					`${r} trace ${k}`);
			}

			if (from < H0 + 30 * MIN) {
				const edgeOnly = (await getJson(server, `/api/metrics/summary${query({ from, to, model: 'm-edge' })}`)).current;
				assert.deepEqual([edgeOnly.llm_calls, edgeOnly.cost_usd], [1, 0], `${r}: m-edge ${JSON.stringify(edgeOnly)}`);
			}
			const models = (await getJson(server, `/api/metrics/models${query({ from, to })}`)).items;
			const names = [...new Set(e.llm.map((s) => s.model))].sort();
			assert.deepEqual(models.map((m) => m.model).sort(), names, `${r}: no model left at zero calls`);
			for (const m of models) {
				const mine = e.llm.filter((s) => s.model === m.model);
				assert.deepEqual([m.calls, m.errors, m.input_tokens, m.output_tokens],
					[mine.length, mine.filter((s) => s.error).length, sum(mine, (s) => s.in), sum(mine, (s) => s.out)],
					`${r} ${m.model}`);
				closeCost(m.cost_usd, sum(mine, (s) => s.cost), `${r} ${m.model} cost`);
				near(m.latency_ms.p95, mine.map((s) => s.dur), 0.95, `${r} ${m.model} p95`);
			}

			const ops = (await getJson(server, `/api/metrics/operations${query({ from, to, limit: 100 })}`)).items;
			assert.deepEqual(ops.map((o) => o.name).sort(), [...new Set(e.spans.map((s) => s.name))].sort(), `${r} operations`);
			for (const o of ops) {
				const mine = e.spans.filter((s) => s.name === o.name);
				assert.deepEqual([o.count, o.errors], [mine.length, mine.filter((s) => s.error).length], `${r} ${o.name}`);
				near(o.latency_ms.p50, mine.map((s) => s.dur), 0.5, `${r} ${o.name} p50`);
				near(o.latency_ms.p95, mine.map((s) => s.dur), 0.95, `${r} ${o.name} p95`);
			}
		}
		await server.stop();
		server = null;
	});
});
