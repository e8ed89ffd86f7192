// users.test.mjs: the users pages and the not-found page in Debian's
// chromium against a demo-filled server: /users lists GET /api/users,
// a user's page shows the totals, scores and traces of GET /api/users/{id}
// with links to sessions and traces, and an unknown path (from the server,
// status 404, or one the app does not route) shows the in-app not-found
// page. Screenshots in light and dark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, postOk } from '../js/helpers.mjs';
import { clean, demoServer, launch, newPage, openAt, shot } from './browser.mjs';

let server, browser, base;
const dayAgo = () => new Date(Date.now() - 86400e3).toISOString();

before(async () => {
	[server, browser] = await Promise.all([demoServer('ui-users', 120, 3), launch()]);
	base = server.url;
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

const open = (path, selector, opts) => openAt(browser, base + path, selector, opts);

describe('users', () => {
	test('the list shows the API\'s users; a row opens the user (light and dark)', async () => {
		const api = await getJson(server, `/api/users?limit=100&from=${dayAgo()}`);
		assert.ok(api.items.length >= 3, 'the demo data has users');
		for (const theme of ['light', 'dark']) {
			const page = await open('/users', 'table[aria-label="Users"] tbody tr', { theme });
			assert.equal(await page.getAttribute('.nav a[data-page="users"]', 'aria-current'), 'page');
			const ids = await page.$$eval('table[aria-label="Users"] tbody tr', (trs) => trs.map((tr) => tr.dataset.userId));
			assert.deepEqual(ids, api.items.map((u) => u.user_id));
			const first = await page.$$eval('table[aria-label="Users"] tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
			assert.equal(first[1], String(api.items[0].sessions));
			assert.equal(first[2], String(api.items[0].traces));
			await shot(page, `users-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('a user\'s page: totals, scores over time, traces newest first, links to sessions (light and dark)', async () => {
		const list = await getJson(server, `/api/users?limit=100&from=${dayAgo()}`);
		const u = list.items.find((x) => x.traces >= 2) || list.items[0];
		const one = await getJson(server, `/api/users/${u.user_id}`);
		await postOk(server, '/api/scores', one.traces.map((t, i) => ({ trace_id: t.trace_id, name: 'satisfaction', value: i % 2 === 0,
			timestamp: new Date(Date.now() - (i + 1) * 3600e3).toISOString() })));
		for (const theme of ['light', 'dark']) {
			const page = await open('/users', 'table[aria-label="Users"] tbody tr', { theme });
			await page.click(`table[aria-label="Users"] tbody tr[data-user-id="${u.user_id}"] td:nth-child(4)`);
			await page.waitForURL(new RegExp(`/users/${u.user_id}$`));
			await page.waitForSelector('table[aria-label="Traces of the user"] tbody tr');
			assert.equal(await page.textContent('h1'), u.user_id);
			assert.equal(await page.textContent('[data-field="traces"]'), one.user.traces.toLocaleString('en-US'));
			assert.equal(await page.textContent('[data-field="sessions"]'), one.user.sessions.toLocaleString('en-US'));
			const ids = await page.$$eval('table[aria-label="Traces of the user"] tbody tr', (trs) => trs.map((tr) => tr.dataset.traceId));
			assert.deepEqual(ids, one.traces.map((t) => t.trace_id));
			await page.waitForSelector('.score-card[data-score-name="satisfaction"]');
			await shot(page, `user-${theme}`);
			if (theme === 'dark') {
				const t = one.traces.find((x) => x.session_id);
				await page.click(`tr[data-trace-id="${t.trace_id}"] a.mono`);
				await page.waitForURL(new RegExp(`/sessions/${t.session_id}`));
				await page.waitForSelector('.convo .turn');
			}
			clean(page);
			await page.context().close();
		}
	});

	test('an unknown user shows the API error', async () => {
		const page = await newPage(browser);
		page.allowed.push(/\/api\/users\/no-such-user/);
		await page.goto(`${base}/users/no-such-user`);
		await page.waitForSelector('[role="alert"]');
		assert.match(await page.textContent('[role="alert"]'), /user 'no-such-user' not found/);
		clean(page);
		await page.context().close();
	});
});

describe('not-found page', () => {
	test('a path the server does not know (404) and one the app does not route show the not-found page (light and dark)', async () => {
		for (const theme of ['light', 'dark']) {
			const page = await newPage(browser, { theme });
			page.allowed.push(/\/no\/such\/page$/);
			const r = await page.goto(`${base}/no/such/page`);
			assert.equal(r.status(), 404);
			await page.waitForSelector('.notfound');
			assert.equal(await page.textContent('.notfound h1'), 'Page not found');
			assert.match(await page.textContent('.notfound'), /\/no\/such\/page/);
			assert.equal(await page.title(), 'Not found · tracelite');
			await shot(page, `notfound-${theme}`);
			await page.click('.notfound a:text-is("Users")');
			await page.waitForURL(/\/users$/);
			await page.waitForSelector('table[aria-label="Users"] tbody tr');
			clean(page);
			await page.context().close();
		}
		const page = await open('/traces/abc/def', '.notfound');
		assert.match(await page.textContent('.notfound'), /\/traces\/abc\/def/);
		clean(page);
		await page.context().close();
	});
});
