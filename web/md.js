// md.js: a small Markdown renderer that builds DOM nodes and sets only
// text (never HTML), so span text cannot inject markup: headings,
// paragraphs, emphasis, inline and fenced code, lists, quotes, tables,
// rules and links (http, https and mailto only; anything else stays text).
// Raw HTML in the text is shown as the text it is.
import { h } from './util.js';

/* Texts longer than this are not parsed (shown raw by the caller). */
export const MD_MAX = 60000;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

/* The markdown text as a div.md of DOM nodes. */
export function markdown(text) {
	return h('div.md', null, blocks(String(text).replace(/\r\n?/g, '\n').split('\n'), 0));
}

function blocks(lines, depth) {
	const out = [];
	let i = 0;
	const isBlank = (l) => !l.trim();
	while (i < lines.length) {
		const line = lines[i];
		let m;
		if (isBlank(line)) { i++; continue; }
		if ((m = FENCE.exec(line))) {
			const close = m[1][0], len = m[1].length;
			const body = [];
			i++;
			while (i < lines.length && !new RegExp(`^ {0,3}\\${close}{${len},}\\s*$`).test(lines[i])) body.push(lines[i++]);
			i++;
			out.push(h('pre.md-code', m[2] ? { 'data-lang': m[2] } : null, h('code', null, body.join('\n'))));
			continue;
		}
		if ((m = HEADING.exec(line))) {
			out.push(h('div.md-h.md-h' + m[1].length, { role: 'heading', 'aria-level': String(m[1].length) }, inline(m[2])));
			i++;
			continue;
		}
		if (RULE.test(line)) { out.push(h('hr')); i++; continue; }
		if (QUOTE.test(line) && depth < 8) {
			const body = [];
			while (i < lines.length && !isBlank(lines[i]) && (QUOTE.test(lines[i]) || body.length)) body.push(lines[i++].replace(QUOTE, ''));
			out.push(h('blockquote', null, blocks(body, depth + 1)));
			continue;
		}
		if ((m = ITEM.exec(line)) && depth < 8) {
			const ordered = /\d/.test(m[2]);
			const indent = m[1].length;
			const items = [];
			while (i < lines.length) {
				const im = ITEM.exec(lines[i]);
				if (!im || im[1].length !== indent || /\d/.test(im[2]) !== ordered) break;
				const body = [im[3]];
				i++;
				/* the item's own lines: more indented ones, and blank lines before more of them */
				while (i < lines.length) {
					const l = lines[i];
					if (isBlank(l)) {
						const next = lines.slice(i + 1).find((x) => !isBlank(x));
						if (next && next.length - next.trimStart().length > indent) { body.push(''); i++; continue; }
						break;
					}
					const lead = l.length - l.trimStart().length;
					if (lead <= indent && (ITEM.test(l) || FENCE.test(l) || HEADING.test(l) || QUOTE.test(l))) break;
					if (lead <= indent && ITEM.exec(l)) break;
					body.push(l.slice(Math.min(lead, indent + 2)));
					i++;
				}
				const simple = body.length === 1;
				items.push(h('li', null, simple ? inline(body[0]) : blocks(body, depth + 1)));
			}
			const start = ordered ? parseInt(m[2], 10) : 1;
			out.push(h(ordered ? 'ol' : 'ul', ordered && start !== 1 ? { start: String(start) } : null, items));
			continue;
		}
		if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1])) {
			const cells = (l) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
			const head = cells(line);
			i += 2;
			const rows = [];
			while (i < lines.length && lines[i].includes('|') && !isBlank(lines[i])) rows.push(cells(lines[i++]));
			out.push(h('div.md-table', null, h('table', null, h('thead', null, h('tr', null, head.map((c) => h('th', null, inline(c))))),
				h('tbody', null, rows.map((r) => h('tr', null, head.map((_, k) => h('td', null, inline(r[k] ?? '')))))))));
			continue;
		}
		/* a paragraph: lines up to a blank line or the start of another block */
		const para = [line];
		i++;
		while (i < lines.length && !isBlank(lines[i]) && !FENCE.test(lines[i]) && !HEADING.test(lines[i]) && !RULE.test(lines[i])
			&& !QUOTE.test(lines[i]) && !ITEM.test(lines[i])) para.push(lines[i++]);
		out.push(h('p', null, para.map((l, k) => [k ? h('br') : null, inline(l)])));
	}
	return out;
}

/* Inline spans, earliest first: `code`, **strong**, __strong__, *em*,
 * _em_, ~~del~~, [text](url), ![alt](url) (as a link, never loaded),
 * <https://autolink>, bare http(s) URLs. A span holds at most ~400
 * characters, which keeps a pathological 60k-character line fast. */
const INLINE = /(`+)([\s\S]{0,400}?[^`])\1(?!`)|\*\*(?=\S)([\s\S]{0,400}?\S)\*\*|__(?=\S)([\s\S]{0,400}?\S)__(?!\w)|(?<![\w*])\*(?=[^\s*])([\s\S]{0,400}?[^\s*])\*(?!\*)|(?<!\w)_(?=[^\s_])([\s\S]{0,400}?[^\s_])_(?!\w)|~~(?=\S)([\s\S]{0,400}?\S)~~|(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)|<((?:https?:\/\/|mailto:)[^>\s]+)>|\b(https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"\]])/;

/* A safe href: http(s) and mailto only; else null. */
export function safeHref(url) {
	const u = String(url || '').trim();
	return /^(https?:\/\/|mailto:)/i.test(u) ? u : null;
}

/* A link (its label's inline spans parsed at depth, unless auto: the
 * label is the URL itself), or its text when the URL is not safe. */
function link(label, url, { image = false, auto = false, depth = 0 } = {}) {
	const href = safeHref(url);
	const text = image ? `🖼 ${label || url}` : label;
	if (!href) return [text, image || !url ? '' : ` (${url})`].join('');
	return h('a', { href, target: '_blank', rel: 'noopener noreferrer nofollow' }, image || auto ? text : inline(text, depth + 1));
}

export function inline(text, depth = 0) {
	const out = [];
	let rest = String(text);
	while (rest) {
		const m = depth < 6 ? INLINE.exec(rest) : null;
		if (!m) { out.push(rest); break; }
		if (m.index) out.push(rest.slice(0, m.index));
		if (m[1]) out.push(h('code', null, m[2].replace(/^ (.*) $/, '$1')));
		else if (m[3] != null) out.push(h('strong', null, inline(m[3], depth + 1)));
		else if (m[4] != null) out.push(h('strong', null, inline(m[4], depth + 1)));
		else if (m[5] != null) out.push(h('em', null, inline(m[5], depth + 1)));
		else if (m[6] != null) out.push(h('em', null, inline(m[6], depth + 1)));
		else if (m[7] != null) out.push(h('del', null, inline(m[7], depth + 1)));
		else if (m[9] != null) out.push(link(m[9], m[10], { image: m[8] === '!', depth }));
		else if (m[11]) out.push(link(m[11], m[11], { auto: true }));
		else if (m[12]) out.push(link(m[12], m[12], { auto: true }));
		rest = rest.slice(m.index + m[0].length);
	}
	return out;
}
