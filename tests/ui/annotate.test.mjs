// annotate.test.mjs: annotations in Debian's chromium (issue 14 item 4):
// annotate a trace through the header's form with a score config (a value
// outside its range is refused with the server's message) and a span
// through its panel with a free boolean; both listed (booleans as
// true/false) and in /api/scores with source=annotation; edit one, delete
// the other. A comment with markup stays text. Screenshots light and dark.
// With keys on, a read session sees no Annotate button; an admin session
// annotates (its CSRF token sent by the page).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BIN, getJson, listOf, postOk, request, startServer, tempDataDir } from '../js/helpers.mjs';
import { clean, demoSuite, newPage, shot } from './browser.mjs';

const suite = demoSuite('ui-annotate', 20, 5);

const annotationsOf = async (tid) =>
	listOf(await getJson(suite.server, `/api/scores?trace_id=${tid}`)).filter((s) => s.source === 'annotation');

describe('annotate in the UI', () => {
	test('a trace and a span annotated, listed, edited and deleted (light and dark)', async () => {
		await postOk(suite.server, '/api/score-configs', { name: 'ui-quality', type: 'numeric', min: 0, max: 5 });
		const { items } = await getJson(suite.server, '/api/traces?limit=2');
		for (const [i, theme] of ['light', 'dark'].entries()) {
			const tid = items[i].trace_id;
			const page = await suite.open(`/traces/${tid}`, '.wf-row', { theme });
			page.allowed.push(/\/api\/scores$/);   // the refused out-of-range value below
			// the trace: a config'd score, out of range first
			await page.click('[data-annotate="trace"]');
			await page.selectOption('.trace-head form.annot-form select[name="config"]', 'c:ui-quality');
			await page.fill('.trace-head form.annot-form input[name="value"]', '9');
			await page.evaluate(() => document.querySelector('.trace-head form.annot-form input[name="value"]').removeAttribute('max'));
			await page.fill('.trace-head form.annot-form input[name="comment"]', '<img src=x onerror=alert(1)> fine');
			await page.click('.trace-head form.annot-form button[type="submit"]');
			await page.waitForSelector('.trace-head form.annot-form .err:has-text("maximum")');
			await page.fill('.trace-head form.annot-form input[name="value"]', '4');
			await page.click('.trace-head form.annot-form button[type="submit"]');
			await page.waitForSelector('.trace-head li.annot[data-score-name="ui-quality"]');
			assert.equal(await page.textContent('.trace-head li.annot .chip'), 'ui-quality: 4');
			assert.equal(await page.locator('.trace-head li.annot img').count(), 0, 'the comment is text');
			// a span: a free boolean through its panel
			await page.click('.wf-row >> nth=1');
			await page.waitForSelector('.panel [data-annotate="span"]');
			await page.click('.panel [data-annotate="span"]');
			await page.selectOption('.panel form.annot-form select[name="config"]', '');
			await page.fill('.panel form.annot-form input[name="name"]', 'ui-correct');
			await page.selectOption('.panel form.annot-form select[name="type"]', 'boolean');
			await page.selectOption('.panel form.annot-form select[name="value"]', 'false');
			await shot(page, `annotate-form-${theme}`);
			await page.click('.panel form.annot-form button[type="submit"]');
			await page.waitForSelector('.panel li.annot[data-score-name="ui-correct"]');
			assert.equal(await page.textContent('.panel li.annot .chip'), 'ui-correct: false');
			await shot(page, `annotate-${theme}`);
			const spanId = await page.getAttribute('.panel', 'data-span-id');
			let stored = await annotationsOf(tid);
			const by = Object.fromEntries(stored.map((s) => [s.name, s]));
			assert.deepEqual([by['ui-quality'].value, by['ui-quality'].span_id, by['ui-quality'].comment],
				[4, null, '<img src=x onerror=alert(1)> fine']);
			assert.deepEqual([by['ui-correct'].bool_value, by['ui-correct'].span_id, by['ui-correct'].score_type], [false, spanId, 'boolean']);
			// edit the span's annotation, delete the trace's
			await page.click('.panel li.annot button:has-text("Edit")');
			await page.selectOption('.panel form.annot-form select[name="value"]', 'true');
			await page.click('.panel form.annot-form button[type="submit"]');
			await page.waitForSelector('.panel li.annot .chip:has-text("ui-correct: true")');
			await page.click('.trace-head li.annot button:has-text("Delete")');
			await page.waitForSelector('.trace-head li.annot', { state: 'detached' });
			stored = await annotationsOf(tid);
			assert.deepEqual(stored.map((s) => [s.name, s.bool_value]), [['ui-correct', true]]);
			// after a reload the span's annotation is still listed
			await page.reload();
			await page.waitForSelector('.wf-row');
			await page.click('.wf-row >> nth=1');
			await page.waitForSelector('.panel li.annot .chip:has-text("ui-correct: true")');
			clean(page);
			await page.context().close();
		}
	});
});

describe('annotate with keys on', () => {
	let server;
	const keys = {};
	before(async () => {
		const dataDir = tempDataDir('ui-annotate-auth');
		execFileSync(BIN, ['demo', '--data', dataDir, '--traces', '5', '--seed', '3']);
		for (const scope of ['read', 'admin'])
			keys[scope] = execFileSync(BIN, ['keys', 'create', '--name', scope, '--scope', scope, '--data', dataDir],
				{ encoding: 'utf8' }).trim().split('\n').pop();
		server = await startServer({ label: 'ui-annotate-auth', dataDir });
	});
	after(async () => { await server?.stop(); });

	async function loggedIn(key, urlPath) {
		const page = await newPage(suite.browser);
		await page.goto(`${server.url}/login?next=${encodeURIComponent(urlPath)}`);
		await page.fill('#key', key);
		await page.click('#submit');
		await page.waitForSelector('.wf-row', { timeout: 10000 });
		return page;
	}

	test('a read session has no Annotate button; an admin session annotates', async () => {
		const tid = (await request(server, 'GET', '/api/traces?limit=1', { headers: { authorization: `Bearer ${keys.read}` } })).json.items[0].trace_id;
		const reader = await loggedIn(keys.read, `/traces/${tid}`);
		await reader.waitForSelector('.trace-head .annotations.readonly', { state: 'attached', timeout: 5000 });
		assert.equal(await reader.isVisible('[data-annotate="trace"]'), false);
		clean(reader);
		await reader.context().close();
		const admin = await loggedIn(keys.admin, `/traces/${tid}`);
		await admin.click('[data-annotate="trace"]');
		await admin.selectOption('.trace-head form.annot-form select[name="config"]', '');
		await admin.fill('.trace-head form.annot-form input[name="name"]', 'ui-admin-note');
		await admin.selectOption('.trace-head form.annot-form select[name="type"]', 'categorical');
		await admin.fill('.trace-head form.annot-form input[name="value"]', 'checked');
		await admin.click('.trace-head form.annot-form button[type="submit"]');
		await admin.waitForSelector('.trace-head li.annot .chip:has-text("ui-admin-note: checked")');
		clean(admin);
		await admin.context().close();
	});
});
