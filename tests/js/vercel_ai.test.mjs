// vercel_ai.test.mjs: the Vercel AI SDK (`ai`, unmodified) with its mock
// language model and experimental_telemetry, exported through the OTel JS
// SDK's OTLP exporter: its ai.* attributes must come out as tracelite's
// fields (type from ai.operationId, model, provider, tokens counted once
// per provider call, prompt and response text, tool calls, user and session
// from the telemetry metadata), an error counted as one, read back through
// the API field by field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
import { z } from 'zod';
import { getJson, startServer } from './helpers.mjs';

const byName = (spans, name) => spans.filter((s) => s.name.split(' ')[0] === name);

describe('Vercel AI SDK telemetry', () => {
	let server, provider, tracer;
	before(async () => {
		server = await startServer({ label: 'vercel-ai' });
		context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
		provider = new BasicTracerProvider({
			resource: resourceFromAttributes({ 'service.name': 'ai-app' }),
			spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` }))],
		});
		tracer = provider.getTracer('ai');
	});
	after(async () => {
		await provider?.shutdown();
		context.disable();
		await server?.stop();
	});

	test('generateText with a tool call: two provider calls, one tool, tokens once', async () => {
		const usage = [{ inputTokens: 12, outputTokens: 7, totalTokens: 19 }, { inputTokens: 30, outputTokens: 9, totalTokens: 39 }];
		const model = new MockLanguageModelV2({
			provider: 'mock-openai.chat',
			modelId: 'gpt-mock-1',
			doGenerate: [
				{ content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Paris"}' }],
					finishReason: 'tool-calls', usage: usage[0], warnings: [] },
				{ content: [{ type: 'text', text: 'It is 21 degrees in Paris.' }], finishReason: 'stop', usage: usage[1], warnings: [] },
			],
		});
		let traceId;
		await tracer.startActiveSpan('request', async (span) => {
			traceId = span.spanContext().traceId;
			const r = await generateText({
				model,
				prompt: 'What is the weather in Paris?',
				tools: { weather: tool({ description: 'weather by city', inputSchema: z.object({ city: z.string() }),
					execute: async ({ city }) => ({ city, celsius: 21 }) }) },
				stopWhen: stepCountIs(3),
				experimental_telemetry: { isEnabled: true, functionId: 'weather-bot', tracer, metadata: { userId: 'u-ai', sessionId: 's-ai' } },
			});
			assert.equal(r.text, 'It is 21 degrees in Paris.');
			span.end();
		});
		await provider.forceFlush();

		const t = await getJson(server, `/api/traces/${traceId}`);
		const outer = byName(t.spans, 'ai.generateText');
		const calls = byName(t.spans, 'ai.generateText.doGenerate');
		const tools = byName(t.spans, 'ai.toolCall');
		assert.equal(outer.length, 1);
		assert.equal(calls.length, 2);
		assert.equal(tools.length, 1);
		assert.equal(t.trace.span_count, 5);
		assert.equal(t.trace.llm_calls, 2);
		assert.equal(t.trace.input_tokens, 42, 'the outer span does not count its children\'s usage again');
		assert.equal(t.trace.output_tokens, 16);
		assert.equal(t.trace.user_id, 'u-ai');
		assert.equal(t.trace.session_id, 's-ai');
		assert.deepEqual(t.trace.models, ['gpt-mock-1']);
		assert.equal(t.trace.error_count, 0);

		const o = outer[0];
		assert.equal(o.type, 'span');
		assert.equal(o.model, 'gpt-mock-1');
		assert.equal(o.provider, 'mock-openai.chat');
		assert.equal(o.input_tokens, 0);
		assert.equal(o.attributes['ai.usage.promptTokens'], 30, 'the attribute itself is kept');
		assert.match(o.input, /weather in Paris/);
		assert.equal(o.output, 'It is 21 degrees in Paris.');
		assert.equal(o.user_id, 'u-ai');
		const [first, second] = calls.sort((a, b) => (BigInt(a.start_time_unix_nano) < BigInt(b.start_time_unix_nano) ? -1 : 1));
		for (const [c, u] of [[first, usage[0]], [second, usage[1]]]) {
			assert.equal(c.type, 'llm');
			assert.equal(c.model, 'gpt-mock-1');
			assert.equal(c.provider, 'mock-openai.chat');
			assert.equal(c.input_tokens, u.inputTokens);
			assert.equal(c.output_tokens, u.outputTokens);
			assert.equal(c.parent_span_id, o.span_id);
			assert.match(c.input, /weather in Paris/);
		}
		assert.match(first.output, /call-1/, 'tool calls are the output of the call that made them');
		assert.match(first.output, /Paris/);
		assert.equal(second.output, 'It is 21 degrees in Paris.');
		const tc = tools[0];
		assert.equal(tc.type, 'tool');
		assert.equal(tc.input_tokens, 0);
		assert.equal(JSON.parse(tc.input).city, 'Paris');
		assert.equal(JSON.parse(tc.output).celsius, 21);
		assert.equal(tc.attributes['ai.toolCall.name'], 'weather');
	});

	test('a failing provider call is an error on the trace', async () => {
		const model = new MockLanguageModelV2({ modelId: 'gpt-mock-2', doGenerate: async () => { throw new Error('rate limited by mock'); } });
		let traceId;
		await tracer.startActiveSpan('failing', async (span) => {
			traceId = span.spanContext().traceId;
			await assert.rejects(generateText({ model, prompt: 'hi', maxRetries: 0, experimental_telemetry: { isEnabled: true, tracer } }));
			span.end();
		});
		await provider.forceFlush();
		const t = await getJson(server, `/api/traces/${traceId}`);
		assert.ok(t.trace.error_count >= 1, `error_count ${t.trace.error_count}`);
		const call = byName(t.spans, 'ai.generateText.doGenerate')[0];
		assert.equal(call.type, 'llm');
		assert.equal(call.status.code, 2);
		assert.match(call.status.message, /rate limited by mock/);
	});
});
