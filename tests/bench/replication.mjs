// replication.mjs: the replication figures of `make bench`. Fills a fresh
// store with demo traffic (BENCH_REPL_SPANS spans, default 100,000), starts
// a real ClickHouse and Postgres (tests/js/targets.mjs) and times
// `tracelite replicate --once` into each. Prints figures only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tempDataDir } from '../js/helpers.mjs';
import { ClickHouse, Postgres, ensureInstalled } from '../js/targets.mjs';

const bin = process.argv[2] || './tracelite';
const spans = Number(process.env.BENCH_REPL_SPANS || 100000);
const dir = tempDataDir('bench-repl');
const fill = spawnSync(bin, ['demo', '--data', `${dir}/data`, '--traces', String(Math.ceil(spans / 5.5)), '--seed', '3'],
	{ encoding: 'utf8' });
process.stdout.write(fill.stdout);
ensureInstalled();
const [pg, ch] = await Promise.all([Postgres.start(), ClickHouse.start()]);
try {
	for (const [label, url] of [['clickhouse', ch.url('bench')], ['postgres', pg.url]]) {
		const r = spawnSync(bin, ['replicate', '--once', url, '--data', `${dir}/data`], { encoding: 'utf8' });
		const m = /in ([0-9.]+) s \(([0-9]+) spans\/s\)/.exec(r.stdout);
		console.log(m ? `replication to ${label} (replicate --once, batches of 5000) spans/s: ${m[2]} (${m[1]} s)`
			: `replication to ${label} failed: ${r.stderr.slice(-500)}`);
	}
	const [chBytes] = await ch.rows("SELECT sum(bytes) AS b FROM system.parts WHERE active AND database = 'bench' AND table = 'spans'");
	const [[pgBytes, pgRows]] = pg.query("SELECT pg_total_relation_size('spans'), (SELECT count(*) FROM spans)");
	const [chRows] = await ch.rows('SELECT count() AS n FROM spans', 'bench');
	console.log(`clickhouse bytes per span: ${Math.round(Number(chBytes.b) / Number(chRows.n))}`);
	console.log(`postgres bytes per span: ${Math.round(Number(pgBytes) / Number(pgRows))}`);
} finally {
	await Promise.all([pg.stop(), ch.stop()]);
	fs.rmSync(dir, { recursive: true, force: true });
}
