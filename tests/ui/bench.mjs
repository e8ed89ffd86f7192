// bench.mjs URL: posts one 5,000-span trace to the tracelite at URL and
// prints how long chromium takes to open it in the web UI (navigation to
// the waterfall painted, median of 5 cold page loads) and how long and
// large the API answer behind it is. Run by tests/bench/run.sh.
import { performance } from 'node:perf_hooks';
import crypto from 'node:crypto';
import { bigTraceRequest, launch } from './browser.mjs';

const url = process.argv[2];
const SPANS = 5000, RUNS = 5;
const tid = crypto.randomBytes(16).toString('hex');
const post = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' },
	body: JSON.stringify(bigTraceRequest(SPANS, tid)) });
if (!post.ok) throw new Error(`POST /v1/traces: ${post.status} ${await post.text()}`);

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const api = [];
let bytes = 0;
for (let i = 0; i < RUNS; i++) {
	const t = performance.now();
	const r = await fetch(`${url}/api/traces/${tid}`, { headers: { 'accept-encoding': 'identity' } });
	bytes = (await r.arrayBuffer()).byteLength;
	api.push(performance.now() - t);
}
const browser = await launch();
const open = [];
for (let i = 0; i < RUNS; i++) {
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const page = await context.newPage();
	const t = performance.now();
	await page.goto(`${url}/traces/${tid}`);
	await page.waitForFunction((n) => document.querySelector('.wf-axis .lbl')?.textContent.startsWith(n) && document.querySelector('.wf-row'), SPANS.toLocaleString('en-US'));
	open.push(performance.now() - t);
	await context.close();
}
await browser.close();
console.log(`UI: ${SPANS}-span trace API answer ms: ${median(api).toFixed(0)} (${(bytes / 1048576).toFixed(1)} MiB JSON)`);
console.log(`UI: ${SPANS}-span trace opens in the browser ms: ${median(open).toFixed(0)} (median of ${RUNS}, page load to waterfall painted)`);
