import { describe, expect, it } from 'vitest';
import { ChatRequest } from '../canonical/chat.js';
import type { StreamEvent } from '../canonical/stream-event.js';
import { passthroughFor, prepareRequest, type PassthroughStreamParser } from '../adapters/adapter.js';
import { anthropicAdapter } from '../anthropic/anthropic.adapter.js';
import { feed, splitPlans } from '../testdata/feed.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';
import expectedRaw from '../testdata/bedrock/expected-request.json?raw';
import responseRaw from '../testdata/bedrock/converse-response.json?raw';
import streamEventsRaw from '../testdata/bedrock/stream-events.json?raw';
import throttlingRaw from '../testdata/bedrock/error-throttling.json?raw';
import messagesStreamRaw from '../testdata/anthropic/messages-stream.sse?raw';
import messagesResponseRaw from '../testdata/anthropic/messages-response.json?raw';
import tooLongRaw from '../testdata/bedrock/error-validation-too-long.json?raw';
import { signAwsRequest } from './aws-sigv4.js';
import { bedrockAdapter } from './bedrock.adapter.js';
import { encodeAwsEventStreamMessage } from './event-stream.decoder.js';
import { UnsupportedFeatureError } from '../errors.js';

const canonical = ChatRequest.parse(JSON.parse(canonicalRaw));
const aws = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const deployment = { provider: 'bedrock' as const, model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'us-east-1', aws };
const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;

function eventMessage(eventType: string, payload: unknown): Uint8Array {
  return encodeAwsEventStreamMessage({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: new TextEncoder().encode(JSON.stringify(payload)),
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const transcript = concat((JSON.parse(streamEventsRaw) as { eventType: string; payload: unknown }[]).map((e) => eventMessage(e.eventType, e.payload)));

/** A throttling exception in the middle of a stream, as Bedrock frames it. */
const throttled = encodeAwsEventStreamMessage({
  headers: {
    ':exception-type': { type: 'string', value: 'throttlingException' },
    ':content-type': { type: 'string', value: 'application/json' },
    ':message-type': { type: 'string', value: 'exception' },
  },
  body: new TextEncoder().encode('{"message":"Too many tokens, please wait before trying again."}'),
});

describe('aws sigv4 signing', () => {
  it('matches the AWS SigV4 test suite vector "post-vanilla"', async () => {
    const signed = await signAwsRequest(
      { method: 'POST', url: 'https://example.amazonaws.com/', headers: {}, body: '' },
      { service: 'service', region: 'us-east-1', credentials: aws, date: new Date('2015-08-30T12:36:00Z') },
    );
    expect(signed.headers['x-amz-date']).toBe('20150830T123600Z');
    expect(signed.headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });
});

describe('bedrock adapter: buildRequest and signRequest', () => {
  it('builds a Converse body with toolConfig, image bytes and tool results', () => {
    const req = bedrockAdapter.buildRequest(canonical, deployment);
    expect(req.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(bodyOf(req.body)).toEqual(JSON.parse(expectedRaw));
  });

  it('signs deterministically for a given date, with the session token when present', async () => {
    const date = new Date('2025-01-02T03:04:05Z');
    const withToken = { ...deployment, aws: { ...aws, sessionToken: 'FwoGZXIvYXdzEXAMPLE' } };
    const a = await prepareRequest(bedrockAdapter, { ...canonical, stream: true }, withToken, date);
    const b = await prepareRequest(bedrockAdapter, { ...canonical, stream: true }, withToken, date);
    expect(a).toEqual(b);
    expect(a.url.endsWith('/converse-stream')).toBe(true);
    expect(a.headers['x-amz-date']).toBe('20250102T030405Z');
    expect(a.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEXAMPLE');
    expect(a.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20250102\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(a.headers['host']).toBeUndefined();
    const later = await prepareRequest(bedrockAdapter, { ...canonical, stream: true }, withToken, new Date('2025-01-02T03:04:06Z'));
    expect(later.headers['authorization']).not.toBe(a.headers['authorization']);
  });

  it('uses a Bedrock API key as a bearer token without signing', async () => {
    const keyed = { provider: 'bedrock' as const, model: 'amazon.nova-pro-v1:0', region: 'eu-west-1', apiKey: 'bedrock-api-key' };
    const req = await prepareRequest(bedrockAdapter, canonical, keyed, new Date(0));
    expect(req.headers['authorization']).toBe('Bearer bedrock-api-key');
    expect(req.headers['x-amz-date']).toBeUndefined();
  });

  it('refuses http image URLs and missing credentials', () => {
    const withUrl: ChatRequest = { model: 'x', stream: false, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://e/x.png' } }] }] };
    expect(() => bedrockAdapter.buildRequest(withUrl, deployment)).toThrow(expect.objectContaining({ code: 'TOTRA_PROVIDER_UNSUPPORTED' }));
    expect(() => bedrockAdapter.buildRequest(canonical, { provider: 'bedrock', model: 'm', region: 'us-east-1' })).toThrow(
      expect.objectContaining({ code: 'TOTRA_PROVIDER_CONFIG' }),
    );
  });

  it('passes thinking and top_k through additionalModelRequestFields', () => {
    const body = bodyOf(bedrockAdapter.buildRequest({ ...canonical, topK: 20, reasoning: { budgetTokens: 1500 } }, deployment).body);
    expect(body['additionalModelRequestFields']).toEqual({ thinking: { type: 'enabled', budget_tokens: 1500 } });
    expect((body['inferenceConfig'] as Record<string, unknown>)['temperature']).toBeUndefined();
    const plain = bodyOf(bedrockAdapter.buildRequest({ ...canonical, topK: 20 }, deployment).body);
    expect(plain['additionalModelRequestFields']).toEqual({ top_k: 20 });
  });
});

describe('bedrock adapter: parseResponse', () => {
  it('parses text, tool use and cache usage', () => {
    expect(bedrockAdapter.parseResponse(200, responseRaw)).toEqual({
      id: '',
      model: '',
      created: 0,
      text: "I'll check the weather.",
      toolCalls: [{ id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      finishReason: 'tool_calls',
      providerFinishReason: 'tool_use',
      usage: { inputTokens: 2468, outputTokens: 55, totalTokens: 2523, cachedInputTokens: 2048, cacheWriteInputTokens: 0 },
    });
  });
});

describe('bedrock adapter: event-stream parser', () => {
  const expected: StreamEvent[] = [
    { type: 'message_start', id: '', model: '', created: 0 },
    { type: 'text_delta', text: 'Let me check ' },
    { type: 'text_delta', text: 'the weather – ☀️.' },
    { type: 'tool_call_start', index: 0, id: 'tooluse_Xy12', name: 'get_weather' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '{"city":' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '"Paris"}' },
    { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'tool_use' },
    { type: 'usage', usage: { inputTokens: 380, outputTokens: 61, totalTokens: 441 } },
  ];
  for (const plan of splitPlans(transcript.length)) {
    it(`decodes binary frames fed ${plan.name}`, () => {
      expect(feed(bedrockAdapter.createStreamParser(), transcript, plan.cuts)).toEqual(expected);
    });
  }

  it('turns an exception message into an error event', () => {
    expect(feed(bedrockAdapter.createStreamParser(), throttled, [5])).toEqual([
      { type: 'error', code: 'TOTRA_PROVIDER_RATE_LIMITED', message: 'Too many tokens, please wait before trying again.' },
    ]);
  });

  it('reports a corrupted frame (bad CRC) and a truncated stream', () => {
    const corrupt = transcript.slice(0, 60);
    corrupt[40] = (corrupt[40] ?? 0) ^ 0xff;
    const events = feed(bedrockAdapter.createStreamParser(), corrupt, []);
    expect(events[0]).toMatchObject({ type: 'error', code: 'TOTRA_PROVIDER_INVALID_RESPONSE' });
    const truncated = feed(bedrockAdapter.createStreamParser(), transcript.slice(0, transcript.length - 3), []);
    expect(truncated.at(-1)).toMatchObject({ type: 'error', code: 'TOTRA_PROVIDER_INVALID_RESPONSE' });
  });
});

describe('bedrock adapter: mapError', () => {
  it('reads the exception type from x-amzn-ErrorType', () => {
    expect(bedrockAdapter.mapError(429, throttlingRaw, { 'x-amzn-ErrorType': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' })).toMatchObject({
      code: 'TOTRA_PROVIDER_RATE_LIMITED',
      providerCode: 'ThrottlingException',
      retryable: true,
    });
    expect(bedrockAdapter.mapError(400, tooLongRaw, { 'x-amzn-errortype': 'ValidationException' })).toMatchObject({ code: 'TOTRA_PROVIDER_CONTEXT_LENGTH' });
    expect(bedrockAdapter.mapError(400, { message: 'Malformed input request' }, { 'x-amzn-errortype': 'ValidationException' })).toMatchObject({
      code: 'TOTRA_PROVIDER_BAD_REQUEST',
    });
    expect(bedrockAdapter.mapError(403, { message: 'no access' }, { 'x-amzn-errortype': 'AccessDeniedException' })).toMatchObject({ code: 'TOTRA_PROVIDER_AUTH' });
    expect(bedrockAdapter.mapError(408, { message: 'slow' }, { 'x-amzn-errortype': 'ModelTimeoutException' })).toMatchObject({ code: 'TOTRA_PROVIDER_TIMEOUT' });
  });
});

describe('bedrock adapter: Claude through InvokeModel, an Anthropic client body as it came (ADR 0031)', () => {
  const claude = { ...deployment, model: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0' };
  const parsed = {
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    stream: true,
    messages: [
      { role: 'user', content: 'which clause?' },
      { role: 'assistant', content: [{ type: 'text', text: 'This one.', citations: [{ type: 'char_location', cited_text: 'a clause', document_index: 0, start_char_index: 0, end_char_index: 8 }] }] },
      { role: 'user', content: 'thanks' },
    ],
    service_tier: 'auto',
  };
  const invoke = passthroughFor(bedrockAdapter, 'anthropic-messages', claude);

  it('is offered for Claude models only, by id, inference profile or ARN, and for no other API', () => {
    expect(invoke).toBeDefined();
    for (const model of ['anthropic.claude-3-haiku-20240307-v1:0', 'global.anthropic.claude-opus-4-6-v1', 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0']) {
      expect(passthroughFor(bedrockAdapter, 'anthropic-messages', { ...deployment, model }), model).toBe(invoke);
    }
    for (const model of ['amazon.nova-pro-v1:0', 'meta.llama3-70b-instruct-v1:0', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3']) {
      expect(passthroughFor(bedrockAdapter, 'anthropic-messages', { ...deployment, model }), model).toBeUndefined();
    }
    expect(passthroughFor(bedrockAdapter, 'openai-chat', claude)).toBeUndefined();
  });

  it('sends the body to invoke-with-response-stream (or invoke) with anthropic_version and the betas, without model and stream', async () => {
    const built = invoke!.buildRequest({ raw: JSON.stringify(parsed), parsed, betas: ['context-1m-2025-08-07'] }, claude);
    expect(built.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream');
    expect(built.headers['accept']).toBe('application/vnd.amazon.eventstream');
    // `service_tier` tunes Anthropic's own service: left out, as on the Converse path.
    const { model: _model, stream: _stream, service_tier: _tier, ...members } = parsed;
    expect(bodyOf(built.body)).toEqual({ anthropic_version: 'bedrock-2023-05-31', ...members, anthropic_beta: ['context-1m-2025-08-07'] });
    const signed = await bedrockAdapter.signRequest!(built, claude, new Date('2026-01-02T03:04:05Z'));
    expect(signed.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/us-east-1\/bedrock\/aws4_request/);
    const plain = { ...parsed, stream: false };
    const once = invoke!.buildRequest({ raw: JSON.stringify(plain), parsed: plain }, { ...claude, aws: undefined, apiKey: 'brk-key' });
    expect(once.url).toMatch(/\/invoke$/);
    expect(once.headers['authorization']).toBe('Bearer brk-key');
    expect(bodyOf(once.body)).not.toHaveProperty('anthropic_beta');
    expect(() => invoke!.buildRequest({ raw: '{}', parsed: plain }, { ...claude, aws: undefined })).toThrow(/neither AWS credentials nor an API key/);
  });

  it("refuses, before the call, the top-level members only Anthropic's own API takes", () => {
    const mcp = { ...parsed, container: 'c-1', context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } };
    let refused: unknown;
    try {
      invoke!.buildRequest({ raw: JSON.stringify(mcp), parsed: mcp }, claude);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(UnsupportedFeatureError);
    expect((refused as Error).message).toBe('`container`, `context_management` (of the Anthropic Messages request) cannot be sent to bedrock: its InvokeModel API for Claude does not take them');
  });

  /** Anthropic's own SSE transcript, as Bedrock frames it: one `chunk` per event, metrics on the last. */
  const sse = messagesStreamRaw
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: '))?.slice(6))
    .filter((data): data is string => data !== undefined);
  const metrics = { inputTokenCount: 472, outputTokenCount: 12, invocationLatency: 900, firstByteLatency: 300 };
  const chunk = (json: string) => eventMessage('chunk', { bytes: btoa(String.fromCharCode(...new TextEncoder().encode(json))) });
  const framed = concat(
    sse.map((data) => {
      const event = JSON.parse(data) as Record<string, unknown>;
      return chunk(event['type'] === 'message_stop' ? JSON.stringify({ ...event, 'amazon-bedrock-invocationMetrics': metrics }) : data);
    }),
  );
  const anthropicEvents = feed(eventsOnly(anthropicAdapter.passthrough!.createStreamParser()), new TextEncoder().encode(messagesStreamRaw), []);

  for (const plan of splitPlans(framed.length)) {
    it(`reads the event stream into Anthropic's own events and SSE, fed ${plan.name}`, () => {
      const parser = invoke!.createStreamParser();
      let forward = '';
      const events = feed(
        {
          push: (c) => {
            const r = parser.push(c);
            forward += r.forward;
            return r.events;
          },
          end: () => {
            const r = parser.end();
            forward += r.forward;
            return r.events;
          },
        },
        framed,
        plan.cuts,
      );
      expect(events).toEqual(anthropicEvents);
      expect(forward).not.toContain('amazon-bedrock-invocationMetrics');
      expect(forward).toContain('event: message_stop\ndata: {"type":"message_stop"}\n\n');
      expect(forward.split('\n\n').filter(Boolean)).toHaveLength(sse.length);
    });
  }

  it('turns an exception into an Anthropic error event, and a corrupt or cut stream too', () => {
    const parser = invoke!.createStreamParser();
    const { events, forward } = parser.push(throttled);
    expect(events).toEqual([{ type: 'error', code: 'TOTRA_PROVIDER_RATE_LIMITED', message: 'Too many tokens, please wait before trying again.' }]);
    expect(forward).toBe('event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"Too many tokens, please wait before trying again."}}\n\n');
    const corrupt = framed.slice();
    corrupt[40] = (corrupt[40] ?? 0) ^ 0xff;
    expect(feed(eventsOnly(invoke!.createStreamParser()), corrupt, [])).toEqual([expect.objectContaining({ type: 'error', message: expect.stringMatching(/^corrupt event-stream/) })]);
    expect(feed(eventsOnly(invoke!.createStreamParser()), framed.slice(0, framed.length - 3), []).at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/ended inside a message/) });
  });

  it("reads a JSON answer as Anthropic's", () => {
    const answer = invoke!.parseResponse!(200, messagesResponseRaw);
    expect(answer).toEqual(anthropicAdapter.parseResponse(200, messagesResponseRaw));
    expect(() => invoke!.parseResponse!(429, throttlingRaw)).toThrow();
  });
});

function eventsOnly(parser: PassthroughStreamParser) {
  return { push: (c: string | Uint8Array) => parser.push(c).events, end: () => parser.end().events };
}
