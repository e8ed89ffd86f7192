// imports.test.mjs: the module graph of web/*.js, read from the import and
// export-from statements (no browser, no server): no import cycle, every
// import is a './name.js' sibling that exists in web/ (the binary serves
// web/ flat under /assets/), and nothing imports the entry module that
// index.html loads (the router sits at the top of the graph).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

/* The specifiers of src's static imports and re-exports. Only statements
 * that start a line count, so comments mentioning "import" do not. */
export function importsOf(src) {
	const out = [];
	const re = /^[ \t]*(?:import|export)\b(?:[^;'"]*?\bfrom)?[ \t]*['"]([^'"]+)['"]/gm;
	for (const m of src.matchAll(re)) out.push(m[1]);
	return out;
}

/* { 'app.js': ['api.js', ...], ... } over web/*.js, plus the bad specifiers. */
function graph() {
	const files = fs.readdirSync(WEB).filter((f) => f.endsWith('.js')).sort();
	const edges = {}, bad = [];
	for (const f of files) {
		edges[f] = [];
		for (const spec of importsOf(fs.readFileSync(path.join(WEB, f), 'utf8'))) {
			const m = /^\.\/([^/]+\.js)$/.exec(spec);
			if (!m || !files.includes(m[1])) bad.push(`${f}: ${spec}`);
			else edges[f].push(m[1]);
		}
	}
	return { files, edges, bad };
}

/* The first cycle found by depth-first search, as a path a -> b -> ... -> a. */
export function findCycle(edges) {
	const state = {}; // undefined: new, 1: on the stack, 2: done
	const stack = [];
	function visit(n) {
		state[n] = 1;
		stack.push(n);
		for (const m of edges[n] || []) {
			if (state[m] === 1) return [...stack.slice(stack.indexOf(m)), m];
			if (!state[m]) {
				const c = visit(m);
				if (c) return c;
			}
		}
		stack.pop();
		state[n] = 2;
		return null;
	}
	for (const n of Object.keys(edges)) {
		if (state[n]) continue;
		const c = visit(n);
		if (c) return c;
	}
	return null;
}

describe('web/ module graph', () => {
	test('the import scanner and cycle finder work on known inputs', () => {
		assert.deepEqual(importsOf([
			"import { a, b } from './a.js';",
			'import {\n\tc,\n\td,\n} from "./b.js";',
			"import * as x from './c.js';",
			"import './d.js';",
			"export { e } from './e.js';",
			"// import { z } from './commented.js';",
			" * import { y } from './doc.js'",
			"const s = 'import nothing';",
		].join('\n')), ['./a.js', './b.js', './c.js', './d.js', './e.js']);
		assert.equal(findCycle({ a: ['b'], b: ['c'], c: [] }), null);
		assert.deepEqual(findCycle({ a: ['b'], b: ['c'], c: ['a'] }), ['a', 'b', 'c', 'a']);
		assert.deepEqual(findCycle({ a: ['a'] }), ['a', 'a']);
	});

	test('every import is a ./name.js file of web/', () => {
		assert.deepEqual(graph().bad, []);
	});

	test('no import cycle among web/*.js', () => {
		const cycle = findCycle(graph().edges);
		assert.equal(cycle, null, cycle && `import cycle: ${cycle.join(' -> ')}`);
	});

	test('index.html loads the entry module, and no module imports it', () => {
		const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
		const entries = [...html.matchAll(/<script type="module" src="\/assets\/([^"]+)"><\/script>/g)].map((m) => m[1]);
		assert.equal(entries.length, 1, 'one module script in index.html');
		const { files, edges } = graph();
		assert.ok(files.includes(entries[0]), `${entries[0]} is in web/`);
		const importers = files.filter((f) => edges[f].includes(entries[0]));
		assert.deepEqual(importers, [], `modules importing the entry ${entries[0]}`);
	});
});
