// metrics.test.mjs: the dashboard metrics endpoints against what the raw
// spans say. A seeded random workload (services, operations, models, LLM
// tokens and costs, errors, long-tailed durations) is sent shuffled, with
// duplicates and with root spans arriving last (so trace summaries change
// after their first spans were counted); every figure of summary,
// timeseries, models and operations is then recomputed here from the spans
// that were sent and compared: counts and sums exactly, percentiles within
// the sketch's 1% relative error. The same answers must come from the raw
// tables (a session filter forces that path). Then the bad-input paths.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, get, postOtlp, query, startServer, traceId, spanId } from './helpers.mjs';

const SEED = Number(process.env.METRICS_SEED || 20261121);
const HOUR = 3600, DAY = 86400;
const SERVICES = ['checkout', 'search-api', 'agent-runner'];
const NAMES = ['handle', 'retrieve', 'tool.call', 'chat', 'embed'];
const MODELS = [['gpt-4o-mini', 'openai'], ['claude-sonnet-4', 'anthropic'], ['mistral-large', 'mistral']];
const SESSION = 'metrics-session';

function rng(seed) {
	let s = BigInt(seed) | 1n;
	return () => {
		s ^= (s << 13n) & 0xffffffffffffffffn;
		s ^= s >> 7n;
		s ^= (s << 17n) & 0xffffffffffffffffn;
		return Number(s & 0xffffffffn) / 4294967296;
	};
}
const rand = rng(SEED);
const pick = (a) => a[Math.floor(rand() * a.length)];

// The range: two whole days ending at the last midnight (UTC).
const dayEnd = Math.floor(Date.now() / 1000 / DAY) * DAY;
const FROM = dayEnd - 2 * DAY, TO = dayEnd;

/* A workload of traces; each span carries what the expectations need. */
function workload(ntraces) {
	const traces = [];
	for (let t = 0; t < ntraces; t++) {
		const tid = traceId();
		const service = pick(SERVICES);
		const startS = FROM + HOUR + Math.floor(rand() * (TO - FROM - 3 * HOUR));
		const startNs = BigInt(startS) * 1000000000n + BigInt(Math.floor(rand() * 1e9));
		const spans = [];
		const rootDur = Math.floor(Math.exp(rand() * 9) * 1e6); // 1 ms .. 8 s, long tail
		const root = { tid, sid: spanId(), service, name: 'handle', type: 'span', start: startNs, dur: rootDur,
			error: rand() < 0.1 };
		spans.push(root);
		const children = Math.floor(rand() * 5);
		for (let c = 0; c < children; c++) {
			const llm = rand() < 0.5;
			const [model, provider] = pick(MODELS);
			const s = {
				tid, sid: spanId(), parent: root.sid, service: rand() < 0.8 ? service : pick(SERVICES),
				name: llm ? 'chat' : pick(NAMES.filter((n) => n !== 'chat')), type: llm ? 'llm' : 'span',
				start: startNs + BigInt(Math.floor(rand() * 1e9)), dur: Math.floor(Math.exp(rand() * 10) * 1e5),
				error: rand() < 0.08,
			};
			if (llm) {
				Object.assign(s, { model, provider, in: 1 + Math.floor(rand() * 5000), out: Math.floor(rand() * 800) });
				if (rand() < 0.5) s.cost = Math.round(rand() * 1e6) / 1e8;
			}
			spans.push(s);
		}
		// a late child that starts before the root: moves the trace start
		if (rand() < 0.2)
			spans.push({ tid, sid: spanId(), parent: root.sid, service, name: 'retrieve', type: 'span',
				start: startNs - BigInt(Math.floor(rand() * 5e8)), dur: 1000000, error: false });
		traces.push({ tid, service, spans });
	}
	return traces;
}

function otlp(s) {
	const attrs = { 'session.id': SESSION };
	if (s.model) {
		Object.assign(attrs, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': s.model,
			'gen_ai.system': s.provider, 'gen_ai.usage.input_tokens': s.in, 'gen_ai.usage.output_tokens': s.out });
		if (s.cost !== undefined) attrs['gen_ai.usage.cost'] = s.cost;
	}
	const span = {
		traceId: s.tid, spanId: s.sid, name: s.name, kind: 1, startTimeUnixNano: s.start.toString(),
		endTimeUnixNano: (s.start + BigInt(s.dur)).toString(),
		attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'string' ? { stringValue: v }
			: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v } })),
	};
	if (s.parent) span.parentSpanId = s.parent;
	if (s.error) span.status = { code: 2, message: 'failed' };
	return span;
}

/* Sends every span: children first in shuffled batches per service, some
 * batches twice, then the roots. */
async function send(server, traces) {
	const all = traces.flatMap((t) => t.spans);
	const children = all.filter((s) => s.parent), roots = all.filter((s) => !s.parent);
	for (let i = children.length - 1; i > 0; i--) {
		const j = Math.floor(rand() * (i + 1));
		[children[i], children[j]] = [children[j], children[i]];
	}
	for (const group of [children, roots]) {
		for (const service of SERVICES) {
			const mine = group.filter((s) => s.service === service);
			for (let i = 0; i < mine.length; i += 40) {
				const batch = mine.slice(i, i + 40).map(otlp);
				await postOtlp(server, batch, { resource: { 'service.name': service } });
				if (rand() < 0.25) await postOtlp(server, batch, { resource: { 'service.name': service } });
			}
		}
	}
}

const quantile = (sorted, q) => sorted[Math.floor(q * (sorted.length - 1))];
function assertClose(got, exact, what) {
	const err = exact === 0 ? Math.abs(got) : Math.abs(got - exact) / exact;
	assert.ok(err <= 0.01 + 1e-9, `${what}: got ${got}, exact ${exact} (error ${(err * 100).toFixed(3)}%)`);
}
function assertLatency(got, durationsNs, what) {
	if (!durationsNs.length) return assert.equal(got, null, `${what}: expected null`);
	const ms = durationsNs.map((d) => d / 1e6).sort((a, b) => a - b);
	for (const q of ['p50', 'p95', 'p99'])
		assertClose(got[q], quantile(ms, { p50: 0.5, p95: 0.95, p99: 0.99 }[q]), `${what} ${q}`);
}
const sum = (xs, f) => xs.reduce((a, x) => a + (f(x) || 0), 0);
const assertMoney = (got, exact, what) => assert.ok(Math.abs(got - exact) <= 1e-9 * Math.max(1, exact), `${what}: ${got} != ${exact}`);

/* Trace summaries as the store should have them. */
function traceFacts(traces) {
	return traces.map((t) => {
		const start = t.spans.reduce((m, s) => (s.start < m ? s.start : m), t.spans[0].start);
		const end = t.spans.reduce((m, s) => (s.start + BigInt(s.dur) > m ? s.start + BigInt(s.dur) : m), 0n);
		return { ...t, start, dur: Number(end - start), error: t.spans.some((s) => s.error),
			models: new Set(t.spans.filter((s) => s.model).map((s) => s.model)) };
	});
}

let server, traces, spans, facts;
before(async () => {
	server = await startServer({ label: 'metrics' });
	traces = workload(400);
	await send(server, traces);
	spans = traces.flatMap((t) => t.spans);
	facts = traceFacts(traces);
});
after(async () => { if (server) await server.stop(); });

const range = { from: FROM, to: TO };
const inHour = (ns, h) => ns >= BigInt(h) * 1000000000n && ns < BigInt(h + HOUR) * 1000000000n;

function checkSummary(cur, sp, tr, what) {
	assert.equal(cur.traces, tr.length, `${what} traces`);
	assert.equal(cur.spans, sp.length, `${what} spans`);
	assert.equal(cur.errors, tr.filter((t) => t.error).length, `${what} errors`);
	assert.equal(cur.error_spans, sp.filter((s) => s.error).length, `${what} error_spans`);
	const llm = sp.filter((s) => s.type === 'llm');
	assert.equal(cur.llm_calls, llm.length, `${what} llm_calls`);
	assert.equal(cur.input_tokens, sum(sp, (s) => s.in), `${what} input_tokens`);
	assert.equal(cur.output_tokens, sum(sp, (s) => s.out), `${what} output_tokens`);
	assertMoney(cur.cost_usd, sum(sp, (s) => s.cost), `${what} cost`);
	assertLatency(cur.trace_latency_ms, tr.map((t) => t.dur), `${what} trace latency`);
	assertLatency(cur.llm_latency_ms, llm.map((s) => s.dur), `${what} llm latency`);
}

describe('metrics equal the raw spans', () => {
	test('summary, from rollups and from the raw tables', async () => {
		const r = await getJson(server, `/api/metrics/summary${query(range)}`);
		checkSummary(r.current, spans, facts, 'rollups');
		assert.equal(r.previous.traces, 0);
		assert.equal(r.previous.trace_latency_ms, null);
		const raw = await getJson(server, `/api/metrics/summary${query({ ...range, session_id: SESSION })}`);
		checkSummary(raw.current, spans, facts, 'raw');
	});

	test('summary filtered by service: spans of the service, traces rooted in it', async () => {
		for (const service of SERVICES) {
			const r = await getJson(server, `/api/metrics/summary${query({ ...range, service })}`);
			checkSummary(r.current, spans.filter((s) => s.service === service),
				facts.filter((t) => t.service === service), service);
		}
	});

	test('summary filtered by model: LLM spans of it; raw path for the traces using it', async () => {
		const [model] = MODELS[1];
		const r = await getJson(server, `/api/metrics/summary${query({ ...range, model })}`);
		const mine = spans.filter((s) => s.model === model);
		assert.equal(r.current.spans, mine.length);
		assert.equal(r.current.input_tokens, sum(mine, (s) => s.in));
		assert.equal(r.current.traces, facts.filter((t) => t.models.has(model)).length);
	});

	test('timeseries: spans per hour by model, zero-filled', async () => {
		const r = await getJson(server, `/api/metrics/timeseries${query({ ...range, metric: 'spans', bucket: '1h', group_by: 'model' })}`);
		assert.equal(r.bucket_ms, HOUR * 1000);
		assert.equal(r.timestamps.length, 48);
		assert.equal(r.timestamps[0], FROM * 1000);
		const keys = r.series.map((s) => s.key);
		assert.deepEqual(new Set(keys), new Set(['', ...MODELS.map((m) => m[0])]));
		for (const series of r.series) {
			r.timestamps.forEach((ms, i) => {
				const want = spans.filter((s) => (s.model || '') === series.key && inHour(s.start, ms / 1000)).length;
				assert.equal(series.values[i], want, `${series.key} at ${new Date(ms).toISOString()}`);
			});
		}
	});

	test('timeseries: trace p95 per hour, null where no trace started', async () => {
		const r = await getJson(server, `/api/metrics/timeseries${query({ ...range, metric: 'latency_p95', bucket: '1h' })}`);
		assert.equal(r.series.length, 1);
		assert.equal(r.series[0].key, 'all');
		let nulls = 0;
		r.timestamps.forEach((ms, i) => {
			const here = facts.filter((t) => inHour(t.start, ms / 1000)).map((t) => t.dur / 1e6).sort((a, b) => a - b);
			const got = r.series[0].values[i];
			if (!here.length) { nulls++; return assert.equal(got, null); }
			assertClose(got, quantile(here, 0.95), `p95 at ${new Date(ms).toISOString()}`);
		});
		const raw = await getJson(server, `/api/metrics/timeseries${query({ ...range, metric: 'latency_p95', bucket: '1h', session_id: SESSION })}`);
		assert.deepEqual(raw.series[0].values.map((v) => v === null), r.series[0].values.map((v) => v === null));
		raw.series[0].values.forEach((v, i) => v !== null && assertClose(v, r.series[0].values[i], 'raw p95'));
	});

	test('timeseries: errors by day, cost by service, minute buckets', async () => {
		const r = await getJson(server, `/api/metrics/timeseries${query({ ...range, metric: 'errors', bucket: '1d' })}`);
		assert.deepEqual(r.series[0].values, [0, 1].map((d) => facts.filter((t) => t.error &&
			t.start >= BigInt(FROM + d * DAY) * 1000000000n && t.start < BigInt(FROM + (d + 1) * DAY) * 1000000000n).length));
		const c = await getJson(server, `/api/metrics/timeseries${query({ ...range, metric: 'cost', bucket: '1d', group_by: 'service' })}`);
		for (const series of c.series)
			assertMoney(series.values.reduce((a, b) => a + b, 0), sum(spans.filter((s) => s.service === series.key), (s) => s.cost), series.key);
		const t0 = facts[0].start / 1000000000n;
		const from = Number(t0 / 60n) * 60 - 600;
		const m = await getJson(server, `/api/metrics/timeseries${query({ from, to: from + 1800, metric: 'traces', bucket: 'auto' })}`);
		assert.equal(m.bucket, '1m');
		assert.equal(m.timestamps.length, 30);
		assert.equal(m.series[0].values.reduce((a, b) => a + b, 0),
			facts.filter((t) => t.start >= BigInt(from) * 1000000000n && t.start < BigInt(from + 1800) * 1000000000n).length);
	});

	test('models: calls, tokens, cost, errors and latency per model', async () => {
		const r = await getJson(server, `/api/metrics/models${query(range)}`);
		assert.equal(r.items.length, MODELS.length);
		for (const it of r.items) {
			const mine = spans.filter((s) => s.model === it.model);
			assert.equal(it.provider, MODELS.find((m) => m[0] === it.model)[1]);
			assert.equal(it.calls, mine.length);
			assert.equal(it.errors, mine.filter((s) => s.error).length);
			assert.equal(it.input_tokens, sum(mine, (s) => s.in));
			assert.equal(it.output_tokens, sum(mine, (s) => s.out));
			assertMoney(it.cost_usd, sum(mine, (s) => s.cost), `${it.model} cost`);
			assertLatency(it.latency_ms, mine.map((s) => s.dur), it.model);
		}
		const calls = r.items.map((i) => i.calls);
		assert.deepEqual(calls, [...calls].sort((a, b) => b - a), 'most calls first');
	});

	test('operations: per name and type, slowest or most failing first', async () => {
		const r = await getJson(server, `/api/metrics/operations${query(range)}`);
		const ops = new Set(spans.map((s) => `${s.name}|${s.type}`));
		assert.equal(r.items.length, ops.size);
		for (const it of r.items) {
			const mine = spans.filter((s) => s.name === it.name && s.type === it.type);
			assert.equal(it.count, mine.length, it.name);
			assert.equal(it.errors, mine.filter((s) => s.error).length, it.name);
			assertClose(it.avg_ms, sum(mine, (s) => s.dur) / mine.length / 1e6, `${it.name} avg`);
			assertLatency(it.latency_ms, mine.map((s) => s.dur), it.name);
		}
		const p95 = r.items.map((i) => i.latency_ms.p95);
		assert.deepEqual(p95, [...p95].sort((a, b) => b - a), 'slowest first');
		const f = await getJson(server, `/api/metrics/operations${query({ ...range, sort: 'failing', limit: 2 })}`);
		assert.equal(f.items.length, 2);
		const errs = [...ops].map((k) => spans.filter((s) => `${s.name}|${s.type}` === k && s.error).length).sort((a, b) => b - a);
		assert.deepEqual(f.items.map((i) => i.errors), errs.slice(0, 2));
	});
});

describe('metrics bad input', () => {
	const cases = [
		['timeseries?metric=bogus', 'metric'],
		['timeseries?bucket=5m', 'bucket'],
		['timeseries?group_by=color', 'group_by'],
		['timeseries?metric=traces&group_by=model', 'group_by'],
		[`timeseries?bucket=1m&from=${FROM - 30 * DAY}&to=${TO}`, 'bucket'],
		[`summary?from=${TO}&to=${FROM}`, 'from'],
		['summary?from=yesterday', 'from'],
		['models?type=robot', 'type'],
		['operations?sort=fastest', 'sort'],
		['operations?limit=0', 'limit'],
		['operations?limit=1e3', 'limit'],
		['summary?status=maybe', 'status'],
		['summary?min_duration_ms=-5', 'min_duration_ms'],
		['summary?q=timeout', 'q'],
		[`summary?service=${'x'.repeat(5000)}`, 'service'],
	];
	for (const [url, param] of cases) {
		test(`${url.slice(0, 60)} -> 400 naming ${param}`, async () => {
			const r = await get(server, `/api/metrics/${url}`);
			assert.equal(r.status, 400, r.text);
			assert.match(r.json.error, new RegExp(`^${param}`));
		});
	}
	test('an unknown project is 404', async () => {
		const r = await get(server, '/api/metrics/summary?project=nope');
		assert.equal(r.status, 404);
	});
	test('SQL in a filter value is just a value', async () => {
		const r = await getJson(server, `/api/metrics/summary${query({ ...range, service: "x' OR 1=1 --" })}`);
		assert.equal(r.current.spans, 0);
		assert.equal(r.current.traces, 0);
	});
});
