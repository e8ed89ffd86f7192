// login.test.mjs: the login page in Debian's chromium against a server with
// API keys: a page asked for without a session goes to /login, a read key
// typed into the form gets back to it with data, a wrong key shows the
// server's message, logout ends the session, and the one-time link printed
// by `tracelite serve` logs in once and leaves the address bar.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BIN, startServer, tempDataDir } from '../js/helpers.mjs';
import { launch, newPage, shot } from './browser.mjs';

let server, browser, key;

before(async () => {
	const dataDir = tempDataDir('ui-login');
	execFileSync(BIN, ['demo', '--data', dataDir, '--traces', '20', '--seed', '3']);
	key = execFileSync(BIN, ['keys', 'create', '--name', 'viewer', '--scope', 'read', '--data', dataDir],
		{ encoding: 'utf8' }).trim().split('\n').pop();
	[server, browser] = await Promise.all([startServer({ label: 'ui-login', dataDir }), launch()]);
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

const clean = (page) => assert.deepEqual(page.problems, [], 'console errors or failed requests');

describe('login page', () => {
	test('a page without a session goes to /login; a read key brings the user back to it', async () => {
		const page = await newPage(browser);
		await page.goto(`${server.url}/traces?range=all`);
		await page.waitForURL(/\/login\?next=/);
		await page.waitForSelector('#key');
		await shot(page, 'login');
		await page.fill('#key', key);
		await page.click('#submit');
		await page.waitForURL(/\/traces\?range=all$/);
		await page.waitForSelector('tbody tr', { timeout: 10000 });
		const cookies = await page.context().cookies();
		const c = cookies.find((x) => x.name === 'tracelite_session');
		assert.ok(c && c.httpOnly && c.sameSite === 'Strict', JSON.stringify(cookies));
		assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is visible to scripts');
		await page.waitForSelector('#logout:not([hidden])');
		clean(page);

		await page.click('#logout');
		await page.waitForURL(/\/login$/);
		await page.goto(`${server.url}/traces`);
		await page.waitForURL(/\/login\?next=/);
		await page.context().close();
	});

	test('a wrong key shows the server message', async () => {
		const page = await newPage(browser);
		page.allowed.push(/\/api\/login$/);
		await page.goto(`${server.url}/login`);
		await page.fill('#key', 'tl_' + '1'.repeat(64));
		await page.click('#submit');
		await page.waitForSelector('#message.banner');
		assert.match(await page.textContent('#message'), /unknown or revoked API key/);
		assert.match(page.url(), /\/login$/);
		clean(page);
		await page.context().close();
	});

	test('the one-time link from serve logs in once and leaves the address bar', async () => {
		const token = /login\?token=([0-9a-f]{64})/.exec(server.log())[1];
		const page = await newPage(browser);
		await page.goto(`${server.url}/login?token=${token}`);
		await page.waitForURL((u) => u.pathname === '/');
		await page.waitForSelector('#logout:not([hidden])');
		assert.ok(!page.url().includes(token));
		assert.ok(!(await page.evaluate(() => JSON.stringify(history.state) + location.href)).includes(token));
		clean(page);
		await page.context().close();

		const again = await newPage(browser);
		again.allowed.push(/\/api\/login$/);
		await again.goto(`${server.url}/login?token=${token}`);
		await again.waitForSelector('#message.banner');
		assert.match(await again.textContent('#message'), /used, expired or wrong/);
		await again.context().close();
	});
});
