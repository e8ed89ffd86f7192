// utf8.test.mjs: text that is not valid UTF-8 (protobuf and cJSON copy
// string bytes through as they are) is stored as sent and every JSON answer
// still is valid UTF-8 JSON: each bad byte reads as U+FFFD.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
	get, otlpRequest, otlpSpan, otlpToProtobuf, post, startServer, traceId,
} from './helpers.mjs';

let server;
before(async () => { server = await startServer({ label: 'utf8' }); });
after(async () => { if (server) await server.stop(); });

/* Replaces every ASCII marker in buf by bytes of the same length. */
function patch(buf, marker, bytes) {
	const m = Buffer.from(marker, 'latin1');
	assert.equal(m.length, bytes.length);
	let at = buf.indexOf(m);
	assert.ok(at >= 0, `marker ${marker} present`);
	for (; at >= 0; at = buf.indexOf(m, at + 1)) Buffer.from(bytes).copy(buf, at);
	return buf;
}

/* The answer's body decodes as strict UTF-8 and parses as JSON. */
async function strictJson(path) {
	const r = await get(server, path);
	assert.equal(r.status, 200, `${path}: ${r.text}`);
	const text = new TextDecoder('utf-8', { fatal: true }).decode(r.body);
	return JSON.parse(text);
}

for (const encoding of ['protobuf', 'json']) {
	test(`invalid UTF-8 sent as OTLP ${encoding} reads back as U+FFFD in valid JSON`, async () => {
		const tid = traceId();
		const req = otlpRequest([otlpSpan({
			traceId: tid, name: 'span-@@-name',
			attrs: { 'gen_ai.prompt': 'ask ## now', note: 'over %%%% long', 'user.id': 'user-!!' },
		})]);
		let body;
		let type;
		if (encoding === 'protobuf') {
			body = otlpToProtobuf(req);
			type = 'application/x-protobuf';
		} else {
			body = Buffer.from(JSON.stringify(req), 'latin1');
			type = 'application/json';
		}
		patch(body, '@@', [0xff, 0xfe]);                 // never valid
		patch(body, '##', [0xc0, 0xaf]);                 // overlong '/'
		patch(body, '%%%%', [0xf4, 0x90, 0x80, 0x80]);   // past U+10FFFF
		patch(body, '!!', [0xe2, 0x82]);                 // truncated
		const r = await post(server, '/v1/traces', body, { 'content-type': type });
		assert.equal(r.status, 200, r.text);

		const list = await strictJson(`/api/traces?trace_id=${tid}`);
		const row = list.items.find((t) => t.trace_id === tid);
		assert.ok(row, `trace listed: ${JSON.stringify(list).slice(0, 300)}`);
		assert.equal(row.name, 'span-\ufffd\ufffd-name');

		const trace = await strictJson(`/api/traces/${tid}`);
		const span = trace.spans[0];
		assert.equal(span.name, 'span-\ufffd\ufffd-name');
		const attrs = JSON.stringify(span.attributes);
		assert.match(attrs, /ask \ufffd\ufffd now/);
		assert.match(attrs, /over \ufffd\ufffd\ufffd\ufffd long/);
		assert.match(attrs, /user-\ufffd\ufffd/);

		const otlp = await strictJson(`/api/traces/${tid}?format=otlp`);
		assert.equal(otlp.resourceSpans[0].scopeSpans[0].spans[0].name, 'span-\ufffd\ufffd-name');
	});
}
