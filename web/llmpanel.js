// llmpanel.js: an LLM span's tab, the conversation first: one compact line
// of model, usage, cost, latency and parameters (the full table folds
// out), then the messages with Markdown rendered safely (md.js) or raw,
// long or repeated system prompts folded, copy buttons, a jump to the
// output, and "copy as request" in the OpenAI chat.completions or
// Anthropic messages shape to replay the call elsewhere.
import { llmMessages, llmParams } from './llm.js';
import { MD_MAX, markdown } from './md.js';
import { fmtCost, fmtInt, fmtMs, h, longText, maybeJson, valueView } from './util.js';

const RAW_KEY = 'tracelite-raw-messages';
/* A system prompt longer than this is folded. */
const SYSTEM_FOLD = 600;

const kv = (pairs) => h('dl.kv', null, pairs.filter(([, v]) => v != null && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));

/* Copies text to the clipboard; btn says "Copied" for a moment. */
export async function copyText(text, btn) {
	try {
		await navigator.clipboard.writeText(text);
	} catch {
		const ta = h('textarea', { style: 'position:fixed;opacity:0' });
		ta.value = text;
		document.body.append(ta);
		ta.select();
		document.execCommand('copy');
		ta.remove();
	}
	if (btn) {
		const was = btn.textContent;
		btn.textContent = 'Copied';
		setTimeout(() => { btn.textContent = was; }, 1200);
	}
}

const copyBtn = (label, get, title) => {
	const b = h('button.btn.small', { type: 'button', title: title || 'Copy to the clipboard', 'data-copy': label });
	b.textContent = label;
	b.addEventListener('click', (e) => { e.stopPropagation(); copyText(get(), b); });
	return b;
};

/* The arguments of a tool call as an object (parsed when a JSON string). */
const argsObject = (a) => (typeof a === 'string' ? (maybeJson(a) ?? { input: a }) : a ?? {});
const argsString = (a) => (typeof a === 'string' ? a : JSON.stringify(a ?? {}));

const OPENAI_PARAMS = ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'frequency_penalty', 'presence_penalty', 'stop', 'seed', 'n', 'response_format', 'tools', 'tool_choice'];
const ANTHROPIC_PARAMS = ['temperature', 'top_p', 'top_k', 'max_tokens', 'stop_sequences', 'tools', 'tool_choice'];
const num = (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

/* The span's call as a request body: 'openai' (chat.completions) or
 * 'anthropic' (messages); the recorded output is not part of it. */
export function requestJson(span, shape) {
	const { input } = llmMessages(span);
	const params = Object.fromEntries(llmParams(span).map(([k, v]) => [k === 'max_output_tokens' ? 'max_tokens' : k, num(v)]));
	const model = span.model || span.attributes?.['gen_ai.request.model'] || 'MODEL';
	if (shape === 'openai') {
		const body = { model, messages: input.map((m) => {
			const role = ['system', 'user', 'assistant', 'tool', 'developer'].includes(m.role) ? m.role : 'user';
			const o = { role, content: m.text || (m.toolCalls.length ? null : '') };
			if (m.toolCalls.length) o.tool_calls = m.toolCalls.map((c, i) => ({ id: c.id || `call_${i}`, type: 'function', function: { name: c.name || 'tool', arguments: argsString(c.arguments) } }));
			if (m.toolCallId) { o.role = 'tool'; o.tool_call_id = m.toolCallId; }
			return o;
		}) };
		for (const k of OPENAI_PARAMS) if (params[k] != null) body[k] = params[k];
		return body;
	}
	const system = input.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.text).join('\n\n');
	const messages = [];
	for (const m of input) {
		if (m.role === 'system' || m.role === 'developer') continue;
		let role = m.role === 'assistant' ? 'assistant' : 'user', content;
		if (m.toolCallId || m.role === 'tool') content = [{ type: 'tool_result', tool_use_id: m.toolCallId || 'tool', content: m.text }];
		else {
			content = m.text ? [{ type: 'text', text: m.text }] : [];
			for (const c of m.toolCalls) { role = 'assistant'; content.push({ type: 'tool_use', id: c.id || 'toolu', name: c.name || 'tool', input: argsObject(c.arguments) }); }
		}
		const last = messages[messages.length - 1];
		if (last && last.role === role) last.content.push(...content); else messages.push({ role, content });
	}
	const body = { model, max_tokens: params.max_tokens ?? 1024 };
	if (system) body.system = system;
	body.messages = messages;
	for (const k of ANTHROPIC_PARAMS) if (params[k] != null && k !== 'max_tokens') body[k] = params[k];
	return body;
}

/* A message's text: Markdown (or raw when asked, when JSON, when huge). */
function textEl(text, raw) {
	if (maybeJson(text) !== undefined) return valueView(text);
	if (raw || text.length > MD_MAX) return h('div.raw', null, longText(text, 4000));
	return markdown(text);
}

function messageEl(m, raw, { fold = null } = {}) {
	const calls = m.toolCalls.map((c) => h('div.toolcall', null,
		h('div', null, h('span.name', null, c.name || 'tool'), c.id ? h('span.faint.mono', null, '  ' + c.id) : null),
		c.arguments != null ? valueView(c.arguments) : null));
	const body = h('div.msg-body', null, m.text ? textEl(m.text, raw) : null, calls,
		!m.text && !calls.length ? h('span.faint', null, '(empty)') : null);
	const head = h('div.msg-role', null, h('span', null, m.role),
		m.toolCallId ? h('span.mono', { style: 'text-transform:none;font-weight:400' }, `  ← ${m.toolCallId}`) : null,
		h('span.spacer'), m.text ? copyBtn('Copy', () => m.text, `Copy this ${m.role} message`) : null);
	if (!fold) return h('div.msg.r-' + m.role, { 'data-role': m.role }, head, body);
	/* folded: a summary line; the body built when opened */
	const det = h('details.msg.r-' + m.role, { 'data-role': m.role, 'data-folded': fold },
		h('summary.msg-role', null, h('span', null, m.role), h('span.fold-note', null, fold), h('span.spacer'),
			m.text ? copyBtn('Copy', () => m.text, `Copy this ${m.role} message`) : null),
		h('div.msg-preview.faint', null, m.text.slice(0, 160).replace(/\s+/g, ' ') + (m.text.length > 160 ? '…' : '')));
	let filled = false;
	det.addEventListener('toggle', () => {
		if (det.open && !filled) { filled = true; det.querySelector('.msg-preview').replaceWith(body); }
	});
	return det;
}

/* A span's cost and where it came from (the price table at ingest, or the
 * client's own figure). */
function costEl(s) {
	if (s.cost_usd == null) return h('span.faint', { 'data-field': 'cost' }, 'no price for the model');
	const client = s.cost_source === 'client';
	return h('span', { 'data-field': 'cost', title: client ? 'reported by the instrumentation' : 'computed at ingest from the price table' },
		fmtCost(s.cost_usd), h('span.faint', null, client ? ' (client)' : ' (price table)'));
}

/* The system prompts of the LLM spans before s in ctx.spans, once each. */
const systemCache = new WeakMap();
function earlierSystems(s, spans) {
	const out = new Map();
	for (const o of spans || []) {
		if (o === s || o.span_id === s.span_id) break;
		if (o.type !== 'llm' && !o.model) continue;
		let sys = systemCache.get(o);
		if (sys === undefined) {
			sys = llmMessages(o).input.filter((m) => m.role === 'system').map((m) => m.text);
			systemCache.set(o, sys);
		}
		for (const t of sys) if (!out.has(t)) out.set(t, o);
	}
	return out;
}

/* The LLM tab of span s; ctx = {scores, spans (the trace's, in start
 * order, to fold repeated system prompts), scoresEl (renders scores)}. */
export function llmTab(s, ctx) {
	const { input, output } = llmMessages(s);
	const ttft = s.events?.find((e) => e.name === 'gen_ai.first_token');
	const ttftMs = ttft ? Number(BigInt(ttft.time_unix_nano) - BigInt(s.start_time_unix_nano)) / 1e6 : null;
	const params = llmParams(s);
	let raw = localStorage.getItem(RAW_KEY) === '1';
	const seen = earlierSystems(s, ctx.spans);

	const item = (label, value) => h('span.ci', null, label ? h('span.faint', null, label + ' ') : null, value);
	const compact = h('div.llm-line', { 'aria-label': 'Model and usage' },
		s.model ? h('b', { 'data-field': 'model' }, s.model) : h('span.faint', null, 'model not recorded'),
		s.provider ? h('span.faint', null, s.provider) : null,
		item('tokens', h('span', null, h('span', { 'data-field': 'input_tokens' }, fmtInt(s.input_tokens)), ' → ',
			h('span', { 'data-field': 'output_tokens' }, fmtInt(s.output_tokens)))),
		item('', costEl(s)), item('latency', fmtMs(s.duration_ms)),
		ttftMs != null ? item('TTFT', fmtMs(ttftMs)) : null,
		params.slice(0, 3).map(([k, v]) => item(k, typeof v === 'object' ? JSON.stringify(v) : String(v))));
	const details = h('details.llm-details', null, h('summary', null, 'Model and parameters'),
		h('div.grid.g2', { style: 'grid-template-columns:1fr 1fr;margin-top:6px' },
			h('div.card', null, kv([
				['Model', s.model], ['Provider', s.provider],
				['Input tokens', fmtInt(s.input_tokens)], ['Output tokens', fmtInt(s.output_tokens)],
				['Cache read', s.cache_read_tokens ? fmtInt(s.cache_read_tokens) : null],
				['Cache write', s.cache_write_tokens ? fmtInt(s.cache_write_tokens) : null],
				['Latency', fmtMs(s.duration_ms)], ['Time to first token', ttftMs != null ? fmtMs(ttftMs) : null]])),
			h('div.card', null, params.length ? kv(params.map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]))
				: h('span.faint', null, 'no parameters recorded'))));

	const convo = h('div.convo-box');
	const outSection = h('div.section', { id: 'llm-output', 'aria-label': 'Output' });
	const draw = () => {
		const inEls = input.map((m) => {
			let fold = null;
			if (m.role === 'system' && m.text) {
				const prev = seen.get(m.text);
				if (prev) fold = `same as in ${prev.name} · ${fmtInt(m.text.length)} characters`;
				else if (m.text.length > SYSTEM_FOLD) fold = `${fmtInt(m.text.length)} characters`;
			}
			return messageEl(m, raw, { fold });
		});
		outSection.replaceChildren(h('h2', null, 'Output'), ...(output.length ? output.map((m) => messageEl(m, raw)) : [h('span.faint', null, 'none recorded')]));
		convo.replaceChildren(
			h('div.section', { 'aria-label': 'Input' }, h('h2', null, `Input · ${input.length} message${input.length === 1 ? '' : 's'}`),
				input.length ? inEls : h('span.faint', null, 'none recorded')),
			outSection);
	};
	const rawBtn = h('button.btn.small', { type: 'button', 'aria-pressed': String(raw), 'data-raw-toggle': true, title: 'Show the messages as sent, without rendering Markdown' }, 'Raw');
	rawBtn.addEventListener('click', () => {
		raw = !raw;
		localStorage.setItem(RAW_KEY, raw ? '1' : '0');
		rawBtn.setAttribute('aria-pressed', String(raw));
		draw();
	});
	const tools = h('div.llm-tools', null,
		h('button.btn.small', { type: 'button', 'data-jump': 'output', onclick: () => outSection.scrollIntoView({ block: 'start' }) }, 'Jump to output ↓'),
		rawBtn,
		copyBtn('Copy as OpenAI request', () => JSON.stringify(requestJson(s, 'openai'), null, 2), 'A chat.completions request body with this call\'s model, messages and parameters'),
		copyBtn('Copy as Anthropic request', () => JSON.stringify(requestJson(s, 'anthropic'), null, 2), 'A messages API request body with this call\'s model, messages and parameters'),
		output.some((m) => m.text) ? copyBtn('Copy output', () => output.map((m) => m.text).join('\n\n')) : null);
	draw();
	return h('div', null, compact, details, tools, ctx.scoresEl?.(ctx.scores), convo);
}
