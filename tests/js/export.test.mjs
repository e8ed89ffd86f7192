// export.test.mjs: GET /api/export/traces and /api/export/spans,
// black-box, on a few hundred traces: each format (jsonl, csv, otlp)
// holds exactly what the API answers for the same filters (trace list,
// trace detail, OTLP trace answer), streamed (chunked, attachment file
// name); CSV is RFC 4180 and defuses formulas; filters, q and bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	get, getJson, listAllTraces, nanosFromNow, otlpRequest, otlpSpan, postOk, query, SANITIZED, startServer, traceId,
} from './helpers.mjs';

const run = crypto.randomBytes(4).toString('hex');
const SVC = `exp-${run}`;
const N = SANITIZED ? 60 : 300;

/* RFC 4180 parser: rows of cells; quoted cells may hold , " CR LF. */
function parseCsv(text) {
	const rows = [];
	let row = [], cell = '', i = 0, quoted = false;
	while (i < text.length) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
			if (ch === '"') { quoted = false; i++; continue; }
			cell += ch; i++; continue;
		}
		if (ch === '"') { quoted = true; i++; continue; }
		if (ch === ',') { row.push(cell); cell = ''; i++; continue; }
		if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i += 2; continue; }
		cell += ch; i++;
	}
	assert.equal(cell, '', 'CSV ends with CRLF');
	assert.equal(row.length, 0);
	return rows;
}

const lines = (text) => text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1).map((l) => JSON.parse(l));

describe('export', () => {
	let server;
	const tricky = ['=HYPERLINK("http://x","y")', '+1+2', '-3', '@SUM(A1)', 'quote " and, comma', 'line\nbreak\r\nend'];
	before(async () => {
		server = await startServer({ label: 'export' });
		const batch = [];
		for (let i = 0; i < N; i++) {
			const tid = traceId();
			const start = nanosFromNow(-3600000 + i * 1000 - (i % 7) * 500000);   // not in sending order
			const root = otlpSpan({
				traceId: tid, name: i < tricky.length ? tricky[i] : `root ${i}`, start, durationMs: 40,
				attrs: { 'input.value': `question ${i}${i % 10 === 0 ? ' exportword' : ''}`, 'output.value': `answer ${i}` },
			});
			const kids = Array.from({ length: i % 3 }, (_, k) => otlpSpan({
				traceId: tid, parentSpanId: root.spanId, name: `child ${k}`, start, durationMs: 10 + k,
				attrs: { plan: i % 2 ? 'pro' : 'free', n: i, 'gen_ai.request.model': 'gpt-4o-mini' },
			}));
			batch.push(...[root, ...kids]);
			if (batch.length > 200 || i === N - 1) {
				await postOk(server, '/v1/traces', otlpRequest(batch.splice(0), { resource: { 'service.name': SVC } }));
			}
		}
	});
	after(async () => { await server?.stop(); });

	const exp = (what, params) => get(server, `/api/export/${what}${query({ service: SVC, ...params })}`);

	test('traces as JSON lines: the trace list, same order, streamed as an attachment', async () => {
		const r = await exp('traces', { format: 'jsonl' });
		assert.equal(r.status, 200);
		assert.equal(r.headers['transfer-encoding'], 'chunked');
		assert.equal(r.headers['content-type'], 'application/x-ndjson');
		assert.match(r.headers['content-disposition'], /^attachment; filename="tracelite-traces-\d{8}T\d{6}Z\.jsonl"$/);
		const want = await listAllTraces(server, { service: SVC });
		assert.equal(want.length, N);
		assert.deepEqual(lines(r.text), want);
		const dflt = await exp('traces', {});
		assert.deepEqual(lines(dflt.text), want, 'jsonl is the default');
	});

	test('traces as CSV: one row per trace, RFC 4180, formulas defused', async () => {
		const r = await exp('traces', { format: 'csv' });
		assert.equal(r.status, 200);
		assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
		assert.match(r.headers['content-disposition'], /filename="tracelite-traces-\d{8}T\d{6}Z\.csv"/);
		const [head, ...rows] = parseCsv(r.text);
		assert.deepEqual(head.slice(0, 4), ['trace_id', 'project', 'name', 'service']);
		const want = await listAllTraces(server, { service: SVC });
		assert.deepEqual(rows.map((x) => x[0]), want.map((t) => t.trace_id));
		const col = (name) => head.indexOf(name);
		for (const [k, t] of want.entries()) {
			const row = rows[k];
			const name = /^[=+\-@]/.test(t.name) ? `'${t.name}` : t.name;
			assert.equal(row[col('name')], name);
			assert.equal(Number(row[col('span_count')]), t.span_count);
			assert.equal(Number(row[col('duration_ms')]), t.duration_ms);
			assert.equal(row[col('start_time')], t.start_time);
			assert.equal(row[col('models')], t.models.join(','));
			assert.equal(row[col('input_preview')], t.input_preview);
		}
		const names = rows.map((x) => x[col('name')]);
		for (const t of tricky) {
			assert.ok(names.includes(/^[=+\-@]/.test(t) ? `'${t}` : t), `cell for ${JSON.stringify(t)}`);
		}
	});

	test('spans as JSON lines and CSV: every span of every trace, as the trace detail gives them', async () => {
		const traces = await listAllTraces(server, { service: SVC });
		const want = [];
		for (const t of traces) want.push(...(await getJson(server, `/api/traces/${t.trace_id}`)).spans);
		const r = await exp('spans', { format: 'jsonl' });
		assert.equal(r.status, 200);
		assert.match(r.headers['content-disposition'], /filename="tracelite-spans-\d{8}T\d{6}Z\.jsonl"/);
		assert.deepEqual(lines(r.text), want);
		const c = await exp('spans', { format: 'csv' });
		const [head, ...rows] = parseCsv(c.text);
		assert.deepEqual(rows.map((x) => x[head.indexOf('span_id')]), want.map((s) => s.span_id));
		const attrs = rows.map((x) => JSON.parse(x[head.indexOf('attributes')]));
		assert.deepEqual(attrs, want.map((s) => s.attributes));
		assert.deepEqual(rows.map((x) => x[head.indexOf('status_code')]), want.map((s) => String(s.status.code)));
	});

	test('otlp: one ExportTraceServiceRequest per trace, as GET /api/traces/{id}?format=otlp', async () => {
		const traces = await listAllTraces(server, { service: SVC });
		for (const what of ['traces', 'spans']) {
			const r = await exp(what, { format: 'otlp' });
			assert.equal(r.status, 200);
			assert.match(r.headers['content-disposition'], new RegExp(`filename="tracelite-${what}-otlp-\\d{8}T\\d{6}Z\\.jsonl"`));
			const got = lines(r.text);
			assert.equal(got.length, traces.length);
			for (const k of [0, 1, 2, Math.floor(traces.length / 2), traces.length - 1]) {
				const one = await get(server, `/api/traces/${traces[k].trace_id}?format=otlp`);
				assert.deepEqual(got[k], one.json);
			}
			const spans = got.flatMap((req) => req.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
			assert.equal(spans.length, traces.reduce((n, t) => n + t.span_count, 0));
		}
	});

	test('the trace-list filters, attribute filters, q and a cursor apply', async () => {
		for (const params of [
			{ 'attr.plan': 'eq:pro' }, { 'attr.n': 'gt:250', 'attr.plan': 'eq:free' }, { q: 'exportword' },
			{ q: 'exportword', 'attr.plan': 'exists' }, { min_duration_ms: '41' }, { name: 'root 7' },
		]) {
			const want = params.q
				? await (async () => {
					const out = [];
					let cursor;
					do {
						const b = await getJson(server, `/api/traces${query({ service: SVC, limit: 100, ...params, cursor })}`);
						out.push(...b.items);
						cursor = b.next_cursor;
					} while (cursor);
					return out;
				})()
				: await listAllTraces(server, { service: SVC, ...params });
			const r = await exp('traces', params);
			assert.equal(r.status, 200, JSON.stringify(params));
			assert.deepEqual(lines(r.text), want, JSON.stringify(params));
			const s = await exp('spans', { ...params, format: 'csv' });
			assert.equal(parseCsv(s.text).length - 1, want.reduce((n, t) => n + t.span_count, 0), JSON.stringify(params));
		}
		const first = await getJson(server, `/api/traces${query({ service: SVC, limit: 10 })}`);
		const rest = await exp('traces', { cursor: first.next_cursor });
		assert.equal(lines(rest.text).length, N - 10, 'from a cursor');
		const none = await exp('traces', { 'attr.plan': 'eq:nosuch', format: 'csv' });
		assert.equal(none.status, 200);
		assert.equal(parseCsv(none.text).length, 1, 'header only');
	});

	test('bad input: 400 naming the parameter', async () => {
		for (const [params, re] of [
			[{ format: 'xml' }, /^format: expected jsonl, csv or otlp/],
			[{ format: 'CSV' }, /^format: /],
			[{ 'attr.plan': 'like:x' }, /^attr\.plan: /],
			[{ 'score.': 'eq:1' }, /^score\.: empty key/],
			[{ q: '"unterminated' }, /^q: /],
			[{ cursor: 'nope' }, /^cursor: /],
			[{ status: 'maybe' }, /^status: /],
		]) {
			for (const what of ['traces', 'spans']) {
				const r = await exp(what, params);
				assert.equal(r.status, 400, `${what} ${JSON.stringify(params)}: ${r.text}`);
				assert.match(r.json.error, re);
			}
		}
		const unknown = await get(server, '/api/export/sessions');
		assert.equal(unknown.status, 404);
	});
});
