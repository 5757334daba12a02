import { describe, expect, it } from 'vitest';
import { ChatRequest } from '../canonical/chat.js';
import type { StreamEvent } from '../canonical/stream-event.js';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';
import expectedRaw from '../testdata/anthropic/expected-request.json?raw';
import responseRaw from '../testdata/anthropic/messages-response.json?raw';
import streamRaw from '../testdata/anthropic/messages-stream.sse?raw';
import streamErrorRaw from '../testdata/anthropic/stream-error.sse?raw';
import overloadedRaw from '../testdata/anthropic/error-overloaded.json?raw';
import tooLongRaw from '../testdata/anthropic/error-prompt-too-long.json?raw';
import rateLimitRaw from '../testdata/anthropic/error-rate-limit.json?raw';
import { anthropicAdapter } from './anthropic.adapter.js';

const canonical = ChatRequest.parse(JSON.parse(canonicalRaw));
const deployment = { provider: 'anthropic' as const, model: 'claude-sonnet-4-20250514', apiKey: 'sk-ant-test' };
const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;

describe('anthropic adapter: buildRequest', () => {
  it('builds the documented Messages request: system hoisted, tool results in a user turn, base64 image', () => {
    const req = anthropicAdapter.buildRequest(canonical, deployment);
    expect(req.url).toBe('https://api.anthropic.com/v1/messages');
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' });
    expect(bodyOf(req.body)).toEqual(JSON.parse(expectedRaw));
  });

  it('maps tool choice, thinking budget, JSON mode, URL images and clamps temperature', () => {
    const req = anthropicAdapter.buildRequest(
      {
        model: 'x',
        stream: true,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://e.com/a.png' } }] }],
        tools: canonical.tools ?? [],
        toolChoice: { type: 'required' },
        parallelToolCalls: false,
        reasoning: { effort: 'low' },
        responseFormat: { type: 'json_object' },
        maxTokens: 1000,
        temperature: 1.5,
      },
      { ...deployment, apiVersion: '2023-06-01', baseUrl: 'https://proxy.internal/' },
    );
    const body = bodyOf(req.body);
    expect(req.url).toBe('https://proxy.internal/v1/messages');
    expect(req.headers['accept']).toBe('text/event-stream');
    expect(body['tool_choice']).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(body['max_tokens']).toBe(3048);
    expect(body['temperature']).toBeUndefined();
    expect(body['system']).toMatch(/valid JSON object/);
    expect(body['stream']).toBe(true);
    expect(body['messages']).toEqual([{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://e.com/a.png' } }] }]);
    const plain = bodyOf(anthropicAdapter.buildRequest({ model: 'x', stream: false, messages: canonical.messages.slice(0, 2), temperature: 1.5 }, deployment).body);
    expect(plain['temperature']).toBe(1);
    expect(plain['max_tokens']).toBe(4096);
  });
});

describe('anthropic adapter: parseResponse', () => {
  it('parses text, tool use, thinking and cache usage (input includes cache reads and writes)', () => {
    expect(anthropicAdapter.parseResponse(200, responseRaw)).toEqual({
      id: 'msg_01Aq9w938a90dw8q',
      model: 'claude-sonnet-4-20250514',
      created: 0,
      text: "I'll check the current weather in Paris.",
      toolCalls: [{ id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      reasoning: [
        {
          type: 'reasoning',
          text: 'User wants weather; call the tool.',
          signature: 'WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL',
        },
      ],
      finishReason: 'tool_calls',
      providerFinishReason: 'tool_use',
      usage: { inputTokens: 2620, outputTokens: 89, totalTokens: 2709, cachedInputTokens: 2048, cacheWriteInputTokens: 100 },
    });
  });
});

describe('anthropic adapter: stream parser', () => {
  const expected: StreamEvent[] = [
    { type: 'message_start', id: 'msg_014p7gG3wDgGV9EUtLvnow3U', model: 'claude-sonnet-4-20250514', created: 0 },
    { type: 'usage', usage: { inputTokens: 472, outputTokens: 2, cachedInputTokens: 0, cacheWriteInputTokens: 0 } },
    { type: 'text_delta', text: "Okay, let's check the weather for Zürich" },
    { type: 'text_delta', text: ' ☀️:' },
    { type: 'tool_call_start', index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '{"city": "Z' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: 'ürich"}' },
    { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'tool_use' },
    { type: 'usage', usage: { outputTokens: 89 } },
  ];
  const bytes = utf8(streamRaw);
  for (const plan of splitPlans(bytes.length)) {
    it(`yields the same canonical events fed ${plan.name}`, () => {
      expect(feed(anthropicAdapter.createStreamParser(), bytes, plan.cuts)).toEqual(expected);
    });
  }

  it('handles CRLF line endings split between chunks', () => {
    const crlf = utf8(streamRaw.replace(/\n/g, '\r\n'));
    expect(feed(anthropicAdapter.createStreamParser(), crlf, splitPlans(crlf.length)[1]?.cuts ?? [])).toEqual(expected);
  });

  it('reports an in-stream overloaded error as a retryable code', () => {
    const events = feed(anthropicAdapter.createStreamParser(), utf8(streamErrorRaw), []);
    expect(events.at(-1)).toEqual({ type: 'error', code: 'TOTRA_PROVIDER_UNAVAILABLE', message: 'Overloaded' });
  });
});

describe('anthropic adapter: mapError', () => {
  it('maps overloaded (529), rate limits with retry-after, and prompt-too-long', () => {
    expect(anthropicAdapter.mapError(529, overloadedRaw)).toMatchObject({ code: 'TOTRA_PROVIDER_UNAVAILABLE', retryable: true, providerCode: 'overloaded_error' });
    expect(anthropicAdapter.mapError(429, rateLimitRaw, { 'retry-after': '17' })).toMatchObject({ code: 'TOTRA_PROVIDER_RATE_LIMITED', retryAfterMs: 17_000 });
    expect(anthropicAdapter.mapError(400, tooLongRaw)).toMatchObject({ code: 'TOTRA_PROVIDER_CONTEXT_LENGTH', fallbackable: true, retryable: false });
    expect(anthropicAdapter.mapError(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } })).toMatchObject({
      code: 'TOTRA_PROVIDER_AUTH',
    });
  });

  it('reads an HTTP-date Retry-After when the caller gives the time', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(anthropicAdapter.mapError(429, rateLimitRaw, { 'Retry-After': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now).retryAfterMs).toBe(30_000);
  });
});

describe('anthropic adapter: passthrough', () => {
  it('forwards the raw Anthropic body and every SSE message unchanged in content', () => {
    const parsed = { model: 'claude-sonnet-4-20250514', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true };
    const raw = JSON.stringify(parsed);
    expect(anthropicAdapter.passthrough?.buildRequest({ raw, parsed }, deployment).body).toBe(raw);
    const swapped = anthropicAdapter.passthrough?.buildRequest({ raw, parsed }, { ...deployment, model: 'claude-3-5-haiku-20241022' });
    expect(bodyOf(swapped?.body ?? '')['model']).toBe('claude-3-5-haiku-20241022');
    const parser = anthropicAdapter.passthrough?.createStreamParser();
    if (!parser) throw new Error('no passthrough');
    const a = parser.push(streamRaw.slice(0, 400));
    const b = parser.push(streamRaw.slice(400));
    const c = parser.end();
    const forwarded = a.forward + b.forward + c.forward;
    expect(forwarded.replace('{"type": "ping"}', '{"type":"ping"}')).toBe(streamRaw.replace('{"type": "ping"}', '{"type":"ping"}'));
    expect([...a.events, ...b.events, ...c.events].filter((e) => e.type === 'finish')).toHaveLength(1);
  });
});
