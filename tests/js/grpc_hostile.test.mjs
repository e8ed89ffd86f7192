// grpc_hostile.test.mjs: hostile input on the OTLP/gRPC port, with raw
// bytes (node:net) where node:http2 would refuse to misbehave: a client
// that sends the preface and stalls, frames over the limit, a stream reset
// mid-message, a gzip bomb, length prefixes that lie, HTTP/1.1 sent to the
// gRPC port. Each must end in a clean refusal or close, never a hang, and
// the server must go on serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import {
	BIN, freePort, getJson, otlpRequest, otlpSpan, otlpToProtobuf, sleep, startServer, tempDataDir, traceId,
} from './helpers.mjs';
import { TRACE_PATH, frame, grpcCall } from './grpc_client.mjs';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/* An HTTP/2 frame header + payload. */
function h2frame(type, flags, streamId, payload) {
	const h = Buffer.alloc(9);
	h.writeUIntBE(payload.length, 0, 3);
	h[3] = type;
	h[4] = flags;
	h.writeUInt32BE(streamId, 5);
	return Buffer.concat([h, payload]);
}

/* Opens a raw connection; resolves { sock, data(), closed } where closed
 * resolves with the ms from open to close. */
function raw(port) {
	return new Promise((resolve, reject) => {
		const t0 = Date.now();
		const sock = net.connect(port, '127.0.0.1');
		const parts = [];
		const closed = new Promise((r) => sock.on('close', () => r(Date.now() - t0)));
		sock.on('data', (d) => parts.push(d));
		sock.on('error', () => {});
		sock.once('connect', () => resolve({ sock, data: () => Buffer.concat(parts), closed }));
		sock.once('error', reject);
	});
}

/* The frames in buf as { type, flags, stream, payload }. */
function frames(buf) {
	const out = [];
	for (let i = 0; i + 9 <= buf.length;) {
		const len = buf.readUIntBE(i, 3);
		out.push({ type: buf[i + 3], flags: buf[i + 4], stream: buf.readUInt32BE(i + 5) & 0x7fffffff,
			payload: buf.subarray(i + 9, i + 9 + len) });
		i += 9 + len;
	}
	return out;
}

/* An HPACK integer with an n-bit prefix (RFC 7541 5.1). */
function hpackInt(v, n = 7) {
	const max = (1 << n) - 1;
	if (v < max) return [v];
	const out = [max];
	for (v -= max; v >= 128; v >>= 7) out.push((v & 127) | 128);
	out.push(v);
	return out;
}

/* A header block of literal fields without indexing, no Huffman coding. */
function hpack(headers) {
	const parts = [];
	for (const [k, v] of headers) {
		parts.push(Buffer.from([0, ...hpackInt(k.length)]), Buffer.from(k), Buffer.from(hpackInt(v.length)), Buffer.from(v));
	}
	return Buffer.concat(parts);
}

const validCall = (server) => {
	const tid = traceId();
	return grpcCall(server.grpcUrl, TRACE_PATH, frame(otlpToProtobuf(otlpRequest([otlpSpan({ traceId: tid })]))))
		.then((r) => ({ ...r, tid }));
};

describe('hostile input on the gRPC port', () => {
	let server;
	before(async () => { server = await startServer({ label: 'grpc-hostile', grpc: true }); });
	after(async () => { if (server) await server.stop(); });

	test('a client that sends the preface and stalls (or nothing at all) is dropped; others are served meanwhile',
		{ timeout: 40000 }, async () => {
			const stall = await raw(server.grpcPort);
			stall.sock.write(PREFACE);
			const silent = await raw(server.grpcPort);
			await sleep(500);
			const ok = await validCall(server);
			assert.equal(ok.grpcStatus, 0, 'a good client is served while two stall');
			const [a, b] = await Promise.all([stall.closed, silent.closed]);
			assert.ok(a >= 9000 && a < 25000, `preface-then-stall closed after ${a} ms`);
			assert.ok(b >= 9000 && b < 25000, `silent client closed after ${b} ms`);
		});

	test('a frame over SETTINGS_MAX_FRAME_SIZE gets GOAWAY FRAME_SIZE_ERROR and a close', async () => {
		const c = await raw(server.grpcPort);
		c.sock.write(Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(0)),
			h2frame(1, 0x4, 1, Buffer.alloc(20000))]));
		const ms = await c.closed;
		const goaway = frames(c.data()).find((f) => f.type === 7);
		assert.ok(goaway, `no GOAWAY before the close (${ms} ms)`);
		assert.equal(goaway.payload.readUInt32BE(4), 6, 'FRAME_SIZE_ERROR');
		assert.equal((await validCall(server)).grpcStatus, 0);
	});

	test('a header list over 16 KiB (HEADERS + CONTINUATION) resets the stream; the connection goes on', async () => {
		const block = hpack([[':method', 'POST'], [':scheme', 'http'], [':path', TRACE_PATH], [':authority', 'x'],
			['content-type', 'application/grpc'], ...Array.from({ length: 20 }, (_, i) => [`x-pad-${i}`, 'p'.repeat(1000)])]);
		const c = await raw(server.grpcPort);
		const first = block.subarray(0, 16000), rest = block.subarray(16000);
		c.sock.write(Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(0)), h2frame(1, 0x1, 1, first),
			h2frame(9, 0x4, 1, rest)]));
		await sleep(500);
		const rst = frames(c.data()).find((f) => f.type === 3 && f.stream === 1);
		assert.ok(rst, `no RST_STREAM for the call: frames ${frames(c.data()).map((f) => f.type)}`);
		c.sock.destroy();
		assert.equal((await validCall(server)).grpcStatus, 0);
	});

	test('a message declared over 64 MiB is RESOURCE_EXHAUSTED as soon as its prefix arrives', async () => {
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.alloc(1000), { declared: 65 * 1024 * 1024 }));
		assert.equal(r.grpcStatus, 8);
		assert.match(r.grpcMessage, /exceeds the limit/);
	});

	test('length prefixes that lie are INVALID_ARGUMENT', async () => {
		const short = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.alloc(10), { declared: 1000 }));
		assert.equal(short.grpcStatus, 3);
		assert.match(short.grpcMessage, /stream ended after 10 of the 1000/);
		const long = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.alloc(1000), { declared: 10 }));
		assert.equal(long.grpcStatus, 3);
		assert.match(long.grpcMessage, /exactly one message/);
		const flag = await grpcCall(server.grpcUrl, TRACE_PATH, Buffer.from([7, 0, 0, 0, 0]));
		assert.equal(flag.grpcStatus, 3);
	});

	test('a gzip bomb stops at 64 MiB inflated: RESOURCE_EXHAUSTED', async () => {
		const bomb = zlib.gzipSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 });
		assert.ok(bomb.length < 200 * 1024);
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(bomb, { compressed: true }),
			{ headers: { 'grpc-encoding': 'gzip' } });
		assert.equal(r.grpcStatus, 8);
		assert.match(r.grpcMessage, /64 MiB once decompressed/);
	});

	test('a stream reset mid-message stores nothing and the connection goes on', async () => {
		const session = http2.connect(server.grpcUrl);
		const tid = traceId();
		const body = frame(otlpToProtobuf(otlpRequest([otlpSpan({ traceId: tid, attrs: { p: 'x'.repeat(100000) } })])));
		const req = session.request({ ':method': 'POST', ':path': TRACE_PATH, 'content-type': 'application/grpc' });
		req.on('error', () => {});
		req.write(body.subarray(0, 50000));
		await sleep(200);
		req.close(http2.constants.NGHTTP2_CANCEL);
		await sleep(200);
		const again = await grpcCall(server.grpcUrl, TRACE_PATH,
			frame(otlpToProtobuf(otlpRequest([otlpSpan({ traceId: traceId() })]))), { session });
		assert.equal(again.grpcStatus, 0, 'the same connection serves the next call');
		session.close();
		const r = await getJson(server, `/api/traces/${tid}`).catch((e) => e);
		assert.ok(r instanceof Error && /404/.test(r.message), 'the reset call stored nothing');
	});

	test('an oversized authorization value is refused, not buffered', async () => {
		const r = await grpcCall(server.grpcUrl, TRACE_PATH, frame(Buffer.alloc(0)),
			{ headers: { authorization: `Bearer ${'a'.repeat(9000)}` } });
		assert.equal(r.grpcStatus, 3);
		assert.match(r.grpcMessage, /authorization/);
	});

	test('HTTP/1.1 sent to the gRPC port gets a 505 and a close, not a hang', async () => {
		const c = await raw(server.grpcPort);
		c.sock.write('POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}');
		const ms = await c.closed;
		assert.ok(ms < 5000, `closed after ${ms} ms`);
		assert.match(c.data().toString(), /^HTTP\/1\.1 505 [^\r]*\r\n[\s\S]*OTLP\/gRPC/);
	});

	test('HTTP/1.1 sent late, or split after its first byte, still gets the 505 alone', async () => {
		// the server flushes every connection once a second; nothing may go
		// out before the client's preface is whole
		const late = await raw(server.grpcPort);
		await sleep(1500);
		assert.equal(late.data().length, 0, 'nothing sent before the client spoke');
		late.sock.write('POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}');
		assert.ok((await late.closed) < 5000);
		assert.match(late.data().toString(), /^HTTP\/1\.1 505 /);
		const split = await raw(server.grpcPort);
		split.sock.setNoDelay(true);
		split.sock.write('P');
		await sleep(1500);
		assert.equal(split.data().length, 0, 'nothing sent on a preface prefix');
		split.sock.write('OST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}');
		assert.ok((await split.closed) < 5000);
		assert.match(split.data().toString(), /^HTTP\/1\.1 505 /);
	});

	test('TLS sent to the cleartext port is closed at once', async () => {
		const c = await raw(server.grpcPort);
		c.sock.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0]));
		assert.ok((await c.closed) < 5000);
		assert.equal(c.data().length, 0);
	});

	test('the server is still healthy', async () => {
		assert.equal((await getJson(server, '/api/health')).status, 'ok');
		assert.equal((await validCall(server)).grpcStatus, 0);
	});
});

describe('--grpc-listen', () => {
	for (const [value, message] of [
		['0.0.0.0:4317', /refusing to listen on 0\.0\.0\.0:4317: not a loopback address and .* has no API keys/],
		['example.com:4317', /--grpc-listen: HOST must be/],
		['127.0.0.1:99999', /--grpc-listen: PORT must be/],
	]) {
		test(`--grpc-listen ${value} is refused at start`, () => {
			const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:1', '--grpc-listen', value, '--data', tempDataDir('glisten')],
				{ encoding: 'utf8', timeout: 10000 });
			assert.equal(r.status, 2, r.stderr);
			assert.match(r.stderr, message);
		});
	}

	test('TRACELITE_GRPC_LISTEN is read; a port in use stops start-up naming it', async () => {
		const busy = await startServer({ label: 'grpc-busy', grpc: true });
		try {
			const r = spawnSync(BIN, ['serve', '--listen', `127.0.0.1:${await freePort()}`, '--data', tempDataDir('gbusy')], {
				encoding: 'utf8', timeout: 20000, env: { ...process.env, TRACELITE_GRPC_LISTEN: `127.0.0.1:${busy.grpcPort}` },
			});
			assert.equal(r.status, 1, r.stderr);
			assert.match(r.stderr, new RegExp(`cannot listen for gRPC on 127\\.0\\.0\\.1:${busy.grpcPort}: Address already in use`));
		} finally {
			await busy.stop();
		}
	});
});
