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
import { SseDecoder } from '../wire/sse.js';
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
      usage: { inputTokens: 2620, outputTokens: 89, totalTokens: 2709, cachedInputTokens: 2048, cacheWriteInputTokens: 100, serviceTier: 'standard' },
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

describe('anthropic adapter: betas', () => {
  const request = { model: 'x', stream: false, messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }] };

  it('sends the betas the client switched on, with those of the deployment, once each', () => {
    expect(anthropicAdapter.buildRequest(request, deployment).headers['anthropic-beta']).toBeUndefined();
    expect(anthropicAdapter.buildRequest({ ...request, betas: ['context-1m-2025-08-07'] }, deployment).headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    const both = anthropicAdapter.buildRequest({ ...request, betas: ['context-1m-2025-08-07', 'token-efficient-tools-2025-02-19'] }, { ...deployment, headers: { 'anthropic-beta': 'token-efficient-tools-2025-02-19, output-128k-2025-02-19' } });
    expect(both.headers['anthropic-beta']).toBe('token-efficient-tools-2025-02-19,output-128k-2025-02-19,context-1m-2025-08-07');
    const parsed = { model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    expect(anthropicAdapter.passthrough?.buildRequest({ raw: JSON.stringify(parsed), parsed, betas: ['mcp-client-2025-04-04'] }, deployment).headers['anthropic-beta']).toBe('mcp-client-2025-04-04');
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

describe('anthropic adapter: metered pass-through (stream cutter)', () => {
  type Sse = { event: string | undefined; data: Record<string, unknown> };
  const messagesOf = (text: string): Sse[] => {
    const decoder = new SseDecoder();
    return [...decoder.push(text), ...decoder.end()].map((m) => ({ event: m.event, data: JSON.parse(m.data) as Record<string, unknown> }));
  };
  /**
   * Checks a whole stream against the Messages streaming protocol and returns what a client
   * assembles from it: blocks numbered 0, 1, ... each started, fed and stopped in turn, deltas only
   * to the open block, `message_start` first and `message_delta` + `message_stop` last.
   */
  const assemble = (text: string) => {
    const events = messagesOf(text);
    for (const e of events) expect(e.event).toBe(e.data['type']);
    expect(events[0]?.event).toBe('message_start');
    expect(events.map((e) => e.event).slice(-2)).toEqual(['message_delta', 'message_stop']);
    const blocks: { type: string; text: string }[] = [];
    let open: number | undefined;
    let last: Record<string, unknown> | undefined;
    for (const { event, data } of events) {
      if (event === 'content_block_start') {
        expect(open).toBeUndefined();
        expect(data['index']).toBe(blocks.length);
        const block = data['content_block'] as { type: string; text?: string };
        blocks.push({ type: block.type, text: block.text ?? '' });
        open = data['index'] as number;
      } else if (event === 'content_block_delta') {
        expect(data['index']).toBe(open);
        const delta = data['delta'] as { text?: string; partial_json?: string; thinking?: string };
        (blocks[open as number] as { text: string }).text += delta.text ?? delta.partial_json ?? delta.thinking ?? '';
      } else if (event === 'content_block_stop') {
        expect(data['index']).toBe(open);
        open = undefined;
      } else if (event === 'message_delta') {
        expect(open).toBeUndefined();
        last = data;
      }
    }
    return { blocks, stop: (last?.['delta'] as { stop_reason: string }).stop_reason, usage: last?.['usage'] as Record<string, number> };
  };

  it('notes the content block each message opens or closes, message by message', () => {
    const parser = anthropicAdapter.passthrough?.createStreamParser();
    if (!parser) throw new Error('no passthrough');
    const entries = [...parser.pushEach(streamRaw.slice(0, 333)), ...parser.pushEach(streamRaw.slice(333)), ...parser.endEach()];
    expect(entries.map((e) => e.block).filter(Boolean)).toEqual([
      { index: 0, start: 'text' },
      { index: 0, stop: true },
      { index: 1, start: 'tool_use' },
      { index: 1, stop: true },
    ]);
    expect(messagesOf(entries.map((e) => e.forward).join(''))).toEqual(messagesOf(streamRaw));
  });

  it('ends a stream cut at any text or tool-argument delta as a well-formed Messages stream, in the block the provider had open', () => {
    const whole = assemble(streamRaw);
    expect(whole.blocks.map((b) => b.type)).toEqual(['text', 'tool_use']);
    const parser = anthropicAdapter.passthrough?.createStreamParser();
    if (!parser) throw new Error('no passthrough');
    const entries = [...parser.pushEach(streamRaw), ...parser.endEach()];
    const cuts = entries.map((e, i) => ({ e, i })).filter(({ e }) => e.events.some((x) => (x.type === 'text_delta' && x.text) || (x.type === 'tool_call_delta' && x.argumentsDelta)));
    expect(cuts.length).toBe(4);
    for (const { e, i } of cuts) {
      const cutter = anthropicAdapter.passthrough?.createStreamCutter?.({ includeUsage: false });
      if (!cutter) throw new Error('no cutter');
      let out = '';
      for (const m of entries.slice(0, i)) {
        cutter.forwarded(m);
        out += m.forward;
      }
      // What fits of the cut message: half its piece; then the stream's usage and the length finish.
      const admitted = e.events.map((x): StreamEvent =>
        x.type === 'text_delta' ? { ...x, text: x.text.slice(0, 3) } : x.type === 'tool_call_delta' ? { ...x, argumentsDelta: x.argumentsDelta.slice(0, 3) } : x,
      );
      out += cutter.cut([...admitted, { type: 'usage', usage: { outputTokens: 7 } }, { type: 'finish', finishReason: 'length' }]);
      const got = assemble(out);
      expect(got.stop).toBe('max_tokens');
      // Input tokens from the provider's message_start, output tokens counted by the gateway.
      expect(got.usage).toMatchObject({ input_tokens: 472, output_tokens: 7 });
      const piece = admitted.map((x) => (x.type === 'text_delta' ? x.text : x.type === 'tool_call_delta' ? x.argumentsDelta : '')).join('');
      // Everything before the cut, then the admitted piece, in the same block as the provider's.
      const lastBlock = got.blocks.at(-1);
      const sameBlock = whole.blocks[got.blocks.length - 1];
      expect(lastBlock?.type).toBe(sameBlock?.type);
      expect(sameBlock?.text.startsWith(lastBlock?.text ?? '?')).toBe(true);
      expect(lastBlock?.text.endsWith(piece)).toBe(true);
    }
  });

  it('opens the next block when the message that passes the cap starts one with text', () => {
    const cutter = anthropicAdapter.passthrough?.createStreamCutter?.({ includeUsage: false });
    const parser = anthropicAdapter.passthrough?.createStreamParser();
    if (!cutter || !parser) throw new Error('no cutter');
    // The provider's text block 0 and tool block 1 went out whole; block 2 starts with its text.
    const head = streamRaw.slice(0, streamRaw.indexOf('event: message_delta'));
    let out = '';
    for (const m of parser.pushEach(head)) {
      cutter.forwarded(m);
      out += m.forward;
    }
    out += cutter.cut([{ type: 'text_delta', text: 'Done' }, { type: 'usage', usage: { outputTokens: 90 } }, { type: 'finish', finishReason: 'length' }]);
    const got = assemble(out);
    expect(got.blocks).toEqual([
      { type: 'text', text: "Okay, let's check the weather for Zürich ☀️:" },
      { type: 'tool_use', text: '{"city": "Zürich"}' },
      { type: 'text', text: 'Done' },
    ]);
    expect(got.usage?.['output_tokens']).toBe(90);
  });
});
