// tls.test.mjs: HTTPS on the same port. The OpenTelemetry JS SDK's own
// exporters send over https trusting only the server's certificate (JSON in
// this process with the exporter's agent options, protobuf in a child
// process with NODE_EXTRA_CA_CERTS), and the spans are read back; curl
// refuses the untrusted certificate and accepts it with --cacert; bad and
// missing files stop start-up naming the file; --tls-self-signed makes a
// pair once (key mode 0600), reuses it, and prints the fingerprint openssl
// computes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ARTIFACTS, BIN, REPO, freePort, sleep, tempDataDir } from './helpers.mjs';

/* Starts BIN serve with extra args; resolves once stdout says it serves
 * (then .port, .stop()), or rejects with the output if it exits first. */
async function serve(args, { dataDir = tempDataDir('tls') } = {}) {
	const port = await freePort();
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--grpc-listen', 'off', '--data', dataDir, ...args],
		{ stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	proc.stdout.on('data', (d) => { out += d; });
	proc.stderr.on('data', (d) => { out += d; });
	const exit = new Promise((r) => proc.on('exit', (code) => r(code)));
	const deadline = Date.now() + 20000;
	let code = null;
	exit.then((c) => { code = c; });
	while (!/serving on https?:\/\//.test(out)) {
		if (code !== null) return { exited: true, code, out, dataDir };
		if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`no start in 20 s:\n${out}`); }
		await sleep(20);
	}
	return {
		port, dataDir, proc, get out() { return out; },
		url: `https://127.0.0.1:${port}`,
		async stop() {
			proc.kill('SIGTERM');
			const c = await exit;
			fs.writeFileSync(path.join(ARTIFACTS, `tls-${port}.log`), out);
			assert.equal(c, 0, `server exit ${c}:\n${out}`);
			assert.doesNotMatch(out, /Sanitizer|runtime error:/);
		},
	};
}

/* Expects start-up to fail; returns its output. */
async function serveFails(args) {
	const r = await serve(args);
	if (!r.exited) { await r.stop(); assert.fail(`started with ${args.join(' ')}`); }
	assert.notEqual(r.code, 0);
	return r.out;
}

function getHttps(url, ca) {
	return new Promise((resolve, reject) => {
		https.get(url, { ca, agent: false }, (res) => {
			let body = '';
			res.on('data', (d) => { body += d; });
			res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(body) }));
		}).on('error', reject);
	});
}

const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const curl = (...args) => spawnSync('curl', ['-sS', '--max-time', '10', ...args], { encoding: 'utf8' });

/* A certificate and key made by openssl (RSA, as a CA would hand out),
 * for 127.0.0.1 and localhost, plus the files the failure cases need. */
const dir = tempDataDir('tls-files');
const f = (name) => path.join(dir, name);
before(() => {
	openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.crt'),
		'-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
	openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f('other.key'));
	openssl('pkey', '-in', f('server.key'), '-aes256', '-passout', 'pass:secret', '-out', f('encrypted.key'));
	fs.writeFileSync(f('garbage.crt'), 'this is not a certificate\n');
	fs.writeFileSync(f('truncated.crt'), fs.readFileSync(f('server.crt'), 'utf8').slice(0, 300) +
		'\n-----END CERTIFICATE-----\n');
});

describe('HTTPS with --tls-cert and --tls-key', () => {
	let srv;
	let ca;
	before(async () => {
		srv = await serve(['--tls-cert', f('server.crt'), '--tls-key', f('server.key')]);
		ca = fs.readFileSync(f('server.crt'));
	});
	after(async () => { await srv?.stop(); });

	test('start-up names https and the fingerprint openssl computes', () => {
		assert.match(srv.out, new RegExp(`serving on https://127\\.0\\.0\\.1:${srv.port}`));
		const fp = openssl('x509', '-in', f('server.crt'), '-noout', '-fingerprint', '-sha256').trim().split('=')[1];
		assert.match(srv.out, new RegExp(`SHA-256 fingerprint ${fp}`));
	});

	test('curl refuses the untrusted certificate, accepts it with --cacert, and plain http fails', () => {
		const refused = curl(`${srv.url}/api/health`);
		assert.equal(refused.status, 60, refused.stderr);   // CURLE_PEER_FAILED_VERIFICATION
		assert.match(refused.stderr, /self[- ]signed certificate/i);
		const ok = curl('--cacert', f('server.crt'), `${srv.url}/api/health`);
		assert.equal(ok.status, 0, ok.stderr);
		assert.equal(JSON.parse(ok.stdout).status, 'ok');
		const byName = curl('--cacert', f('server.crt'), `https://localhost:${srv.port}/api/health`);
		assert.equal(byName.status, 0, byName.stderr);
		const plain = curl(`http://127.0.0.1:${srv.port}/api/health`);
		assert.notEqual(plain.status, 0);
	});

	test('the OTel JS SDK exports JSON over https with the certificate as its CA; spans read back', async () => {
		const exporter = new JsonExporter({ url: `${srv.url}/v1/traces`, httpAgentOptions: { ca } });
		const results = [];
		const provider = new BasicTracerProvider({
			resource: resourceFromAttributes({ 'service.name': 'tls-json' }),
			spanProcessors: [new SimpleSpanProcessor({
				export: (spans, done) => exporter.export(spans, (r) => { results.push(r); done(r); }),
				shutdown: () => exporter.shutdown(),
			})],
		});
		const span = provider.getTracer('tls').startSpan('over-tls-json');
		const tid = span.spanContext().traceId;
		span.end();
		await provider.forceFlush();
		await provider.shutdown();
		assert.deepEqual(results.map((r) => [r.code, r.error?.message]), [[0, undefined]]);
		const r = await getHttps(`${srv.url}/api/traces/${tid}`, ca);
		assert.equal(r.status, 200);
		assert.equal(r.json.spans[0].name, 'over-tls-json');
	});

	test('the protobuf exporter in a child process trusting it through NODE_EXTRA_CA_CERTS', async () => {
		const script = `
			import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
			import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
			const exporter = new OTLPTraceExporter({ url: process.env.URL + '/v1/traces' });
			const results = [];
			const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor({
				export: (s, done) => exporter.export(s, (r) => { results.push(r.code); done(r); }),
				shutdown: () => exporter.shutdown() })] });
			const span = provider.getTracer('tls').startSpan('over-tls-proto');
			span.end();
			try { await provider.forceFlush(); } catch (e) { results.push(String(e?.[0]?.message ?? e?.message ?? e)); }
			await provider.shutdown().catch(() => {});
			console.log(JSON.stringify({ traceId: span.spanContext().traceId, results }));`;
		const file = path.join(REPO, 'tests/js', `.tls-child-${process.pid}.mjs`);
		fs.writeFileSync(file, script);
		try {
			const run = (env) => spawnSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, URL: srv.url, ...env } });
			const trusted = run({ NODE_EXTRA_CA_CERTS: f('server.crt') });
			assert.equal(trusted.status, 0, trusted.stderr);
			const { traceId, results } = JSON.parse(trusted.stdout.trim().split('\n').pop());
			assert.deepEqual(results, [0]);
			const r = await getHttps(`${srv.url}/api/traces/${traceId}`, ca);
			assert.equal(r.json.spans[0].name, 'over-tls-proto');
			const untrusted = run({ NODE_EXTRA_CA_CERTS: '' });
			assert.ok(untrusted.stdout.trim(), `child printed nothing: ${untrusted.stderr}`);
			const last = JSON.parse(untrusted.stdout.trim().split('\n').pop());
			assert.equal(last.results[0], 1, 'an export to an untrusted certificate must fail');
			assert.match(last.results.slice(1).join(' '), /self-signed certificate/);
		} finally {
			fs.rmSync(file, { force: true });
		}
	});
});

describe('bad or missing files stop start-up naming the file and the problem', () => {
	const cases = [
		['missing certificate', () => ['--tls-cert', f('nope.crt'), '--tls-key', f('server.key')],
			() => new RegExp(`TLS certificate ${f('nope.crt')}: cannot open: No such file`)],
		['missing key', () => ['--tls-cert', f('server.crt'), '--tls-key', f('nope.key')],
			() => new RegExp(`TLS key ${f('nope.key')}: cannot open: No such file`)],
		['not PEM', () => ['--tls-cert', f('garbage.crt'), '--tls-key', f('server.key')],
			() => new RegExp(`TLS certificate ${f('garbage.crt')}: no PEM certificate`)],
		['truncated certificate', () => ['--tls-cert', f('truncated.crt'), '--tls-key', f('server.key')],
			() => new RegExp(`TLS certificate ${f('truncated.crt')}: not a valid certificate`)],
		['swapped files', () => ['--tls-cert', f('server.key'), '--tls-key', f('server.crt')],
			() => /TLS certificate .*server\.key: no PEM certificate .*swapped with --tls-key/],
		['key of another certificate', () => ['--tls-cert', f('server.crt'), '--tls-key', f('other.key')],
			() => new RegExp(`TLS key ${f('other.key')}: does not match the certificate in ${f('server.crt')}`)],
		['encrypted key', () => ['--tls-cert', f('server.crt'), '--tls-key', f('encrypted.key')],
			() => new RegExp(`TLS key ${f('encrypted.key')}: encrypted with a passphrase`)],
		['certificate without key', () => ['--tls-cert', f('server.crt')], () => /--tls-cert: needs --tls-key FILE too/],
		['self-signed with files', () => ['--tls-self-signed', '--tls-cert', f('server.crt'), '--tls-key', f('server.key')],
			() => /--tls-self-signed: not with --tls-cert/],
	];
	for (const [name, args, want] of cases) {
		test(name, async () => {
			const out = await serveFails(args());
			assert.match(out, want());
		});
	}
});

describe('--tls-self-signed', () => {
	test('makes the pair once (key 0600), reuses it, prints the fingerprint openssl computes', async () => {
		const dataDir = tempDataDir('tls-self');
		const cert = path.join(dataDir, 'tls-self-signed.crt');
		const key = path.join(dataDir, 'tls-self-signed.key');
		const first = await serve(['--tls-self-signed'], { dataDir });
		let fp;
		try {
			assert.match(first.out, /\(self-signed, made now\)/);
			assert.equal(fs.statSync(key).mode & 0o777, 0o600);
			fp = openssl('x509', '-in', cert, '-noout', '-fingerprint', '-sha256').trim().split('=')[1];
			assert.match(first.out, new RegExp(`SHA-256 fingerprint ${fp}\\n`));
			const san = openssl('x509', '-in', cert, '-noout', '-ext', 'subjectAltName');
			assert.match(san, /DNS:localhost/);
			assert.match(san, /IP Address:127\.0\.0\.1/);
			const ok = curl('--cacert', cert, `${first.url}/api/health`);
			assert.equal(ok.status, 0, ok.stderr);
			assert.equal(curl(`${first.url}/api/health`).status, 60);
		} finally {
			await first.stop();
		}
		const before = fs.readFileSync(cert, 'utf8');
		const second = await serve(['--tls-self-signed'], { dataDir });
		try {
			assert.doesNotMatch(second.out, /made now/);
			assert.match(second.out, new RegExp(`SHA-256 fingerprint ${fp}\\n`));
			assert.equal(fs.readFileSync(cert, 'utf8'), before);
			const ok = curl('--cacert', cert, `${second.url}/api/health`);
			assert.equal(ok.status, 0, ok.stderr);
		} finally {
			await second.stop();
		}
	});
});
