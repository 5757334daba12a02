import { describe, expect, it } from 'vitest';
import { ChatRequest } from '../canonical/chat.js';
import { createStreamAccumulator, type StreamEvent } from '../canonical/stream-event.js';
import type { ProviderError } from '../errors.js';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';
import expectedRaw from '../testdata/openai/expected-request.json?raw';
import responseRaw from '../testdata/openai/chat-response-tools.json?raw';
import streamRaw from '../testdata/openai/chat-stream-tools.sse?raw';
import rateLimitRaw from '../testdata/openai/error-rate-limit.json?raw';
import contextRaw from '../testdata/openai/error-context-length.json?raw';
import quotaRaw from '../testdata/openai/error-insufficient-quota.json?raw';
import invalidKeyRaw from '../testdata/openai/error-invalid-key.json?raw';
import embeddingsRaw from '../testdata/openai/embeddings-response.json?raw';
import azureStreamRaw from '../testdata/azure/chat-stream.sse?raw';
import azureFilterRaw from '../testdata/azure/error-content-filter.json?raw';
import { azureOpenAIAdapter, openaiAdapter, openaiCompatibleAdapter } from './openai.adapter.js';

const canonical = ChatRequest.parse(JSON.parse(canonicalRaw));
const bodyOf = (body: string | Uint8Array): unknown => JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));

describe('openai adapter: buildRequest', () => {
  it('builds the documented chat completions request with tools and images', () => {
    const req = openaiAdapter.buildRequest(canonical, { provider: 'openai', model: 'gpt-4o-2024-08-06', apiKey: 'sk-test', organization: 'org-1' });
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(req.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer sk-test', 'openai-organization': 'org-1' });
    expect(bodyOf(req.body)).toEqual(JSON.parse(expectedRaw));
  });

  it('forces usage in streams', () => {
    const req = openaiAdapter.buildRequest({ ...canonical, stream: true }, { provider: 'openai', model: 'gpt-4o', apiKey: 'k' });
    const body = bodyOf(req.body) as Record<string, unknown>;
    expect(body['stream']).toBe(true);
    expect(body['stream_options']).toEqual({ include_usage: true });
    expect(req.headers['accept']).toBe('text/event-stream');
  });

  it('targets an Azure deployment with api-version and api-key, without a model field', () => {
    const req = azureOpenAIAdapter.buildRequest(canonical, {
      provider: 'azure-openai',
      model: 'prod gpt4o',
      apiKey: 'az-key',
      baseUrl: 'https://acme.openai.azure.com/',
      apiVersion: '2024-10-21',
    });
    expect(req.url).toBe('https://acme.openai.azure.com/openai/deployments/prod%20gpt4o/chat/completions?api-version=2024-10-21');
    expect(req.headers['api-key']).toBe('az-key');
    expect(req.headers['authorization']).toBeUndefined();
    const body = bodyOf(req.body) as Record<string, unknown>;
    expect(body['model']).toBeUndefined();
    expect(body['messages']).toEqual((JSON.parse(expectedRaw) as Record<string, unknown>)['messages']);
  });

  it('speaks to OpenAI-compatible servers with max_tokens, top_k and an optional key', () => {
    const req = openaiCompatibleAdapter.buildRequest(
      { ...canonical, topK: 40 },
      { provider: 'openai-compatible', model: 'meta-llama/Llama-3.1-8B', baseUrl: 'http://vllm:8000/v1' },
    );
    expect(req.url).toBe('http://vllm:8000/v1/chat/completions');
    expect(req.headers['authorization']).toBeUndefined();
    const body = bodyOf(req.body) as Record<string, unknown>;
    expect(body['max_tokens']).toBe(256);
    expect(body['max_completion_tokens']).toBeUndefined();
    expect(body['top_k']).toBe(40);
  });

  it('refuses a deployment without a key', () => {
    expect(() => openaiAdapter.buildRequest(canonical, { provider: 'openai', model: 'gpt-4o' })).toThrow(
      expect.objectContaining({ code: 'TOTRA_PROVIDER_CONFIG' }),
    );
  });
});

describe('openai adapter: parseResponse', () => {
  it('parses tool calls, finish reason and cached / reasoning usage', () => {
    const res = openaiAdapter.parseResponse(200, responseRaw);
    expect(res).toEqual({
      id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      model: 'gpt-4o-2024-08-06',
      created: 1741570283,
      text: '',
      toolCalls: [{ id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      finishReason: 'tool_calls',
      providerFinishReason: 'tool_calls',
      usage: { inputTokens: 1117, outputTokens: 46, totalTokens: 1163, cachedInputTokens: 1024, reasoningTokens: 12, serviceTier: 'default' },
    });
  });

  it('accepts bytes and parsed objects alike', () => {
    expect(openaiAdapter.parseResponse(200, utf8(responseRaw))).toEqual(openaiAdapter.parseResponse(200, JSON.parse(responseRaw)));
  });

  it('throws a coded error for non-JSON and for error statuses', () => {
    expect(() => openaiAdapter.parseResponse(200, '<html>')).toThrow(expect.objectContaining({ code: 'TOTRA_PROVIDER_INVALID_RESPONSE' }));
    expect(() => openaiAdapter.parseResponse(429, rateLimitRaw)).toThrow(expect.objectContaining({ code: 'TOTRA_PROVIDER_RATE_LIMITED' }));
  });
});

describe('openai adapter: stream parser', () => {
  const expected: StreamEvent[] = [
    { type: 'message_start', id: 'chatcmpl-123', model: 'gpt-4o-mini', created: 1694268190 },
    { type: 'text_delta', text: 'Let me check – ☀️ ' },
    { type: 'tool_call_start', index: 0, id: 'call_AbC', name: 'get_weather' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '{"ci' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: 'ty":"Paris"}' },
    { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'tool_calls' },
    { type: 'usage', usage: { inputTokens: 82, outputTokens: 18, totalTokens: 100, cachedInputTokens: 64, reasoningTokens: 0 } },
  ];
  const bytes = utf8(streamRaw);
  for (const plan of splitPlans(bytes.length)) {
    it(`yields the same canonical events fed ${plan.name}`, () => {
      expect(feed(openaiAdapter.createStreamParser(), bytes, plan.cuts)).toEqual(expected);
    });
  }

  it('accumulates to the same response a non-streaming call gives', () => {
    const acc = createStreamAccumulator();
    acc.pushAll(feed(openaiAdapter.createStreamParser(), bytes, []));
    expect(acc.result()).toMatchObject({
      text: 'Let me check – ☀️ ',
      toolCalls: [{ id: 'call_AbC', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      finishReason: 'tool_calls',
      usage: { inputTokens: 82, outputTokens: 18, cachedInputTokens: 64 },
    });
  });

  it('skips the Azure prompt-filter chunk and reads the trailing usage', () => {
    const events = feed(azureOpenAIAdapter.createStreamParser(), utf8(azureStreamRaw), splitPlans(azureStreamRaw.length)[4]?.cuts ?? []);
    expect(events).toEqual([
      { type: 'message_start', id: 'chatcmpl-AZ1', model: 'gpt-4o-2024-08-06', created: 1727000000 },
      { type: 'text_delta', text: 'Bonjour' },
      { type: 'finish', finishReason: 'stop', providerFinishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11 } },
    ]);
  });

  it('turns a mid-stream error object into an error event', () => {
    const events = feed(openaiAdapter.createStreamParser(), utf8('data: {"error":{"message":"overloaded","type":"server_error"}}\n\n'), []);
    expect(events).toEqual([{ type: 'error', code: 'TOTRA_PROVIDER_UNAVAILABLE', message: 'overloaded' }]);
  });
});

describe('openai adapter: mapError', () => {
  it('maps 429 rate limits with the retry delay from headers', () => {
    const err: ProviderError = openaiAdapter.mapError(429, rateLimitRaw, { 'retry-after-ms': '1400', 'x-ratelimit-reset-tokens': '6m0s' });
    expect(err).toMatchObject({ code: 'TOTRA_PROVIDER_RATE_LIMITED', retryable: true, fallbackable: true, retryAfterMs: 1400, status: 429, providerCode: 'rate_limit_exceeded' });
  });

  it('falls back to x-ratelimit-reset durations', () => {
    expect(openaiAdapter.mapError(429, rateLimitRaw, { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }).retryAfterMs).toBe(360_000);
  });

  it('separates exhausted quota (no retry) from rate limits', () => {
    expect(openaiAdapter.mapError(429, quotaRaw)).toMatchObject({ code: 'TOTRA_PROVIDER_QUOTA_EXCEEDED', retryable: false, fallbackable: true });
  });

  it('recognises context length, auth and server errors', () => {
    expect(openaiAdapter.mapError(400, contextRaw)).toMatchObject({ code: 'TOTRA_PROVIDER_CONTEXT_LENGTH', retryable: false, fallbackable: true });
    expect(openaiAdapter.mapError(401, invalidKeyRaw)).toMatchObject({ code: 'TOTRA_PROVIDER_AUTH', retryable: false });
    expect(openaiAdapter.mapError(503, 'upstream connect error')).toMatchObject({
      code: 'TOTRA_PROVIDER_UNAVAILABLE',
      retryable: true,
      message: 'upstream connect error',
    });
  });

  it('maps Azure content filtering', () => {
    expect(azureOpenAIAdapter.mapError(400, azureFilterRaw)).toMatchObject({ code: 'TOTRA_PROVIDER_CONTENT_FILTER', provider: 'azure-openai', retryable: false });
  });
});

describe('openai adapter: passthrough fast path', () => {
  const inbound = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } };
  const raw = utf8(JSON.stringify(inbound));

  it('forwards the raw bytes when nothing must change', () => {
    const req = openaiAdapter.passthrough?.buildRequest({ raw, parsed: inbound }, { provider: 'openai', model: 'gpt-4o', apiKey: 'k' });
    expect(req?.body).toBe(raw);
  });

  it('re-serialises only to swap the model or force usage', () => {
    const parsed = { ...inbound, stream_options: undefined };
    const req = openaiAdapter.passthrough?.buildRequest({ raw: JSON.stringify(parsed), parsed }, { provider: 'openai', model: 'gpt-4o-mini', apiKey: 'k' });
    expect(bodyOf(req?.body ?? '')).toMatchObject({ model: 'gpt-4o-mini', stream_options: { include_usage: true } });
  });

  it('forwards the stream while parsing it, dropping the forced usage chunk on request', () => {
    const parser = openaiAdapter.passthrough?.createStreamParser({ stripUsageChunk: true });
    if (!parser) throw new Error('no passthrough');
    let forward = '';
    const events: StreamEvent[] = [];
    for (let i = 0; i < streamRaw.length; i += 50) {
      const r = parser.push(streamRaw.slice(i, i + 50));
      forward += r.forward;
      events.push(...r.events);
    }
    const last = parser.end();
    forward += last.forward;
    events.push(...last.events);
    expect(events.at(-1)).toMatchObject({ type: 'usage', usage: { inputTokens: 82 } });
    expect(forward).not.toContain('"prompt_tokens"');
    expect(forward).toContain('data: [DONE]\n\n');
    expect(forward.split('\n\n').filter(Boolean)).toHaveLength(7);
  });

  it('hands over the same stream message by message: each with its events, a dropped one with nothing to forward', () => {
    const whole = openaiAdapter.passthrough?.createStreamParser({ stripUsageChunk: true });
    const each = openaiAdapter.passthrough?.createStreamParser({ stripUsageChunk: true });
    if (!whole || !each) throw new Error('no passthrough');
    const byChunk = { forward: '', events: [] as StreamEvent[] };
    const messages: { forward: string; events: StreamEvent[] }[] = [];
    for (let i = 0; i < streamRaw.length; i += 50) {
      const r = whole.push(streamRaw.slice(i, i + 50));
      byChunk.forward += r.forward;
      byChunk.events.push(...r.events);
      messages.push(...each.pushEach(streamRaw.slice(i, i + 50)));
    }
    const last = whole.end();
    byChunk.forward += last.forward;
    byChunk.events.push(...last.events);
    messages.push(...each.endEach());
    // Eight messages: seven forwarded, and the forced usage chunk, parsed but not forwarded.
    expect(messages).toHaveLength(8);
    expect(messages.filter((m) => m.forward === '')).toHaveLength(1);
    expect(messages.find((m) => m.forward === '')?.events).toEqual([expect.objectContaining({ type: 'usage' })]);
    for (const m of messages) if (m.forward) expect(m.forward.endsWith('\n\n') && m.forward.split('\n\n').filter(Boolean).length === 1).toBe(true);
    expect(messages.map((m) => m.forward).join('')).toBe(byChunk.forward);
    expect(messages.flatMap((m) => m.events)).toEqual(byChunk.events);
  });

  it('is the same wire format only for OpenAI-format inbound requests', () => {
    expect(openaiAdapter.passthrough?.inbound).toBe('openai-chat');
  });
});

describe('openai adapter: embeddings', () => {
  it('builds the request and orders vectors by index', () => {
    const req = openaiAdapter.embeddings?.buildRequest({ model: 'embed', input: ['a', 'b'], dimensions: 3 }, { provider: 'openai', model: 'text-embedding-3-small', apiKey: 'k' });
    expect(req?.url).toBe('https://api.openai.com/v1/embeddings');
    expect(bodyOf(req?.body ?? '')).toEqual({ model: 'text-embedding-3-small', input: ['a', 'b'], encoding_format: 'float', dimensions: 3 });
    const res = openaiAdapter.embeddings?.parseResponse(200, embeddingsRaw);
    expect(res).toEqual({
      model: 'text-embedding-3-small',
      embeddings: [
        [0.0023064255, -0.009327292, 0.015797347],
        [0.25, -0.5, 1.0],
      ],
      usage: { inputTokens: 8 },
    });
  });

  it('sends the client\'s token ids where the provider reads their encoding, and their texts elsewhere', () => {
    const req = { model: 'embed', input: ['hi', 'there'], tokens: { encoding: 'cl100k_base', arrays: [[6151], [19041]] } };
    const input = (adapter: typeof openaiAdapter, r = req) => (bodyOf(adapter.embeddings?.buildRequest(r, { provider: adapter.provider, model: 'text-embedding-3-small', apiKey: 'k', baseUrl: 'https://x.example' }).body ?? '') as { input: unknown }).input;
    expect(input(openaiAdapter)).toEqual([[6151], [19041]]);
    expect(input(azureOpenAIAdapter)).toEqual([[6151], [19041]]);
    expect(openaiAdapter.embeddings?.takesTokens).toBe('cl100k_base');
    // An OpenAI-compatible server's model has its own tokenizer, or takes no ids at all.
    expect(openaiCompatibleAdapter.embeddings?.takesTokens).toBeUndefined();
    expect(input(openaiCompatibleAdapter)).toEqual(['hi', 'there']);
    // Ids of another encoding are not OpenAI's: the texts go.
    expect(input(openaiAdapter, { ...req, tokens: { encoding: 'o200k_base', arrays: [[1], [2]] } })).toEqual(['hi', 'there']);
  });
});
