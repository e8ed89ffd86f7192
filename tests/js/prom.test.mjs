// prom.test.mjs: GET /metrics (Prometheus text format 0.0.4; not the
// dashboard's /api/metrics/*, see metrics.test.mjs). The whole body goes
// through a strict parser of the format written here (names, label
// escapes, values, HELP/TYPE once and before their samples, a family's
// samples together, no duplicate series, histogram buckets cumulative and
// ending in +Inf = _count); then counters must move by exactly what an
// ingest (JSON and protobuf), a partial success and refused requests did.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
	get, otlpRequest, otlpSpan, otlpToProtobuf, post, postOtlp, request, sleep, spanId, startServer, traceId,
} from './helpers.mjs';

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s, line) {
	if (s === 'NaN') return NaN;
	if (s === '+Inf') return Infinity;
	if (s === '-Inf') return -Infinity;
	assert.match(s, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `bad value '${s}' in: ${line}`);
	return Number(s);
}

/* Parses the labels at s[i] (just past '{'); returns [labels, index after '}']. */
function parseLabels(s, i, line) {
	const labels = {};
	for (;;) {
		if (s[i] === '}') return [labels, i + 1];
		const eq = s.indexOf('=', i);
		assert.ok(eq > i, `label without '=' in: ${line}`);
		const name = s.slice(i, eq);
		assert.match(name, LABEL, `bad label name '${name}' in: ${line}`);
		assert.ok(!(name in labels), `label ${name} twice in: ${line}`);
		assert.equal(s[eq + 1], '"', `label value not quoted in: ${line}`);
		let v = '';
		let j = eq + 2;
		for (; j < s.length && s[j] !== '"'; j++) {
			if (s[j] === '\\') {
				const e = s[++j];
				assert.ok(e === '\\' || e === '"' || e === 'n', `bad escape \\${e} in: ${line}`);
				v += e === 'n' ? '\n' : e;
			} else {
				assert.notEqual(s[j], '\n');
				v += s[j];
			}
		}
		assert.equal(s[j], '"', `unterminated label value in: ${line}`);
		labels[name] = v;
		i = j + 1;
		if (s[i] === ',') i++;
		else assert.equal(s[i], '}', `expected ',' or '}' in: ${line}`);
	}
}

/* Returns Map family -> { type, help, samples: [{ name, labels, value }] }. */
function parseExposition(text) {
	assert.ok(text.endsWith('\n'), 'the body ends with a newline');
	const families = new Map();
	const seenSeries = new Set();
	let current = null;      // family whose samples are being read
	const closed = new Set(); // families whose samples ended
	const family = (name) => {
		if (!families.has(name)) families.set(name, { type: undefined, help: undefined, samples: [] });
		return families.get(name);
	};
	for (const line of text.slice(0, -1).split('\n')) {
		assert.notEqual(line, '', 'no empty lines');
		if (line.startsWith('#')) {
			const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
			if (!m) continue;   // a plain comment
			const [, kind, name, rest] = m;
			assert.match(name, METRIC, `bad name in: ${line}`);
			const f = family(name);
			assert.equal(f.samples.length, 0, `${kind} of ${name} after its samples`);
			if (kind === 'HELP') {
				assert.equal(f.help, undefined, `HELP of ${name} twice`);
				assert.doesNotMatch(rest.replace(/\\[\\n]/g, ''), /\\/, `bad escape in HELP of ${name}`);
				f.help = rest;
			} else {
				assert.equal(f.type, undefined, `TYPE of ${name} twice`);
				assert.ok(TYPES.has(rest), `bad type '${rest}' of ${name}`);
				f.type = rest;
			}
			continue;
		}
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
		assert.ok(m, `bad sample line: ${line}`);
		const name = m[1];
		let labels = {};
		let i = name.length;
		if (m[2]) [labels, i] = parseLabels(line, i + 1, line);
		assert.equal(line[i], ' ', `expected one space before the value in: ${line}`);
		const parts = line.slice(i + 1).split(' ');
		assert.ok(parts.length === 1 || (parts.length === 2 && /^-?\d+$/.test(parts[1])), `bad value/timestamp: ${line}`);
		const value = parseValue(parts[0], line);
		// the family: a histogram's _bucket/_sum/_count belong to it
		let fname = name;
		const base = name.replace(/_(bucket|sum|count)$/, '');
		if (base !== name && families.get(base)?.type === 'histogram') fname = base;
		const f = family(fname);
		if (current !== fname) {
			assert.ok(!closed.has(fname), `samples of ${fname} not together`);
			if (current) closed.add(current);
			current = fname;
		}
		const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
		assert.ok(!seenSeries.has(key), `series twice: ${line}`);
		seenSeries.add(key);
		if (f.type === 'counter') assert.ok(value >= 0, `negative counter: ${line}`);
		f.samples.push({ name, labels, value });
	}
	for (const [name, f] of families) {
		if (f.type === 'histogram') checkHistogram(name, f);
		if (f.type === 'counter') for (const s of f.samples) assert.equal(s.name, name);
	}
	return families;
}

/* Buckets of each series ascending in le, cumulative, ending with +Inf equal to _count. */
function checkHistogram(name, f) {
	const groups = new Map();
	for (const s of f.samples) {
		const { le, ...rest } = s.labels;
		const key = JSON.stringify(Object.entries(rest).sort());
		if (!groups.has(key)) groups.set(key, { buckets: [], sum: undefined, count: undefined });
		const g = groups.get(key);
		if (s.name === `${name}_bucket`) {
			assert.ok(le !== undefined, `${name}_bucket without le`);
			g.buckets.push([parseValue(le, le), s.value]);
		} else if (s.name === `${name}_sum`) g.sum = s.value;
		else if (s.name === `${name}_count`) g.count = s.value;
		else assert.fail(`${s.name} in histogram ${name}`);
	}
	for (const g of groups.values()) {
		assert.ok(g.buckets.length >= 1 && g.sum !== undefined && g.count !== undefined, `${name}: incomplete`);
		for (let i = 1; i < g.buckets.length; i++) {
			assert.ok(g.buckets[i][0] > g.buckets[i - 1][0], `${name}: le not ascending`);
			assert.ok(g.buckets[i][1] >= g.buckets[i - 1][1], `${name}: buckets not cumulative`);
		}
		assert.equal(g.buckets.at(-1)[0], Infinity, `${name}: last bucket is +Inf`);
		assert.equal(g.buckets.at(-1)[1], g.count, `${name}: +Inf bucket = _count`);
	}
}

/* The value of one sample, or 0 when absent. */
function value(families, name, labels = {}) {
	const fname = name.replace(/_(bucket|sum|count)$/, '');
	const f = families.get(name) ?? families.get(fname);
	const s = f?.samples.find((x) => x.name === name &&
		Object.entries(labels).every(([k, v]) => x.labels[k] === v) &&
		Object.keys(x.labels).length === Object.keys(labels).length);
	return s ? s.value : 0;
}

async function scrape(server) {
	const r = await get(server, '/metrics');
	assert.equal(r.status, 200);
	assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
	return parseExposition(r.text);
}

describe('GET /metrics', () => {
	let server;
	before(async () => { server = await startServer({ label: 'prom' }); });
	after(async () => { await server?.stop(); });

	test('the parser itself refuses malformed text', () => {
		const bad = [
			'x 1',                                            // no trailing newline
			'9x 1\n',                                         // bad name
			'x{a="1" 1\n',                                    // unterminated labels
			'x{a="\\t"} 1\n',                                 // bad escape
			'x one\n',                                        // bad value
			'# TYPE x counter\n# TYPE x counter\nx 1\n',      // TYPE twice
			'x 1\n# TYPE x counter\n',                        // TYPE after samples
			'x{a="1"} 1\ny 1\nx{a="2"} 1\n',                  // family split
			'x 1\nx 2\n',                                     // duplicate series
			'# TYPE h histogram\nh_bucket{le="1.0"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
		];
		for (const t of bad) assert.throws(() => parseExposition(t), undefined, JSON.stringify(t));
		parseExposition('# HELP x a \\\\ b\\n c\n# TYPE x counter\nx{a="q\\"\\\\\\n"} 1\n');
	});

	test('every family has HELP and TYPE; the expected families are there', async () => {
		const fams = await scrape(server);
		for (const [name, f] of fams) {
			assert.ok(f.type, `${name} has a TYPE`);
			assert.ok(f.help, `${name} has a HELP`);
			if (f.type === 'counter') assert.match(name, /_total$/);
		}
		for (const name of [
			'tracelite_ingest_requests_total', 'tracelite_ingest_requests_rejected_total', 'tracelite_ingest_spans_total',
			'tracelite_ingest_spans_rejected_total', 'tracelite_writer_queue_requests', 'tracelite_writer_queue_bytes',
			'tracelite_writer_commit_seconds', 'tracelite_writer_wal_sync_seconds', 'tracelite_writer_batch_requests',
			'tracelite_writer_batch_spans',
			'tracelite_store_bytes', 'tracelite_search_lag_seconds', 'tracelite_retention_deleted_traces_total',
			'tracelite_replication_lag_spans', 'tracelite_replication_errors_total', 'tracelite_http_requests_total',
			'process_resident_memory_bytes', 'tracelite_http_connections', 'process_start_time_seconds',
		]) assert.ok(fams.has(name), `family ${name}`);
		assert.equal(fams.get('tracelite_writer_commit_seconds').type, 'histogram');
		assert.ok(value(fams, 'process_resident_memory_bytes') > 1e6);
		assert.ok(value(fams, 'tracelite_store_bytes', { file: 'tracelite.db' }) > 0);
		assert.ok(value(fams, 'tracelite_http_connections') >= 1, 'the scrape\'s own connection is open');
		assert.equal(value(fams, 'tracelite_retention_deleted_traces_total', { reason: 'age' }), 0);
	});

	test('a deletion moves the retention counters by the traces and spans it deleted', async () => {
		const before = await scrape(server);
		const tid = traceId();
		await postOtlp(server, [otlpSpan({ traceId: tid, name: 'a' }), otlpSpan({ traceId: tid, name: 'b' })]);
		const r = await request(server, 'DELETE', `/api/traces/${tid}`);
		assert.deepEqual(r.json, { deleted: 1 });
		const after = await scrape(server);
		const moved = (name) => value(after, name, { reason: 'api' }) - value(before, name, { reason: 'api' });
		assert.equal(moved('tracelite_retention_deleted_traces_total'), 1);
		assert.equal(moved('tracelite_retention_deleted_spans_total'), 2);
		assert.equal(value(after, 'tracelite_retention_deleted_traces_total', { reason: 'age' }), 0);
	});

	test('open connections: three idle sockets show, and go when closed', async () => {
		const gauge = async () => value(await scrape(server), 'tracelite_http_connections');
		/* polls until the gauge reads want (connections of earlier tests may
		 * still be closing, new ones still being accepted); returns the last */
		const until = async (want) => {
			let v;
			for (let i = 0; i < 100 && (v = await gauge()) !== want; i++) await sleep(20);
			return v;
		};
		const base = await until(1);   /* the scrape's own connection alone */
		const socks = await Promise.all([0, 1, 2].map(() => new Promise((resolve, reject) => {
			const s = net.connect(server.port, '127.0.0.1', () => resolve(s));
			s.on('error', reject);
		})));
		assert.equal(await until(base + 3), base + 3);
		await Promise.all(socks.map((s) => new Promise((r) => { s.on('close', r); s.destroy(); })));
		assert.equal(await until(base), base);
	});

	test('counters move by exactly what ingest and refused requests did', async () => {
		const before = await scrape(server);
		const tid = traceId();
		await postOtlp(server, [otlpSpan({ traceId: tid }), otlpSpan({ traceId: tid }), otlpSpan({ traceId: tid })]);
		const pb = otlpToProtobuf(otlpRequest([otlpSpan({ traceId: traceId() }), otlpSpan({ traceId: traceId() })]));
		const rpb = await post(server, '/v1/traces', pb, { 'content-type': 'application/x-protobuf' });
		assert.equal(rpb.status, 200);
		// a partial success: one span with a 4-byte trace id is refused, one stored
		const partial = await post(server, '/v1/traces', otlpRequest([
			otlpSpan({ traceId: traceId() }), otlpSpan({ traceId: 'abcd1234', spanId: spanId() })]));
		assert.equal(partial.status, 200);
		assert.equal(partial.json.partialSuccess?.rejectedSpans, 1, partial.text);
		const r415 = await post(server, '/v1/traces', 'hello', { 'content-type': 'text/plain' });
		assert.equal(r415.status, 415);
		const r400 = await post(server, '/v1/traces', '{"resourceSpans": [', { 'content-type': 'application/json' });
		assert.equal(r400.status, 400);
		const r404 = await get(server, '/no/such/thing');
		assert.equal(r404.status, 404);

		const after = await scrape(server);
		const d = (name, labels) => value(after, name, labels) - value(before, name, labels);
		const json = { route: '/v1/traces', encoding: 'json' };
		const proto = { route: '/v1/traces', encoding: 'protobuf' };
		assert.equal(d('tracelite_ingest_requests_total', json), 3);   // ok, partial, 400
		assert.equal(d('tracelite_ingest_requests_total', proto), 1);
		assert.equal(d('tracelite_ingest_requests_total', { route: '/v1/traces', encoding: 'unsupported' }), 1);
		assert.equal(d('tracelite_ingest_spans_total', json), 4);
		assert.equal(d('tracelite_ingest_spans_total', proto), 2);
		assert.equal(d('tracelite_ingest_spans_rejected_total', { ...json, reason: 'invalid_span' }), 1);
		assert.equal(d('tracelite_ingest_requests_rejected_total', { ...json, reason: 'bad_input' }), 1);
		assert.equal(d('tracelite_ingest_requests_rejected_total',
			{ route: '/v1/traces', encoding: 'unsupported', reason: 'media_type' }), 1);
		assert.ok(d('tracelite_ingest_bytes_total', proto) === pb.length);
		assert.equal(d('tracelite_http_requests_total', { route: '/v1/traces', code: '2xx' }), 3);
		assert.equal(d('tracelite_http_requests_total', { route: '/v1/traces', code: '4xx' }), 2);
		assert.equal(d('tracelite_http_requests_total', { route: 'other', code: '4xx' }), 1);
		assert.equal(d('tracelite_http_requests_total', { route: '/metrics', code: '2xx' }), 1);
		assert.ok(d('tracelite_writer_commit_seconds_count') >= 1 && d('tracelite_writer_commit_seconds_count') <= 3);
		assert.equal(d('tracelite_writer_batch_spans_sum'), 6);
		assert.equal(d('tracelite_writer_commits_total', { outcome: 'ok' }), d('tracelite_writer_commit_seconds_count'));
		// each commit is durable after a sync of the WAL; one sync may serve several commits
		assert.ok(d('tracelite_writer_wal_sync_seconds_count') >= 1 &&
			d('tracelite_writer_wal_sync_seconds_count') <= d('tracelite_writer_commit_seconds_count'));
		assert.equal(value(after, 'tracelite_writer_queue_requests'), 0);
	});
});
