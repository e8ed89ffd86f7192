// browser.mjs: what the UI tests share: Debian's chromium driven by
// playwright-core, pages that record every console error and failed
// request, demo-filled servers, and screenshots under tests/artifacts/ui/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { BIN, REPO, startServer, tempDataDir } from '../js/helpers.mjs';

export const SHOTS = path.join(REPO, 'tests/artifacts/ui');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
	if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (apt-get install chromium)`);
	return chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
	});
}

/* A server on a data directory filled by `tracelite demo --data` (traces). */
export async function demoServer(label, traces, seed = 1) {
	const dataDir = tempDataDir(label);
	if (traces > 0) execFileSync(BIN, ['demo', '--data', dataDir, '--traces', String(traces), '--seed', String(seed)]);
	return startServer({ label, dataDir });
}

/* A page (1280x800, theme) whose console errors, page errors and failed
 * requests (network failures and HTTP >= 400) are collected in `problems`;
 * allow(url) exempts responses a test expects to fail. */
export async function newPage(browser, { theme = 'light', width = 1280, height = 800 } = {}) {
	const context = await browser.newContext({ viewport: { width, height }, colorScheme: theme });
	const page = await context.newPage();
	page.problems = [];
	page.allowed = [];
	const allowed = (url) => page.allowed.some((re) => re.test(url));
	page.on('console', (m) => { if (m.type() === 'error' && !allowed(m.location()?.url || '') && !/Failed to load resource/.test(m.text())) page.problems.push(`console: ${m.text()}`); });
	page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
	page.on('requestfailed', (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || '')) page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
	page.on('response', (r) => { if (r.status() >= 400 && !allowed(r.url())) page.problems.push(`HTTP ${r.status()}: ${r.url()}`); });
	return page;
}

/* A new page (newPage opts) at url, returned once selector shows. */
export async function openAt(browser, url, selector, opts = {}) {
	const page = await newPage(browser, opts);
	await page.goto(url);
	await page.waitForSelector(selector, { timeout: 10000 });
	return page;
}

/* Fails the test if the page logged an error or a request failed. */
export const clean = (page) => assert.deepEqual(page.problems, [], 'console errors or failed requests');

export async function shot(page, name) {
	fs.mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/* An OTLP JSON request holding one agent trace of n spans: a root, and
 * under it turns of an LLM call followed by a tool call with a nested
 * retrieval, every 50th tool failing with an exception event. */
export function bigTraceRequest(n, tid) {
	const t0 = BigInt(Date.now() - 600e3) * 1000000n;
	const ns = (ms) => (t0 + BigInt(Math.round(ms * 1e6))).toString();
	const kv = (o) => Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: String(v) } }));
	const sid = (i) => (i + 1).toString(16).padStart(16, '0');
	const spans = [{ traceId: tid, spanId: sid(0), name: 'invoke_agent big_agent', kind: 2, startTimeUnixNano: ns(0),
		endTimeUnixNano: ns(n * 10), attributes: kv({ 'gen_ai.operation.name': 'invoke_agent' }) }];
	for (let i = 1; i < n; i++) {
		const turn = Math.floor((i - 1) / 3), role = (i - 1) % 3, at = turn * 30 + role * 10;
		const s = { traceId: tid, spanId: sid(i), parentSpanId: role === 2 ? sid(i - 1) : sid(0), kind: 1,
			startTimeUnixNano: ns(at), endTimeUnixNano: ns(at + (role === 2 ? 4 : 9)) };
		if (role === 0) {
			Object.assign(s, { name: 'chat gpt-4o', kind: 3, attributes: kv({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o',
				'gen_ai.usage.input_tokens': 100 + turn, 'gen_ai.usage.output_tokens': 20,
				'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `step ${turn}` }] }]) }) });
		} else if (role === 1) {
			s.name = 'execute_tool search';
			s.attributes = kv({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' });
			if (turn % 50 === 49) {
				s.status = { code: 2, message: 'tool timed out' };
				s.events = [{ name: 'exception', timeUnixNano: ns(at + 8), attributes: kv({ 'exception.type': 'TimeoutError', 'exception.message': 'tool timed out', 'exception.stacktrace': 'Traceback (most recent call last):\n  File "agent.py", line 42, in run\nTimeoutError: tool timed out' }) }];
			}
		} else {
			s.name = 'retrieve documents';
			s.attributes = kv({ 'openinference.span.kind': 'RETRIEVER' });
		}
		spans.push(s);
	}
	return { resourceSpans: [{ resource: { attributes: kv({ 'service.name': 'big-agent' }) }, scopeSpans: [{ scope: { name: 'ui-test' }, spans }] }] };
}
