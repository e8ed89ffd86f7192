// export.js: the Export menu of the trace and session pages: links to
// GET /api/export/traces and /api/export/spans (jsonl, csv, otlp) with the
// page's current filters, answered by the server as a download.
import { h } from './util.js';

const CHOICES = [
	['traces', 'jsonl', 'Traces as JSON lines'], ['traces', 'csv', 'Traces as CSV'],
	['spans', 'jsonl', 'Spans as JSON lines'], ['spans', 'csv', 'Spans as CSV'], ['spans', 'otlp', 'Spans as OTLP/JSON'],
];

/* The export URL of what ('traces' or 'spans') in format for the API
 * parameters query ({name: value or [values]}; limit and cursor dropped). */
export function exportHref(what, format, query) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(query)) {
		if (k === 'limit' || k === 'cursor') continue;
		for (const x of [].concat(v)) if (x != null && x !== '') q.append(k, x);
	}
	q.set('format', format);
	return `/api/export/${what}?${q}`;
}

/* The menu for the API parameters query (a function, read when opened,
 * so it follows the page's filters). */
export function exportMenu(query, label = 'Export') {
	const menu = h('div.menu', { role: 'group', 'aria-label': 'Export formats' });
	const box = h('details.dropdown.export', null, h('summary.btn', { title: 'Download what this page lists' }, label + ' ▾'), menu);
	box.addEventListener('toggle', () => {
		if (!box.open) return;
		const q = query();
		menu.replaceChildren(...CHOICES.map(([what, format, text]) => h('a.item', {
			href: exportHref(what, format, q), download: '', 'data-export': `${what}.${format}`,
		}, text)));
	});
	return box;
}
