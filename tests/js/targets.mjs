// targets.mjs: real replication targets for the tests, from Debian's
// packages (installed with apt-get when missing and running as root):
// a Postgres (initdb + pg_ctl as the postgres user) with ssl=on, a
// self-signed certificate and only hostssl logins, and a clickhouse-server
// with a generated config (http_port and https_port, self-signed). Each on
// free loopback ports below the ephemeral range (stablePort: a pause and
// resume keeps them) in its own temp directory; stop() removes it.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { sleep, stablePort } from './helpers.mjs';

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }).toString();

function pgBinDir() {
	const root = '/usr/lib/postgresql';
	if (!fs.existsSync(root)) return null;
	const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin/initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(root, versions[0], 'bin') : null;
}

function haveClickHouse() {
	try { run('sh', ['-c', 'command -v clickhouse-server']); return true; } catch { return false; }
}

/* The lock every apt-get of the test suite takes (flock), tests/run.sh's too. */
const APT_LOCK = '/tmp/tracelite-apt.lock';

/* True if apt has a candidate for the package (after apt-get update). */
function aptHas(name) {
	try {
		const m = /Candidate: (\S+)/.exec(run('apt-cache', ['policy', name]));
		return Boolean(m) && m[1] !== '(none)';
	} catch { return false; }
}

/* Installs postgresql and clickhouse-server when missing (needs root).
 * Debian 13 has no clickhouse-server package (Debian 12 has 18.16): then
 * the rest is installed and { clickhouse: false } tells the tests to run
 * against Postgres alone. Returns { clickhouse } (installed or not). */
export function ensureInstalled() {
	const missing = [];
	if (!pgBinDir()) missing.push('postgresql');
	if (!haveClickHouse()) missing.push('clickhouse-server');
	try { run('sh', ['-c', 'command -v openssl']); } catch { missing.push('openssl'); }
	if (!missing.length) return { clickhouse: true };
	if (process.getuid() !== 0) throw new Error(`replication tests need Debian packages: apt-get install ${missing.join(' ')}`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	/* one apt-get at a time: the plain and the sanitized suites run this
	 * file at once, beside tests/run.sh installing chromium (APT_LOCK) */
	const apt = (args, timeout) => run('flock', [APT_LOCK, 'apt-get', '-o', 'DPkg::Lock::Timeout=600', ...args], { env, timeout });
	apt(['update', '-q'], 900000);
	const install = missing.filter((p) => p !== 'clickhouse-server' || aptHas(p));
	if (install.length) apt(['install', '-y', '-q', '--no-install-recommends', ...install], 1200000);
	return { clickhouse: haveClickHouse() };
}

function userIds(user) {
	return { uid: Number(run('id', ['-u', user]).trim()), gid: Number(run('id', ['-g', user]).trim()) };
}

function chownR(dir, { uid, gid }) {
	fs.chownSync(dir, uid, gid);
	for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, f.name);
		if (f.isDirectory()) chownR(p, { uid, gid });
		else fs.chownSync(p, uid, gid);
	}
}

/* A self-signed certificate for localhost and 127.0.0.1 in dir. */
function selfSigned(dir) {
	const cert = path.join(dir, 'server.crt');
	const key = path.join(dir, 'server.key');
	run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
		'-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert]);
	fs.chmodSync(key, 0o600);
	return { cert, key };
}

export const PG_PASSWORD = 'pg-Secret-42';
export const CH_PASSWORD = 'ch-Secret-42';

export class Postgres {
	static async start() {
		const pg = new Postgres();
		pg.bin = pgBinDir();
		pg.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracelite-pg-'));
		pg.data = path.join(pg.dir, 'data');
		pg.port = await stablePort();
		const ids = userIds('postgres');
		fs.writeFileSync(path.join(pg.dir, 'pw'), PG_PASSWORD);
		chownR(pg.dir, ids);
		pg.as = { uid: ids.uid, gid: ids.gid };
		run(path.join(pg.bin, 'initdb'), ['-D', pg.data, '-U', 'postgres', '--auth-local=trust',
			'--auth-host=scram-sha-256', `--pwfile=${path.join(pg.dir, 'pw')}`], { ...pg.as, cwd: pg.dir });
		const { cert, key } = selfSigned(pg.data);
		chownR(pg.data, ids);
		pg.cert = cert;
		fs.appendFileSync(path.join(pg.data, 'postgresql.conf'), [
			`port = ${pg.port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${pg.dir}'`,
			'ssl = on', `ssl_cert_file = '${cert}'`, `ssl_key_file = '${key}'`, 'fsync = off',
			'shared_buffers = 32MB', 'max_connections = 20', ''].join('\n'));
		// TLS only: a client that does not use it cannot log in over TCP
		fs.writeFileSync(path.join(pg.data, 'pg_hba.conf'),
			'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n');
		await pg.resume();
		return pg;
	}

	get url() {
		return `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${this.port}/postgres?sslmode=require`;
	}

	async resume() {
		run(path.join(this.bin, 'pg_ctl'), ['-D', this.data, '-l', path.join(this.dir, 'log'), '-w', '-t', '60', 'start'],
			{ ...this.as, cwd: this.dir, timeout: 70000 });
	}

	async pause() {
		run(path.join(this.bin, 'pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop'], { ...this.as, cwd: this.dir });
	}

	/* Rows of sql as arrays of strings (psql -At over the local socket). */
	query(sql) {
		const out = run(path.join(this.bin, 'psql'), ['-h', this.dir, '-p', String(this.port), '-U', 'postgres',
			'-d', 'postgres', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { cwd: this.dir });
		return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
	}

	async stop() {
		try { await this.pause(); } catch { /* already stopped */ }
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}

export class ClickHouse {
	static async start() {
		const ch = new ClickHouse();
		ch.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracelite-ch-'));
		ch.httpPort = await stablePort();
		ch.httpsPort = await stablePort();
		const tcpPort = await stablePort();
		const { cert, key } = selfSigned(ch.dir);
		ch.cert = cert;
		const d = ch.dir;
		fs.writeFileSync(path.join(d, 'config.xml'), `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${d}/server.log</log><errorlog>${d}/error.log</errorlog></logger>
  <http_port>${ch.httpPort}</http_port>
  <https_port>${ch.httpsPort}</https_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <openSSL><server><certificateFile>${cert}</certificateFile><privateKeyFile>${key}</privateKeyFile>
    <verificationMode>none</verificationMode><loadDefaultCAFile>false</loadDefaultCAFile></server></openSSL>
  <max_concurrent_queries>50</max_concurrent_queries>
  <mark_cache_size>67108864</mark_cache_size>
  <path>${d}/data/</path>
  <tmp_path>${d}/tmp/</tmp_path>
  <user_files_path>${d}/user_files/</user_files_path>
  <format_schema_path>${d}/format_schemas/</format_schema_path>
  <users_config>${d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
`);
		fs.writeFileSync(path.join(d, 'users.xml'), `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password>${CH_PASSWORD}</password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`);
		chownR(d, userIds('clickhouse'));
		await ch.resume();
		return ch;
	}

	url(db, { https = false, params = '' } = {}) {
		return https
			? `clickhouses://default:${CH_PASSWORD}@localhost:${this.httpsPort}/${db}${params}`
			: `clickhouse://default:${CH_PASSWORD}@127.0.0.1:${this.httpPort}/${db}${params}`;
	}

	async resume() {
		const ids = userIds('clickhouse');
		this.proc = spawn('clickhouse-server', [`--config-file=${path.join(this.dir, 'config.xml')}`],
			{ stdio: 'ignore', uid: ids.uid, gid: ids.gid, cwd: this.dir });
		this.exited = new Promise((r) => this.proc.on('exit', r));
		for (let i = 0; i < 300; i++) {
			try {
				if ((await this.query('SELECT 1')).trim() === '1') return;
			} catch { /* not up yet */ }
			if (this.proc.exitCode !== null) break;
			await sleep(100);
		}
		throw new Error(`clickhouse-server did not start; see ${this.dir}/error.log`);
	}

	async pause() {
		if (!this.proc || this.proc.exitCode !== null) return;
		this.proc.kill('SIGKILL');
		await this.exited;
	}

	/* The text ClickHouse answers to sql (throws on an error status). */
	query(sql, db = 'default') {
		return new Promise((resolve, reject) => {
			const req = http.request({ host: '127.0.0.1', port: this.httpPort, method: 'POST', path: `/?database=${db}`,
				auth: `default:${CH_PASSWORD}`, agent: false, timeout: 30000 }, (res) => {
				const parts = [];
				res.on('data', (c) => parts.push(c));
				res.on('end', () => {
					const text = Buffer.concat(parts).toString();
					if (res.statusCode === 200) resolve(text);
					else reject(new Error(`clickhouse ${res.statusCode}: ${text.slice(0, 300)}`));
				});
			});
			req.on('error', reject);
			req.on('timeout', () => req.destroy(new Error('clickhouse query timed out')));
			req.end(sql);
		});
	}

	/* Rows of sql as objects (FORMAT JSONEachRow appended). */
	async rows(sql, db) {
		const text = await this.query(`${sql} FORMAT JSONEachRow`, db);
		return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
	}

	async stop() {
		await this.pause();
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
