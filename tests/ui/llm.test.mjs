// llm.test.mjs: the LLM panel in Debian's chromium: the conversation comes
// first under a one-line model/usage summary, Markdown is rendered as DOM
// (headings, bold, lists, code) while <script>, <img onerror> and
// javascript: links in a prompt stay text (no element, no dialog, no
// script run), a raw toggle, a long system prompt and one repeated from an
// earlier span folded, jump to output, and "copy as request" in the OpenAI
// and Anthropic shapes. Screenshots in light and dark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addMs, nanosFromNow, otlpSpan, postOtlp, spanId, startServer, tempDataDir, traceId } from '../js/helpers.mjs';
import { clean, launch, newPage, shot } from './browser.mjs';

let server, browser;
const tid = traceId(), rootId = spanId(), firstId = spanId(), secondId = spanId();
const SYSTEM = 'You are a careful support agent for ACME. ' + 'Follow the policy. '.repeat(60);
const PROMPT = [
	'## Goals',
	'Find the **order** and check the *refund*:',
	'- look up `order_id`',
	'- reply politely',
	'',
	'<script>window.__pwned = 1; alert(1)</script>',
	'<img src=x onerror="window.__pwned = 2; alert(2)">',
	'[click me](javascript:alert(3)) and [docs](https://example.com/docs)',
	'',
	'```json',
	'{"order_id": 42}',
	'```',
].join('\n');
const ANSWER = '### Result\n1. Order **42** found\n2. Refund issued\n\n> Thanks for waiting.';

before(async () => {
	[server, browser] = await Promise.all([startServer({ label: 'ui-llm', dataDir: tempDataDir('ui-llm') }), launch()]);
	const t0 = nanosFromNow(-60000);
	const msgs = (user) => JSON.stringify([
		{ role: 'system', parts: [{ type: 'text', content: SYSTEM }] },
		{ role: 'user', parts: [{ type: 'text', content: user }] }]);
	const llm = (sid, at, user, answer) => otlpSpan({ traceId: tid, spanId: sid, parentSpanId: rootId, name: 'chat gpt-4o', kind: 3,
		start: addMs(t0, at), durationMs: 800, attrs: {
			'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.system': 'openai',
			'gen_ai.request.temperature': 0.2, 'gen_ai.request.max_tokens': 512,
			'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 80,
			'gen_ai.input.messages': msgs(user),
			'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }] }]),
		} });
	await postOtlp(server, [
		otlpSpan({ traceId: tid, spanId: rootId, name: 'invoke_agent support', start: t0, durationMs: 3000, attrs: { 'gen_ai.operation.name': 'invoke_agent' } }),
		llm(firstId, 100, 'Hello', 'Hi! How can I help?'),
		llm(secondId, 1000, PROMPT, ANSWER),
	]);
});
after(async () => {
	await browser?.close();
	await server?.stop();
});


async function openSpan(theme = 'light') {
	const page = await newPage(browser, { theme });
	await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
	page.dialogs = [];
	page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss(); });
	await page.goto(`${server.url}/traces/${tid}?span=${secondId}`);
	await page.waitForSelector(`.panel[data-span-id="${secondId}"]`);
	await page.click('.tabs button[data-tab="llm"]');
	await page.waitForSelector('.panel .llm-line');
	return page;
}

describe('LLM panel', () => {
	test('the conversation first, Markdown rendered, HTML in a prompt shown as text (light and dark)', async () => {
		for (const theme of ['light', 'dark']) {
			const page = await openSpan(theme);
			await page.evaluate(() => localStorage.removeItem('tracelite-raw-messages'));
			await page.reload();
			await page.click('.tabs button[data-tab="llm"]');
			await page.waitForSelector('.panel .msg[data-role="user"] .md');
			/* compact: the first message starts within 200 px of the tabs */
			const tabs = await page.locator('.panel .tabs').boundingBox();
			const first = await page.locator('.panel .msg').first().boundingBox();
			assert.ok(first.y - (tabs.y + tabs.height) < 200, `first message ${first.y - tabs.y - tabs.height}px below the tabs`);
			assert.equal(await page.textContent('.panel [data-field="model"]'), 'gpt-4o');
			const user = '.panel .msg[data-role="user"] .md';
			assert.equal(await page.textContent(`${user} [role="heading"][aria-level="2"]`), 'Goals');
			assert.equal(await page.textContent(`${user} strong`), 'order');
			assert.equal(await page.textContent(`${user} em`), 'refund');
			assert.equal(await page.locator(`${user} ul li`).count(), 2);
			assert.equal(await page.textContent(`${user} li code`), 'order_id');
			assert.equal(await page.textContent(`${user} pre.md-code code`), '{"order_id": 42}');
			const text = await page.textContent(user);
			assert.ok(text.includes('<script>window.__pwned = 1; alert(1)</script>'), 'the script tag is text');
			assert.ok(text.includes('<img src=x onerror="window.__pwned = 2; alert(2)">'), 'the img tag is text');
			assert.equal(await page.locator('.panel script, .panel img, .panel iframe').count(), 0, 'no element from span text');
			const hrefs = await page.$$eval(`${user} a`, (as) => as.map((a) => a.getAttribute('href')));
			assert.deepEqual(hrefs, ['https://example.com/docs'], 'only the http link is a link');
			const out = '.panel #llm-output .md';
			assert.equal(await page.textContent(`${out} [role="heading"]`), 'Result');
			assert.equal(await page.locator(`${out} ol li`).count(), 2);
			assert.equal(await page.textContent(`${out} blockquote`), 'Thanks for waiting.');
			await page.waitForTimeout(200);
			assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
			assert.deepEqual(page.dialogs, [], 'no dialog');
			await shot(page, `llm-markdown-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('raw toggle, folded system prompts (long; same as an earlier span), jump to output', async () => {
		const page = await openSpan();
		const sys = page.locator('.panel details.msg[data-role="system"]');
		assert.match(await sys.getAttribute('data-folded'), /same as in chat gpt-4o/);
		assert.equal(await sys.evaluate((d) => d.open), false);
		await sys.locator('summary').click();
		await page.waitForSelector('.panel details.msg[data-role="system"][open] .md');
		assert.ok((await sys.textContent()).includes('Follow the policy.'));

		await page.click('.panel [data-raw-toggle]');
		await page.waitForSelector('.panel .msg[data-role="user"] .raw');
		assert.ok((await page.textContent('.panel .msg[data-role="user"] .raw')).startsWith('## Goals\nFind the **order**'));
		assert.equal(await page.locator('.panel .msg[data-role="user"] .md').count(), 0);
		await page.click('.panel [data-raw-toggle]');
		await page.waitForSelector('.panel .msg[data-role="user"] .md');

		await page.click('.panel [data-jump="output"]');
		await page.waitForFunction(() => {
			const body = document.querySelector('.panel .panel-body').getBoundingClientRect();
			const out = document.querySelector('#llm-output').getBoundingClientRect();
			return body.top <= out.top && out.top < body.bottom - 40 && document.querySelector('.panel .panel-body').scrollTop > 0;
		});

		/* the first span's own system prompt is long, not repeated */
		await page.click(`.wf-row[data-span-id="${firstId}"]`);
		await page.waitForSelector(`.panel[data-span-id="${firstId}"] details.msg[data-role="system"]`);
		assert.match(await page.getAttribute('.panel details.msg[data-role="system"]', 'data-folded'), /^[\d,]+ characters$/);
		clean(page);
		await page.context().close();
	});

	test('markdown edge cases: bare URLs and autolinks, emphasis in a link label, tables; pathological lines stay fast', async () => {
		const page = await openSpan();
		const r = await page.evaluate(async () => {
			const { markdown } = await import('/assets/md.js');
			const el = markdown('see https://example.com/a_b, <https://x.org/y> and [**bold** link](http://e.com)\n\n| a | b |\n|---|---|\n| 1 | `2` |\n\n![pic](https://e.com/p.png) <b onclick=alert(1)>x</b>');
			const times = {};
			for (const [k, v] of Object.entries({ stars: '*a '.repeat(20000), bold: '**a '.repeat(15000), tildes: '~~a '.repeat(15000), ticks: '`a '.repeat(20000) })) {
				const t = performance.now();
				markdown(v);
				times[k] = performance.now() - t;
			}
			return { links: [...el.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.textContent]), strong: el.querySelector('a strong')?.textContent,
				cells: [...el.querySelectorAll('td')].map((td) => td.textContent), imgs: el.querySelectorAll('img, b').length, text: el.textContent, times };
		});
		assert.deepEqual(r.links, [['https://example.com/a_b', 'https://example.com/a_b'], ['https://x.org/y', 'https://x.org/y'],
			['http://e.com', 'bold link'], ['https://e.com/p.png', '🖼 pic']]);
		assert.equal(r.strong, 'bold');
		assert.deepEqual(r.cells, ['1', '2']);
		assert.equal(r.imgs, 0, 'no image loaded, no HTML element');
		assert.ok(r.text.includes('<b onclick=alert(1)>x</b>'));
		for (const [k, ms] of Object.entries(r.times)) assert.ok(ms < 400, `${k}: ${Math.round(ms)} ms for 60,000 characters`);
		clean(page);
		await page.context().close();
	});

	test('copy as OpenAI and Anthropic request, and copy a message', async () => {
		const page = await openSpan();
		const clip = () => page.evaluate(() => navigator.clipboard.readText());
		await page.click('.panel [data-copy="Copy as OpenAI request"]');
		await page.waitForSelector('.panel [data-copy="Copy as OpenAI request"]:text-is("Copied")');
		const oa = JSON.parse(await clip());
		assert.equal(oa.model, 'gpt-4o');
		assert.equal(oa.temperature, 0.2);
		assert.equal(oa.max_tokens, 512);
		assert.deepEqual(oa.messages.map((m) => m.role), ['system', 'user']);
		assert.equal(oa.messages[1].content, PROMPT);
		await page.click('.panel [data-copy="Copy as Anthropic request"]');
		await page.waitForSelector('.panel [data-copy="Copy as Anthropic request"]:text-is("Copied")');
		const an = JSON.parse(await clip());
		assert.equal(an.model, 'gpt-4o');
		assert.equal(an.system, SYSTEM);
		assert.equal(an.max_tokens, 512);
		assert.deepEqual(an.messages, [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }]);
		await page.click('.panel .msg[data-role="user"] [data-copy="Copy"]');
		await page.waitForFunction(async (want) => (await navigator.clipboard.readText()) === want, PROMPT);
		clean(page);
		await page.context().close();
	});
});
