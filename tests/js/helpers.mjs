// helpers.mjs: what every black-box test shares: start the real tracelite
// binary on a free loopback port with a fresh data directory, wait for
// /api/health, stop it (SIGTERM must exit 0, and its stderr must hold no
// sanitizer report), HTTP helpers that never hide a status, OTLP request
// builders with a tiny protobuf codec, and nanosecond time arithmetic.
import { after } from 'node:test';
import { execFileSync, execSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = path.resolve(REPO, process.env.TRACELITE_BIN || './tracelite');
export const ARTIFACTS = path.resolve(REPO, 'tests/artifacts',
	process.env.TRACELITE_ARTIFACTS || 'js');
/* Set by tests/run.sh for the sanitizer pass: tests scale their loads down. */
export const SANITIZED = process.env.TRACELITE_SANITIZED === '1';
export const DEFAULT_PROJECT_ID = '00000000-0000-0000-0000-000000000001';

const SANITIZER_REPORT = /ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer/;

/* ---------- server lifecycle ---------- */

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.unref();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/* A free loopback port below the kernel's ephemeral range, for a server
 * that is stopped and started again on the same port (the replication
 * targets, targets.mjs): freePort's ports and every outgoing connection's
 * come from that range, so none of them can take it meanwhile. */
export async function stablePort() {
	let low = 32768;
	try {
		low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
	} catch { /* not Linux: the usual bound */ }
	const from = Math.min(20000, low - 2000);
	for (let attempt = 0; attempt < 100; attempt++) {
		const port = from + crypto.randomInt(low - from);
		const ok = await new Promise((resolve) => {
			const s = net.createServer();
			s.unref();
			s.on('error', () => resolve(false));
			s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
		});
		if (ok) return port;
	}
	throw new Error(`no free port in ${from}..${low - 1}`);
}

export function tempDataDir(label) {
	return fs.mkdtempSync(path.join(os.tmpdir(), `tracelite-${label}-`));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

/* A running server. log holds its stdout and stderr (one file, kept under
 * tests/artifacts/ for after-the-fact reading). */
class Server {
	constructor({ label, dataDir, port, proc, logPath, ca }) {
		Object.assign(this, { label, dataDir, port, proc, logPath, ca });
		this.url = `${ca ? 'https' : 'http'}://127.0.0.1:${port}`;
		this.exit = new Promise((resolve) => {
			proc.on('exit', (code, signal) => resolve({ code, signal }));
		});
	}

	log() {
		try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
	}

	/* Throws with the report's first lines when the log holds a sanitizer report. */
	checkSanitizer() {
		const log = this.log();
		const m = SANITIZER_REPORT.exec(log);
		if (m) {
			const excerpt = log.slice(Math.max(0, m.index - 200), m.index + 3000);
			throw new Error(`sanitizer report in ${this.logPath}:\n${excerpt}`);
		}
	}

	/* SIGTERM; the server must exit with status 0 within the timeout. */
	async stop(timeoutMs = 30000) {
		if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
		let timer;
		const timeout = new Promise((r) => { timer = setTimeout(r, timeoutMs, 'timeout'); });
		const res = await Promise.race([this.exit, timeout]);
		clearTimeout(timer);
		if (res === 'timeout') {
			this.proc.kill('SIGKILL');
			await this.exit;
			throw new Error(`server did not exit within ${timeoutMs} ms of SIGTERM; log ${this.logPath}`);
		}
		this.checkSanitizer();
		if (res.code !== 0) {
			throw new Error(`server exited with code ${res.code} signal ${res.signal} after SIGTERM; ` +
				`log tail:\n${this.log().slice(-2000)}`);
		}
	}

	/* kill -9: no chance to flush anything. */
	async kill9() {
		this.proc.kill('SIGKILL');
		await this.exit;
		this.checkSanitizer();
	}
}

/* Starts BIN serve on a free port; resolves once /api/health answers 200.
 * dataDir: reuse one (restart) or omit for a fresh temp directory. grpc:
 * also listen for OTLP/gRPC on a second free port (server.grpcPort,
 * server.grpcUrl); otherwise --grpc-listen off, so parallel servers do not
 * compete for 4317. ca: the server serves HTTPS (TLS settings in env) with
 * a certificate this CA signed; requests trust only it. bin: another
 * binary than BIN (an older build writing a store to upgrade). */
export async function startServer({ label = 'test', dataDir, env = {}, timeoutMs = 30000, grpc = false, ca, bin = BIN } = {}) {
	if (!fs.existsSync(bin)) throw new Error(`no server binary at ${bin} (set TRACELITE_BIN or run make)`);
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	dataDir = dataDir || tempDataDir(label);
	let lastError;
	for (let attempt = 0; attempt < 3; attempt++) {   // the free port can be taken meanwhile
		const port = await freePort();
		const grpcPort = grpc ? await freePort() : null;
		const logPath = path.join(ARTIFACTS, `${label}-${port}-${Date.now()}.log`);
		const fd = fs.openSync(logPath, 'a');
		const grpcArgs = ['--grpc-listen', grpc ? `127.0.0.1:${grpcPort}` : 'off'];
		const proc = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, ...grpcArgs, '--data', dataDir], {
			stdio: ['ignore', fd, fd],
			env: { ...process.env, ...env },
		});
		fs.closeSync(fd);
		const server = new Server({ label, dataDir, port, proc, logPath, ca });
		if (grpc) {
			server.grpcPort = grpcPort;
			server.grpcUrl = `http://127.0.0.1:${grpcPort}`;
		}
		try {
			await waitHealthy(server, timeoutMs);
			return server;
		} catch (e) {
			lastError = e;
			if (proc.exitCode === null && proc.signalCode === null) {
				proc.kill('SIGKILL');
				await server.exit;
				throw e;
			}
		}
	}
	throw lastError;
}

/* The servers a test file starts and stops by turns: start(opts) is
 * startServer, stop(s, kill) stops one (kill: SIGKILL), and those still
 * running are stopped after the file's tests. Call it at the file's top. */
export function serverSet() {
	const servers = [];
	after(async () => { await Promise.all(servers.map((s) => s.stop().catch(() => {}))); });
	return {
		async start(opts) {
			const s = await startServer(opts);
			servers.push(s);
			return s;
		},
		async stop(s, kill) {
			if (kill) await s.kill9();
			else await s.stop();
			servers.splice(servers.indexOf(s), 1);
		},
	};
}

async function waitHealthy(server, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	let exited = null;
	server.exit.then((r) => { exited = r; });
	while (Date.now() < deadline) {
		if (exited) {
			throw new Error(`server exited early (code ${exited.code}, signal ${exited.signal}); ` +
				`log:\n${server.log().slice(-2000)}`);
		}
		try {
			// answered by this server: it has said it serves (the free port
			// can be taken by another test file's server meanwhile)
			const r = await request(server, 'GET', '/api/health', { timeoutMs: 2000 });
			if (r.status === 200 && server.log().includes('serving on')) return;
		} catch { /* not listening yet */ }
		await sleep(50);
	}
	throw new Error(`server not healthy after ${timeoutMs} ms; log:\n${server.log().slice(-2000)}`);
}

/* ---------- HTTP ---------- */

/* One HTTP request with node:http, on its own connection (keep-alive is
 * tested on purpose, see sameConnection; a shared pool would blame the next
 * test for a connection the previous one broke). body: Buffer | string | object (sent as
 * JSON) | { chunks: [Buffer...] } (sent chunked, no Content-Length).
 * Resolves { status, headers, body: Buffer, text, json } as soon as the
 * response is complete, even if the server stopped reading the upload. */
export function request(server, method, urlPath, { headers = {}, body, timeoutMs = 60000 } = {}) {
	let payload = body;
	let chunks = null;
	headers = { ...headers };
	if (body && body.chunks) {
		chunks = body.chunks;
		payload = null;
	} else if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string') {
		payload = JSON.stringify(body);
		headers['content-type'] ??= 'application/json';
	}
	if (payload != null) headers['content-length'] = Buffer.byteLength(payload);
	return new Promise((resolve, reject) => {
		let responded = false;
		const client = server.ca ? https : http;
		const tls = server.ca ? { ca: server.ca } : {};
		const req = client.request(`${server.url}${urlPath}`, { method, headers, timeout: timeoutMs, agent: false, ...tls }, (res) => {
			responded = true;
			const parts = [];
			res.on('data', (c) => parts.push(c));
			res.on('error', reject);
			res.on('end', () => {
				const buf = Buffer.concat(parts);
				const text = buf.toString('utf8');
				let json;
				try { json = JSON.parse(text); } catch { json = undefined; }
				resolve({ status: res.statusCode, headers: res.headers, body: buf, text, json });
			});
		});
		req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out after ${timeoutMs} ms`)));
		req.on('error', (e) => {
			// A server that answers early (413) may close before the upload ends.
			if (!responded) reject(e);
		});
		if (chunks) {
			writeChunks(req, chunks);
		} else {
			req.end(payload ?? undefined);
		}
	});
}

/* Writes chunks to a request stream (node:http or node:http2) one by one,
 * waiting for drain, then ends it; write errors are the caller's to see. */
export function writeChunks(req, chunks) {
	(async () => {
		for (const c of chunks) {
			if (!req.write(c)) await new Promise((r) => req.once('drain', r));
		}
		req.end();
	})().catch(() => {});
}

/* Sends raw HTTP/1.1 requests one after another on one TCP connection,
 * each after the previous answer, as a keep-alive client does. Returns one
 * entry per request: { status, headers } or { closed: true } when the
 * server closed the connection instead of answering. Responses must be
 * sized (Content-Length). */
export function sameConnection(server, rawRequests, timeoutMs = 10000) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(server.port, '127.0.0.1');
		const results = [];
		let buf = Buffer.alloc(0);
		const timer = setTimeout(() => { sock.destroy(); reject(new Error('sameConnection: timed out')); }, timeoutMs);
		const finish = () => { clearTimeout(timer); sock.destroy(); resolve(results); };
		const sendNext = () => {
			if (results.length === rawRequests.length) return finish();
			sock.write(rawRequests[results.length]);
		};
		const parse = () => {
			const end = buf.indexOf('\r\n\r\n');
			if (end < 0) return;
			const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
			const headers = Object.fromEntries(lines.map((l) => {
				const i = l.indexOf(':');
				return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
			}));
			const len = Number(headers['content-length'] ?? NaN);
			if (Number.isNaN(len)) { clearTimeout(timer); sock.destroy(); return reject(new Error(`unsized response: ${statusLine}`)); }
			if (buf.length < end + 4 + len) return;
			buf = buf.subarray(end + 4 + len);
			results.push({ status: Number(statusLine.split(' ')[1]), headers });
			sendNext();
		};
		sock.on('connect', sendNext);
		sock.on('data', (d) => { buf = Buffer.concat([buf, d]); parse(); });
		sock.on('error', () => {});
		sock.on('close', () => {
			while (results.length < rawRequests.length) results.push({ closed: true });
			finish();
		});
	});
}

export const get = (server, urlPath, opts) => request(server, 'GET', urlPath, opts);
export const post = (server, urlPath, body, headers = {}) =>
	request(server, 'POST', urlPath, { body, headers });

/* GET that must answer 200 with JSON; returns the parsed body. */
export async function getJson(server, urlPath) {
	const r = await get(server, urlPath);
	if (r.status !== 200 || r.json === undefined) {
		throw new Error(`GET ${urlPath}: expected 200 JSON, got ${r.status}: ${r.text.slice(0, 500)}`);
	}
	return r.json;
}

/* The tracelite binary of an earlier commit of this repository, built once
 * into build/old-COMMIT/ from `git archive` (the npm files linked, not
 * installed again) and kept there; TRACELITE_OLD_BIN overrides. Tests that
 * prove a change answers as the previous binary did, or converts a store it
 * wrote, use it; throws if the commit cannot be built. */
export function oldBinary(commit) {
	if (process.env.TRACELITE_OLD_BIN) return path.resolve(process.env.TRACELITE_OLD_BIN);
	const dir = path.join(REPO, 'build', `old-${commit}`);
	const bin = path.join(dir, 'tracelite');
	if (fs.existsSync(bin)) return bin;
	const tmp = `${dir}.tmp-${process.pid}`;
	fs.rmSync(tmp, { recursive: true, force: true });
	fs.mkdirSync(tmp, { recursive: true });
	execSync(`git -C ${JSON.stringify(REPO)} archive ${commit} | tar -x -C ${JSON.stringify(tmp)}`, { stdio: 'inherit' });
	fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(tmp, 'node_modules'));
	execSync('make -s tracelite', { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
	try {
		fs.renameSync(tmp, dir);
	} catch (e) {   /* another test built it meanwhile */
		if (!fs.existsSync(bin)) throw e;
		fs.rmSync(tmp, { recursive: true, force: true });
	}
	return bin;
}

/* The dictionary ids named by the zstd frames of the span chunks of the
 * store in dir, in chunk id order (0 = none); throws on a chunk that is not
 * a frame. */
export function chunkDictIds(dir) {
	const rows = execFileSync('sqlite3', [path.join(dir, 'tracelite.db'), 'SELECT hex(substr(data, 1, 15)) FROM chunks ORDER BY id;'],
		{ encoding: 'utf8' }).trim().split('\n');
	return rows.map((h) => {
		let b = Buffer.from(h, 'hex');
		if (b[0] === 0x02) b = b.subarray(1);   // chunk format 2 (record.h): one byte before the frame
		if (b.readUInt32LE(0) !== 0xFD2FB528) throw new Error(`not a zstd frame: ${h}`);
		const fhd = b[4];
		const p = 5 + (fhd & 0x20 ? 0 : 1);   // window descriptor unless single segment
		const size = [0, 1, 2, 4][fhd & 3];
		return size === 0 ? 0 : size === 1 ? b[p] : size === 2 ? b.readUInt16LE(p) : b.readUInt32LE(p);
	});
}

/* Waits until the search indexer has caught up (nothing pending); returns
 * the health answer's "search" object. */
export async function waitIndexed(server, tries = 600) {
	for (let i = 0; i < tries; i++) {
		const h = await getJson(server, '/api/health');
		if (h.search.pending_chunks === 0 && h.search.pending_spans === 0) return h.search;
		await sleep(50);
	}
	throw new Error('indexer did not catch up');
}

/* POST JSON that must answer 200; returns the response. */
export async function postOk(server, urlPath, body, headers = {}) {
	const r = await post(server, urlPath, body, headers);
	if (r.status !== 200) {
		throw new Error(`POST ${urlPath}: expected 200, got ${r.status}: ${r.text.slice(0, 500)}`);
	}
	return r;
}

export const query = (params) => {
	const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined)).toString();
	return q ? `?${q}` : '';
};

/* Every trace of the list for params, following next_cursor to the end. */
export async function listAllTraces(server, params = {}, pageSize = 100) {
	const items = [];
	let cursor;
	for (let page = 0; page < 10000; page++) {
		const body = await getJson(server, `/api/traces${query({ ...params, limit: pageSize, cursor })}`);
		items.push(...body.items);
		if (!body.next_cursor) return items;
		cursor = body.next_cursor;
	}
	throw new Error('listAllTraces: cursor never ended');
}

/* ---------- ids and times ---------- */

export const hexId = (bytes) => crypto.randomBytes(bytes).toString('hex');
export const traceId = () => hexId(16);
export const spanId = () => hexId(8);

/* Nanoseconds since the epoch as a decimal string, `ms` milliseconds from now. */
export function nanosFromNow(ms = 0) {
	return (BigInt(Date.now() + Math.trunc(ms)) * 1000000n + BigInt(crypto.randomInt(1000000))).toString();
}
export const addMs = (nanos, ms) => (BigInt(nanos) + BigInt(Math.round(ms * 1e6))).toString();
export const hrTimeToNanos = ([s, ns]) => (BigInt(s) * 1000000000n + BigInt(ns)).toString();
/* ISO-8601 UTC with milliseconds, truncated, as the API prints times. */
export const nanosToIso = (nanos) => new Date(Number(BigInt(nanos) / 1000000n)).toISOString();

/* Fixed ids and times, so that two servers (an old binary and this one)
 * fed the same spans store the same: n as a hex id of `bytes` bytes;
 * times whole minutes before the minute this module loaded, as OTLP
 * nanoseconds; and a from/to query over such minutes (a default end of
 * "now" would move between two servers' answers). */
export const fixedId = (n, bytes) => n.toString(16).padStart(bytes * 2, '0');
const MINUTE_NOW = BigInt(nanosFromNow(0)) / 60000000000n * 60000000000n;
export const minutesAgo = (m) => (MINUTE_NOW - BigInt(m) * 60000000000n).toString();
export const minutesRange = (fromMinutesAgo, toMinutesAgo) =>
	`from=${encodeURIComponent(nanosToIso(minutesAgo(fromMinutesAgo)))}&to=${encodeURIComponent(nanosToIso(minutesAgo(toMinutesAgo)))}`;
/* Runs sql with the sqlite3 shell on the store in dir; its output. */
export const storeSql = (dir, sql) => execFileSync('sqlite3', [path.join(dir, 'tracelite.db'), sql], { encoding: 'utf8' });
/* Runs sql with `tracelite sql` (the spans virtual table included, which
 * the sqlite3 shell lacks since schema/033), read only unless write; its
 * output, trimmed. */
export const tlSql = (dir, sql, write = false) => execFileSync(BIN, ['sql', '--data', dir, ...(write ? ['--write'] : [])],
	{ input: sql, encoding: 'utf8' }).trim();

/* Turns this binary's store in dir back into the form before schema/033
 * (for tests of older migrations that make such stores from new ones):
 * the span rows out of their chunks' blobs into the table schema/031 made,
 * with schema/032's triggers and schema/023's tables, each statement read
 * from its migration file. */
export function undo033(dir) {
	const read = (f) => fs.readFileSync(path.join(REPO, 'schema', f), 'utf8').replace(/--[^\n]*/g, '');
	const create = read('031_compact_spans.sql').match(/CREATE TABLE spans_031 \([\s\S]*?\) WITHOUT ROWID;/)[0];
	const cols = 'trace, span_id, parent_span_id, project, name, service, flags, start_ns, dur, status, status_message, model,'
		+ ' provider, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, resource, scope, chunk, chunk_index';
	const v = Number(storeSql(dir, 'PRAGMA user_version;').trim());
	const t023 = read('023_chunk_traces.sql');
	tlSql(dir, `BEGIN; ${create} INSERT INTO spans_031 (${cols}) SELECT ${cols} FROM spans ORDER BY trace, span_id;
		DROP TABLE chunk_spans; DROP TABLE trace_chunks; ALTER TABLE spans_031 RENAME TO spans;
		${read('032_span_id_prefixes.sql').match(/CREATE TRIGGER[\s\S]*?END;/g).join('\n')}
		${t023.match(/CREATE TABLE[\s\S]*?;/g).join('\n')} ${t023.match(/CREATE TRIGGER[\s\S]*?END;/)[0]}
		DELETE FROM schema_migrations WHERE number = 33; PRAGMA user_version = ${v - 1}; COMMIT;`, true);
}

/* ---------- OTLP JSON requests ---------- */

/* The OTLP JSON AnyValue for a JS value (ints as strings, the canonical
 * proto3 JSON mapping; non-integers as doubles). */
export function anyValue(v) {
	if (typeof v === 'string') return { stringValue: v };
	if (typeof v === 'boolean') return { boolValue: v };
	if (typeof v === 'bigint') return { intValue: v.toString() };
	if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
	if (Buffer.isBuffer(v)) return { bytesValue: v.toString('base64') };
	if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
	if (v && typeof v === 'object') return { kvlistValue: { values: keyValues(v) } };
	throw new Error(`anyValue: unsupported ${typeof v}`);
}
export const keyValues = (obj = {}) => Object.entries(obj).map(([key, v]) => ({ key, value: anyValue(v) }));

/* A span in OTLP JSON. Times default to now; attrs is a plain object. */
export function otlpSpan({ traceId: tid, spanId: sid = spanId(), parentSpanId, name = 'span', kind = 1,
	start = nanosFromNow(-1000), durationMs = 100, end, attrs = {}, events, links, status } = {}) {
	const s = {
		traceId: tid, spanId: sid, name, kind,
		startTimeUnixNano: start, endTimeUnixNano: end ?? addMs(start, durationMs),
		attributes: keyValues(attrs),
	};
	if (parentSpanId) s.parentSpanId = parentSpanId;
	if (events) s.events = events.map((e) => ({ name: e.name, timeUnixNano: e.time, attributes: keyValues(e.attrs) }));
	if (links) s.links = links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: keyValues(l.attrs) }));
	if (status) s.status = status;
	return s;
}

/* An ExportTraceServiceRequest holding spans under one resource and scope. */
export function otlpRequest(spans, { resource = { 'service.name': 'test-svc' }, scope = { name: 'tests', version: '1' } } = {}) {
	return {
		resourceSpans: [{
			resource: { attributes: keyValues(resource) },
			scopeSpans: [{ scope, spans }],
		}],
	};
}

/* ---------- protobuf ---------- */

/* Field tables for the OTLP messages the tests send: json name -> [number,
 * type, message table for 'msg', repeated]. Ids are hex in JSON and bytes
 * on the wire, bytesValue is base64, times are fixed64. */
const PB = {};
Object.assign(PB, {
	Request: { resourceSpans: [1, 'msg', 'ResourceSpans', true] },
	ResourceSpans: { resource: [1, 'msg', 'Resource'], scopeSpans: [2, 'msg', 'ScopeSpans', true], schemaUrl: [3, 'string'] },
	Resource: { attributes: [1, 'msg', 'KeyValue', true] },
	ScopeSpans: { scope: [1, 'msg', 'Scope'], spans: [2, 'msg', 'Span', true], schemaUrl: [3, 'string'] },
	Scope: { name: [1, 'string'], version: [2, 'string'], attributes: [3, 'msg', 'KeyValue', true] },
	Span: {
		traceId: [1, 'hex'], spanId: [2, 'hex'], traceState: [3, 'string'], parentSpanId: [4, 'hex'],
		name: [5, 'string'], kind: [6, 'varint'], startTimeUnixNano: [7, 'fixed64'], endTimeUnixNano: [8, 'fixed64'],
		attributes: [9, 'msg', 'KeyValue', true], events: [11, 'msg', 'Event', true],
		links: [13, 'msg', 'Link', true], status: [15, 'msg', 'Status'], flags: [16, 'fixed32'],
	},
	Event: { timeUnixNano: [1, 'fixed64'], name: [2, 'string'], attributes: [3, 'msg', 'KeyValue', true] },
	Link: { traceId: [1, 'hex'], spanId: [2, 'hex'], traceState: [3, 'string'], attributes: [4, 'msg', 'KeyValue', true] },
	Status: { message: [2, 'string'], code: [3, 'varint'] },
	KeyValue: { key: [1, 'string'], value: [2, 'msg', 'AnyValue'] },
	AnyValue: {
		stringValue: [1, 'string'], boolValue: [2, 'varint'], intValue: [3, 'varint'], doubleValue: [4, 'double'],
		arrayValue: [5, 'msg', 'ArrayValue'], kvlistValue: [6, 'msg', 'KeyValueList'], bytesValue: [7, 'base64'],
	},
	ArrayValue: { values: [1, 'msg', 'AnyValue', true] },
	KeyValueList: { values: [1, 'msg', 'KeyValue', true] },
});

function varint(n) {
	let v = BigInt.asUintN(64, BigInt(n));
	const out = [];
	do {
		let b = Number(v & 0x7fn);
		v >>= 7n;
		if (v) b |= 0x80;
		out.push(b);
	} while (v);
	return Buffer.from(out);
}

function encodeField(num, type, value, table) {
	const tag = (wire) => varint((num << 3) | wire);
	const lenDelimited = (buf) => Buffer.concat([tag(2), varint(buf.length), buf]);
	switch (type) {
	case 'varint': return Buffer.concat([tag(0), varint(typeof value === 'boolean' ? Number(value) : value)]);
	case 'fixed64': { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(value)); return Buffer.concat([tag(1), b]); }
	case 'double': { const b = Buffer.alloc(8); b.writeDoubleLE(value); return Buffer.concat([tag(1), b]); }
	case 'fixed32': { const b = Buffer.alloc(4); b.writeUInt32LE(value); return Buffer.concat([tag(5), b]); }
	case 'string': return lenDelimited(Buffer.from(value, 'utf8'));
	case 'hex': return lenDelimited(Buffer.from(value, 'hex'));
	case 'base64': return lenDelimited(Buffer.from(value, 'base64'));
	case 'msg': return lenDelimited(encodeMessage(value, table));
	default: throw new Error(`encodeField: ${type}`);
	}
}

function encodeMessage(obj, tableName) {
	const table = PB[tableName];
	const parts = [];
	for (const [key, value] of Object.entries(obj)) {
		const spec = table[key];
		if (!spec) throw new Error(`protobuf encoder: no field ${tableName}.${key}`);
		const [num, type, sub, repeated] = spec;
		for (const v of repeated ? value : [value]) parts.push(encodeField(num, type, v, sub));
	}
	return Buffer.concat(parts);
}

/* The protobuf encoding of an OTLP JSON ExportTraceServiceRequest. */
export const otlpToProtobuf = (req) => encodeMessage(req, 'Request');

/* Decodes one protobuf message into { fieldNumber: [values] } (varints as
 * BigInt, length-delimited as Buffer). Throws on malformed input. */
export function decodeProtoFields(buf) {
	const fields = {};
	let i = 0;
	const readVarint = () => {
		let v = 0n;
		for (let shift = 0n; ; shift += 7n) {
			if (i >= buf.length) throw new Error('truncated varint');
			const b = buf[i++];
			v |= BigInt(b & 0x7f) << shift;
			if (!(b & 0x80)) return v;
		}
	};
	while (i < buf.length) {
		const key = readVarint();
		const num = Number(key >> 3n);
		const wire = Number(key & 7n);
		let v;
		if (wire === 0) v = readVarint();
		else if (wire === 2) { const n = Number(readVarint()); v = buf.subarray(i, i + n); i += n; }
		else if (wire === 1) { v = buf.subarray(i, i + 8); i += 8; }
		else if (wire === 5) { v = buf.subarray(i, i + 4); i += 4; }
		else throw new Error(`wire type ${wire}`);
		if (i > buf.length) throw new Error('truncated field');
		(fields[num] ||= []).push(v);
	}
	return fields;
}

/* ---------- comparing ---------- */

/* The API's ISO time for a span must be the ms-truncated nanos. */
export const isIsoMs = (s) => typeof s === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(s);

/* OTLP span kinds by number, and their names; the API may print either. */
const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
export function kindNumber(apiKind) {
	if (typeof apiKind === 'number') return apiKind;
	if (typeof apiKind !== 'string') return undefined;
	const k = apiKind.toLowerCase().replace(/^span_kind_/, '');
	const n = KIND_NAMES.indexOf(k);
	return n >= 0 ? n : undefined;
}
const STATUS_NAMES = ['unset', 'ok', 'error'];
export function statusNumber(apiCode) {
	if (typeof apiCode === 'number') return apiCode;
	if (typeof apiCode !== 'string') return undefined;
	const n = STATUS_NAMES.indexOf(apiCode.toLowerCase().replace(/^status_code_/, ''));
	return n >= 0 ? n : undefined;
}

/* ---------- posting ---------- */

/* POSTs spans as one OTLP JSON request; must answer 200. */
export const postOtlp = (server, spans, { headers = {}, ...opts } = {}) =>
	postOk(server, '/v1/traces', otlpRequest(spans, opts), headers);

/* The array a list endpoint returned, whether bare or under items/scores/projects. */
export function listOf(body) {
	if (Array.isArray(body)) return body;
	for (const k of ['items', 'scores', 'projects', 'spans']) if (Array.isArray(body?.[k])) return body[k];
	throw new Error(`expected a list, got ${JSON.stringify(body).slice(0, 300)}`);
}
