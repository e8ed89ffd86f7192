// llm.js: an LLM span's conversation, whatever convention carried it: the
// OTel GenAI JSON messages (gen_ai.input/output.messages, with parts), the
// flat indexed attributes of OpenLLMetry (gen_ai.prompt.N.*) and
// OpenInference (llm.input_messages.N.message.*), OpenAI-style message
// arrays, or else the plain input/output text.

/* A message: { role, text, toolCalls: [{id, name, arguments}], toolCallId }. */
function fromJsonMessage(m) {
	const msg = { role: m.role || 'unknown', text: '', toolCalls: [], toolCallId: m.tool_call_id || null };
	const texts = [];
	if (typeof m.content === 'string') texts.push(m.content);
	else if (Array.isArray(m.content)) for (const c of m.content) if (c?.text) texts.push(c.text);
	for (const p of m.parts || []) {
		if (p.type === 'text' || p.type === 'reasoning') texts.push(p.content ?? '');
		else if (p.type === 'tool_call') msg.toolCalls.push({ id: p.id, name: p.name, arguments: p.arguments });
		else if (p.type === 'tool_call_response') { msg.toolCallId = p.id; texts.push(typeof p.response === 'string' ? p.response : JSON.stringify(p.response ?? p.result, null, 2)); }
		else texts.push(JSON.stringify(p));
	}
	for (const t of m.tool_calls || []) {
		const f = t.function || t;
		msg.toolCalls.push({ id: t.id, name: f.name, arguments: f.arguments });
	}
	msg.text = texts.join('\n');
	return msg;
}

function parseMessages(v) {
	let arr = v;
	if (typeof v === 'string') { try { arr = JSON.parse(v); } catch { return null; } }
	if (!Array.isArray(arr) || !arr.length || typeof arr[0] !== 'object') return null;
	return arr.map(fromJsonMessage);
}

/* Messages from attributes `prefix.N.rest` (rest minus a leading "message."). */
function indexed(attrs, prefix) {
	const byIndex = new Map();
	for (const [k, v] of Object.entries(attrs)) {
		if (!k.startsWith(prefix + '.')) continue;
		const m = k.slice(prefix.length + 1).match(/^(\d+)\.(?:message\.)?(.+)$/);
		if (!m) continue;
		if (!byIndex.has(+m[1])) byIndex.set(+m[1], {});
		byIndex.get(+m[1])[m[2]] = v;
	}
	if (!byIndex.size) return null;
	return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => {
		const msg = { role: f.role || 'unknown', text: f.content ?? '', toolCalls: [], toolCallId: f.tool_call_id || null };
		const calls = new Map();
		for (const [k, v] of Object.entries(f)) {
			const c = k.match(/^tool_calls\.(\d+)\.(?:tool_call\.)?(?:function\.)?(name|arguments|id)$/);
			if (c) { if (!calls.has(c[1])) calls.set(c[1], {}); calls.get(c[1])[c[2]] = v; }
		}
		if (typeof f.tool_calls === 'string') { const p = parseMessages(`[{"role":"x","tool_calls":${f.tool_calls}}]`); if (p) msg.toolCalls.push(...p[0].toolCalls); }
		msg.toolCalls.push(...calls.values());
		return msg;
	});
}

/* { input: [messages], output: [messages] } of a span (possibly empty). */
export function llmMessages(span) {
	const a = span.attributes || {};
	const pick = (jsonKey, prefixes, text, role) => {
		const fromJson = a[jsonKey] != null && parseMessages(a[jsonKey]);
		if (fromJson) return fromJson;
		for (const p of prefixes) { const m = indexed(a, p); if (m) return m; }
		if (text == null || text === '') return [];
		return parseMessages(text) || [{ role, text: String(text), toolCalls: [], toolCallId: null }];
	};
	return {
		input: pick('gen_ai.input.messages', ['gen_ai.prompt', 'llm.input_messages'], span.input, 'input'),
		output: pick('gen_ai.output.messages', ['gen_ai.completion', 'llm.output_messages'], span.output, 'output'),
	};
}

/* Request parameters (temperature, max_tokens, ...) as [name, value]. */
export function llmParams(span) {
	const a = span.attributes || {};
	const out = new Map();
	for (const [k, v] of Object.entries(a)) {
		const m = k.match(/^(?:gen_ai|llm)\.request\.(.+)$/);
		if (m && m[1] !== 'model' && m[1] !== 'type') out.set(m[1], v);
	}
	if (typeof a['llm.invocation_parameters'] === 'string') {
		try { for (const [k, v] of Object.entries(JSON.parse(a['llm.invocation_parameters']))) if (k !== 'model' && !out.has(k)) out.set(k, v); } catch { /* not JSON: shown in attributes */ }
	}
	return [...out.entries()];
}
