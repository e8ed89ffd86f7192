// chunkfmt.test.mjs: span chunk format 2 (src/store/record.h: each record
// without the ids, name, kind and times its spans row holds) answers every
// span API byte-identically to format 1 (whole records, written here with
// TRACELITE_CHUNK_FORMAT=1): the same requests sent to a store of each,
// then the trace list, the span and trace exports (JSONL, CSV, OTLP: every
// span), every 4th trace (JSON and OTLP) and its spans, search, sessions
// and facets compared
// byte for byte, before and after deleting a trace (record_chunk_keep
// rewrites its chunks) and after a restart. Format 2's chunks are smaller.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postOk, request, startServer, tempDataDir } from './helpers.mjs';
import { ENV, answers, assertSame, chunkBytes, formats, makeRequest } from './chunkfmt.mjs';

const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop().catch(() => {}))); });

describe('span chunk format 2 against format 1', () => {
	test('every span answer is byte-identical; format 2 chunks are smaller', async () => {
		const d1 = tempDataDir('chunkfmt1'), d2 = tempDataDir('chunkfmt2');
		let s1 = await startServer({ label: 'chunkfmt1', dataDir: d1, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		let s2 = await startServer({ label: 'chunkfmt2', dataDir: d2, env: ENV });
		servers.push(s1, s2);
		for (let k = 0; k < 40; k++) {
			const body = makeRequest(k);
			await postOk(s1, '/v1/traces', body);
			await postOk(s2, '/v1/traces', body);
		}
		// a retried request: its spans get no second rows
		await postOk(s1, '/v1/traces', makeRequest(3));
		await postOk(s2, '/v1/traces', makeRequest(3));
		const a1 = await answers(s1), a2 = await answers(s2);
		assert.ok(JSON.parse(a1.list).items.length === 400, 'all traces listed');
		assert.ok(JSON.parse(a1['/api/search?q=refund&range=all']).items.length > 0, 'search finds something');
		assertSame(a1, a2, 'format 1 vs 2');
		assert.equal(formats(d1), '28', 'format 1: zstd frames alone');
		assert.equal(formats(d2), '02', 'format 2: the format byte');
		const b1 = chunkBytes(d1), b2 = chunkBytes(d2);
		assert.ok(b2 < b1 * 0.97, `format 2 chunks smaller: ${b2} < ${b1}`);

		// deleting traces rewrites their chunks (record_chunk_keep)
		const victims = JSON.parse(a1.list).items.filter((_, i) => i % 7 === 3).map((t) => t.trace_id);
		for (const v of victims) {
			for (const s of [s1, s2]) {
				const r = await request(s, 'DELETE', `/api/traces/${v}`);
				assert.equal(r.status, 200, r.text);
			}
		}
		const k1 = await answers(s1), k2 = await answers(s2);
		assert.equal(JSON.parse(k1.list).items.length, 400 - victims.length);
		assertSame(k1, k2, 'after deletions');
		assert.equal(formats(d2), '02', 'rewritten chunks keep format 2');

		// a restart reads the same
		await s1.stop(); await s2.stop();
		servers.length = 0;
		s1 = await startServer({ label: 'chunkfmt1b', dataDir: d1, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		s2 = await startServer({ label: 'chunkfmt2b', dataDir: d2, env: ENV });
		servers.push(s1, s2);
		assertSame(await answers(s1), await answers(s2), 'after a restart');
		// a format-2 store written on in format 1 (a downgrade of the writer
		// only): both formats in one store, the same answers
		await s1.stop(); await s2.stop();
		servers.length = 0;
		s1 = await startServer({ label: 'chunkfmt1c', dataDir: d1, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		s2 = await startServer({ label: 'chunkfmt2c', dataDir: d2, env: { ...ENV, TRACELITE_CHUNK_FORMAT: '1' } });
		servers.push(s1, s2);
		await postOk(s1, '/v1/traces', makeRequest(99));
		await postOk(s2, '/v1/traces', makeRequest(99));
		assert.equal(formats(d2), '02\n28', 'both formats in one store');
		assertSame(await answers(s1), await answers(s2), 'a store of both formats');
	});
});
