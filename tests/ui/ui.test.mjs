// ui.test.mjs: the web UI in Debian's chromium against tracelite servers
// filled by `tracelite demo` (and an empty one): every page loads with no
// console error or failed request, filters change the URL and the rows, a
// trace shows its waterfall and an LLM span its model and tokens, keyboard
// navigation, onboarding, API errors shown, a 5,000-span trace, sessions
// (list, paging, a session as a conversation), score cards per name, and a
// screenshot of each page in light and dark under tests/artifacts/ui/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, otlpSpan, postOk, postOtlp, startServer, tempDataDir, traceId } from '../js/helpers.mjs';
import { bigTraceRequest, clean, demoServer, launch, newPage, shot } from './browser.mjs';

let server, empty, browser, base;
const BIG = 5000;
const bigId = traceId();

before(async () => {
	[server, empty, browser] = await Promise.all([demoServer('ui', 150), demoServer('ui-empty', 0), launch()]);
	base = server.url;
	await postOk(server, '/v1/traces', bigTraceRequest(BIG, bigId));
});
after(async () => {
	await browser?.close();
	await Promise.all([server?.stop(), empty?.stop()]);
});

/* Opens path on a fresh page; returns the page once `selector` shows. */
async function open(path, selector, opts = {}) {
	const page = await newPage(browser, opts);
	await page.goto((opts.base || base) + path);
	await page.waitForSelector(selector, { timeout: 10000 });
	return page;
}

const rowTraceIds = (page) => page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.dataset.traceId));

describe('trace list', () => {
	test('loads the newest traces with no errors (light and dark screenshots)', async () => {
		const api = await getJson(server, '/api/traces?limit=100&from=' + new Date(Date.now() - 86400e3).toISOString());
		for (const theme of ['light', 'dark']) {
			const page = await open('/traces', 'tbody tr', { theme });
			const ids = await rowTraceIds(page);
			assert.deepEqual(ids.slice(0, 20), api.items.slice(0, 20).map((t) => t.trace_id));
			assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
			await shot(page, `traces-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('filters change the URL and the rows, and survive a reload', async () => {
		const page = await open('/traces', 'tbody tr');
		await page.selectOption('select[data-filter="status"]', 'error');
		await page.waitForURL(/status=error/);
		await page.waitForSelector('tbody tr');
		const statuses = await page.$$eval('tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
		assert.ok(statuses.length > 0 && statuses.every((s) => s === 'error'), statuses.join());

		const services = (await getJson(server, '/api/facets')).services;
		await page.selectOption('select[data-filter="service"]', services[0]);
		await page.waitForURL(new RegExp(`service=${services[0]}`));
		await page.waitForLoadState('networkidle');
		const want = await getJson(server, `/api/traces?status=error&service=${services[0]}&limit=100&from=${new Date(Date.now() - 86400e3).toISOString()}`);
		const expected = want.items.map((t) => t.trace_id);
		/* the rows come from the fetch the URL change starts; 'networkidle'
		 * was reached at the first load, so it does not wait for that fetch:
		 * wait for the rows to settle, then compare (a timeout leaves the
		 * comparison to fail with the difference) */
		if (expected.length)
			await page.waitForFunction((exp) => JSON.stringify([...document.querySelectorAll('tbody tr')]
				.map((tr) => tr.dataset.traceId)) === JSON.stringify(exp), expected, { timeout: 10000 }).catch(() => {});
		const ids = expected.length ? await rowTraceIds(page) : [];
		assert.deepEqual(ids, expected);

		await page.reload();
		await page.waitForLoadState('networkidle');
		assert.equal(await page.inputValue('select[data-filter="status"]'), 'error');
		assert.equal(await page.inputValue('select[data-filter="service"]'), services[0]);
		await page.fill('input[data-filter="min_ms"]', '999999999');
		await page.press('input[data-filter="min_ms"]', 'Enter');
		await page.waitForURL(/min_ms=999999999/);
		await page.waitForSelector('text=No traces match these filters');
		clean(page);
		await page.context().close();
	});

	test('text search: "/" focuses the box, the URL gets q, rows are the matches with marked snippets', async () => {
		const from = new Date(Date.now() - 86400e3).toISOString();
		const newest = (await getJson(server, `/api/traces?limit=20&from=${from}`)).items.find((t) => t.input_preview && t.trace_id !== bigId);
		const word = newest.input_preview.match(/[a-z]{6,}/gi).sort((a, b) => b.length - a.length)[0].toLowerCase();
		const want = await getJson(server, `/api/search?q=${word}&limit=100&from=${from}`);
		assert.ok(want.items.length > 0, 'demo data mentions the word');
		const page = await open('/traces', 'tbody tr');
		await page.waitForSelector('input[data-filter="q"]');
		await page.keyboard.press('/');
		assert.equal(await page.evaluate(() => document.activeElement.dataset.filter), 'q');
		await page.keyboard.type(word);
		await page.keyboard.press('Enter');
		await page.waitForURL(new RegExp(`q=${word}`));
		await page.waitForSelector('tbody tr mark');
		assert.deepEqual(await rowTraceIds(page), want.items.map((t) => t.trace_id));
		assert.match((await page.textContent('tbody tr mark')).toLowerCase(), new RegExp(word));
		await shot(page, 'traces-search-light');
		clean(page);
		await page.context().close();
	});

	test('sorting by a column orders the rows and is kept in the URL', async () => {
		const page = await open('/traces', 'tbody tr');
		await page.click('th button:text-is("Duration")');
		await page.waitForURL(/sort=duration_ms/);
		await page.click('th button:text-is("Duration")');
		await page.waitForURL(/sort=-duration_ms/);
		await page.waitForSelector('th[aria-sort="descending"]');
		const ids = await rowTraceIds(page);
		assert.equal(ids[0], bigId, 'the 5,000-span trace is the longest');
		clean(page);
		await page.context().close();
	});

	test('keyboard: j/k select rows and Enter opens the trace', async () => {
		const page = await open('/traces', 'tbody tr');
		const ids = await rowTraceIds(page);
		await page.keyboard.press('j');
		await page.keyboard.press('j');
		await page.keyboard.press('j');
		await page.keyboard.press('k');
		await page.waitForSelector('tbody tr:nth-child(2)[aria-selected="true"]');
		await page.keyboard.press('Enter');
		await page.waitForURL(new RegExp(`/traces/${ids[1]}`));
		await page.waitForSelector('.wf-row');
		clean(page);
		await page.context().close();
	});

	test('live mode shows a trace that arrives after the page loaded', async () => {
		const page = await open('/traces', 'tbody tr');
		await page.click('button:has-text("Live")');
		await page.waitForURL(/live=1/);
		await page.waitForSelector('button[aria-pressed="true"]:has-text("Live")');
		await page.waitForSelector('tbody tr');
		const tid = traceId();
		await postOtlp(server, [otlpSpan({ traceId: tid, name: 'arrived live' })], { resource: { 'service.name': 'live-svc' } });
		await page.waitForSelector(`tbody tr[data-trace-id="${tid}"]`, { timeout: 10000 });
		assert.equal(await page.textContent(`tbody tr[data-trace-id="${tid}"] td:nth-child(2)`), 'arrived live');
		clean(page);
		await page.context().close();
	});
});

describe('trace view', () => {
	test('shows the waterfall and an LLM span with its model and tokens', async () => {
		const list = await getJson(server, '/api/traces?limit=50');
		const demo = list.items.filter((x) => x.trace_id !== bigId);
		const t = demo.find((x) => x.llm_calls >= 2 && x.error_count > 0) || demo.find((x) => x.llm_calls >= 2);
		const detail = await getJson(server, `/api/traces/${t.trace_id}`);
		const llm = detail.spans.find((s) => s.type === 'llm' && s.model);
		for (const theme of ['light', 'dark']) {
			const page = await open(`/traces/${t.trace_id}`, '.wf-row', { theme });
			assert.equal(await page.locator('.wf-row').count(), detail.spans.length);
			await page.click(`.wf-row[data-span-id="${llm.span_id}"]`);
			await page.waitForURL(new RegExp(`span=${llm.span_id}`));
			await page.click('.tabs button[data-tab="llm"]');
			assert.equal(await page.textContent('.panel [data-field="model"]'), llm.model);
			assert.equal(await page.textContent('.panel [data-field="input_tokens"]'), llm.input_tokens.toLocaleString('en-US'));
			assert.equal(await page.textContent('.panel [data-field="output_tokens"]'), llm.output_tokens.toLocaleString('en-US'));
			assert.ok(await page.locator('.panel .msg').count() >= 1, 'the conversation is shown');
			await shot(page, `trace-llm-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('keyboard: j/k move, Left folds, Enter opens the panel, Esc closes it', async () => {
		const t = (await getJson(server, '/api/traces?limit=20')).items.find((x) => x.span_count >= 4 && x.trace_id !== bigId);
		const page = await open(`/traces/${t.trace_id}`, '.wf-row');
		const sel = () => page.getAttribute('.wf-row[aria-selected="true"]', 'data-span-id');
		/* a key's selection shows at the next animation frame: wait for it */
		const press = async (key) => {
			const was = await sel();
			await page.keyboard.press(key);
			await page.waitForFunction((f) => document.querySelector('.wf-row[aria-selected="true"]')?.dataset.spanId !== f, was);
			return sel();
		};
		const first = await sel();
		const second = await press('j');
		await press('j');
		assert.equal(await press('k'), second);
		assert.notEqual(second, first);
		await page.keyboard.press('Enter');
		await page.waitForSelector(`.panel[data-span-id="${second}"]`);
		await page.keyboard.press('j');
		await page.waitForSelector(`.panel:not([data-span-id="${second}"])`);
		await page.keyboard.press('Escape');
		await page.waitForSelector('.panel', { state: 'detached' });
		await page.keyboard.press('Home');
		await page.keyboard.press('ArrowLeft');
		await page.waitForFunction(() => document.querySelectorAll('.wf-row').length === 1);
		assert.equal(await page.getAttribute('.wf-row', 'aria-expanded'), 'false', 'root folded');
		await page.keyboard.press('ArrowRight');
		await page.waitForFunction((n) => document.querySelectorAll('.wf-row').length === n, t.span_count);
		clean(page);
		await page.context().close();
	});

	test('a deep link to a span opens it; errors show their exception', async () => {
		const t = (await getJson(server, '/api/traces?status=error&limit=5')).items[0];
		const bad = (await getJson(server, `/api/traces/${t.trace_id}`)).spans.find((s) => s.status.code === 2 && s.events.some((e) => e.name === 'exception'));
		const page = await open(`/traces/${t.trace_id}?span=${bad.span_id}`, `.panel[data-span-id="${bad.span_id}"]`);
		await page.click('.tabs button[data-tab="events"]');
		await page.waitForSelector('.event.exception .stack');
		assert.equal(await page.locator(`.wf-row[data-span-id="${bad.span_id}"] .wf-bar.b-error`).count(), 1);
		await shot(page, 'trace-exception-light');
		clean(page);
		await page.context().close();
	});

	test(`a ${BIG}-span trace opens with only the visible rows in the DOM and scrolls`, async () => {
		const page = await open(`/traces/${bigId}`, '.wf-row');
		assert.match(await page.textContent('.wf-axis .lbl'), /5,000 spans/);
		const inDom = await page.locator('.wf-row').count();
		assert.ok(inDom > 10 && inDom < 120, `${inDom} rows in the DOM`);
		const first = await page.getAttribute('.wf-row[aria-selected="true"]', 'data-span-id');
		await page.keyboard.press('End');
		/* the first row stays selected in the DOM until the next animation frame */
		await page.waitForFunction((f) => document.querySelector('.wf-row[aria-selected="true"]')?.dataset.spanId !== f, first);
		const last = await page.getAttribute('.wf-row[aria-selected="true"]', 'data-span-id');
		assert.equal(last, BIG.toString(16).padStart(16, '0'));
		await shot(page, 'trace-big-dark-end');
		clean(page);
		await page.context().close();
	});

	test('costs: two significant digits below $1; an LLM span\'s cost names the price table', async () => {
		const t = (await getJson(server, '/api/traces?limit=30')).items.find((x) => x.llm_calls > 0 && x.cost_usd > 0 && x.trace_id !== bigId);
		const llm = (await getJson(server, `/api/traces/${t.trace_id}`)).spans.find((s) => s.type === 'llm' && s.cost_usd > 0);
		assert.equal(llm.cost_source, 'price_table');
		const page = await open(`/traces/${t.trace_id}?span=${llm.span_id}`, `.panel[data-span-id="${llm.span_id}"]`);
		const fmt = (v) => page.evaluate(async (x) => (await import('/assets/util.js')).fmtCost(x), v);
		const cases = [[null, '–'], [0, '$0'], [1.5e-7, '$0.00000015'], [0.000015, '$0.000015'], [0.0034, '$0.0034'], [0.02728, '$0.027'],
			[0.5, '$0.50'], [12.345, '$12.35'], [1234.5, '$1,235'], [1e-9, '<$0.00000001']];
		for (const [v, want] of cases) assert.equal(await fmt(v), want, String(v));
		await page.click('.tabs button[data-tab="llm"]');
		assert.equal(await page.textContent('.panel [data-field="cost"]'), `${await fmt(llm.cost_usd)} (price table)`);
		assert.match(await page.textContent('.trace-head'), new RegExp(`Cost ${(await fmt(t.cost_usd)).replace('$', '\\$')}`));
		clean(page);
		await page.context().close();
	});

	test('an unknown trace shows the API error', async () => {
		const page = await newPage(browser);
		page.allowed.push(/\/api\/traces\/0{31}1$/);
		await page.goto(`${base}/traces/${'0'.repeat(31)}1`);
		await page.waitForSelector('[role="alert"]');
		assert.match(await page.textContent('[role="alert"]'), /trace not found/);
		clean(page);
		await page.context().close();
	});
});

describe('overview', () => {
	test('KPI tiles match the metrics API and the charts draw (light and dark)', async () => {
		for (const theme of ['light', 'dark']) {
			const page = await open('/', '.kpi');
			await page.waitForFunction(() => document.querySelectorAll('.uplot canvas').length === 4);
			const from = new URL(page.url()).searchParams.get('from');
			assert.equal(from, null, 'the default range is not written into the URL');
			const traces = await page.textContent('.kpi[aria-label="Traces"] .value');
			assert.match(traces, /^\d[\d,.k]*$/);
			const sum = await getJson(server, `/api/metrics/summary?from=${new Date(Date.now() - 86400e3).toISOString()}`);
			assert.equal(Number(traces.replace(/,/g, '')), sum.current.traces);
			await page.waitForSelector('table[aria-label="Top models"] tbody tr');
			if (theme === 'dark') await page.click('#theme');
			await page.waitForTimeout(200);
			await shot(page, `overview-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('a model row opens the traces filtered by it; the range picker is kept in the URL', async () => {
		const page = await open('/', 'table[aria-label="Top models"] tbody tr');
		const model = await page.textContent('table[aria-label="Top models"] tbody tr td');
		await page.selectOption('#range', '7d');
		await page.waitForURL(/range=7d/);
		await page.waitForSelector('table[aria-label="Top models"] tbody tr');
		await page.click('table[aria-label="Top models"] tbody tr');
		await page.waitForURL(/\/traces\?/);
		const url = new URL(page.url());
		assert.equal(url.searchParams.get('range'), '7d');
		assert.ok(url.searchParams.get('model'));
		await page.waitForSelector('tbody tr');
		const models = await page.$$eval('tbody tr td:nth-child(10)', (tds) => tds.map((td) => td.textContent));
		assert.ok(models.every((m) => m.includes(url.searchParams.get('model'))), models.join('|'));
		assert.ok(model.length > 0);
		clean(page);
		await page.context().close();
	});
});

describe('scores', () => {
	test('the latest scores link to their trace, whose header and span panel show them', async () => {
		const t = (await getJson(server, '/api/traces?limit=30')).items.find((x) => x.llm_calls > 0 && x.trace_id !== bigId);
		const llm = (await getJson(server, `/api/traces/${t.trace_id}`)).spans.find((s) => s.type === 'llm');
		await postOk(server, '/api/scores', [
			{ trace_id: t.trace_id, name: 'helpfulness', value: 0.75, source: 'human', comment: 'good answer' },
			{ trace_id: t.trace_id, span_id: llm.span_id, name: 'faithfulness', value: 1 }]);
		const page = await open('/scores', 'table[aria-label="Latest scores"] tbody tr');
		const row = page.locator('tbody tr', { hasText: 'faithfulness' }).first();
		await row.locator('a').click();
		await page.waitForSelector(`.panel[data-span-id="${llm.span_id}"]`);
		assert.match(await page.textContent('.panel'), /faithfulness: 1/);
		assert.match(await page.textContent('.trace-head'), /helpfulness: 0.75/);
		clean(page);
		await page.context().close();
	});
});

describe('scores summary', () => {
	test('a card per score name with the summary API\'s counts, distribution and trend (light and dark)', async () => {
		const traces = (await getJson(server, '/api/traces?limit=40')).items.filter((x) => x.trace_id !== bigId);
		const hoursAgo = (h) => new Date(Date.now() - h * 3600e3).toISOString();
		const scores = [];
		traces.forEach((t, i) => {
			scores.push({ trace_id: t.trace_id, name: 'relevance', value: (i % 7) / 6, timestamp: hoursAgo(1 + (i % 12)), source: 'eval' });
			if (i % 2) scores.push({ trace_id: t.trace_id, name: 'correct', value: i % 3 !== 0, timestamp: hoursAgo(2 + (i % 9)) });
			if (i % 3 === 0) scores.push({ trace_id: t.trace_id, name: 'tone', string_value: ['friendly', 'neutral', 'curt'][i % 4 % 3], timestamp: hoursAgo(i % 5) });
		});
		await postOk(server, '/api/scores', scores);
		const sum = await getJson(server, `/api/scores/summary?from=${new Date(Date.now() - 86400e3).toISOString()}`);
		assert.ok(sum.items.length >= 3);
		for (const theme of ['light', 'dark']) {
			const page = await open('/scores', '.score-card', { theme });
			const cards = await page.$$eval('.score-card', (els) => els.map((el) => ({
				name: el.dataset.scoreName, type: el.dataset.scoreType,
				count: el.querySelector('[data-field="count"]').textContent,
				bars: el.querySelectorAll('.bars .bar').length,
			})));
			assert.deepEqual(cards, sum.items.map((it) => ({ name: it.name, type: it.score_type, count: it.count.toLocaleString('en-US'), bars: it.distribution.length })));
			const rel = sum.items.find((it) => it.name === 'relevance');
			assert.equal(await page.textContent('.score-card[data-score-name="relevance"] [data-field="mean"]'), rel.mean.toFixed(3));
			assert.ok(rel.trend.length > 1, 'scores over several hours');
			await page.waitForFunction((n) => document.querySelectorAll('.score-card .uplot canvas').length === n,
				sum.items.filter((it) => it.trend.length > 1).length);
			await page.waitForSelector('table[aria-label="Latest scores"] tbody tr');
			await shot(page, `scores-${theme}`);
			clean(page);
			await page.context().close();
		}
	});
});

describe('sessions', () => {
	const dayAgo = () => new Date(Date.now() - 86400e3).toISOString();
	const rowIds = (page) => page.$$eval('table[aria-label="Sessions"] tbody tr', (trs) => trs.map((tr) => tr.dataset.sessionId));

	test('the list shows the API\'s sessions, most recent first (light and dark)', async () => {
		const api = await getJson(server, `/api/sessions?limit=100&from=${dayAgo()}`);
		assert.ok(api.items.length >= 5, 'the demo data has sessions');
		for (const theme of ['light', 'dark']) {
			const page = await open('/sessions', 'table[aria-label="Sessions"] tbody tr', { theme });
			assert.equal(await page.getAttribute('.nav a[data-page="sessions"]', 'aria-current'), 'page');
			assert.deepEqual(await rowIds(page), api.items.map((s) => s.session_id));
			const first = await page.$$eval('table[aria-label="Sessions"] tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
			assert.equal(first[1], api.items[0].user_id || '–');
			assert.equal(first[2], String(api.items[0].traces));
			await shot(page, `sessions-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('a user filter and the range change the URL and the rows', async () => {
		const all = await getJson(server, `/api/sessions?limit=100&from=${dayAgo()}`);
		const user = all.items.find((s) => s.user_id).user_id;
		const page = await open('/sessions', 'table[aria-label="Sessions"] tbody tr');
		await page.fill('input[data-filter="user_id"]', user);
		await page.press('input[data-filter="user_id"]', 'Enter');
		await page.waitForURL(new RegExp(`user_id=${user}`));
		const want = await getJson(server, `/api/sessions?limit=100&user_id=${user}&from=${dayAgo()}`);
		await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Sessions"] tbody tr').length === n, want.items.length);
		assert.deepEqual(await rowIds(page), want.items.map((s) => s.session_id));
		await page.selectOption('#range', '15m');
		await page.waitForURL(/range=15m/);
		const recent = await getJson(server, `/api/sessions?limit=100&user_id=${user}&from=${new Date(Date.now() - 15 * 60e3).toISOString()}`);
		await page.waitForSelector(recent.items.length ? 'table[aria-label="Sessions"] tbody tr' : '.empty');
		assert.equal(new URL(page.url()).searchParams.get('user_id'), user, 'the filter survives the range change');
		clean(page);
		await page.context().close();
	});

	test('the list pages by next_cursor with Load more', async () => {
		const many = await startServer({ label: 'ui-sessions', dataDir: tempDataDir('ui-sessions') });
		try {
			const spans = Array.from({ length: 130 }, (_, i) => otlpSpan({ traceId: traceId(), name: `turn ${i}`,
				start: (BigInt(Date.now() - 3600e3 + i * 1000) * 1000000n).toString(), attrs: { 'session.id': `s-${String(i).padStart(3, '0')}`, 'user.id': 'u1' } }));
			await postOtlp(many, spans);
			const page = await open('/sessions', 'table[aria-label="Sessions"] tbody tr', { base: many.url });
			assert.equal(await page.locator('table[aria-label="Sessions"] tbody tr').count(), 100);
			await page.click('button:text-is("Load more")');
			await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Sessions"] tbody tr').length === 130);
			const ids = await rowIds(page);
			assert.deepEqual(ids, Array.from({ length: 130 }, (_, i) => `s-${String(129 - i).padStart(3, '0')}`));
			assert.equal(await page.locator('button:text-is("Load more")').count(), 0);
			clean(page);
			await page.context().close();
		} finally { await many.stop(); }
	});

	test('a session shows its traces in order as a conversation; its trace links back to it (light and dark)', async () => {
		const list = await getJson(server, `/api/sessions?limit=100&from=${dayAgo()}`);
		const se = list.items.find((s) => s.traces >= 3) || list.items[0];
		const one = await getJson(server, `/api/sessions/${se.session_id}`);
		for (const theme of ['light', 'dark']) {
			const page = await newPage(browser, { theme });
			await page.goto(`${base}/sessions?range=7d`);
			await page.click(`table[aria-label="Sessions"] tbody tr[data-session-id="${se.session_id}"] a.mono`);
			await page.waitForURL(new RegExp(`/sessions/${se.session_id}\\?range=7d$`));
			await page.waitForSelector('.convo .turn');
			const turns = await page.$$eval('.convo .turn', (lis) => lis.map((li) => ({
				id: li.dataset.traceId, user: li.querySelector('.bubble.user').textContent, assistant: li.querySelector('.bubble.assistant').textContent,
			})));
			assert.deepEqual(turns.map((t) => t.id), one.traces.map((t) => t.trace_id), 'oldest first, as the API');
			const starts = one.traces.map((t) => t.start_time);
			assert.deepEqual(starts, starts.slice().sort());
			one.traces.forEach((t, i) => {
				if (t.input_preview) assert.ok(turns[i].user.startsWith(t.input_preview.slice(0, 100)), `turn ${i} input`);
				if (t.output_preview) assert.ok(turns[i].assistant.startsWith(t.output_preview.slice(0, 100)), `turn ${i} output`);
				/* previews the server cut at 240 bytes say so */
				if (t.output_preview) assert.equal(turns[i].assistant.endsWith('…'), Buffer.byteLength(t.output_preview) > 236, `turn ${i} cut`);
			});
			assert.match(await page.textContent('.pagehead .stats'), new RegExp(`Traces ${se.traces}`));
			await shot(page, `session-${theme}`);
			if (theme === 'dark') {
				const t = one.traces[one.traces.length - 1];
				await page.click(`.turn[data-trace-id="${t.trace_id}"] .meta a`);
				await page.waitForSelector('.wf-row');
				await page.click(`.trace-head a[href^="/sessions/"]`);
				await page.waitForURL(new RegExp(`/sessions/${se.session_id}`));
				await page.waitForSelector(`.convo .turn[data-trace-id="${t.trace_id}"]`);
			}
			clean(page);
			await page.context().close();
		}
	});

	test('an unknown session shows the API error', async () => {
		const page = await newPage(browser);
		page.allowed.push(/\/api\/sessions\/no-such-session/);
		await page.goto(`${base}/sessions/no-such-session`);
		await page.waitForSelector('[role="alert"]');
		assert.match(await page.textContent('[role="alert"]'), /session 'no-such-session' not found/);
		clean(page);
		await page.context().close();
	});
});

describe('onboarding', () => {
	test('an empty store explains how to send the first trace', async () => {
		for (const theme of ['light', 'dark']) {
			const page = await open('/traces', '.onboard', { base: empty.url, theme });
			const text = await page.textContent('.onboard');
			assert.match(text, new RegExp(`http://127.0.0.1:${empty.port}/v1/traces`));
			assert.match(text, /tracelite demo/);
			await shot(page, `onboarding-${theme}`);
			clean(page);
			await page.context().close();
		}
	});
});
