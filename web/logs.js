// logs.js: OTLP log records (GET /api/logs) on the trace page: a span's
// logs beside its events in the span panel, and the whole trace's logs in
// a folded section under the waterfall; and a record whole, as the Logs
// page (logspage.js) opens it. Every value is set as text (h()),
// never as HTML: a log body is whatever a program printed.
import { getJson } from './api.js';
import { fmtFull, fmtMs, h, jsonTree, longText } from './util.js';

const PAGE = 200;

/* One record: time (relative to t0 ns when given), severity badge, body,
 * attributes. */
function logRow(l, t0) {
	const sev = (l.severity || 'UNSPECIFIED').toLowerCase();
	const when = t0 != null ? `+${fmtMs(Number(BigInt(l.time_ns) - t0) / 1e6)}` : fmtFull(l.time);
	const attrs = l.attributes || {};
	return h('div.log', { 'data-log-severity': sev },
		h('div', null,
			h('span.badge.sev-' + sev, { title: `severity ${l.severity_number}${l.severity_text ? ' · ' + l.severity_text : ''}` },
				l.severity_text || l.severity),
			h('span.muted', { title: fmtFull(l.time) }, `  ${when}`),
			l.event_name ? h('b', null, `  ${l.event_name}`) : null),
		h('pre.log-body', null, longText(l.body ?? '')),
		Object.keys(attrs).length ? jsonTree(attrs, 1) : null);
}

/* Record l whole: its row (full time), then its ids, resource and scope. */
export function logDetail(l) {
	const ids = [['trace_id', l.trace_id], ['span_id', l.span_id], ['observed', l.observed_time_ns !== '0' ? l.observed_time_ns : null]]
		.filter(([, v]) => v).map(([k, v]) => h('span.muted', null, `${k} `, h('code', null, v), '  '));
	return h('div.log-detail', null, logRow(l, null), ids.length ? h('div', null, ids) : null,
		h('h3', null, 'Resource'), jsonTree(l.resource || {}, 1),
		h('h3', null, 'Scope'), jsonTree(l.scope || {}, 1));
}

/* A box that loads the records of params (newest first, one page) and
 * lists them oldest first; empty says none. */
function logsBox(params, t0, emptyText) {
	const box = h('div.logs', { 'aria-live': 'polite' }, h('div.faint', null, 'Loading logs…'));
	getJson('/api/logs', { ...params, limit: PAGE }).then((r) => {
		const logs = r.logs.slice().reverse();
		const rows = logs.length ? logs.map((l) => logRow(l, t0)) : [h('div.faint', null, emptyText)];
		if (r.next_cursor) rows.push(h('p.muted', null, `Showing the last ${PAGE}; GET /api/logs has the rest.`));
		box.replaceChildren(...rows);
	}, (e) => box.replaceChildren(h('div.err', null, `Logs: ${e.message}`)));
	return box;
}

/* The logs of span s (its trace and span id), times from the span start. */
export function spanLogs(s) {
	return h('div.section.span-logs', null, h('h2', null, 'Logs'),
		logsBox({ trace_id: s.trace_id, span_id: s.span_id }, BigInt(s.start_time_unix_nano), 'No logs.'));
}

/* A folded "Logs" section for the whole trace, loaded when opened. */
export function traceLogs(traceId) {
	const det = h('details.trace-logs', null, h('summary', null, 'Logs of this trace'));
	det.addEventListener('toggle', () => {
		if (det.open && det.children.length === 1) det.append(logsBox({ trace_id: traceId }, null, 'No logs for this trace.'));
	});
	return det;
}
