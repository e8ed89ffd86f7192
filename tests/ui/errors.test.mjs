// errors.test.mjs: errors and long traces in Debian's chromium: the trace
// header's "Errors N" toggles an errors-only view (kept in the URL), next /
// previous error buttons and e / E keys walk the error spans (unfolding
// their parents), an error span's panel starts with its exception, and the
// time axis zooms (buttons, zoom to span, wheel) and fits back.
// Screenshots in light and dark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postOk, startServer, tempDataDir, traceId } from '../js/helpers.mjs';
import { bigTraceRequest, clean, launch, newPage, shot } from './browser.mjs';

let server, browser;
const tid = traceId();
const N = 400;
/* bigTraceRequest fails the tool of every 50th turn: turns 49 and 99 */
const sid = (i) => (i + 1).toString(16).padStart(16, '0');
const ERR1 = sid(49 * 3 + 2), ERR2 = sid(99 * 3 + 2);

before(async () => {
	[server, browser] = await Promise.all([startServer({ label: 'ui-errors', dataDir: tempDataDir('ui-errors') }), launch()]);
	await postOk(server, '/v1/traces', bigTraceRequest(N, tid));
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

const selectedId = (page) => page.getAttribute('.wf-row[aria-selected="true"]', 'data-span-id');

describe('errors in a trace', () => {
	test('next / previous error and e / E open the error spans with their exception first (light and dark)', async () => {
		for (const theme of ['light', 'dark']) {
			const page = await newPage(browser, { theme });
			await page.goto(`${server.url}/traces/${tid}`);
			await page.waitForSelector('.wf-row');
			assert.equal(await page.textContent('[data-errors="only"]'), 'Errors 2');
			await page.click('[data-errors="next"]');
			await page.waitForSelector(`.panel[data-span-id="${ERR1}"]`);
			assert.equal(await selectedId(page), ERR1);
			assert.match(await page.textContent('.panel .exception-first'), /^TimeoutError: tool timed out/);
			const ex = await page.locator('.panel .exception-first').boundingBox();
			const tabs = await page.locator('.panel .tabs').boundingBox();
			assert.ok(ex.y < tabs.y, 'the exception is above the tabs');
			await page.click('.panel .exception-first summary');
			await page.waitForSelector('.panel .exception-first .stack');
			await shot(page, `trace-error-first-${theme}`);
			await page.locator('.wf-scroll').focus();
			await page.keyboard.press('e');
			await page.waitForSelector(`.panel[data-span-id="${ERR2}"]`);
			await page.keyboard.press('e');
			await page.waitForSelector(`.panel[data-span-id="${ERR1}"]`, { timeout: 5000 });
			await page.keyboard.press('Shift+E');
			await page.waitForSelector(`.panel[data-span-id="${ERR2}"]`);
			await page.click('[data-errors="prev"]');
			await page.waitForSelector(`.panel[data-span-id="${ERR1}"]`);
			clean(page);
			await page.context().close();
		}
	});

	test('a folded parent unfolds for the next error', async () => {
		const page = await newPage(browser);
		await page.goto(`${server.url}/traces/${tid}`);
		await page.waitForSelector('.wf-row');
		await page.locator('.wf-scroll').focus();
		await page.keyboard.press('Home');
		await page.keyboard.press('ArrowLeft');
		await page.waitForFunction(() => document.querySelectorAll('.wf-row').length === 1);
		await page.keyboard.press('e');
		await page.waitForSelector(`.wf-row[data-span-id="${ERR1}"][aria-selected="true"]`);
		clean(page);
		await page.context().close();
	});

	test('"Errors N" shows only the error spans and their parents, kept in the URL', async () => {
		const page = await newPage(browser);
		await page.goto(`${server.url}/traces/${tid}`);
		await page.waitForSelector('.wf-row');
		await page.click('[data-errors="only"]');
		await page.waitForFunction(() => document.querySelectorAll('.wf-row').length === 3);
		assert.equal(new URL(page.url()).searchParams.get('errors'), '1');
		assert.deepEqual(await page.$$eval('.wf-row', (rs) => rs.map((r) => r.dataset.spanId)), [sid(0), ERR1, ERR2]);
		await shot(page, 'trace-errors-only-light');
		await page.reload();
		await page.waitForFunction(() => document.querySelectorAll('.wf-row').length === 3);
		assert.equal(await page.getAttribute('[data-errors="only"]', 'aria-pressed'), 'true');
		await page.click('[data-errors="only"]');
		await page.waitForFunction(() => document.querySelectorAll('.wf-row').length > 10);
		assert.equal(new URL(page.url()).searchParams.get('errors'), null);
		clean(page);
		await page.context().close();
	});
});

describe('time axis zoom', () => {
	test('zoom in, zoom to the selected span, wheel over the axis, fit', async () => {
		const page = await newPage(browser);
		await page.goto(`${server.url}/traces/${tid}?span=${ERR1}`);
		await page.waitForSelector(`.panel[data-span-id="${ERR1}"]`);
		await page.keyboard.press('Escape');
		const barWidth = () => page.$eval(`.wf-row[data-span-id="${ERR1}"] .wf-bar`, (b) => b.getBoundingClientRect().width);
		const before = await barWidth();
		assert.ok(before < 5, `a 9 ms span of a 4 s trace is thin: ${before}px`);
		await page.click('[data-zoom="in"]');
		await page.waitForFunction(() => document.querySelector('.zoom-lbl').textContent !== '');
		await page.click('[data-zoom="span"]');
		await page.waitForFunction((w) => document.querySelector('.wf-row[aria-selected="true"] .wf-bar').getBoundingClientRect().width > w, before * 20);
		/* the span fills the track; rows are re-rendered as the view
		 * changes, so both widths are read from the row in place then */
		await page.waitForFunction((id) => {
			const row = document.querySelector(`.wf-row[data-span-id="${id}"]`);
			const bar = row?.querySelector('.wf-bar')?.getBoundingClientRect().width ?? 0;
			const track = row?.querySelector('.wf-track')?.getBoundingClientRect().width ?? 0;
			return track > 0 && bar > track * 0.8;
		}, ERR1, { timeout: 10000 });
		assert.match(await page.textContent('.zoom-lbl'), /ms – .* ms|s – .*s/);
		await shot(page, 'trace-zoomed-light');
		await page.click('[data-zoom="fit"]');
		await page.waitForFunction(() => document.querySelector('.zoom-lbl').textContent === '');
		const axis = await page.locator('.wf-axis .ticks').boundingBox();
		await page.mouse.move(axis.x + axis.width / 2, axis.y + axis.height / 2);
		await page.mouse.wheel(0, -300);
		await page.waitForFunction(() => document.querySelector('.zoom-lbl').textContent !== '');
		clean(page);
		await page.context().close();
	});
});
