// export.test.mjs: the Export menus in Debian's chromium: the trace list's
// links carry the page's filters (shared scope, list filters, q, attribute
// filters) to GET /api/export/traces and /spans, a session's to its
// session_id; where the server has the export API, the download holds
// the traces the list shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { get, getJson } from '../js/helpers.mjs';
import { clean, demoServer, launch, openAt, shot } from './browser.mjs';

let server, browser, hasExport;

before(async () => {
	[server, browser] = await Promise.all([demoServer('ui-export', 40, 9), launch()]);
	hasExport = (await get(server, '/api/export/traces?format=jsonl')).status === 200;
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

const hrefs = (page) => page.$$eval('details.export a[data-export]', (as) => Object.fromEntries(as.map((a) => [a.dataset.export, a.getAttribute('href')])));

describe('export menus', () => {
	test('the trace list exports what it lists, filters included', async () => {
		const page = await openAt(browser, `${server.url}/traces?status=error&meta.plan=eq:pro&range=7d`, 'details.export');
		await page.click('details.export summary');
		await page.waitForSelector('details.export a[data-export]');
		await shot(page, 'list-export-light');
		const links = await hrefs(page);
		assert.deepEqual(Object.keys(links), ['traces.jsonl', 'traces.csv', 'spans.jsonl', 'spans.csv', 'spans.otlp']);
		const u = new URL(links['traces.csv'], server.url);
		assert.equal(u.pathname, '/api/export/traces');
		assert.equal(u.searchParams.get('format'), 'csv');
		assert.equal(u.searchParams.get('status'), 'error');
		assert.equal(u.searchParams.get('meta.plan'), 'eq:pro');
		assert.ok(u.searchParams.get('from'), 'the time range');
		assert.equal(Date.parse(u.searchParams.get('from')) % 3600e3, 0, 'a 7-day range starts on a whole hour');
		assert.equal(u.searchParams.get('limit'), null);
		assert.equal(new URL(links['spans.otlp'], server.url).pathname, '/api/export/spans');
		if (hasExport) {
			await page.waitForLoadState('networkidle');
			const rows = await page.locator('tbody tr').count() ? await page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.dataset.traceId)) : [];
			const [download] = await Promise.all([page.waitForEvent('download'), page.click('details.export a[data-export="traces.jsonl"]')]);
			const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
			assert.deepEqual(lines.map((t) => t.trace_id), rows, 'the download is the list');
			assert.match(download.suggestedFilename(), /^tracelite-traces-.*\.jsonl$/);
		}
		clean(page);
		await page.context().close();
	});

	test('a session exports its traces', async () => {
		const se = (await getJson(server, '/api/sessions?limit=5')).items[0];
		const page = await openAt(browser, `${server.url}/sessions/${se.session_id}`, 'details.export');
		await page.click('details.export summary');
		await page.waitForSelector('details.export a[data-export]');
		const u = new URL((await hrefs(page))['spans.jsonl'], server.url);
		assert.equal(u.searchParams.get('session_id'), se.session_id);
		assert.equal(u.searchParams.get('from'), null, 'the whole session, whatever the range');
		if (hasExport) {
			const [download] = await Promise.all([page.waitForEvent('download'), page.click('details.export a[data-export="spans.jsonl"]')]);
			const spans = fs.readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
			assert.equal(spans.length, se.spans);
			assert.ok(spans.every((s) => s.session_id === se.session_id || s.trace_id));
		}
		clean(page);
		await page.context().close();
	});
});
