// logspage.test.mjs: the Logs page (/logs) in Debian's chromium, with records
// sent by the OpenTelemetry JS logs SDK's OTLP/HTTP protobuf exporter and
// as OTLP/JSON: newest first with severity, service and body; a hostile
// body is text; the severity, text, service and trace filters go through
// the URL; a row opens the record whole; the trace link opens the trace at
// the record's span; 120 records page with "Load more"; a bad trace id is
// the API's 400 message; no records says how to send some.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { keyValues, nanosFromNow, otlpSpan, postOk, postOtlp, spanId, startServer, tempDataDir, traceId } from '../js/helpers.mjs';
import { sdkRecords } from '../js/logs_sdk.mjs';
import { clean, launch, openAt, shot } from './browser.mjs';

let server, empty, browser;
const tid = traceId(), sid = spanId();
const HOSTILE = '<img src=x onerror="window.__pwned = 1; alert(1)"><script>window.__pwned = 2</script>';

before(async () => {
	[server, empty, browser] = await Promise.all([
		startServer({ label: 'ui-logspage', dataDir: tempDataDir('ui-logspage') }),
		startServer({ label: 'ui-logspage-empty', dataDir: tempDataDir('ui-logspage-empty') }), launch()]);
	await postOtlp(server, [otlpSpan({ traceId: tid, spanId: sid, name: 'checkout', start: nanosFromNow(-120000), durationMs: 500 })]);
	// 120 old INFO records first, so the newest page holds the interesting ones
	const t0 = BigInt(nanosFromNow(-600000));
	await postOk(server, '/v1/logs', { resourceLogs: [{
		resource: { attributes: keyValues({ 'service.name': 'batch-svc' }) },
		scopeLogs: [{ scope: { name: 'batch' }, logRecords: Array.from({ length: 120 }, (_, i) => ({
			timeUnixNano: `${t0 + BigInt(i) * 1000000n}`, severityNumber: 9, body: { stringValue: `batch line ${i}` } })) }],
	}] });
	const recs = await sdkRecords((logger) => {
		logger.emit({ timestamp: Date.now() - 5000, severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'disk almost full', attributes: { 'disk.free_mb': 12 } });
		logger.emit({ timestamp: Date.now() - 4000, severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: HOSTILE, attributes: { 'error.kind': 'xss' } });
	}, 'web-svc', 'ui');
	const exporter = new OTLPLogExporter({ url: `${server.url}/v1/logs` });
	const r = await new Promise((resolve) => exporter.export(recs, resolve));
	assert.equal(r.code, 0, String(r.error));
	await exporter.shutdown();
	await postOk(server, '/v1/logs', { resourceLogs: [{
		resource: { attributes: keyValues({ 'service.name': 'checkout-svc' }) },
		scopeLogs: [{ scope: { name: 'app', version: '1.0' }, logRecords: [{
			timeUnixNano: nanosFromNow(-1000), severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'payment declined' },
			traceId: tid, spanId: sid, attributes: keyValues({ 'http.route': '/pay' }) }] }],
	}] });
});
after(async () => {
	await browser?.close();
	await Promise.all([server?.stop(), empty?.stop()]);
});

const rows = (page) => page.locator('table[aria-label="Log records"] tbody tr:not(.log-open)');
const bodies = (page) => page.$$eval('table[aria-label="Log records"] tbody tr:not(.log-open) td.c-logbody', (tds) => tds.map((td) => td.textContent));

describe('the Logs page', () => {
	test('newest first with severity, service and body; a hostile body is text; the nav marks Logs', async () => {
		const page = await openAt(browser, `${server.url}/logs`, 'table[aria-label="Log records"]');
		page.dialogs = [];
		page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss(); });
		assert.equal(await page.getAttribute('.nav a[data-page="logs"]', 'aria-current'), 'page');
		const b = await bodies(page);
		assert.equal(b.length, 100, 'one page of 100');
		assert.equal(b[0], 'payment declined');
		assert.ok(b.includes(HOSTILE) && b.includes('disk almost full'), JSON.stringify(b.slice(0, 4)));
		const first = rows(page).first();
		assert.equal(await first.locator('.badge').textContent(), 'ERROR');
		assert.equal(await first.getAttribute('data-log-severity'), 'error');
		assert.match(await first.textContent(), /checkout-svc/);
		assert.equal(await page.locator('main img, main script, main iframe').count(), 0, 'no element from log text');
		assert.match(await page.textContent('#count'), /100\+ records/);
		await page.waitForTimeout(200);
		assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
		assert.deepEqual(page.dialogs, []);
		await shot(page, 'logs-page');
		// Load more: the other 23
		await page.click('.table-foot button');
		await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Log records"] tbody tr').length === 123);
		assert.equal((await bodies(page)).at(-1), 'batch line 0', 'the oldest last');
		clean(page);
		await page.context().close();
	});

	test('filters: minimum severity, body text, service, through the URL', async () => {
		const page = await openAt(browser, `${server.url}/logs`, 'table[aria-label="Log records"]');
		await page.selectOption('select[data-filter="severity"]', 'WARN');
		await page.waitForFunction(() => new URLSearchParams(location.search).get('severity') === 'WARN');
		await page.waitForSelector('table[aria-label="Log records"]');
		assert.deepEqual((await bodies(page)).sort(), ['disk almost full', 'payment declined', HOSTILE].sort());
		await page.fill('input[data-filter="q"]', 'declined');
		await page.press('input[data-filter="q"]', 'Enter');
		await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'declined');
		await page.waitForSelector('table[aria-label="Log records"]');
		assert.deepEqual(await bodies(page), ['payment declined']);
		await page.click('button:text("Clear filters")');
		await page.waitForFunction(() => location.search === '');
		await page.fill('input[data-filter="service"]', 'web-svc');
		await page.press('input[data-filter="service"]', 'Enter');
		await page.waitForFunction(() => new URLSearchParams(location.search).get('service') === 'web-svc');
		await page.waitForSelector('table[aria-label="Log records"]');
		assert.deepEqual((await bodies(page)).sort(), ['disk almost full', HOSTILE].sort());
		await page.fill('input[data-filter="q"]', 'no such text anywhere');
		await page.press('input[data-filter="q"]', 'Enter');
		await page.waitForSelector('.empty');
		assert.match(await page.textContent('.empty'), /No log records match these filters/);
		clean(page);
		await page.context().close();
	});

	test('a row opens the record whole; the trace link opens the trace at the span', async () => {
		const page = await openAt(browser, `${server.url}/logs?severity=error`, 'table[aria-label="Log records"]');
		const row = rows(page).filter({ hasText: 'payment declined' });
		await row.locator('td.c-logbody').click();
		const open = page.locator('tr.log-open');
		await open.waitFor();
		assert.equal(await row.getAttribute('aria-expanded'), 'true');
		const text = await open.textContent();
		for (const want of ['http.route', '/pay', 'checkout-svc', 'Resource', 'Scope', tid, sid]) assert.ok(text.includes(want), `${want} in ${text}`);
		await row.locator('td.c-logbody').click();
		assert.equal(await page.locator('tr.log-open').count(), 0, 'a second click closes it');
		await row.locator(`a[href^="/traces/${tid}"]`).click();
		await page.waitForSelector(`.panel[data-span-id="${sid}"]`);
		assert.match(page.url(), new RegExp(`/traces/${tid}\\?.*span=${sid}`));
		clean(page);
		await page.context().close();
	});

	test('a bad trace id shows the API\'s message; no records says how to send them', async () => {
		let page = await openAt(browser, `${server.url}/logs?trace_id=xyz`, '.banner');
		assert.match(await page.textContent('.banner'), /trace_id/);
		await page.context().close();
		page = await openAt(browser, `${empty.url}/logs`, '.empty');
		assert.match(await page.textContent('.empty'), /OTEL_EXPORTER_OTLP_ENDPOINT/);
		clean(page);
		await page.context().close();
	});
});
