// metrics_series.test.mjs: span time series grouped by a text key (model,
// service, name), whose rows the server matches to series by strings.id:
// more groups than named series (the rest summed as "other"), spans
// without a model (the "" series), names that differ only in case, each
// value recomputed here from the spans sent, and the same answer from the
// raw tables (a session filter forces that path).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, otlpRequest, otlpSpan, postOk, query, spanId, startServer, traceId } from './helpers.mjs';

const HOUR = 3600;
const TO = Math.floor(Date.now() / 1000 / HOUR) * HOUR - HOUR, FROM = TO - 6 * HOUR;
const SESSION = 'series-session';
const MODELS = Array.from({ length: 13 }, (_, i) => `series-model-${String.fromCharCode(97 + i)}`);
const NAMES = ['Op', 'op', 'op-b', 'op-c'];

/* Span i: its model (none for every 7th), name, service, hour and tokens. */
const spec = (i) => ({
	model: i % 7 === 0 ? '' : MODELS[(i * 5) % MODELS.length],
	name: NAMES[i % NAMES.length],
	service: `svc-${i % 3}`,
	hour: i % 6,
	tokens: 10 + (i % 11),
});
const SPANS = 400;

let server;
before(async () => {
	server = await startServer({ label: 'metrics-series' });
	const spans = [];
	for (let i = 0; i < SPANS; i++) {
		const s = spec(i);
		const start = (BigInt(FROM + s.hour * HOUR + 60 + (i % 50)) * 1000000000n).toString();
		const attrs = { 'session.id': SESSION, 'gen_ai.usage.input_tokens': s.tokens };
		if (s.model) Object.assign(attrs, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': s.model, 'gen_ai.provider.name': 'acme' });
		spans.push(otlpSpan({ traceId: traceId(), spanId: spanId(), name: s.name, start, durationMs: 5, attrs }));
	}
	for (const svc of ['svc-0', 'svc-1', 'svc-2'])
		await postOk(server, '/v1/traces', otlpRequest(spans.filter((_, i) => spec(i).service === svc), { resource: { 'service.name': svc } }));
});
after(async () => { if (server) await server.kill9().catch(() => {}); });

/* The expected values of each series key over the 6 hours. */
function expected(keyOf, valueOf) {
	const m = new Map();
	for (let i = 0; i < SPANS; i++) {
		const k = keyOf(spec(i));
		if (!m.has(k)) m.set(k, new Array(6).fill(0));
		m.get(k)[spec(i).hour] += valueOf(spec(i));
	}
	return m;
}

async function check(metric, groupBy, keyOf, valueOf) {
	const params = { from: FROM, to: TO, metric, bucket: '1h', group_by: groupBy };
	const r = await getJson(server, `/api/metrics/timeseries${query(params)}`);
	const want = expected(keyOf, valueOf);
	const named = r.series.filter((s) => s.key !== 'other');
	assert.ok(named.length <= 10);
	const other = new Array(6).fill(0);
	for (const [k, v] of want) {
		const s = named.find((x) => x.key === k);
		if (s) assert.deepEqual(s.values, v, `${metric} by ${groupBy}: ${k}`);
		else v.forEach((x, i) => { other[i] += x; });
	}
	if (want.size > named.length)
		assert.deepEqual(r.series.find((s) => s.key === 'other').values, other, `${metric} by ${groupBy}: other`);
	else
		assert.ok(!r.series.some((s) => s.key === 'other'));
	const raw = await getJson(server, `/api/metrics/timeseries${query({ ...params, session_id: SESSION })}`);
	assert.deepEqual(raw.series, r.series, `${metric} by ${groupBy}: raw tables`);
}

describe('span time series by text key', () => {
	test('by model: 13 models and none, the 10 largest named, the rest other', () =>
		check('input_tokens', 'model', (s) => s.model, (s) => s.tokens));
	test('by name: names differing only in case are separate series', () =>
		check('spans', 'name', (s) => s.name, () => 1));
	test('by service, and none', async () => {
		await check('spans', 'service', (s) => s.service, () => 1);
		await check('input_tokens', 'none', () => 'all', (s) => s.tokens);
	});
});
