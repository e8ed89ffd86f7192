// grpc_client.mjs: a raw gRPC client over node:http2 for the tests that
// need to see or break the wire (trailers, statuses, split and lying
// messages); the compatibility tests use the real OpenTelemetry exporters.
import http2 from 'node:http2';
import { writeChunks } from './helpers.mjs';

export const TRACE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const METRICS_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
export const LOGS_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/* The 5-byte prefix and msg; declared overrides the length it states. */
export function frame(msg, { compressed = false, declared } = {}) {
	const p = Buffer.alloc(5);
	p[0] = compressed ? 1 : 0;
	p.writeUInt32BE(declared ?? msg.length, 1);
	return Buffer.concat([p, msg]);
}

/* One call: body is the framed request (Buffer), or chunks (Buffers written
 * one by one). Resolves { status, headers, trailers, data, grpcStatus,
 * grpcMessage } (grpc-status from the trailers, or from the headers of a
 * Trailers-Only answer), or { error } if the stream failed. */
export function grpcCall(url, path, body, { headers = {}, chunks, timeoutMs = 60000, session } = {}) {
	return new Promise((resolve) => {
		const own = !session;
		const s = session ?? http2.connect(url);
		let settled = false;
		const done = (r) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			if (own) s.close();
			resolve(r);
		};
		const timer = setTimeout(() => { done({ error: new Error(`timed out after ${timeoutMs} ms`) }); s.destroy(); }, timeoutMs);
		s.on('error', (error) => done({ error }));
		const req = s.request({
			':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers,
		});
		let resHeaders = {}, trailers = {};
		const parts = [];
		req.on('response', (h) => { resHeaders = h; });
		req.on('trailers', (t) => { trailers = t; });
		req.on('data', (d) => parts.push(d));
		req.on('error', (error) => done({ error, status: resHeaders[':status'], headers: resHeaders }));
		req.on('close', () => {
			const st = trailers['grpc-status'] ?? resHeaders['grpc-status'];
			const msg = trailers['grpc-message'] ?? resHeaders['grpc-message'];
			done({
				status: resHeaders[':status'], headers: resHeaders, trailers, data: Buffer.concat(parts),
				grpcStatus: st === undefined ? undefined : Number(st),
				grpcMessage: msg === undefined ? undefined : decodeURIComponent(msg),
				rstCode: req.rstCode,
			});
		});
		if (chunks) {
			writeChunks(req, chunks);
		} else {
			req.end(body);
		}
	});
}

/* The message of a unary answer (without its prefix), or null. */
export function unframe(data) {
	if (!data || data.length < 5) return null;
	const n = data.readUInt32BE(1);
	return data.subarray(5, 5 + n);
}
