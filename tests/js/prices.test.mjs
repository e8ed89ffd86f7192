// prices.test.mjs: cost from the price table, end to end: spans with a
// known model get tokens x price (demo traffic too), a client-sent cost
// wins, the source shows in the span JSON, a malformed --prices file stops
// start-up naming file and line, and `tracelite reprice` with changed
// prices rewrites stored span and trace costs beside a running server and
// never touches client costs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
	BIN, REPO, getJson, listAllTraces, nanosFromNow, otlpRequest, otlpSpan, postOk, startServer,
	tempDataDir, traceId,
} from './helpers.mjs';

/* The shipped table, as the README documents it: pattern -> prices. */
function shippedPrices() {
	const rows = {};
	let header = false;
	for (const raw of fs.readFileSync(path.join(REPO, 'schema/prices.csv'), 'utf8').split('\n')) {
		const line = raw.trim();
		if (!line || line.startsWith('#')) continue;
		if (!header) { header = true; continue; }
		const [pattern, provider, input, output, cr, cw] = line.split(',');
		const inp = Number(input);
		rows[pattern] = { provider, input: inp, output: Number(output), cache_read: cr === '' ? inp : Number(cr), cache_write: cw === '' ? inp : Number(cw) };
	}
	return rows;
}
const PRICES = shippedPrices();

/* The documented formula: input tokens include the cached ones. */
const costOf = (p, { input_tokens: i, output_tokens: o, cache_read_tokens: cr, cache_write_tokens: cw }) =>
	(i >= cr + cw ? i - cr - cw : i) * p.input + o * p.output + cr * p.cache_read + cw * p.cache_write;

const close = (a, b) => Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);

function llmSpan(tid, model, { input = 1000, output = 100, cacheRead = 0, cost, name = 'chat' } = {}) {
	const attrs = {
		'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model,
		'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output,
	};
	if (cacheRead) attrs['gen_ai.usage.cache_read.input_tokens'] = cacheRead;
	if (cost !== undefined) attrs['gen_ai.usage.cost'] = cost;
	return otlpSpan({ traceId: tid, name, start: nanosFromNow(-2000), attrs });
}

const spansOf = async (server, tid) => (await getJson(server, `/api/traces/${tid}`));

let server;
before(async () => { server = await startServer({ label: 'prices' }); });
after(async () => { if (server) await server.stop(); });

describe('cost at ingest', () => {
	test('a known model gets tokens x price, dated and prefixed names included', async () => {
		const tid = traceId();
		const spans = [
			llmSpan(tid, 'gpt-4o-2024-08-06', { input: 1000, output: 100, cacheRead: 200, name: 'a' }),
			llmSpan(tid, 'openai/gpt-4o-mini', { input: 5000, output: 300, name: 'b' }),
			llmSpan(tid, 'claude-3-5-sonnet-20241022', { input: 700, output: 50, name: 'c' }),
		];
		await postOk(server, '/v1/traces', otlpRequest(spans));
		const t = await spansOf(server, tid);
		const by = Object.fromEntries(t.spans.map((s) => [s.name, s]));
		for (const [name, pattern] of [['a', 'gpt-4o'], ['b', 'gpt-4o-mini'], ['c', 'claude-3-5-sonnet']]) {
			const s = by[name];
			assert.equal(s.cost_source, 'price_table', name);
			assert.ok(close(s.cost_usd, costOf(PRICES[pattern], s)), `${name}: ${s.cost_usd} vs ${costOf(PRICES[pattern], s)}`);
		}
		// 800 uncached + 200 cache reads at gpt-4o's prices, written out
		assert.ok(close(by.a.cost_usd, 800 * 2.5e-6 + 100 * 1e-5 + 200 * 1.25e-6), `${by.a.cost_usd}`);
		// gpt-4o-mini is not priced as gpt-4o
		assert.ok(close(by.b.cost_usd, 5000 * 0.15e-6 + 300 * 0.6e-6), `${by.b.cost_usd}`);
		const sum = t.spans.reduce((a, s) => a + s.cost_usd, 0);
		assert.ok(close(t.trace.cost_usd, sum), `trace ${t.trace.cost_usd} vs spans ${sum}`);
	});

	test('a client-sent cost wins; an unknown model or no tokens gets none', async () => {
		const tid = traceId();
		const spans = [
			llmSpan(tid, 'gpt-4o', { cost: 0.5, name: 'client' }),
			llmSpan(tid, 'my-own-model', { name: 'unknown' }),
			llmSpan(tid, 'gpt-4o', { input: 0, output: 0, name: 'empty' }),
		];
		await postOk(server, '/v1/traces', otlpRequest(spans));
		const t = await spansOf(server, tid);
		const by = Object.fromEntries(t.spans.map((s) => [s.name, s]));
		assert.equal(by.client.cost_usd, 0.5);
		assert.equal(by.client.cost_source, 'client');
		assert.equal(by.unknown.cost_usd, null);
		assert.equal(by.unknown.cost_source, 'none');
		assert.equal(by.empty.cost_usd, null);
		assert.equal(by.empty.cost_source, 'none');
		assert.equal(t.trace.cost_usd, 0.5);
	});

	test('demo traffic: every span of a known model costs tokens x price', async () => {
		const mine = new Set((await listAllTraces(server)).map((t) => t.trace_id));
		execFileSync(BIN, ['demo', '--traces', '12', '--seed', '7', '--url', `${server.url}/v1/traces`], { stdio: 'pipe' });
		const traces = (await listAllTraces(server)).filter((t) => t.models.length && !mine.has(t.trace_id));
		assert.ok(traces.length >= 10, `${traces.length} demo traces with models`);
		let checked = 0;
		for (const tr of traces) {
			const t = await spansOf(server, tr.trace_id);
			let sum = 0;
			for (const s of t.spans) {
				sum += s.cost_usd ?? 0;
				const pattern = /^gpt-4o-mini(-\d|$)/.test(s.model ?? '') ? 'gpt-4o-mini'
					: /^gpt-4o(-\d|$)/.test(s.model ?? '') ? 'gpt-4o' : null;
				if (!pattern || !(s.input_tokens || s.output_tokens)) continue;
				assert.equal(s.cost_source, 'price_table');
				assert.ok(close(s.cost_usd, costOf(PRICES[pattern], s)), `${s.model}: ${s.cost_usd}`);
				checked++;
			}
			assert.ok(close(t.trace.cost_usd, sum), `trace ${tr.trace_id}: ${t.trace.cost_usd} vs ${sum}`);
		}
		assert.ok(checked > 0, 'no gpt-4o or gpt-4o-mini span in the demo traffic');
	});
});

describe('--prices', () => {
	const dir = tempDataDir('prices-files');
	const write = (name, text) => { const p = path.join(dir, name); fs.writeFileSync(p, text); return p; };
	const HEADER = 'pattern,provider,input,output,cache_read,cache_write\n';

	test('a malformed file stops start-up naming the file, line and problem', () => {
		const bad = write('bad.csv', `# mine\n${HEADER}gpt-4o,openai,0.000001,oops,,\n`);
		for (const [args, env] of [[['--prices', bad], {}], [[], { TRACELITE_PRICES: bad }]]) {
			const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:1', '--data', path.join(dir, 'data'), ...args],
				{ env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20000 });
			assert.equal(r.status, 2, r.stderr);
			assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 3: output: expected a non-negative number`));
		}
		const missing = spawnSync(BIN, ['serve', '--prices', path.join(dir, 'nope.csv'), '--data', path.join(dir, 'data')], { encoding: 'utf8', timeout: 20000 });
		assert.equal(missing.status, 2);
		assert.match(missing.stderr, /nope\.csv: cannot open/);
	});

	test('a user file overrides and extends the shipped rows', async () => {
		const user = write('user.csv', `${HEADER}gpt-4o,openai,0.00001,0.00002,,\nacme-*,acme,0.000003,0.000004,,\n`);
		const s2 = await startServer({ label: 'prices-user', env: { TRACELITE_PRICES: user } });
		try {
			const tid = traceId();
			await postOk(s2, '/v1/traces', otlpRequest([
				llmSpan(tid, 'gpt-4o', { input: 100, output: 10, name: 'over' }),
				llmSpan(tid, 'acme-large-2', { input: 100, output: 10, name: 'new' }),
				llmSpan(tid, 'gpt-4o-mini', { input: 100, output: 10, name: 'kept' }),
			]));
			const by = Object.fromEntries((await spansOf(s2, tid)).spans.map((s) => [s.name, s]));
			assert.ok(close(by.over.cost_usd, 100 * 1e-5 + 10 * 2e-5), `${by.over.cost_usd}`);
			assert.ok(close(by.new.cost_usd, 100 * 3e-6 + 10 * 4e-6), `${by.new.cost_usd}`);
			assert.ok(close(by.kept.cost_usd, 100 * 0.15e-6 + 10 * 0.6e-6), `${by.kept.cost_usd}`);
		} finally {
			await s2.stop();
		}
	});
});

describe('tracelite reprice', () => {
	test('changed prices rewrite price-table costs and trace sums beside a running server; client costs stay', async () => {
		const s3 = await startServer({ label: 'reprice' });
		try {
			const a = traceId(), b = traceId();
			await postOk(s3, '/v1/traces', otlpRequest([
				llmSpan(a, 'gpt-4o', { input: 1000, output: 100, name: 'priced' }),
				llmSpan(a, 'gpt-4o', { cost: 0.25, name: 'client' }),
				llmSpan(a, 'later-model', { input: 10, output: 1, name: 'unknown' }),
				llmSpan(b, 'claude-3-5-haiku', { input: 10, output: 1, name: 'other' }),
			]));
			const before = await spansOf(s3, a);
			assert.ok(close(before.trace.cost_usd, 1000 * 2.5e-6 + 100 * 1e-5 + 0.25));
			const file = path.join(s3.dataDir, 'new-prices.csv');
			fs.writeFileSync(file, 'pattern,provider,input,output,cache_read,cache_write\n' +
				'gpt-4o,openai,0.00001,0.00003,,\nlater-model,x,0.001,0.002,,\n');
			const out = execFileSync(BIN, ['reprice', '--data', s3.dataDir, '--prices', file], { encoding: 'utf8' });
			assert.match(out, /^reprice: 2 spans changed, 1 traces changed/);
			const t = await spansOf(s3, a);
			const by = Object.fromEntries(t.spans.map((s) => [s.name, s]));
			assert.ok(close(by.priced.cost_usd, 1000 * 1e-5 + 100 * 3e-5), `${by.priced.cost_usd}`);
			assert.equal(by.priced.cost_source, 'price_table');
			assert.equal(by.client.cost_usd, 0.25);
			assert.equal(by.client.cost_source, 'client');
			assert.ok(close(by.unknown.cost_usd, 10 * 0.001 + 0.002), `${by.unknown.cost_usd}`);
			assert.equal(by.unknown.cost_source, 'price_table');
			assert.ok(close(t.trace.cost_usd, by.priced.cost_usd + 0.25 + by.unknown.cost_usd), `${t.trace.cost_usd}`);
			const listed = (await listAllTraces(s3)).find((x) => x.trace_id === a);
			assert.ok(close(listed.cost_usd, t.trace.cost_usd));
			// the dashboard rollups moved with the spans: totals and per model
			const range = `from=${Math.floor(Date.now() / 1000) - 86400}&to=${Math.floor(Date.now() / 1000) + 60}`;
			const all = await listAllTraces(s3);
			const sum = await getJson(s3, `/api/metrics/summary?${range}`);
			assert.ok(close(sum.current.cost_usd, all.reduce((x, tr) => x + tr.cost_usd, 0)), `${sum.current.cost_usd}`);
			const models = (await getJson(s3, `/api/metrics/models?${range}`)).items;
			const later = models.find((m) => m.model === 'later-model');
			assert.ok(close(later.cost_usd, by.unknown.cost_usd), `${later.cost_usd}`);
			const byService = await getJson(s3, `/api/metrics/timeseries?${range}&metric=cost&bucket=1h&group_by=service`);
			assert.ok(close(byService.series.flatMap((x) => x.values).reduce((x, v) => x + v, 0), sum.current.cost_usd));
			// back to the shipped table: the unknown model loses its cost again
			const again = execFileSync(BIN, ['reprice', '--data', s3.dataDir], { encoding: 'utf8' });
			assert.match(again, /^reprice: 2 spans changed, 1 traces changed/);
			const t2 = await spansOf(s3, a);
			const by2 = Object.fromEntries(t2.spans.map((s) => [s.name, s]));
			assert.equal(by2.unknown.cost_usd, null);
			assert.equal(by2.unknown.cost_source, 'none');
			assert.ok(close(t2.trace.cost_usd, before.trace.cost_usd), `${t2.trace.cost_usd}`);
			// the server still ingests after the reprice held the write lock
			await postOk(s3, '/v1/traces', otlpRequest([llmSpan(traceId(), 'gpt-4o')]));
		} finally {
			await s3.stop();
		}
	});

	test('bad arguments and a bad prices file exit non-zero with a message', () => {
		const dir = tempDataDir('reprice-bad');
		let r = spawnSync(BIN, ['reprice', '--data', path.join(dir, 'missing')], { encoding: 'utf8' });
		assert.equal(r.status, 2);
		assert.match(r.stderr, /no data directory/);
		r = spawnSync(BIN, ['reprice', '--bogus', 'x'], { encoding: 'utf8' });
		assert.equal(r.status, 2);
		assert.match(r.stderr, /--bogus: unknown flag/);
		fs.writeFileSync(path.join(dir, 'p.csv'), 'nope\n');
		r = spawnSync(BIN, ['reprice', '--data', dir, '--prices', path.join(dir, 'p.csv')], { encoding: 'utf8' });
		assert.equal(r.status, 2);
		assert.match(r.stderr, /p\.csv: line 1: expected the header line/);
	});
});
