// people_ids.test.mjs: sessions and users stored as people.id (schema/025)
// answer exactly as the texts stored in traces did. The same traces go to
// the binary before 025 (79026f6, built by helpers.mjs oldBinary) and to
// this one; every endpoint naming a session or
// user must answer identically, then on the old binary's store migrated by
// this one. Deleting a user's traces deletes their ids from people.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
	addMs, fixedId, getJson, minutesAgo, minutesRange, oldBinary, otlpRequest, otlpSpan, postOk, request, startServer, storeSql, tempDataDir,
} from './helpers.mjs';

const OLD = oldBinary('79026f6');   /* main before 025 */

let server;
after(async () => { if (server) await server.stop(); });

const SESSIONS = ['s-alpha', 's-beta', 'sess ünïcode ✓', 'x'.repeat(200), 's-gamma', 's-delta'];
const USERS = ['u-1', 'u-2', 'user ü', 'u-4'];

function spansOf(i) {
	const tid = fixedId(0xabc00000 + i, 16);
	const start = minutesAgo(3 + (i * 37) % 600);
	const attrs = {};
	if (i % 7 !== 3) attrs['session.id'] = SESSIONS[i % SESSIONS.length];
	if (i % 5 !== 2) attrs['user.id'] = USERS[(i * 3) % USERS.length];
	const root = otlpSpan({ traceId: tid, spanId: fixedId(i * 4 + 1, 8), name: `turn-${i % 3}`, start, durationMs: 400 + i, attrs });
	const child = otlpSpan({
		traceId: tid, spanId: fixedId(i * 4 + 2, 8), parentSpanId: root.spanId, name: 'chat', start: addMs(start, 5),
		durationMs: 50 + i, status: i % 4 === 0 ? { code: 2, message: 'boom' } : undefined,
		attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 100 + i, 'gen_ai.usage.output_tokens': 10 + i },
	});
	return { tid, root, child };
}

/* Sends 60 traces: roots and children in separate requests, some children
 * first (the session arrives with a later span of the trace). */
async function ingest(s) {
	const all = Array.from({ length: 60 }, (_, i) => spansOf(i));
	await postOk(s, '/v1/traces', otlpRequest(all.filter((_, i) => i % 2).map((t) => t.child)));
	await postOk(s, '/v1/traces', otlpRequest(all.map((t) => t.root)));
	await postOk(s, '/v1/traces', otlpRequest(all.filter((_, i) => !(i % 2)).map((t) => t.child)));
	// a trace whose session is named by a late span only
	await postOk(s, '/v1/traces', otlpRequest([otlpSpan({ traceId: all[3].tid, spanId: fixedId(999, 8), parentSpanId: all[3].root.spanId,
		name: 'late', start: addMs(all[3].root.startTimeUnixNano, 20), durationMs: 5, attrs: { 'session.id': 's-late' } })]));
}

async function answers(s) {
	const q = (p) => getJson(s, p);
	const e = encodeURIComponent;
	const out = {};
	const from = minutesRange(700, -60);
	out.sessions = await q(`/api/sessions?limit=100&${from}`);
	out.sessions3 = [];
	for (let cur = null, n = 0; n < 5; n++) {
		const page = await q(`/api/sessions?limit=3&${from}${cur ? `&cursor=${e(cur)}` : ''}`);
		out.sessions3.push(page);
		if (!(cur = page.next_cursor)) break;
	}
	out.users = await q(`/api/users?limit=100&${from}`);
	for (const id of [...SESSIONS, 's-late', 'nobody']) {
		const r = await request(s, 'GET', `/api/sessions/${e(id)}?${from}`);
		out[`session ${id}`] = [r.status, r.json];
		out[`traces session ${id}`] = await q(`/api/traces?limit=100&session_id=${e(id)}&${from}`);
	}
	for (const id of [...USERS, 'nobody']) {
		const r = await request(s, 'GET', `/api/users/${e(id)}?${from}`);
		out[`user ${id}`] = [r.status, r.json];
		out[`traces user ${id}`] = await q(`/api/traces?limit=100&user_id=${e(id)}&${from}`);
		out[`traces user+session ${id}`] = await q(`/api/traces?limit=100&user_id=${e(id)}&session_id=s-alpha&${from}`);
	}
	out.traces = await q(`/api/traces?limit=100&${from}`);
	out.summary = await q(`/api/metrics/summary?${from}&session_id=s-beta`);
	out.summaryUser = await q(`/api/metrics/summary?${from}&user_id=u-2`);
	out.series = await q(`/api/metrics/timeseries?${from}&user_id=u-1`);
	out.exportJson = (await request(s, 'GET', `/api/export/traces?format=jsonl&${from}&session_id=s-alpha`)).text;
	out.exportCsv = (await request(s, 'GET', `/api/export/traces?format=csv&${from}`)).text;
	out.trace = await q(`/api/traces/${spansOf(3).tid}`);
	return out;
}

test('session and user ids answer as the texts did, fresh and migrated; deleted with the last trace', async () => {
	const oldDir = tempDataDir('people-old');
	server = await startServer({ label: 'people-ids-old', dataDir: oldDir, bin: OLD });
	await ingest(server);
	const before = await answers(server);
	await server.stop();
	server = null;
	assert.ok(before.sessions.items.length >= 6, JSON.stringify(before.sessions).slice(0, 300));

	server = await startServer({ label: 'people-ids-new' });
	await ingest(server);
	assert.deepEqual(await answers(server), before, 'a fresh store answers as before');
	await server.stop();

	server = await startServer({ label: 'people-ids-migrated', dataDir: oldDir });
	assert.equal(storeSql(oldDir, "SELECT count(*) FROM pragma_table_info('traces') WHERE name IN ('session_id', 'user_id');").trim(), '0');
	assert.equal(storeSql(oldDir, 'SELECT count(*) FROM people;').trim(), String(SESSIONS.length + 1 + USERS.length));
	assert.deepEqual(await answers(server), before, 'the migrated store answers as before');

	// forgetting a user: their id goes, and the sessions only they had
	const uSessions = storeSql(oldDir, "SELECT DISTINCT p.value FROM traces t JOIN people p ON p.id = t.session_sid"
		+ " WHERE t.user_sid = (SELECT id FROM people WHERE value = 'u-2') AND NOT EXISTS (SELECT 1 FROM traces o"
		+ " WHERE o.session_sid = t.session_sid AND o.user_sid IS NOT (SELECT id FROM people WHERE value = 'u-2'));").trim();
	const r = await request(server, 'DELETE', '/api/traces?user_id=u-2');
	assert.equal(r.status, 200, r.text);
	assert.equal(storeSql(oldDir, "SELECT count(*) FROM people WHERE value = 'u-2';").trim(), '0');
	for (const sid of uSessions.split('\n').filter(Boolean))
		assert.equal(storeSql(oldDir, `SELECT count(*) FROM people WHERE value = '${sid}';`).trim(), '0', sid);
	assert.equal(storeSql(oldDir, "SELECT count(*) FROM people WHERE value = 'u-1';").trim(), '1');
	assert.equal((await getJson(server, '/api/traces?user_id=u-2')).items.length, 0);

	// a new trace of the forgotten user gets a new id (the writer's cache forgot the old one)
	const t = spansOf(3);   // u-2
	t.root.traceId = t.child.traceId = fixedId(0xdef, 16);
	await postOk(server, '/v1/traces', otlpRequest([t.root]));
	const row = storeSql(oldDir, `SELECT p.value FROM traces t JOIN people p ON p.id = t.user_sid WHERE t.trace_id = x'${fixedId(0xdef, 16)}';`).trim();
	assert.equal(row, 'u-2');
	await server.stop();
	server = null;
});
