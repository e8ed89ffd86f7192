#!/usr/bin/env node
// layering.mjs: the include rules of src/ (docs/architecture.md), checked
// by `make test`. Folders are layers along the data path; a file may
// include its own folder and the folders below it, never one above or a
// peer. Modules (x.c with x.h) must not depend on each other in a cycle.
// Prints one line per broken rule and ends with "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');
/* lower numbers are lower layers; equal numbers are peers */
const RANK = { base: 0, otlp: 1, ingest: 2, store: 3, query: 4, repl: 5, server: 6, demo: 6, cmd: 7 };
/* generated headers (build/) and the folder they belong to */
const GENERATED = { 'otlp.pb-c.h': 'otlp' };

let passed = 0;
let failed = 0;
const check = (ok, msg) => {
	if (ok) passed++;
	else { failed++; console.log(`FAIL ${msg}`); }
};

const files = [];
for (const dir of fs.readdirSync(SRC, { withFileTypes: true })) {
	if (!dir.isDirectory()) continue;
	check(dir.name in RANK, `src/${dir.name}/ is not a known layer (add it to RANK and docs/architecture.md)`);
	for (const f of fs.readdirSync(path.join(SRC, dir.name))) {
		if (/\.[ch]$/.test(f)) files.push(`${dir.name}/${f}`);
	}
}
for (const f of fs.readdirSync(SRC)) check(!/\.[ch]$/.test(f), `src/${f}: C files live in a layer folder`);

/* module name (folder/x) -> set of modules it includes */
const deps = new Map();
const moduleOf = (file) => file.replace(/\.[ch]$/, '');
for (const file of files) {
	const folder = file.split('/')[0];
	const text = fs.readFileSync(path.join(SRC, file), 'utf8');
	const mod = moduleOf(file);
	if (!deps.has(mod)) deps.set(mod, new Set());
	for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
		const inc = m[1];
		let target;
		if (GENERATED[inc]) target = GENERATED[inc];
		else {
			const parts = inc.split('/');
			check(parts.length === 2 && fs.existsSync(path.join(SRC, inc)),
				`src/${file}: #include "${inc}" is not a project header named by its folder`);
			if (parts.length !== 2) continue;
			target = parts[0];
			if (moduleOf(inc) !== mod) deps.get(mod).add(moduleOf(inc));
		}
		const ok = target === folder || (RANK[target] ?? 99) < RANK[folder];
		check(ok, `src/${file}: includes "${inc}" from ${target}/, which is not below ${folder}/`);
	}
}

/* cycles between modules (x.c/x.h pairs): depth-first search */
const state = new Map();   // 1 on the stack, 2 done
const stack = [];
function visit(mod) {
	state.set(mod, 1);
	stack.push(mod);
	for (const next of deps.get(mod) ?? []) {
		if (state.get(next) === 1) {
			const cycle = stack.slice(stack.indexOf(next)).concat(next);
			check(false, `include cycle: ${cycle.join(' -> ')}`);
		} else if (!state.has(next)) visit(next);
	}
	stack.pop();
	state.set(mod, 2);
}
for (const mod of deps.keys()) if (!state.has(mod)) visit(mod);
check(true, 'module graph walked');

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
