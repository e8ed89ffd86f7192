// scoreconfigs.test.mjs: score configs and session annotations in Debian's
// chromium (issue 14 item 4): the /settings/scores page creates, edits and
// deletes configs (a bad range refused with the server's message); the
// session page's Annotate form offers them (a numeric range bounded, a
// categorical config as a select, a boolean as true/false), a value out of
// range is refused by the server, and the annotations round-trip through
// /api/scores?session_id= and show in the sessions list. Markup in a
// config description or a comment stays text. Screenshots light and dark.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, listOf } from '../js/helpers.mjs';
import { clean, demoSuite, shot } from './browser.mjs';

const suite = demoSuite('ui-scoreconfigs', 20, 7);

describe('score configs page', () => {
	test('create, edit and delete configs; a bad range refused (light and dark)', async () => {
		for (const theme of ['light', 'dark']) {
			const page = await suite.open('/settings/scores', 'h1:has-text("Score configs")', { theme });
			page.allowed.push(/\/api\/score-configs$/);   // the refused range below
			const form = 'form.cfg-form';
			const create = async (fill) => {
				await page.click('[data-new-config]');
				await page.waitForSelector(form);
				await fill();
				await page.click(`${form} button[type="submit"]`);
			};
			// numeric with min > max: the server's message
			await create(async () => {
				await page.fill(`${form} input[name="name"]`, `rating-${theme}`);
				await page.selectOption(`${form} select[name="type"]`, 'numeric');
				await page.fill(`${form} input[name="min"]`, '5');
				await page.fill(`${form} input[name="max"]`, '1');
			});
			await page.waitForSelector(`${form} .err:has-text("over max")`);
			await page.fill(`${form} input[name="min"]`, '1');
			await page.fill(`${form} input[name="max"]`, '5');
			await page.fill(`${form} input[name="description"]`, '<img src=x onerror=alert(1)> 1 bad, 5 great');
			await page.click(`${form} button[type="submit"]`);
			await page.waitForSelector(`tr[data-config="rating-${theme}"]`);
			await create(async () => {
				await page.fill(`${form} input[name="name"]`, `helpful-${theme}`);
				await page.selectOption(`${form} select[name="type"]`, 'categorical');
				await page.fill(`${form} input[name="categories"]`, 'yes, no, partly');
				await shot(page, `score-config-form-${theme}`);
			});
			await page.waitForSelector(`tr[data-config="helpful-${theme}"]`);
			await create(async () => {
				await page.fill(`${form} input[name="name"]`, `resolved-${theme}`);
				await page.selectOption(`${form} select[name="type"]`, 'boolean');
			});
			await page.waitForSelector(`tr[data-config="resolved-${theme}"]`);
			assert.equal(await page.textContent(`tr[data-config="rating-${theme}"] td:nth-child(3)`), '1 to 5');
			assert.equal(await page.locator('tr img').count(), 0, 'a description is text');
			// edit: the categories change
			await page.click(`button[aria-label="Edit score config helpful-${theme}"]`);
			await page.fill(`${form} input[name="categories"]`, 'yes, no');
			await page.click(`${form} button[type="submit"]`);
			await page.waitForSelector(`tr[data-config="helpful-${theme}"] td:has-text("yes, no")`);
			await shot(page, `score-configs-${theme}`);
			const cfgs = (await getJson(suite.server, '/api/score-configs')).items;
			assert.deepEqual(cfgs.find((c) => c.name === `helpful-${theme}`).categories, ['yes', 'no']);
			assert.deepEqual([cfgs.find((c) => c.name === `rating-${theme}`).min, cfgs.find((c) => c.name === `rating-${theme}`).max], [1, 5]);
			// delete
			await page.click(`button[aria-label="Delete score config resolved-${theme}"]`);
			await page.waitForSelector(`tr[data-config="resolved-${theme}"]`, { state: 'detached' });
			assert.ok(!(await getJson(suite.server, '/api/score-configs')).items.some((c) => c.name === `resolved-${theme}`));
			clean(page);
			await page.context().close();
		}
	});
});

describe('session annotations', () => {
	test('annotate a session with configs: refused out of range, listed, in the API and the sessions list (light and dark)', async () => {
		const { items } = await getJson(suite.server, '/api/sessions?range=all&limit=5');
		assert.ok(items.length >= 2, 'the demo has sessions');
		for (const [i, theme] of ['light', 'dark'].entries()) {
			const sid = items[i].session_id;
			const page = await suite.open(`/sessions/${encodeURIComponent(sid)}`, '[data-annotate="session"]', { theme });
			page.allowed.push(/\/api\/scores$/);   // the refused value below
			const form = '.session-scores form.annot-form';
			await page.click('[data-annotate="session"]');
			// the configs are offered: numeric bounded, categorical as a select
			await page.selectOption(`${form} select[name="config"]`, 'c:rating-light');
			assert.deepEqual([await page.getAttribute(`${form} input[name="value"]`, 'min'), await page.getAttribute(`${form} input[name="value"]`, 'max')], ['1', '5']);
			await page.fill(`${form} input[name="value"]`, '9');
			await page.evaluate((f) => document.querySelector(`${f} input[name="value"]`).removeAttribute('max'), form);
			await page.fill(`${form} input[name="comment"]`, '<script>alert(1)</script> long chat');
			await page.click(`${form} button[type="submit"]`);
			await page.waitForSelector(`${form} .err:has-text("maximum 5")`);
			await page.fill(`${form} input[name="value"]`, '4');
			await page.click(`${form} button[type="submit"]`);
			await page.waitForSelector('.session-scores li.annot[data-score-name="rating-light"]');
			await page.click('[data-annotate="session"]');
			await page.selectOption(`${form} select[name="config"]`, 'c:helpful-light');
			assert.deepEqual(await page.$$eval(`${form} select[name="value"] option`, (os) => os.map((o) => o.value)), ['yes', 'no']);
			await page.selectOption(`${form} select[name="value"]`, 'no');
			await page.click(`${form} button[type="submit"]`);
			await page.waitForSelector('.session-scores li.annot[data-score-name="helpful-light"]');
			// a free boolean shows as true/false
			await page.click('[data-annotate="session"]');
			await page.selectOption(`${form} select[name="config"]`, '');
			await page.fill(`${form} input[name="name"]`, 'escalated');
			await page.selectOption(`${form} select[name="type"]`, 'boolean');
			await page.selectOption(`${form} select[name="value"]`, 'false');
			await page.click(`${form} button[type="submit"]`);
			await page.waitForSelector('.session-scores li.annot[data-score-name="escalated"]');
			assert.equal(await page.textContent('.session-scores li.annot[data-score-name="escalated"] .chip'), 'escalated: false');
			assert.equal(await page.locator('.session-scores script').count(), 0, 'a comment is text');
			await shot(page, `session-annotate-${theme}`);
			let stored = listOf(await getJson(suite.server, `/api/scores?session_id=${encodeURIComponent(sid)}`));
			assert.deepEqual(stored.map((s) => [s.name, s.source, s.trace_id, s.session_id]).sort(), [
				['escalated', 'annotation', null, sid], ['helpful-light', 'annotation', null, sid], ['rating-light', 'annotation', null, sid]]);
			assert.equal(stored.find((s) => s.name === 'rating-light').comment, '<script>alert(1)</script> long chat');
			assert.equal(stored.find((s) => s.name === 'escalated').bool_value, false);
			// edit one, delete another
			await page.click('.session-scores li.annot[data-score-name="rating-light"] button:has-text("Edit")');
			await page.fill(`${form} input[name="value"]`, '2');
			await page.click(`${form} button[type="submit"]`);
			await page.waitForSelector('.session-scores li.annot .chip:has-text("rating-light: 2")');
			await page.click('.session-scores li.annot[data-score-name="helpful-light"] button:has-text("Delete")');
			await page.waitForSelector('.session-scores li.annot[data-score-name="helpful-light"]', { state: 'detached' });
			stored = listOf(await getJson(suite.server, `/api/scores?session_id=${encodeURIComponent(sid)}`));
			assert.deepEqual(stored.map((s) => [s.name, s.value]).sort(), [['escalated', 0], ['rating-light', 2]]);
			// the sessions list shows them (booleans as true/false)
			await page.goto(`${suite.server.url}/sessions?range=all`);
			await page.waitForSelector(`tr[data-session-id="${sid}"] .c-scores .chip`);
			const chips = await page.$$eval(`tr[data-session-id="${sid}"] .c-scores .chip`, (cs) => cs.map((c) => c.textContent));
			assert.deepEqual(chips.sort(), ['escalated: false', 'rating-light: 2']);
			if (theme === 'dark') await shot(page, 'sessions-scores-dark');
			clean(page);
			await page.context().close();
		}
	});
});
