// overview.test.mjs: the overview's charts and tables in Debian's chromium
// against a demo-filled server: tokens and cost by model as stacked bars
// of the top 5 models plus "other", with a legend of full names, distinct
// colours and range totals linking to the filtered trace list; top models
// and operations with whole names, each row a link to its traces.
// Screenshots in light and dark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson } from '../js/helpers.mjs';
import { clean, demoServer, launch, openAt, shot } from './browser.mjs';

let server, browser;
const dayAgo = () => new Date(Date.now() - 86400e3).toISOString();

before(async () => {
	[server, browser] = await Promise.all([demoServer('ui-overview', 200, 5), launch()]);
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

const open = (path, selector, opts) => openAt(browser, server.url + path, selector, opts);
const legend = (page, title) => page.$$eval(`[data-chart="${title}"] .chart-legend .li`, (els) => els.map((el) => ({
	label: el.querySelector('.ln').textContent, value: el.querySelector('.lv').textContent,
	href: el.getAttribute('href'), color: el.querySelector('.sw').style.background })));

describe('overview charts and tables', () => {
	test('tokens and cost by model: top 5 plus other, full names, distinct colours, totals, links (light and dark)', async () => {
		const models = (await getJson(server, `/api/metrics/models?from=${dayAgo()}`)).items;
		assert.ok(models.length > 5, `the demo data has more than 5 models (${models.length})`);
		for (const theme of ['light', 'dark']) {
			const page = await open('/', '[data-chart="Tokens by model"] .chart-legend .li', { theme });
			await page.waitForFunction(() => document.querySelectorAll('.uplot canvas').length === 4);
			for (const title of ['Tokens by model', 'Cost by model (USD)']) {
				const items = await legend(page, title);
				assert.equal(items.length, 6, `${title}: 5 models and other`);
				assert.equal(items[5].label, 'other');
				assert.equal(items[5].href, null);
				assert.equal(new Set(items.map((i) => i.color)).size, 6, 'distinct colours');
				for (const it of items.slice(0, 5)) {
					assert.ok(models.some((m) => m.model === it.label), `${it.label} is a whole model name`);
					assert.equal(new URL(it.href, server.url).searchParams.get('model'), it.label);
					assert.notEqual(it.value, '–', 'a total before any hover');
				}
			}
			/* the legend's token totals are the models' own (input + output) */
			const items = await legend(page, 'Tokens by model');
			const fmt = (v) => page.evaluate(async (x) => (await import('/assets/util.js')).fmtCompact(x), v);
			const top = models.find((m) => m.model === items[0].label);
			assert.equal(items[0].value, await fmt(top.input_tokens + top.output_tokens));
			await page.locator('[data-chart="Tokens by model"]').scrollIntoViewIfNeeded();
			await shot(page, `overview-models-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('a legend entry and a top-model name open the traces of that model', async () => {
		const page = await open('/?range=7d', '[data-chart="Cost by model (USD)"] .chart-legend a.li');
		const model = await page.textContent('[data-chart="Cost by model (USD)"] .chart-legend a.li .ln');
		await page.click('[data-chart="Cost by model (USD)"] .chart-legend a.li');
		await page.waitForURL(/\/traces\?/);
		const u = new URL(page.url());
		assert.equal(u.searchParams.get('model'), model);
		assert.equal(u.searchParams.get('range'), '7d');
		await page.waitForSelector('tbody tr');
		await page.goBack();
		await page.waitForSelector('table[aria-label="Top models"] td.name a');
		const cut = await page.$$eval('.toptable td.name', (tds) => tds.filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent));
		assert.deepEqual(cut, [], 'no name is cut');
		const name = await page.textContent('table[aria-label="Top models"] td.name a');
		await page.click('table[aria-label="Top models"] td.name a');
		await page.waitForURL(new RegExp(`model=${encodeURIComponent(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
		clean(page);
		await page.context().close();
	});

	test('an operation row opens the traces with such a span (failing: the failed ones)', async () => {
		const failing = (await getJson(server, `/api/metrics/operations?sort=failing&from=${dayAgo()}`)).items.find((o) => o.errors > 0);
		const page = await open('/', 'table[aria-label="Most failing operations"] tbody tr');
		await page.click('table[aria-label="Most failing operations"] tbody tr:first-child td.num');
		await page.waitForURL(/\/traces\?/);
		const u = new URL(page.url());
		assert.equal(u.searchParams.get('q'), `"${failing.name}"`);
		assert.equal(u.searchParams.get('type'), failing.type);
		assert.equal(u.searchParams.get('status'), 'error');
		await page.waitForSelector('tbody tr mark');
		clean(page);
		await page.context().close();
	});
});
