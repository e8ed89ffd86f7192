// logs_retry.test.mjs: a retried OTLP log export is stored once (schema/020,
// src/store/logstore.c). The OpenTelemetry JS exporters (HTTP protobuf,
// HTTP JSON, gRPC) send the same records again, as they do when an answer
// is lost; records without a time of their own, or sent to another
// project, are kept; the duplicates are counted in /metrics; a store
// written before the migration gets the digests of its records.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as HttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { get, getJson, keyValues, post, query, startServer, tempDataDir } from './helpers.mjs';
import { sdkRecords } from './logs_sdk.mjs';

/* A server stopped when test t ends. */
async function start(t, opts) {
	const s = await startServer(opts);
	t.after(() => s.stop().catch(() => {}));
	return s;
}
const sqlite = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db')], { input: sql, encoding: 'utf8' });

const exportOnce = (exporter, recs) => new Promise((resolve) => exporter.export(recs, resolve));

const logsOf = async (server, params) => {
	const out = [];
	let cursor;
	for (;;) {
		const body = await getJson(server, `/api/logs${query({ ...params, limit: 1000, cursor })}`);
		out.push(...body.logs);
		if (!body.next_cursor) return out;
		cursor = body.next_cursor;
	}
};
const bodies = (logs) => logs.map((l) => l.body).sort();
const duplicates = async (server) =>
	Number(/^tracelite_log_records_duplicate_total (\d+)$/m.exec((await get(server, '/metrics')).text)?.[1]);
const logsRequest = (records, resource = { 'service.name': 'json-svc' }) => ({
	resourceLogs: [{ resource: { attributes: keyValues(resource) }, scopeLogs: [{ scope: { name: 'raw' }, logRecords: records }] }],
});

describe('a retried log export is stored once', () => {
	test('the SDK exporters send the same records twice: each is stored once', async (t) => {
		const server = await start(t, { label: 'logs-retry', grpc: true });
		assert.equal(await duplicates(server), 0, 'the counter is there from the start');
		let expected = 0;
		for (const [name, make] of [
			['HTTP protobuf', () => new ProtoLogExporter({ url: `${server.url}/v1/logs` })],
			['HTTP JSON', () => new HttpLogExporter({ url: `${server.url}/v1/logs` })],
			['gRPC', () => new GrpcLogExporter({ url: server.grpcUrl })],
		]) {
			const recs = await sdkRecords((logger) => {
				for (let i = 0; i < 5; i++) logger.emit({ severityNumber: SeverityNumber.INFO, body: `${name} record ${i}`, attributes: { i } });
			}, 'retry-svc', 'retry-test');
			const exporter = make();
			for (let attempt = 0; attempt < 3; attempt++) {
				const r = await exportOnce(exporter, recs);
				assert.equal(r.code, 0, `${name} attempt ${attempt}: ${r.error}`);
			}
			await exporter.shutdown();
			const stored = (await logsOf(server, { service: 'retry-svc' })).filter((l) => l.body.startsWith(name));
			assert.deepEqual(bodies(stored), [0, 1, 2, 3, 4].map((i) => `${name} record ${i}`), `${name}: once each`);
			expected += 10;
			assert.equal(await duplicates(server), expected, `${name}: the repeats are counted`);
		}
		assert.equal(sqlite(server.dataDir, 'SELECT count(*) FROM log_chunks WHERE id NOT IN (SELECT chunk FROM logs);').trim(), '0',
			'a retried export leaves no chunk behind');
	});

	test('what is not a repeat is kept: no time of its own, another project, a new record next to repeats', async (t) => {
		const server = await start(t, { label: 'logs-retry-keep' });
		const when = `${BigInt(Date.now() - 60000) * 1000000n}`;
		const untimed = logsRequest([{ body: { stringValue: 'untimed' }, severityNumber: 9 }]);
		await post(server, '/v1/logs', untimed);
		await post(server, '/v1/logs', untimed);
		assert.equal((await logsOf(server, {})).filter((l) => l.body === 'untimed').length, 2,
			'two records without a time may be two events: both kept');

		const timed = logsRequest([{ body: { stringValue: 'timed' }, timeUnixNano: when, severityNumber: 9 }]);
		for (const project of ['default', 'default', 'other']) {
			const r = await post(server, '/v1/logs', timed, { 'x-project-id': project });
			assert.equal(r.status, 200, r.text);
		}
		const timedLogs = (await logsOf(server, {})).filter((l) => l.body === 'timed');
		assert.deepEqual(timedLogs.map((l) => l.project).sort(), ['default', 'other'], 'once per project');

		// one request: the stored record again, a new one, and the new one twice
		const mixed = logsRequest([
			{ body: { stringValue: 'timed' }, timeUnixNano: when, severityNumber: 9 },
			{ body: { stringValue: 'fresh' }, timeUnixNano: when, severityNumber: 9 },
			{ body: { stringValue: 'fresh' }, timeUnixNano: when, severityNumber: 9 },
			{ body: { stringValue: 'fresh' }, timeUnixNano: when, severityNumber: 10 },
		]);
		assert.equal((await post(server, '/v1/logs', mixed)).status, 200);
		const all = await logsOf(server, { project: 'default' });
		assert.deepEqual(all.filter((l) => l.body === 'fresh').map((l) => l.severity_number).sort(), [10, 9].sort(),
			'the same record twice in one request is stored once; a record differing in one field is another');
		assert.equal(all.filter((l) => l.body === 'timed').length, 1);
		assert.equal(await duplicates(server), 3);
	});

	test('a store written before migration 020 gets digests: a retry of an old record is not stored again', async (t) => {
		const dir = tempDataDir('logs-retry-upgrade');
		const base = BigInt(Date.now() - 60000) * 1000000n;
		const rec = (i) => ({ body: { stringValue: `old ${i}` }, timeUnixNano: `${base + BigInt(i)}`, severityNumber: 9 });
		let s = await startServer({ label: 'logs-retry-old', dataDir: dir });
		await post(s, '/v1/logs', logsRequest([rec(0), rec(1), { body: { stringValue: 'old untimed' } }]));
		await s.stop();
		// back to the pre-020 form, with a record stored twice as the old binary did
		sqlite(dir, `DROP INDEX logs_digest; ALTER TABLE logs DROP COLUMN digest;
			INSERT INTO logs (time_ns, project, service, severity, trace_id, span_id, chunk, chunk_index)
				SELECT time_ns, project, service, severity, trace_id, span_id, chunk, chunk_index FROM logs WHERE chunk_index = 1;
			DELETE FROM schema_migrations WHERE number = 20;
			PRAGMA user_version = ${Number(sqlite(dir, 'PRAGMA user_version;')) - 1};`);
		s = await start(t, { label: 'logs-retry-new', dataDir: dir });
		assert.deepEqual(bodies(await logsOf(s, {})), ['old 0', 'old 1', 'old 1', 'old untimed'], 'every old row is kept');
		assert.equal(sqlite(dir, 'SELECT count(*) FROM logs WHERE digest IS NOT NULL;').trim(), '2',
			'the two timed records got a digest; the older copy of a repeat and the untimed record none');
		await post(s, '/v1/logs', logsRequest([rec(0), rec(1), rec(2)]));
		assert.deepEqual(bodies(await logsOf(s, {})), ['old 0', 'old 1', 'old 1', 'old 2', 'old untimed']);
		assert.equal(await duplicates(s), 2);
	});
});
