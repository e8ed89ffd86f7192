// trace_strings.test.mjs: traces name their name, service and models by
// strings.id (schema/030) and answer exactly as the texts stored in traces
// did. The same traces go to the binary before 030 (5b8ddfa, built by
// helpers.mjs oldBinary) and to this one; every endpoint showing or
// filtering on a trace's name, service or models must answer identically,
// then on the old binary's store migrated by this one, which must keep
// taking spans that change a trace's name and models.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
	addMs, fixedId, getJson, minutesAgo, minutesRange, oldBinary, otlpRequest, otlpSpan, postOk, request, startServer, storeSql, tempDataDir,
} from './helpers.mjs';

const OLD = oldBinary('5b8ddfa');   /* main before 030 */

let server;
after(async () => { if (server) await server.stop(); });

const NAMES = ['plan trip', 'answer ✓ ünïcode', 'n'.repeat(300), 'retrieve', 'chat, with a comma'];
const SERVICES = ['agent-api', 'retriever', 'svc ü'];
/* gpt-4o is a prefix of gpt-4o-mini: a model filter matches whole list entries only */
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', ''];

function spansOf(i) {
	const tid = fixedId(0x5e700000 + i, 16);
	const start = minutesAgo(3 + (i * 37) % 600);
	const service = SERVICES[i % SERVICES.length];
	const root = otlpSpan({ traceId: tid, spanId: fixedId(i * 4 + 1, 8), name: NAMES[i % NAMES.length], start, durationMs: 400 + i,
		attrs: { 'session.id': `s-${i % 4}` } });
	const kids = [MODELS[i % MODELS.length], MODELS[(i + 1) % MODELS.length]].map((model, k) => otlpSpan({
		traceId: tid, spanId: fixedId(i * 4 + 2 + k, 8), parentSpanId: root.spanId, name: model ? 'chat' : 'tool',
		start: addMs(start, 5 + k), durationMs: 50 + i, status: i % 6 === 0 ? { code: 2, message: 'boom' } : undefined,
		attrs: model ? { 'gen_ai.request.model': model, 'gen_ai.usage.input_tokens': 100 + i, 'gen_ai.usage.output_tokens': 10 + i } : {},
	}));
	for (const sp of [root, ...kids]) SERVICE.set(sp, service);
	return { tid, root, kids };
}

/* The service of each span made by spansOf (a resource attribute). */
const SERVICE = new WeakMap();

/* A request holding spans under one resource per service. */
function byService(spans) {
	const by = new Map();
	for (const sp of spans) {
		const svc = SERVICE.get(sp) ?? SERVICES[0];
		if (!by.has(svc)) by.set(svc, []);
		by.get(svc).push(sp);
	}
	return { resourceSpans: [...by].map(([svc, list]) => otlpRequest(list, { resource: { 'service.name': svc } }).resourceSpans[0]) };
}

/* 40 traces: children before their roots for half of them (the name and
 * service change when the root arrives), then a late span adding a model. */
async function ingest(s) {
	const all = Array.from({ length: 40 }, (_, i) => spansOf(i));
	await postOk(s, '/v1/traces', byService(all.filter((_, i) => i % 2).flatMap((t) => t.kids)));
	await postOk(s, '/v1/traces', byService(all.map((t) => t.root)));
	await postOk(s, '/v1/traces', byService(all.filter((_, i) => !(i % 2)).flatMap((t) => t.kids)));
	await postOk(s, '/v1/traces', byService([otlpSpan({ traceId: all[3].tid, spanId: fixedId(999, 8), parentSpanId: all[3].root.spanId,
		name: 'late', start: addMs(all[3].root.startTimeUnixNano, 20), durationMs: 5,
		attrs: { 'gen_ai.request.model': 'late-model', 'gen_ai.usage.input_tokens': 1 } })]));
}

async function answers(s) {
	const q = (p) => getJson(s, p);
	const e = encodeURIComponent;
	const out = {};
	const from = minutesRange(700, -60);
	out.traces = await q(`/api/traces?limit=100&${from}`);
	for (const name of [...NAMES, 'nothing'])
		out[`name ${name}`] = await q(`/api/traces?limit=100&name=${e(name)}&${from}`);
	for (const service of [...SERVICES, 'nothing']) {
		out[`service ${service}`] = await q(`/api/traces?limit=100&service=${e(service)}&${from}`);
		out[`summary ${service}`] = await q(`/api/metrics/summary?service=${e(service)}&${from}`);
	}
	for (const model of [...MODELS.filter(Boolean), 'late-model', 'gpt', 'nothing'])
		out[`model ${model}`] = await q(`/api/traces?limit=100&model=${e(model)}&${from}`);
	out.combined = await q(`/api/traces?limit=100&service=agent-api&model=gpt-4o&${from}`);
	out.facets = await q(`/api/facets?${from}`);
	/* the session filter makes the trace metrics read the traces table itself */
	out.seriesByService = await q(`/api/metrics/timeseries?metric=traces&group_by=service&bucket=1h&session_id=s-1&${from}`);
	out.seriesByService2 = await q(`/api/metrics/timeseries?metric=traces&group_by=service&bucket=1h&${from}`);
	out.operations = await q(`/api/metrics/operations?${from}`);
	out.exportJson = (await request(s, 'GET', `/api/export/traces?format=jsonl&${from}`)).text;
	out.exportCsv = (await request(s, 'GET', `/api/export/traces?format=csv&${from}&model=gpt-4o-mini`)).text;
	out.trace = await q(`/api/traces/${spansOf(3).tid}`);
	out.session = await q(`/api/sessions/s-2?${from}`);
	return out;
}

test("traces' name, service and models as strings ids answer as the texts did, fresh and migrated", async () => {
	const oldDir = tempDataDir('trace-strings-old');
	server = await startServer({ label: 'trace-strings-old', dataDir: oldDir, bin: OLD });
	await ingest(server);
	const before = await answers(server);
	await server.stop();
	server = null;
	assert.equal(before['model gpt-4o'].items.length, 20, 'gpt-4o is in half of the traces, gpt-4o-mini not counted');
	assert.equal(before['model late-model'].items.length, 1);
	assert.equal(before['model gpt'].items.length, 0, 'a model filter matches whole models only');
	assert.ok(before.facets.models.includes('late-model'), JSON.stringify(before.facets));

	server = await startServer({ label: 'trace-strings-new' });
	await ingest(server);
	assert.deepEqual(await answers(server), before, 'a fresh store answers as before');
	await server.stop();

	server = await startServer({ label: 'trace-strings-migrated', dataDir: oldDir });
	assert.equal(storeSql(oldDir, "SELECT count(*) FROM pragma_table_info('traces') WHERE name IN ('name', 'service', 'models');").trim(), '0');
	assert.equal(storeSql(oldDir, 'SELECT count(*) FROM traces WHERE name_sid = 0 OR service_sid = 0 OR models_sid = 0;').trim(), '0');
	assert.deepEqual(await answers(server), before, 'the migrated store answers as before');

	// the migrated store keeps merging: a root renamed, a model added
	const t = spansOf(5);
	await postOk(server, '/v1/traces', byService([otlpSpan({ traceId: t.tid, spanId: fixedId(4242, 8), parentSpanId: t.root.spanId,
		name: 'chat', start: addMs(t.root.startTimeUnixNano, 30), durationMs: 5,
		attrs: { 'gen_ai.request.model': 'new-model ✓', 'gen_ai.usage.input_tokens': 2 } })]));
	const one = (await getJson(server, `/api/traces/${t.tid}`)).trace;
	assert.ok(one.models.includes('new-model ✓') && one.models.length === 3, JSON.stringify(one.models));
	assert.equal(one.name, NAMES[0]);
	assert.equal((await getJson(server, `/api/traces?model=${encodeURIComponent('new-model ✓')}&limit=10`)).items.length, 1);
	await server.stop();
	server = null;
});
