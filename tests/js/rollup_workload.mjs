// rollup_workload.mjs: the traces and dashboard answers the rollup tests
// share (rollup_horizon, rollup_delete, rollup_extremes, rollup_complement):
// a span builder; traces over the last 10 days with LLM children, errors,
// late children, a 3-hour trace and one whose child ends before it
// starts; every dashboard figure over ranges
// with odd-minute edges (old hours, the horizon, the last 7 days); answers
// compared with costs to 12 significant digits; the rollup rows as text.
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { getJson, postOtlp, query, traceId, spanId } from './helpers.mjs';

export const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' }).trim();

export const MIN = 60, HOUR = 3600;
export const NOW = Math.floor(Date.now() / 1000);
export const FLOOR = Math.floor(NOW / HOUR) * HOUR - (2 * 24 + 1) * HOUR;   /* rollup_minute_floor */
const SERVICES = ['svc-a', 'svc-b'];
const MODELS = [['m-one', 'acme'], ['m-two', 'zeta']];

function rng(seed) {
	let s = seed >>> 0 || 1;
	return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

/* One span to send ({service, span}): o.tid, o.sid, o.parent, o.service,
 * o.name, o.start and o.end (ns, BigInt), o.error, o.user and o.session;
 * with o.model ([name, provider]) an LLM call with o.in and o.out tokens
 * and o.cost when given. */
export const span = (o) => {
	const attrs = [];
	if (o.model) {
		attrs.push({ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
			{ key: 'gen_ai.request.model', value: { stringValue: o.model[0] } },
			{ key: 'gen_ai.system', value: { stringValue: o.model[1] } },
			{ key: 'gen_ai.usage.input_tokens', value: { intValue: String(o.in) } },
			{ key: 'gen_ai.usage.output_tokens', value: { intValue: String(o.out) } });
		if (o.cost !== undefined) attrs.push({ key: 'gen_ai.usage.cost', value: { doubleValue: o.cost } });
	}
	if (o.user) attrs.push({ key: 'user.id', value: { stringValue: o.user } }, { key: 'session.id', value: { stringValue: o.session } });
	const s = { traceId: o.tid, spanId: o.sid, name: o.name, kind: 1, startTimeUnixNano: o.start.toString(),
		endTimeUnixNano: o.end.toString(), attributes: attrs };
	if (o.parent) s.parentSpanId = o.parent;
	if (o.error) s.status = { code: 2, message: 'failed' };
	return { service: o.service, span: s };
};

/* Traces over the last 10 days (most of them older than the horizon), roots
 * naming a user and a session (W.traces: id, user, session), LLM children
 * with tokens and costs, errors, late children moving the trace start; one
 * trace lasting 3 hours whose child starts 2.5 hours in, one whose child
 * ends before it starts, 40 minutes after the root. */
function workload() {
	const rand = rng(1613);
	const pick = (a) => a[Math.floor(rand() * a.length)];
	const out = [];
	const ns = (s) => BigInt(Math.floor(s)) * 1000000000n + BigInt(Math.floor(rand() * 1e9));
	const traces = [];
	for (let t = 0; t < 160; t++) {
		const tid = traceId(), service = pick(SERVICES);
		const start = ns(NOW - 10 * 86400 + rand() * (10 * 86400 - 120));
		const rootSid = spanId();
		const dur = BigInt(Math.floor(Math.exp(rand() * 9) * 1e6));
		const user = `user-${t % 4}`, session = `sess-${t % 6}`;   /* not drawn: the sequence stays */
		traces.push({ tid, user, session });
		out.push(span({ tid, sid: rootSid, service, name: 'handle', start, end: start + dur, error: rand() < 0.15, user, session }));
		for (let c = Math.floor(rand() * 4); c > 0; c--) {
			const cs = start + BigInt(Math.floor(rand() * 5e8));
			const llm = rand() < 0.6;
			out.push(span({ tid, sid: spanId(), parent: rootSid, service: rand() < 0.8 ? service : pick(SERVICES),
				name: llm ? 'chat' : 'tool', start: cs, end: cs + BigInt(Math.floor(Math.exp(rand() * 10) * 1e5)),
				error: rand() < 0.1, model: llm ? pick(MODELS) : undefined, in: 1 + Math.floor(rand() * 900),
				out: Math.floor(rand() * 300), cost: llm && rand() < 0.7 ? Math.round(rand() * 1e6) / 1e7 : undefined }));
		}
		if (rand() < 0.2) {
			const ls = start - BigInt(Math.floor(rand() * 4e9));
			out.push(span({ tid, sid: spanId(), parent: rootSid, service, name: 'late', start: ls, end: ls + 1000000n }));
		}
	}
	const longStart = BigInt(FLOOR - 30 * HOUR + 5 * MIN) * 1000000000n;
	const longTid = traceId(), longRoot = spanId();
	out.push(span({ tid: longTid, sid: longRoot, service: 'svc-long', name: 'batch', start: longStart,
		end: longStart + 3n * 3600n * 1000000000n }));
	const lateChild = longStart + 150n * 60n * 1000000000n + 7n;
	out.push(span({ tid: longTid, sid: spanId(), parent: longRoot, service: 'svc-long', name: 'chat', start: lateChild,
		end: lateChild + 2000000n, model: MODELS[0], in: 5, out: 7, cost: 0.25 }));
	const oddStart = BigInt(FLOOR - 20 * HOUR + 2 * MIN) * 1000000000n;
	const oddTid = traceId(), oddRoot = spanId();
	out.push(span({ tid: oddTid, sid: oddRoot, service: 'svc-odd', name: 'handle', start: oddStart, end: oddStart + 1000000n }));
	const oddChild = oddStart + 40n * 60n * 1000000000n;
	out.push(span({ tid: oddTid, sid: spanId(), parent: oddRoot, service: 'svc-odd', name: 'tool', start: oddChild,
		end: oddChild - 5000000n, error: true }));
	/* an 8-minute trace (not long) starting 5 minutes before an old range
	 * edge, with a span starting 2 minutes after it: found through the
	 * traces starting in the 10 minutes before the edge and ending after it */
	const crossStart = BigInt(FLOOR - 40 * HOUR + 17 * MIN) * 1000000000n;
	const crossTid = traceId(), crossRoot = spanId(), crossChild = crossStart + 7n * 60n * 1000000000n;
	out.push(span({ tid: crossTid, sid: crossRoot, service: 'svc-cross', name: 'handle', start: crossStart,
		end: crossStart + 8n * 60n * 1000000000n }));
	out.push(span({ tid: crossTid, sid: spanId(), parent: crossRoot, service: 'svc-cross',
		name: 'chat', start: crossChild, end: crossChild + 30000000000n, model: MODELS[1], in: 3, out: 4 }));
	return { spans: out, traces, longTid, oddTid, lateChildS: Number(lateChild / 1000000000n), oddChildS: Number(oddChild / 1000000000n),
		crossEdgeS: Number(crossStart / 1000000000n) + 5 * MIN };
}

export const W = workload();

export async function send(s, spans) {
	for (const service of new Set(spans.map((x) => x.service))) {
		const mine = spans.filter((x) => x.service === service).map((x) => x.span);
		for (let i = 0; i < mine.length; i += 50)
			await postOtlp(s, mine.slice(i, i + 50), { resource: { 'service.name': service } });
	}
}

/* The rollup rows, dimensions as text, costs to 12 significant digits,
 * minute rows from the readers' floor on (older ones are not read). */
export const rollupRows = (dir) => sqlite(dir, `
SELECT r.level, r.bucket, r.project, s.value, n.value, r.type, coalesce(m.value, ''), coalesce(p.value, ''), r.count,
  r.errors, r.duration_sum, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens,
  printf('%.12g', r.cost_usd), hex(r.sketch)
FROM span_rollups r JOIN strings s ON s.id = r.service JOIN strings n ON n.id = r.name
  LEFT JOIN strings m ON m.id = r.model LEFT JOIN strings p ON p.id = r.provider
WHERE r.level > 0 OR r.bucket >= ${FLOOR} ORDER BY 1, 2, 3, 4, 5, 6, 7, 8;
SELECT 'trace', r.level, r.bucket, r.project, s.value, r.error, r.count, r.duration_sum, hex(r.sketch)
FROM trace_rollups r JOIN strings s ON s.id = r.service WHERE r.level > 0 OR r.bucket >= ${FLOOR} ORDER BY 2, 3, 4, 5, 6;
SELECT 'total', level, bucket, project, count, errors, duration_sum, input_tokens, output_tokens, cache_read_tokens,
  cache_write_tokens, printf('%.12g', cost_usd) FROM span_totals ORDER BY 2, 3, 4;`).split('\n');

/* Ranges with edges at odd minutes, in old hours, across the horizon, and
 * around the long trace's late child and the odd span. */
export const RANGES = [
	[NOW - 10 * 86400 - 17 * MIN, NOW],
	[NOW - 9 * 86400 - 7 * MIN, NOW - 8 * 86400 + 31 * MIN],
	[NOW - 7 * 86400, NOW],
	[NOW - 50 * HOUR + 7 * MIN, NOW - 3 * HOUR + 13 * MIN],
	[FLOOR - 2 * HOUR - 29 * MIN, FLOOR + 3 * HOUR + 11 * MIN],
	[W.lateChildS - 3 * MIN, W.lateChildS + 4 * MIN],   // RANGES[5]
	[W.lateChildS - 90 * MIN, W.lateChildS + 41 * MIN],
	[W.oddChildS - 33 * MIN, W.oddChildS + 2 * MIN],
	[W.crossEdgeS, W.crossEdgeS + 50 * MIN],   // RANGES[8]
];

export async function answers(s) {
	const out = {};
	const put = async (url) => { out[url] = await getJson(s, url); };
	for (const [from, to] of RANGES) {
		for (const f of [{}, { service: 'svc-a' }, { service: 'svc-long' }, { service: 'svc-odd' }, { service: 'svc-cross' },
			{ status: 'error' },
			{ model: 'm-one' }]) {
			await put(`/api/metrics/summary${query({ from, to, ...f })}`);
			await put(`/api/metrics/models${query({ from, to, ...f })}`);
			await put(`/api/metrics/operations${query({ from, to, ...f })}`);
		}
		for (const [metric, group] of [['spans', 'model'], ['traces', 'service'], ['latency_p95', 'service'],
			['cost', 'service'], ['errors', 'none'], ['input_tokens', 'name'], ['latency_p50', 'type']]) {
			for (const bucket of to - from <= 6 * HOUR ? ['1m', '1h'] : ['1h', '1d'])
				await put(`/api/metrics/timeseries${query({ from, to, metric, group_by: group, bucket })}`);
		}
	}
	return out;
}

/* Doubles to 12 significant digits, everything else as is. */
export const norm = (v) => typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12))
	: Array.isArray(v) ? v.map(norm)
	: v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : v;

export function sameAnswers(got, want) {
	for (const url of Object.keys(want))
		assert.deepEqual(norm(got[url]), norm(want[url]), url);
}

