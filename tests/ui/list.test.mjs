// list.test.mjs: the trace list's reading aids in Debian's chromium against
// a demo-filled server: the Output column and two-line previews, the
// column chooser kept in localStorage, the peek panel (input, output,
// scores, metadata; Esc closes; link to the trace), and the attribute /
// metadata / tag / score filters round-tripping through the page URL into
// the API request, with chips to remove them and score bars linking to
// the filtered list. Screenshots in light and dark under tests/artifacts/ui/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, postOk } from '../js/helpers.mjs';
import { clean, demoSuite, newPage, shot } from './browser.mjs';

const dayAgo = () => new Date(Date.now() - 86400e3).toISOString();

const suite = demoSuite('ui-list', 120, 7);
const { open } = suite;
const headers = (page) => page.$$eval('thead th', (ths) => ths.map((th) => th.textContent));

describe('trace list columns', () => {
	test('an Output column next to Input, both wrapping to two lines (light and dark)', async () => {
		const api = await getJson(suite.server, `/api/traces?limit=100&from=${dayAgo()}`);
		const t = api.items.find((x) => x.output_preview && x.output_preview.length > 150);
		assert.ok(t, 'a demo trace with a long output');
		for (const theme of ['light', 'dark']) {
			const page = await open('/traces', 'tbody tr', { theme });
			const hs = await headers(page);
			assert.deepEqual(hs.slice(-3), ['Models', 'Input', 'Output']);
			const cell = page.locator(`tbody tr[data-trace-id="${t.trace_id}"] td.c-text`).nth(1);
			assert.equal(await cell.textContent(), t.output_preview);
			const box = await cell.locator('.clamp').boundingBox();
			assert.ok(box.height > 24 && box.height < 40, `two lines, ${box.height}px`);
			const models = await page.locator('thead th[data-col="models"]').boundingBox();
			assert.ok(models.width <= 130, `models column ${models.width}px`);
			await shot(page, `list-columns-${theme}`);
			clean(page);
			await page.context().close();
		}
	});

	test('the column chooser hides a column and remembers it across reloads', async () => {
		const page = await open('/traces', 'tbody tr');
		await page.click('.colchooser summary');
		await page.uncheck('input[data-col="service"]');
		await page.uncheck('input[data-col="llm_calls"]');
		await page.waitForFunction(() => !document.querySelector('thead th[data-col="service"]'));
		assert.ok(!(await headers(page)).includes('Service'));
		assert.ok(await page.isDisabled('input[data-col="name"]'), 'the trace name stays');
		await page.reload();
		await page.waitForSelector('tbody tr');
		const hs = await headers(page);
		assert.ok(!hs.includes('Service') && !hs.includes('LLM') && hs.includes('Output'), hs.join());
		assert.equal(await page.locator('tbody tr:first-child td').count(), hs.length);
		await page.click('.colchooser summary');
		await page.check('input[data-col="service"]');
		await page.waitForSelector('thead th[data-col="service"]');
		clean(page);
		await page.context().close();
	});
});

describe('search matches in the list', () => {
	test('a match goes in the column of its field: input matches never show under Output', async () => {
		const api = await getJson(suite.server, `/api/traces?limit=50&q=the&from=${dayAgo()}`);
		assert.ok(api.items.length > 0, 'demo traces match "the"');
		const page = await open(`/traces?q=the`, 'tbody tr mark');
		const labels = await page.$$eval('tbody tr', (rows) => rows.map((r) => {
			const [input, output] = [...r.querySelectorAll('td.c-text')].map((td) => td.querySelector('.faint')?.textContent ?? '');
			return { input, output };
		}));
		assert.ok(labels.length > 0);
		for (const l of labels) {
			assert.notEqual(l.output, 'input: ', 'an input match in the Output column');
			if (l.output.endsWith(': ')) assert.equal(l.output, 'output: ');
		}
		clean(page);
		await page.context().close();
	});
});

describe('peek panel', () => {
	test('a click on a row shows input, output, scores and metadata beside the list; Esc closes (light and dark)', async () => {
		const api = await getJson(suite.server, `/api/traces?limit=50&from=${dayAgo()}`);
		const t = api.items.find((x) => x.output_preview && !x.error_count && x.input_preview);
		const detail = await getJson(suite.server, `/api/traces/${t.trace_id}`);
		const root = detail.spans.find((s) => !s.parent_span_id);
		await postOk(suite.server, '/api/scores', [{ trace_id: t.trace_id, name: 'helpfulness', value: 0.9, comment: 'peek' }]);
		for (const theme of ['light', 'dark']) {
			const page = await open('/traces', 'tbody tr', { theme });
			await page.click(`tbody tr[data-trace-id="${t.trace_id}"] td.c-text`);
			await page.waitForSelector(`.peek[data-trace-id="${t.trace_id}"] section[aria-label="Metadata"] dd`);
			assert.equal(new URL(page.url()).pathname, '/traces', 'the list stays');
			assert.equal(new URL(page.url()).searchParams.get('peek'), t.trace_id);
			assert.ok(await page.isVisible('table[aria-label="Traces"]'));
			const text = (sel) => page.textContent(`.peek section[aria-label="${sel}"]`);
			assert.ok((await text('Input')).includes(root.input.slice(0, 200)), 'full input of the root span');
			assert.ok((await text('Output')).includes(root.output.slice(0, 200)), 'full output');
			assert.match(await text('Scores'), /helpfulness: 0.9/);
			const plan = JSON.parse(root.attributes.metadata).plan;
			assert.match(await text('Metadata'), new RegExp(`plan${plan}`));
			await shot(page, `list-peek-${theme}`);
			/* j moves the selection and the peek with it */
			await page.keyboard.press('Escape');
			await page.waitForSelector('.peek', { state: 'detached' });
			assert.equal(new URL(page.url()).searchParams.get('peek'), null);
			clean(page);
			await page.context().close();
		}
	});

	test('the peek survives a reload, follows j/k, and links to the full trace', async () => {
		const api = await getJson(suite.server, `/api/traces?limit=10&from=${dayAgo()}`);
		const [a, b] = api.items;
		const page = await open(`/traces?peek=${a.trace_id}`, `.peek[data-trace-id="${a.trace_id}"]`);
		await page.keyboard.press('j');
		await page.keyboard.press('j');
		await page.waitForSelector(`.peek[data-trace-id="${b.trace_id}"]`);
		await page.click('.peek a[data-open-trace]');
		await page.waitForURL(new RegExp(`/traces/${b.trace_id}`));
		await page.waitForSelector('.wf-row');
		assert.equal(await page.locator('.peek').count(), 0, 'the peek closes with the list');
		clean(page);
		await page.context().close();
	});
});

describe('attribute, metadata, tag and score filters', () => {
	/* the trace list's first-page /api/traces requests, as URLSearchParams */
	const watch = (page) => {
		const seen = [];
		page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === '/api/traces' && u.searchParams.get('limit') === '100' && !u.searchParams.has('cursor')) seen.push(u.searchParams); });
		return seen;
	};
	const rowIds = (page) => page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.dataset.traceId));

	test('the builder puts meta.plan=eq:pro and score.quality=gt:0.5 into the URL and the API request; chips remove them', async () => {
		const some = (await getJson(suite.server, `/api/traces?limit=30&from=${dayAgo()}`)).items;
		await postOk(suite.server, '/api/scores', some.map((t) => ({ trace_id: t.trace_id, name: 'quality', value: 0.7 })));
		const page = await open('/traces', 'tbody tr');
		const seen = watch(page);
		await page.click('button[data-fb="open"]');
		await page.selectOption('select[data-fb="kind"]', 'score');
		await page.waitForSelector('#fb-score-names option[value="quality"]', { state: 'attached' });
		await page.selectOption('select[data-fb="kind"]', 'meta');
		await page.fill('input[data-fb="key"]', 'plan');
		await page.selectOption('select[data-fb="op"]', 'eq');
		await page.fill('input[data-fb="value"]', 'pro');
		await page.press('input[data-fb="value"]', 'Enter');
		await page.waitForURL(/meta\.plan=eq%3Apro/);
		await page.waitForSelector('.fchip');
		await page.click('button[data-fb="open"]');
		await page.selectOption('select[data-fb="kind"]', 'score');
		await page.fill('input[data-fb="key"]', 'quality');
		await page.selectOption('select[data-fb="op"]', 'gt');
		await page.fill('input[data-fb="value"]', '0.5');
		await page.click('form.fbuilder button[type="submit"]');
		await page.waitForURL(/score\.quality=gt%3A0\.5/);
		await page.waitForFunction(() => document.querySelectorAll('.fchip').length === 2);
		await page.waitForLoadState('networkidle');
		const last = seen[seen.length - 1];
		assert.equal(last.get('meta.plan'), 'eq:pro');
		assert.equal(last.get('score.quality'), 'gt:0.5');
		assert.deepEqual(await page.$$eval('.fchip > span', (s) => s.map((x) => x.textContent)), ['meta.plan = pro', 'score.quality > 0.5']);
		await shot(page, 'list-filters-light');

		/* a reload keeps them; the rows are the API's answer to the same parameters */
		await page.reload();
		await page.waitForSelector('.fchip');
		await page.waitForLoadState('networkidle');
		const want = await getJson(suite.server, `/api/traces?limit=100&from=${dayAgo()}&meta.plan=eq:pro&score.quality=gt:0.5`);
		const ids = await page.locator('tbody tr').count() ? await rowIds(page) : [];
		assert.deepEqual(ids, want.items.map((x) => x.trace_id));
		/* where the API filters (the h-search branch), the rows are exactly the traces of plan pro with quality > 0.5 */
		if ((await getJson(suite.server, '/api/traces?limit=1&meta.plan=eq:no-such-plan')).items.length === 0) {
			assert.ok(ids.length > 0, 'some pro trace has quality > 0.5');
			for (const id of ids) {
				const d = await getJson(suite.server, `/api/traces/${id}`);
				assert.equal(JSON.parse(d.spans.find((x) => !x.parent_span_id).attributes.metadata).plan, 'pro', id);
				assert.ok(d.scores.some((x) => x.name === 'quality' && x.value > 0.5), id);
			}
		}

		await page.click('.fchip[data-filter-param="score.quality=gt:0.5"] button');
		await page.waitForFunction(() => document.querySelectorAll('.fchip').length === 1);
		assert.equal(new URL(page.url()).searchParams.get('score.quality'), null);
		assert.equal(new URL(page.url()).searchParams.get('meta.plan'), 'eq:pro');
		await page.click('button:text-is("Clear filters")');
		await page.waitForFunction(() => !document.querySelector('.fchip'));
		assert.equal(new URL(page.url()).search, '');
		clean(page);
		await page.context().close();
	});

	test('repeated parameters (a range on one key), exists and tags go to the API as written', async () => {
		const q = 'attr.gen_ai.usage.input_tokens=gt:10&attr.gen_ai.usage.input_tokens=lt:100000&resource.service.version=exists&tag=production';
		const page = await newPage(suite.browser);
		const seen = watch(page);
		await page.goto(`${suite.server.url}/traces?${q}`);
		await page.waitForSelector('.fchip');
		await page.waitForLoadState('networkidle');
		const sent = seen[seen.length - 1];
		assert.deepEqual(sent.getAll('attr.gen_ai.usage.input_tokens'), ['gt:10', 'lt:100000']);
		assert.equal(sent.get('resource.service.version'), 'exists');
		assert.equal(sent.get('tag'), 'production');
		assert.deepEqual(await page.$$eval('.fchip > span', (s) => s.map((x) => x.textContent)),
			['attr.gen_ai.usage.input_tokens > 10', 'attr.gen_ai.usage.input_tokens < 100000', 'resource.service.version exists', 'tag: production']);
		clean(page);
		await page.context().close();
	});

	test('a metadata value in the peek adds its filter', async () => {
		const t = (await getJson(suite.server, `/api/traces?limit=5&from=${dayAgo()}`)).items[0];
		const page = await open(`/traces?peek=${t.trace_id}`, '.peek section[aria-label="Metadata"] dd button');
		const plan = await page.textContent('.peek section[aria-label="Metadata"] dd button');
		await page.click('.peek section[aria-label="Metadata"] dd button');
		await page.waitForURL(new RegExp(`meta\\.plan=eq%3A${plan}`));
		await page.waitForSelector('.fchip');
		clean(page);
		await page.context().close();
	});

	test('a score distribution bar opens the traces with that score', async () => {
		const items = (await getJson(suite.server, `/api/traces?limit=30&from=${dayAgo()}`)).items;
		await postOk(suite.server, '/api/scores', items.map((t, i) => ({ trace_id: t.trace_id, name: 'hallucination', value: i % 3 === 0 })));
		await postOk(suite.server, '/api/scores', items.map((t, i) => ({ trace_id: t.trace_id, name: 'quality', value: (i % 10) / 10 })));
		const page = await open('/scores', '.score-card[data-score-name="hallucination"] .bar');
		await page.click('.score-card[data-score-name="hallucination"] .bar:has-text("true")');
		await page.waitForURL(/\/traces\?.*score\.hallucination=eq%3Atrue/);
		await page.waitForSelector('.fchip');
		const want = await getJson(suite.server, `/api/traces?limit=100&from=${dayAgo()}&score.hallucination=eq:true`);
		const ids = want.items.map((x) => x.trace_id);
		/* the chips come from the URL at once, the rows with the list's answer
		 * (networkidle was reached on the scores page already): wait for them,
		 * and on a timeout let the assertion show what the page has */
		await page.waitForFunction((ids) => [...document.querySelectorAll('tbody tr')].map((tr) => tr.dataset.traceId).join() === ids.join(),
			ids, { timeout: 10000 }).catch(() => {});
		assert.deepEqual(await page.locator('tbody tr').count() ? await rowIds(page) : [], ids);
		if ((await getJson(suite.server, '/api/traces?limit=1&meta.plan=eq:no-such-plan')).items.length === 0) {
			assert.deepEqual(want.items.map((x) => x.trace_id).sort(), items.filter((t, i) => i % 3 === 0).map((t) => t.trace_id).sort());
		}
		await page.goBack();
		await page.waitForSelector('.score-card[data-score-name="quality"] .bar');
		await page.locator('.score-card[data-score-name="quality"] .bar').first().click();
		await page.waitForURL(/\/traces\?/);
		const u = new URL(page.url());
		assert.deepEqual(u.searchParams.getAll('score.quality').map((v) => v.split(':')[0]), ['gt', 'lt']);
		clean(page);
		await page.context().close();
	});
});

describe('session previews', () => {
	test('a turn cut at 240 bytes expands to the whole input and output', async () => {
		const sessions = await getJson(suite.server, `/api/sessions?limit=100&from=${dayAgo()}`);
		let pick = null;
		for (const se of sessions.items) {
			const one = await getJson(suite.server, `/api/sessions/${se.session_id}`);
			const t = one.traces.find((x) => x.output_preview && Buffer.byteLength(x.output_preview) > 236);
			if (t) { pick = { se, t }; break; }
		}
		assert.ok(pick, 'a session with a cut output');
		const root = (await getJson(suite.server, `/api/traces/${pick.t.trace_id}`)).spans.find((s) => !s.parent_span_id);
		const page = await open(`/sessions/${pick.se.session_id}`, `.turn[data-trace-id="${pick.t.trace_id}"] button[data-expand]`);
		const bubble = `.turn[data-trace-id="${pick.t.trace_id}"] .bubble.assistant`;
		assert.ok((await page.textContent(bubble)).endsWith('…'));
		await page.click(`.turn[data-trace-id="${pick.t.trace_id}"] button[data-expand]`);
		await page.waitForSelector(`.turn[data-trace-id="${pick.t.trace_id}"] button[data-expand]`, { state: 'detached' });
		assert.equal(await page.textContent(bubble), root.output);
		clean(page);
		await page.context().close();
	});
});
