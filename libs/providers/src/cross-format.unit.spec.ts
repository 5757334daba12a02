import { describe, expect, it } from 'vitest';
import { createStreamAccumulator, type StreamEvent } from './canonical/stream-event.js';
import { anthropicAdapter } from './anthropic/anthropic.adapter.js';
import { createAnthropicStreamEncoder, decodeAnthropicRequest, encodeAnthropicResponse } from './anthropic/anthropic.codec.js';
import { geminiAdapter } from './gemini/gemini.adapter.js';
import { cohereAdapter } from './cohere/cohere.adapter.js';
import { openaiAdapter } from './openai/openai.adapter.js';
import { createOpenAIChatStreamEncoder, decodeOpenAIChatRequest, encodeOpenAIChatResponse } from './openai/openai-chat.codec.js';
import { createOpenAIResponsesStreamEncoder } from './openai/openai-responses.codec.js';
import { SseDecoder } from './wire/sse.js';
import { feed, splitPlans, utf8 } from './testdata/feed.js';
import openaiRequestRaw from './testdata/openai/chat-request.json?raw';
import openaiStreamRaw from './testdata/openai/chat-stream-tools.sse?raw';
import anthropicRequestRaw from './testdata/anthropic/messages-request.json?raw';
import anthropicResponseRaw from './testdata/anthropic/messages-response.json?raw';
import anthropicStreamRaw from './testdata/anthropic/messages-stream.sse?raw';
import geminiStreamRaw from './testdata/gemini/stream.sse?raw';
import cohereStreamRaw from './testdata/cohere/stream.sse?raw';

const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;

function encodeAll(encoder: { push(e: StreamEvent): string; end(): string }, events: StreamEvent[]): string {
  let out = '';
  for (const e of events) out += encoder.push(e);
  return out + encoder.end();
}

describe('OpenAI request -> canonical -> Anthropic request', () => {
  // Without `logit_bias`, which no other provider's API takes (its refusal: canonical/extra.unit.spec.ts).
  const { logit_bias: _bias, ...openaiRequest } = JSON.parse(openaiRequestRaw) as Record<string, unknown>;
  const canonical = decodeOpenAIChatRequest(openaiRequest);
  const body = bodyOf(anthropicAdapter.buildRequest(canonical, { provider: 'anthropic', model: 'claude-sonnet-4-20250514', apiKey: 'k' }).body);

  it('hoists the developer message into system, with the JSON-mode hint', () => {
    expect(body['system']).toEqual([
      { type: 'text', text: 'Answer briefly.' },
      { type: 'text', text: 'Respond only with a single valid JSON object, and nothing else.' },
    ]);
  });

  it('translates images, parallel tool calls and merges both tool results into one user turn', () => {
    expect(body['messages']).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Paris and Berlin?' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/sky.jpg' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Berlin' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '12C' },
        ],
      },
    ]);
  });

  it('maps tool choice, sampling, stop and user', () => {
    expect(body).toMatchObject({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 300,
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      temperature: 0.7,
      stop_sequences: ['STOP'],
      metadata: { user_id: 'user-42' },
      stream: true,
      tools: [{ name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
    });
  });
});

describe('Anthropic request -> canonical -> OpenAI request', () => {
  it('produces an OpenAI conversation with tool calls, tool messages and image URLs', () => {
    const canonical = decodeAnthropicRequest(JSON.parse(anthropicRequestRaw));
    const body = bodyOf(openaiAdapter.buildRequest(canonical, { provider: 'openai', model: 'gpt-4o', apiKey: 'k' }).body);
    expect(body['messages']).toEqual([
      { role: 'system', content: 'You are a travel assistant.\n\nLong policy document...' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'https://example.com/eiffel.jpg' } },
          { type: 'text', text: 'Where is this, and what is the weather there?' },
        ],
      },
      {
        role: 'assistant',
        content: 'That is Paris. Checking the weather.',
        tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }],
      },
      { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '18 degrees, sunny' },
      { role: 'user', content: 'Great, thanks!' },
    ]);
    expect(body).toMatchObject({
      tool_choice: 'required',
      parallel_tool_calls: false,
      reasoning_effort: 'low',
      max_completion_tokens: 4096,
      stop: ['\n\nHuman:'],
      user: 'user-7',
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe('Anthropic response -> OpenAI response', () => {
  it('carries tool calls, finish reason and cached usage', () => {
    const body = encodeOpenAIChatResponse(anthropicAdapter.parseResponse(200, anthropicResponseRaw), { model: 'smart' });
    expect(body).toMatchObject({
      model: 'smart',
      choices: [
        {
          message: {
            content: "I'll check the current weather in Paris.",
            tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 2620, completion_tokens: 89, total_tokens: 2709, prompt_tokens_details: { cached_tokens: 2048 } },
    });
  });
});

describe('Anthropic stream -> OpenAI SSE', () => {
  const anthropicEvents = feed(anthropicAdapter.createStreamParser(), utf8(anthropicStreamRaw), splitPlans(anthropicStreamRaw.length)[4]?.cuts ?? []);
  const sse = encodeAll(createOpenAIChatStreamEncoder({ includeUsage: true, model: 'smart' }), anthropicEvents);

  it('emits valid chat.completion.chunk frames ending in usage and [DONE]', () => {
    const frames = new SseDecoder().push(sse);
    expect(frames.at(-1)?.data).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data) as Record<string, unknown>);
    for (const c of chunks) expect(c).toMatchObject({ id: 'msg_014p7gG3wDgGV9EUtLvnow3U', object: 'chat.completion.chunk', model: 'smart' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 } });
    expect(chunks.at(-2)).toMatchObject({ choices: [{ finish_reason: 'tool_calls' }] });
  });

  it('reads back through the OpenAI parser to the same answer', () => {
    const original = createStreamAccumulator();
    original.pushAll(anthropicEvents);
    const reparsed = createStreamAccumulator();
    reparsed.pushAll(feed(openaiAdapter.createStreamParser(), utf8(sse), splitPlans(sse.length)[2]?.cuts ?? []));
    const a = original.result();
    const b = reparsed.result();
    expect(b.text).toBe("Okay, let's check the weather for Zürich ☀️:");
    expect(b.text).toBe(a.text);
    expect(b.toolCalls).toEqual(a.toolCalls);
    expect(b.toolCalls[0]?.arguments).toBe('{"city": "Zürich"}');
    expect(b.finishReason).toBe('tool_calls');
    expect(b.usage).toMatchObject({ inputTokens: 472, outputTokens: 89 });
  });
});

describe('OpenAI stream -> Anthropic SSE', () => {
  it('reads back through the Anthropic parser to the same answer, usage included', () => {
    const openaiEvents = feed(openaiAdapter.createStreamParser(), utf8(openaiStreamRaw), []);
    const sse = encodeAll(createAnthropicStreamEncoder({ model: 'claude-alias' }), openaiEvents);
    const names = new SseDecoder().push(sse).map((m) => m.event);
    expect(names[0]).toBe('message_start');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const acc = createStreamAccumulator();
    acc.pushAll(feed(anthropicAdapter.createStreamParser(), utf8(sse), splitPlans(sse.length)[1]?.cuts ?? []));
    expect(acc.result()).toMatchObject({
      model: 'claude-alias',
      text: 'Let me check – ☀️ ',
      toolCalls: [{ id: 'call_AbC', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      finishReason: 'tool_calls',
      usage: { inputTokens: 82, outputTokens: 18, cachedInputTokens: 64 },
    });
  });
});

describe('Gemini and Cohere streams -> inbound encoders', () => {
  it('turns a Gemini stream into OpenAI chunks with the function call', () => {
    const events = feed(geminiAdapter.createStreamParser(), utf8(geminiStreamRaw), []);
    const sse = encodeAll(createOpenAIChatStreamEncoder({ includeUsage: true }), events);
    const acc = createStreamAccumulator();
    acc.pushAll(feed(openaiAdapter.createStreamParser(), utf8(sse), []));
    expect(acc.result()).toMatchObject({
      text: 'Paris is sunny – 18°C.',
      toolCalls: [{ name: 'get_forecast', arguments: '{"city":"Paris","days":2}' }],
      finishReason: 'tool_calls',
      usage: { inputTokens: 9, outputTokens: 20, totalTokens: 29 },
    });
  });

  it('turns a Cohere tool stream into Responses API events', () => {
    const events = feed(cohereAdapter.createStreamParser(), utf8(cohereStreamRaw), []);
    const frames = new SseDecoder().push(encodeAll(createOpenAIResponsesStreamEncoder({ model: 'command' }), events));
    const done = JSON.parse(frames.at(-1)?.data ?? '{}') as Record<string, unknown>;
    expect(frames.at(-1)?.event).toBe('response.completed');
    expect(done).toMatchObject({
      response: {
        model: 'command',
        output: [{ type: 'function_call', call_id: 'get_weather_nsz5zm3w56q3', name: 'get_weather', arguments: '{\n    "city": "Paris"\n}' }],
        usage: { input_tokens: 913, output_tokens: 54 },
      },
    });
  });

  it('turns an Anthropic response into an Anthropic body unchanged in meaning', () => {
    const body = encodeAnthropicResponse(anthropicAdapter.parseResponse(200, anthropicResponseRaw));
    expect(body).toMatchObject({
      content: JSON.parse(anthropicResponseRaw).content,
      stop_reason: 'tool_use',
      usage: { input_tokens: 472, cache_creation_input_tokens: 100, cache_read_input_tokens: 2048, output_tokens: 89 },
    });
  });
});
