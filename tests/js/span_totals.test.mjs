// span_totals.test.mjs: schema/018's span_totals, the hour and day span
// rollups summed per bucket and project, which answer span, token and cost
// series without a filter or group_by (src/query/metrics.c totals_can);
// minute series and the part-hours at a range's edges still read
// span_rollups or the raw tables. A store is
// written by TRACELITE_OLD_BIN when set (a build of main before schema/018),
// else by this binary and put back in the form before 018; opened by this
// binary, it answers the same (costs within 1e-12 relative: sums of
// doubles in another order), and every span_totals row stays the sum of its
// span_rollups rows through new spans, a Langfuse update replacing a stored
// span in a second project, a deleted trace (its spans leave the series), `tracelite reprice`, age
// retention and schema/002's rebuild. The series read from span_totals also equal the sum of
// the per-service series read from span_rollups.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BIN, addMs, getJson, otlpSpan, postOtlp, query, request, sleep, startServer, tempDataDir, traceId, spanId }
	from './helpers.mjs';

const OLD = process.env.TRACELITE_OLD_BIN ? path.resolve(process.env.TRACELITE_OLD_BIN) : BIN;
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' }).trim();
let server;
/* stops the server a test left running (it failed before stopping it) */
const stop = async () => { await server?.stop().catch(() => {}); server = null; };
after(stop);

const MIN = 60, HOUR = 3600, DAY = 86400;
const NOW = Math.floor(Date.now() / 1000);
const FLOOR = Math.floor(NOW / HOUR) * HOUR - (2 * 24 + 1) * HOUR;   /* rollup_minute_floor */
const SERVICES = ['svc-a', 'svc-b', 'svc-c'];
const MODELS = [['gpt-4o', 'openai'], ['m-two', 'zeta']];

function rng(seed) {
	let s = seed >>> 0 || 1;
	return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

/* n traces starting in [from, to) seconds: a root and up to 3 children,
 * LLM children with tokens and (price-table or client) costs, errors;
 * each as {service, tid, span} in OTLP JSON. */
function traces(seed, n, from, to) {
	const rand = rng(seed);
	const pick = (a) => a[Math.floor(rand() * a.length)];
	const at = (s) => (BigInt(Math.floor(s)) * 1000000000n + BigInt(Math.floor(rand() * 1e9))).toString();
	const out = [];
	for (let t = 0; t < n; t++) {
		const tid = traceId(), service = pick(SERVICES), root = spanId(), start = at(from + rand() * (to - from - 60));
		out.push({ service, tid, span: otlpSpan({ traceId: tid, spanId: root, name: 'handle', start,
			durationMs: Math.exp(rand() * 9), status: rand() < 0.15 ? { code: 2, message: 'failed' } : undefined }) });
		for (let c = Math.floor(rand() * 4); c > 0; c--) {
			const llm = rand() < 0.6, model = pick(MODELS), attrs = {};
			if (llm) {
				Object.assign(attrs, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model[0],
					'gen_ai.system': model[1], 'gen_ai.usage.input_tokens': 1 + Math.floor(rand() * 900),
					'gen_ai.usage.output_tokens': Math.floor(rand() * 300) });
				if (rand() < 0.3) attrs['gen_ai.usage.cost'] = 0.001 + Math.round(rand() * 1e6) / 1e8;   /* a client cost */
			}
			out.push({ service: rand() < 0.8 ? service : pick(SERVICES), tid, span: otlpSpan({ traceId: tid,
				parentSpanId: root, name: llm ? 'chat' : 'tool', start: addMs(start, rand() * 500),
				durationMs: Math.exp(rand() * 10) / 10, attrs,
				status: rand() < 0.1 ? { code: 2, message: 'failed' } : undefined }) });
		}
	}
	return out;
}

/* Posts spans, 50 a request, under their services' resources. */
async function send(s, spans) {
	for (const service of SERVICES) {
		const mine = spans.filter((x) => x.service === service).map((x) => x.span);
		for (let i = 0; i < mine.length; i += 50)
			await postOtlp(s, mine.slice(i, i + 50), { resource: { 'service.name': service } });
	}
}

/* Ranges with odd-minute edges: old hours past the minute horizon, across
 * it, within it, short ones. */
const RANGES = [
	[NOW - 10 * DAY - 17 * MIN, NOW],
	[NOW - 8 * DAY, NOW],
	[NOW - 9 * DAY - 7 * MIN, NOW - 8 * DAY + 31 * MIN],
	[FLOOR - 2 * HOUR - 29 * MIN, FLOOR + 3 * HOUR + 11 * MIN],
	[NOW - 50 * HOUR + 7 * MIN, NOW - 3 * HOUR + 13 * MIN],
	[NOW - 5 * HOUR - 3 * MIN, NOW + 2 * MIN],
];
const METRICS = ['spans', 'input_tokens', 'output_tokens', 'cost'];
const buckets = (from, to) => to - from <= 6 * HOUR ? ['1m', '1h'] : to - from <= 24 * HOUR ? ['1m', '1h', '1d'] : ['1h', '1d'];

/* The answers span_totals gives, and filtered or grouped ones read from
 * span_rollups (their series picked by strings.id, metrics.c run_id_groups). */
async function answers(s) {
	const out = {};
	for (const [from, to] of RANGES) {
		for (const metric of METRICS) {
			for (const bucket of buckets(from, to)) {
				for (const f of [{}, { project: 'default' }, { service: 'svc-a' }, { group_by: 'model' }, { group_by: 'service' },
					{ group_by: 'name', type: 'llm' }]) {
					const url = `/api/metrics/timeseries${query({ from, to, metric, bucket, ...f })}`;
					out[url] = await getJson(s, url);
				}
			}
		}
		const url = `/api/metrics/summary${query({ from, to })}`;
		out[url] = await getJson(s, url);
	}
	return out;
}

/* Asserts got is the answer want, numbers within 1e-12 relative (costs are
 * sums of doubles in another order), naming where they differ. */
function same(got, want, where) {
	if (typeof want === 'number' && typeof got === 'number')
		return assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${where}: ${got} != ${want}`);
	if (want === null || typeof want !== 'object') return assert.equal(got, want, where);
	assert.deepEqual(Object.keys(got ?? {}), Object.keys(want), where);
	for (const k of Object.keys(want)) same(got[k], want[k], `${where} ${k}`);
}

/* Each series read from span_totals equals the sum of its per-service
 * series (span_rollups; fewer than 10 services, so no "other"). */
async function crossCheck(s) {
	for (const [from, to] of RANGES) {
		for (const metric of METRICS) {
			for (const bucket of buckets(from, to)) {
				const all = await getJson(s, `/api/metrics/timeseries${query({ from, to, metric, bucket })}`);
				const by = await getJson(s, `/api/metrics/timeseries${query({ from, to, metric, bucket, group_by: 'service' })}`);
				const sum = all.timestamps.map((_, i) => by.series.reduce((x, se) => x + (se.values[i] ?? 0), 0));
				same(all.series[0].values, sum, `${metric} ${bucket} ${from}-${to}`);
			}
		}
	}
}

/* Rows of span_totals that are not the sums of their hour and day
 * span_rollups rows (and sums with no totals row, and minute totals);
 * '' when none. */
const mismatches = (dir) => sqlite(dir, `
	WITH r AS (SELECT level, bucket, project, sum(count) AS count, sum(errors) AS errors,
		sum(duration_sum) AS duration_sum, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
		sum(cache_read_tokens) AS cr, sum(cache_write_tokens) AS cw, total(cost_usd) AS cost
		FROM span_rollups WHERE level > 0 GROUP BY 1, 2, 3)
	SELECT 'missing', level, bucket, project FROM r WHERE NOT EXISTS (SELECT 1 FROM span_totals t
		WHERE t.level = r.level AND t.bucket = r.bucket AND t.project = r.project)
	UNION ALL SELECT 'extra', level, bucket, project FROM span_totals t WHERE NOT EXISTS (SELECT 1 FROM r
		WHERE t.level = r.level AND t.bucket = r.bucket AND t.project = r.project)
	UNION ALL SELECT 'differs', t.level, t.bucket, t.project FROM span_totals t JOIN r USING (level, bucket, project)
		WHERE t.count != r.count OR t.errors != r.errors OR t.duration_sum != r.duration_sum
		OR t.input_tokens != r.input_tokens OR t.output_tokens != r.output_tokens OR t.cache_read_tokens != r.cr
		OR t.cache_write_tokens != r.cw OR abs(t.cost_usd - r.cost) > 1e-9 * max(1, abs(r.cost))
	LIMIT 5;`);

const hasTotals = (dir) => sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'span_totals';") === '1';

describe('schema/018: span totals', () => {
	const dir = tempDataDir('totals-old');
	let want;

	test('a store written before converts, answers the same and its totals equal its span rollups', async () => {
		server = await startServer({ label: 'totals-old', dataDir: dir, bin: OLD });
		await send(server, traces(1801, 220, NOW - 10 * DAY, NOW));
		want = await answers(server);
		assert.ok(want[`/api/metrics/summary${query({ from: RANGES[0][0], to: RANGES[0][1] })}`].current.spans > 400);
		await server.stop();
		server = null;
		if (OLD === BIN) {   // back to the form before schema/018
			sqlite(dir, 'DROP TABLE span_totals; DELETE FROM schema_migrations WHERE number = 18;');
			sqlite(dir, `PRAGMA user_version = ${sqlite(dir, 'SELECT count(*) FROM schema_migrations;')};`);
		}
		assert.equal(hasTotals(dir), false);

		server = await startServer({ label: 'totals-upgraded', dataDir: dir });
		assert.equal(hasTotals(dir), true);
		assert.equal(mismatches(dir), '');
		assert.ok(Number(sqlite(dir, 'SELECT count(*) FROM span_totals WHERE level = 1;')) > 100);
		assert.equal(sqlite(dir, 'SELECT count(*) FROM span_totals WHERE level = 0;'), '0', 'no minute totals');
		same(await answers(server), want, 'upgraded');
		await crossCheck(server);
	});

	test('new spans, a deleted trace and tracelite reprice keep the totals equal to the rollups', async () => {
		const more = traces(1802, 120, NOW - 9 * DAY, NOW + 60);
		if (!server) server = await startServer({ label: 'totals-more', dataDir: dir });
		await send(server, more);
		assert.equal(mismatches(dir), '');
		await crossCheck(server);
		// a Langfuse generation in another project (its public key), then an update in a later batch that
		// replaces the stored span (span.replace: taken out of the rollups and added again)
		const lf = (batch) => request(server, 'POST', '/api/public/ingestion', { body: { batch }, headers: {
			'Content-Type': 'application/json', Authorization: 'Basic ' + Buffer.from('pk-totals:x').toString('base64') } });
		const T = '70a15000-0000-4000-8000-000000000001', at = (s) => new Date(s * 1000).toISOString();
		let r = await lf([{ id: 'e-t', type: 'trace-create', timestamp: at(NOW - 7200), body: { id: T, name: 'lf' } },
			{ id: 'e-g', type: 'generation-create', timestamp: at(NOW - 7200), body: { id: 'g-1', traceId: T, name: 'gen',
				startTime: at(NOW - 7200), endTime: at(NOW - 7199), model: 'gpt-4o', usage: { input: 5, output: 2 } } }]);
		assert.equal(r.status, 207);
		r = await lf([{ id: 'e-u', type: 'generation-update', timestamp: at(NOW - 7100), body: { id: 'g-1', traceId: T,
			level: 'ERROR', statusMessage: 'bad', usageDetails: { input: 900, output: 40 } } }]);
		assert.equal(r.status, 207);
		assert.equal(Number(sqlite(dir, 'SELECT count(DISTINCT project) FROM span_totals;')), 2, 'two projects');
		assert.equal(sqlite(dir, `SELECT sum(input_tokens) FROM span_totals WHERE level = 2 AND project != 1;`), '900');
		assert.equal(mismatches(dir), '');
		await crossCheck(server);
		// a deleted trace leaves the rollups (rollup_forget_trace, storage.md): the span series of
		// every range lose exactly its spans that start in the range, in each bucket size
		const before = await answers(server);
		const victim = more.find((x) => x.span.startTimeUnixNano / 1e9 >= RANGES[1][0] + HOUR).tid;
		const del = await request(server, 'DELETE', `/api/traces/${victim}`);
		assert.ok(del.status === 200 || del.status === 204, `delete: ${del.status}`);
		const afterDelete = await answers(server);
		const total = (a) => a.series.reduce((x, se) => x + se.values.reduce((y, v) => y + v, 0), 0);
		let checked = 0;
		for (const [from, to] of RANGES) {
			for (const bucket of buckets(from, to)) {
				const url = `/api/metrics/timeseries${query({ from, to, metric: 'spans', bucket })}`;
				// the range as answered: whole buckets (api.md)
				const [f, t] = [before[url].from, before[url].to].map((x) => typeof x === 'number' ? x : Date.parse(x));
				const gone = more.filter((x) => x.tid === victim && x.span.startTimeUnixNano / 1e6 >= f &&
					x.span.startTimeUnixNano / 1e6 < t).length;
				assert.equal(total(before[url]) - total(afterDelete[url]), gone, url);
				checked += gone > 0;
			}
		}
		assert.ok(checked > 0, 'the deleted trace is in some range');
		assert.equal(mismatches(dir), '');
		// new prices: the spans' costs move, in the rollups and their totals alike
		const prices = path.join(dir, 'prices.csv');
		fs.writeFileSync(prices, 'pattern,provider,input,output,cache_read,cache_write\ngpt-4o,openai,0.00007,0.00011,,\n');
		const out = execFileSync(BIN, ['reprice', '--data', dir, '--prices', prices], { encoding: 'utf8' });
		assert.match(out, /^reprice: [1-9]\d* spans changed/);
		assert.equal(mismatches(dir), '');
		const cost = (a) => a.series[0].values.reduce((x, v) => x + v, 0);
		const url = `/api/metrics/timeseries${query({ from: RANGES[1][0], to: RANGES[1][1], metric: 'cost', bucket: '1h' })}`;
		assert.ok(cost(await getJson(server, url)) > cost(before[url]) * 1.5, 'costs moved up');
		await crossCheck(server);
		await server.stop();
		server = null;
	});

	test('age retention (old traces and minute rows go) leaves the totals equal to the rollups', async () => {
		await stop();
		server = await startServer({ label: 'totals-retention', dataDir: dir,
			env: { TRACELITE_RETENTION_POLL_MS: '100', TRACELITE_RETENTION_DAYS: '1' } });
		const cutoff = NOW - DAY - HOUR;
		const old = () => Number(sqlite(dir, `SELECT count(*) FROM span_rollups WHERE level = 0 AND bucket < ${cutoff};`));
		for (let i = 0; i < 600 && old() > 0; i++) await sleep(100);
		assert.equal(old(), 0, 'minute rows older than a day are gone');
		assert.equal(mismatches(dir), '');
		await crossCheck(server);
		await server.stop();
		server = null;
	});

	test("schema/002's backfill (a store from before rollups, so before 028 too) rebuilds the totals too", async () => {
		await stop();
		sqlite(dir, `DROP TABLE span_rollups; DROP TABLE trace_rollups; DELETE FROM schema_migrations WHERE number IN (2, 28);
			UPDATE span_totals SET count = count + 1;`);
		sqlite(dir, `PRAGMA user_version = ${sqlite(dir, 'SELECT count(*) FROM schema_migrations;')};`);
		server = await startServer({ label: 'totals-rebuilt', dataDir: dir });
		assert.equal(mismatches(dir), '');
		await crossCheck(server);
		await server.stop();
		server = null;
	});
});
