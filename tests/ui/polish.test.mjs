// polish.test.mjs: small consistencies in Debian's chromium: sessions,
// users and scores on an empty store show the onboarding (and leave it
// once a trace arrives); the trace header shows the whole session id and
// keeps the trace id and OTLP link on the title's line; JSON folds say
// "1 key"; dates use one style in the browser's locale.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, otlpSpan, postOtlp, traceId } from '../js/helpers.mjs';
import { clean, demoServer, launch, openAt, shot } from './browser.mjs';

let server, empty, browser;

before(async () => {
	[server, empty, browser] = await Promise.all([demoServer('ui-polish', 30, 11), demoServer('ui-polish-empty', 0), launch()]);
});
after(async () => {
	await browser?.close();
	await Promise.all([server?.stop(), empty?.stop()]);
});

describe('small consistencies', () => {
	test('without authentication there is no Log out button; elements marked hidden stay hidden', async () => {
		const page = await openAt(browser, server.url + '/traces', 'table');
		assert.equal(await page.isVisible('#logout'), false, 'Log out shows only in a browser session');
		const shown = await page.$$eval('[hidden]', (els) => els.filter((el) => getComputedStyle(el).display !== 'none').length);
		assert.equal(shown, 0, 'a [hidden] element is displayed');
		clean(page);
		await page.context().close();
	});

	test('sessions, users and scores on an empty store show the onboarding (light and dark), then the page once a trace arrives', async () => {
		for (const path of ['/sessions', '/users', '/scores']) {
			for (const theme of ['light', 'dark']) {
				const page = await openAt(browser, empty.url + path, '.onboard', { theme });
				assert.match(await page.textContent('.onboard'), /tracelite demo/);
				if (path === '/sessions') await shot(page, `onboarding-sessions-${theme}`);
				clean(page);
				await page.context().close();
			}
		}
		const page = await openAt(browser, empty.url + '/sessions', '.onboard');
		await postOtlp(empty, [otlpSpan({ traceId: traceId(), name: 'first', attrs: { 'session.id': 's-first' } })]);
		await page.waitForSelector('table[aria-label="Sessions"] tr[data-session-id="s-first"]', { timeout: 15000 });
		clean(page);
		await page.context().close();
	});

	test('the trace header: the whole session id, the trace id and OTLP link on the title\'s line', async () => {
		const t = (await getJson(server, '/api/traces?limit=20')).items.find((x) => x.session_id);
		const page = await openAt(browser, `${server.url}/traces/${t.trace_id}`, '.trace-head');
		assert.equal(await page.textContent('.trace-head a[href^="/sessions/"]'), t.session_id);
		const title = await page.locator('.trace-head h1').boundingBox();
		const id = await page.locator('.trace-head [data-field="trace_id"]').boundingBox();
		assert.ok(Math.abs(id.y + id.height / 2 - (title.y + title.height / 2)) < 12, 'the id sits on the title line');
		assert.equal(await page.textContent('.trace-head [data-field="trace_id"]'), t.trace_id);
		clean(page);
		await page.context().close();
	});

	test('JSON folds count "1 key" and "1 item"; dates share one locale style', async () => {
		const page = await openAt(browser, server.url + '/traces', 'tbody tr');
		const r = await page.evaluate(async () => {
			const u = await import('/assets/util.js');
			const tree = u.jsonTree({ a: { b: 1 }, c: [1] }, 2).textContent;
			const other = new Date(Date.now() - 3 * 86400e3);
			const fmt = (o) => new Intl.DateTimeFormat(undefined, o).format(other);
			return { tree, time: u.fmtTime(other.toISOString()), full: u.fmtFull(other.toISOString()),
				wantTime: fmt({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
				wantFull: fmt({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }) };
		});
		assert.match(r.tree, / 1 key /);
		assert.match(r.tree, / 1 item /);
		assert.doesNotMatch(r.tree, /1 keys|1 items/);
		assert.equal(r.time, r.wantTime);
		assert.equal(r.full, r.wantFull);
		clean(page);
		await page.context().close();
	});
});
