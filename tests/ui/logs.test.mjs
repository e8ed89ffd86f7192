// logs.test.mjs: OTLP log records on the trace page in Debian's chromium:
// a span's logs show beside its events (time from the span start, severity
// badge, body, attributes), a body holding <script> and <img onerror> is
// shown as text (no element, no dialog, no script run), a span without logs
// says so, and the trace's "Logs" section lists every log of the trace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addMs, keyValues, nanosFromNow, otlpSpan, postOk, postOtlp, spanId, startServer, tempDataDir, traceId } from '../js/helpers.mjs';
import { clean, launch, newPage, shot } from './browser.mjs';

let server, browser;
const tid = traceId(), rootId = spanId(), childId = spanId();
const HOSTILE = '<script>window.__pwned = 1; alert(1)</script><img src=x onerror="window.__pwned = 2; alert(2)">';

before(async () => {
	[server, browser] = await Promise.all([startServer({ label: 'ui-logs', dataDir: tempDataDir('ui-logs') }), launch()]);
	const t0 = nanosFromNow(-60000);
	await postOtlp(server, [
		otlpSpan({ traceId: tid, spanId: rootId, name: 'handle request', start: t0, durationMs: 2000,
			events: [{ name: 'cache.miss', time: addMs(t0, 5), attrs: { key: 'user:42' } }] }),
		otlpSpan({ traceId: tid, spanId: childId, parentSpanId: rootId, name: 'db query', start: addMs(t0, 100), durationMs: 50 }),
	]);
	const rec = (at, sev, text, body, sid, attrs = {}) => ({
		timeUnixNano: addMs(t0, at), severityNumber: sev, severityText: text, body: { stringValue: body },
		traceId: tid, spanId: sid, attributes: keyValues(attrs),
	});
	await postOk(server, '/v1/logs', { resourceLogs: [{
		resource: { attributes: keyValues({ 'service.name': 'ui-logs-svc' }) },
		scopeLogs: [{ scope: { name: 'app' }, logRecords: [
			rec(10, 9, 'INFO', 'request started', rootId, { 'http.route': '/orders' }),
			rec(1500, 17, 'ERROR', HOSTILE, rootId, { 'error.kind': 'timeout' }),
			rec(120, 13, 'WARN', 'slow query on the child', childId),
		] }],
	}] });
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

async function openEvents(sid) {
	const page = await newPage(browser);
	page.dialogs = [];
	page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss(); });
	await page.goto(`${server.url}/traces/${tid}?span=${sid}`);
	await page.waitForSelector(`.panel[data-span-id="${sid}"]`);
	await page.click('.panel .tabs button[data-tab="events"]');
	await page.waitForSelector('.panel .span-logs .logs:not(:has(.faint:text("Loading logs")))');
	return page;
}

describe('logs on the trace page', () => {
	test("a span's logs beside its events, oldest first, a <script> body shown as text", async () => {
		const page = await openEvents(rootId);
		assert.match(await page.textContent('.panel .tabs button[data-tab="events"]'), /Events 1 · Logs/);
		assert.equal(await page.textContent('.panel .event b'), 'cache.miss', 'the events are still there');
		const logs = page.locator('.panel .span-logs .log');
		assert.equal(await logs.count(), 2, 'only the logs of this span');
		assert.equal(await logs.nth(0).locator('.badge').textContent(), 'INFO');
		assert.equal(await logs.nth(0).locator('.log-body').textContent(), 'request started');
		assert.match(await logs.nth(0).textContent(), /\+10/);
		assert.match(await logs.nth(0).textContent(), /http\.route/);
		assert.equal(await logs.nth(1).getAttribute('data-log-severity'), 'error');
		assert.equal(await logs.nth(1).locator('.badge').textContent(), 'ERROR');
		assert.equal(await logs.nth(1).locator('.log-body').textContent(), HOSTILE, 'the body is text');
		assert.equal(await page.locator('.panel script, .panel img, .panel iframe').count(), 0, 'no element from log text');
		assert.doesNotMatch(await page.textContent('.panel .span-logs .logs'), /null$/, 'nothing but the records');
		await page.waitForTimeout(200);
		assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
		assert.deepEqual(page.dialogs, [], 'no dialog');
		await shot(page, 'logs-span');
		clean(page);
		await page.context().close();
	});

	test('the child span shows its own log; the trace section lists all three', async () => {
		const page = await openEvents(childId);
		const logs = page.locator('.panel .span-logs .log');
		assert.equal(await logs.count(), 1);
		assert.equal(await logs.locator('.log-body').textContent(), 'slow query on the child');
		assert.equal(await page.textContent('.panel .panel-body > div > div.faint'), 'No events.');
		await page.click('details.trace-logs > summary');
		await page.waitForSelector('details.trace-logs .log');
		const bodies = await page.$$eval('details.trace-logs .log .log-body', (els) => els.map((e) => e.textContent));
		assert.deepEqual(bodies, ['request started', 'slow query on the child', HOSTILE]);
		assert.equal(await page.locator('details.trace-logs script, details.trace-logs img').count(), 0);
		clean(page);
		await page.context().close();
	});
});
