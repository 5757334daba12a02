import { describe, expect, it } from 'vitest';
import { ChatRequest } from '../canonical/chat.js';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';
import responseRaw from '../testdata/cohere/chat-response.json?raw';
import streamRaw from '../testdata/cohere/stream.sse?raw';
import streamTextRaw from '../testdata/cohere/stream-text.sse?raw';
import error429Raw from '../testdata/cohere/error-429.json?raw';
import embedRaw from '../testdata/cohere/embed-response.json?raw';
import { cohereAdapter } from './cohere.adapter.js';

const canonical = ChatRequest.parse(JSON.parse(canonicalRaw));
const deployment = { provider: 'cohere' as const, model: 'command-a-03-2025', apiKey: 'co-key' };
const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;

describe('cohere adapter: buildRequest', () => {
  it('builds a v2 chat request with tools, images and p/k sampling names', () => {
    const req = cohereAdapter.buildRequest({ ...canonical, topK: 10, toolChoice: { type: 'required' } }, deployment);
    expect(req.url).toBe('https://api.cohere.com/v2/chat');
    expect(req.headers['authorization']).toBe('Bearer co-key');
    expect(bodyOf(req.body)).toEqual({
      model: 'command-a-03-2025',
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is the weather in Paris? Here is a photo.' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        { role: 'assistant', tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_abc123', content: '{"temp_c":18}' },
        { role: 'user', content: 'Thanks. And tomorrow?' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ],
      tool_choice: 'REQUIRED',
      max_tokens: 256,
      temperature: 0.2,
      p: 0.9,
      k: 10,
      stop_sequences: ['END'],
      seed: 7,
    });
  });
});

describe('cohere adapter: parseResponse', () => {
  it('parses tool calls, the tool plan and token usage', () => {
    expect(cohereAdapter.parseResponse(200, responseRaw)).toEqual({
      id: 'c14c80c3-18eb-4519-9460-6c92edd8cfb4',
      model: '',
      created: 0,
      text: '',
      toolCalls: [{ id: 'get_weather_1byjy32y4hvq', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      reasoning: [{ type: 'reasoning', text: 'I will look up the weather in Paris.' }],
      finishReason: 'tool_calls',
      providerFinishReason: 'TOOL_CALL',
      usage: { inputTokens: 913, outputTokens: 54, totalTokens: 967 },
    });
  });
});

describe('cohere adapter: stream parser', () => {
  const toolBytes = utf8(streamRaw);
  for (const plan of splitPlans(toolBytes.length)) {
    it(`parses tool-call-start / tool-call-delta / message-end fed ${plan.name}`, () => {
      expect(feed(cohereAdapter.createStreamParser(), toolBytes, plan.cuts)).toEqual([
        { type: 'message_start', id: '29f14a5a-11de-4cae-9800-25e4747408ea', model: '', created: 0 },
        { type: 'reasoning_delta', text: 'I will check the weather.' },
        { type: 'tool_call_start', index: 0, id: 'get_weather_nsz5zm3w56q3', name: 'get_weather' },
        { type: 'tool_call_delta', index: 0, argumentsDelta: '{\n    "city":' },
        { type: 'tool_call_delta', index: 0, argumentsDelta: ' "Paris"\n}' },
        { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'TOOL_CALL' },
        { type: 'usage', usage: { inputTokens: 913, outputTokens: 54 } },
      ]);
    });
  }

  it('parses content-delta text', () => {
    const events = feed(cohereAdapter.createStreamParser(), utf8(streamTextRaw), splitPlans(streamTextRaw.length)[1]?.cuts ?? []);
    expect(events.filter((e) => e.type === 'text_delta')).toEqual([
      { type: 'text_delta', text: 'Hello' },
      { type: 'text_delta', text: ' world' },
    ]);
    expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'stop', providerFinishReason: 'COMPLETE' });
  });
});

describe('cohere adapter: errors and embeddings', () => {
  it('maps 429, 402 and 498', () => {
    expect(cohereAdapter.mapError(429, error429Raw, { 'retry-after': '6' })).toMatchObject({ code: 'TOTRA_PROVIDER_RATE_LIMITED', retryAfterMs: 6000 });
    expect(cohereAdapter.mapError(402, { message: 'Please add a payment method' })).toMatchObject({ code: 'TOTRA_PROVIDER_QUOTA_EXCEEDED', retryable: false });
    expect(cohereAdapter.mapError(498, { message: 'invalid api token' })).toMatchObject({ code: 'TOTRA_PROVIDER_AUTH' });
  });

  it('embeds via /v2/embed with an input type', () => {
    const req = cohereAdapter.embeddings?.buildRequest({ model: 'e', input: ['hello', 'goodbye'] }, { ...deployment, model: 'embed-v4.0' });
    expect(req?.url).toBe('https://api.cohere.com/v2/embed');
    expect(bodyOf(req?.body ?? '')).toEqual({ model: 'embed-v4.0', texts: ['hello', 'goodbye'], input_type: 'search_document', embedding_types: ['float'] });
    expect(cohereAdapter.embeddings?.parseResponse(200, embedRaw)).toEqual({
      model: '',
      embeddings: [
        [0.016296387, -0.008354187, -0.04699707],
        [0.01, 0.02, 0.03],
      ],
      usage: { inputTokens: 2 },
    });
  });
});
