import {
  createStreamAccumulator,
  getProviderAdapter,
  prepareRequest,
  type ChatRequest,
  type ChatResponse,
  type Deployment,
  type ProviderHttpRequest,
  type ProviderKind,
  type StreamEvent,
  type Usage,
} from '@totra/providers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockEmbedding, mockTokenCount } from './behaviour.js';
import { startMockProvider, type MockProvider } from './mock-provider.js';
import { createStreamGate } from './stream-gate.js';

/** One row per provider: how to reach its mock, and what its wire format can carry. */
interface Case {
  kind: ProviderKind;
  deployment(mock: MockProvider): Deployment;
  /** Tool-call arguments arrive in several deltas (else whole, in one). */
  streamsArguments: boolean;
  embeddings: boolean;
  /** Canonical usage the adapter reads back from EXPLICIT_USAGE. */
  explicitUsage: Usage;
  /** Header that carries the key (undefined: no key required). */
  keyHeader: string | undefined;
}

const EXPLICIT_USAGE = { inputTokens: 100, outputTokens: 40, cachedInputTokens: 30, cacheWriteInputTokens: 10, cacheWrite1hInputTokens: 4, reasoningTokens: 5 };
const base = { inputTokens: 100, outputTokens: 40, totalTokens: 140 };
const aws = { accessKeyId: 'AKIDMOCK', secretAccessKey: 'mock-secret' };

const CASES: Case[] = [
  {
    kind: 'openai',
    deployment: (m) => ({ provider: 'openai', model: 'gpt-mock', baseUrl: m.baseUrl, apiKey: 'sk-test' }),
    streamsArguments: true,
    embeddings: true,
    explicitUsage: { ...base, cachedInputTokens: 30, reasoningTokens: 5, serviceTier: 'default' },
    keyHeader: 'authorization',
  },
  {
    kind: 'azure-openai',
    deployment: (m) => ({ provider: 'azure-openai', model: 'my-deployment', baseUrl: m.baseUrl, apiKey: 'azure-key' }),
    streamsArguments: true,
    embeddings: true,
    explicitUsage: { ...base, cachedInputTokens: 30, reasoningTokens: 5 },
    keyHeader: 'api-key',
  },
  {
    kind: 'openai-compatible',
    deployment: (m) => ({ provider: 'openai-compatible', model: 'llama-mock', baseUrl: m.baseUrl }),
    streamsArguments: true,
    embeddings: true,
    explicitUsage: { ...base, cachedInputTokens: 30, reasoningTokens: 5 },
    keyHeader: undefined,
  },
  {
    kind: 'mistral',
    deployment: (m) => ({ provider: 'mistral', model: 'mistral-mock', baseUrl: m.baseUrl, apiKey: 'mistral-key' }),
    streamsArguments: false,
    embeddings: true,
    explicitUsage: base,
    keyHeader: 'authorization',
  },
  {
    kind: 'anthropic',
    deployment: (m) => ({ provider: 'anthropic', model: 'claude-mock', baseUrl: m.baseUrl, apiKey: 'sk-ant-test' }),
    streamsArguments: true,
    embeddings: false,
    explicitUsage: { ...base, cachedInputTokens: 30, cacheWriteInputTokens: 10, cacheWrite1hInputTokens: 4, serviceTier: 'standard' },
    keyHeader: 'x-api-key',
  },
  {
    kind: 'gemini',
    deployment: (m) => ({ provider: 'gemini', model: 'gemini-mock', baseUrl: m.baseUrl, apiKey: 'goog-key' }),
    streamsArguments: false,
    embeddings: true,
    explicitUsage: { ...base, cachedInputTokens: 30, reasoningTokens: 5 },
    keyHeader: 'x-goog-api-key',
  },
  {
    kind: 'cohere',
    deployment: (m) => ({ provider: 'cohere', model: 'command-mock', baseUrl: m.baseUrl, apiKey: 'co-key' }),
    streamsArguments: true,
    embeddings: true,
    explicitUsage: { ...base, cachedInputTokens: 30 },
    keyHeader: 'authorization',
  },
  {
    kind: 'bedrock',
    deployment: (m) => ({ provider: 'bedrock', model: 'anthropic.claude-mock-v1:0', baseUrl: m.baseUrl, region: 'us-east-1', aws }),
    streamsArguments: true,
    embeddings: false,
    explicitUsage: { ...base, cachedInputTokens: 30, cacheWriteInputTokens: 10 },
    keyHeader: 'authorization',
  },
  {
    kind: 'ollama',
    deployment: (m) => ({ provider: 'ollama', model: 'llama-mock', baseUrl: m.baseUrl }),
    streamsArguments: false,
    embeddings: true,
    explicitUsage: base,
    keyHeader: undefined,
  },
];

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function ask(text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'alias', messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, maxTokens: 256, ...extra };
}

function send(http: ProviderHttpRequest, signal?: AbortSignal): Promise<Response> {
  return fetch(http.url, { method: http.method, headers: http.headers, body: http.body, ...(signal ? { signal } : {}) });
}

async function prepare(c: Case, mock: MockProvider, request: ChatRequest): Promise<ProviderHttpRequest> {
  return prepareRequest(getProviderAdapter(c.kind), request, c.deployment(mock), new Date());
}

async function complete(c: Case, mock: MockProvider, request: ChatRequest): Promise<ChatResponse> {
  const res = await send(await prepare(c, mock, request));
  return getProviderAdapter(c.kind).parseResponse(res.status, await res.text());
}

async function streamEvents(c: Case, mock: MockProvider, request: ChatRequest): Promise<StreamEvent[]> {
  const res = await send(await prepare(c, mock, { ...request, stream: true }));
  expect(res.status).toBe(200);
  const parser = getProviderAdapter(c.kind).createStreamParser();
  const events: StreamEvent[] = [];
  for await (const chunk of res.body as ReadableStream<Uint8Array>) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

function accumulate(events: readonly StreamEvent[]): ChatResponse {
  const acc = createStreamAccumulator();
  acc.pushAll(events);
  return acc.result();
}

const count = (events: readonly StreamEvent[], type: StreamEvent['type']) => events.filter((e) => e.type === type).length;

describe.each(CASES)('mock $kind through the @totra/providers adapter', (c) => {
  let mock: MockProvider;
  beforeAll(async () => {
    mock = await startMockProvider({ provider: c.kind });
  });
  afterAll(() => mock.close());
  beforeEach(() => {
    mock.resetBehaviour();
    mock.clearRequests();
  });

  it('answers JSON with the echoed last user message and usage computed from text lengths', async () => {
    const res = await complete(c, mock, ask('Hello mock world, how are you?'));
    expect(res.text).toBe('Hello mock world, how are you?');
    expect(res.finishReason).toBe('stop');
    expect(res.toolCalls).toEqual([]);
    const tokens = mockTokenCount('Hello mock world, how are you?');
    expect(res.usage).toMatchObject({ inputTokens: tokens, outputTokens: tokens, totalTokens: 2 * tokens });
  });

  it('streams the text in the configured number of chunks, then finish and usage', async () => {
    mock.setBehaviour({ chunks: 4, reply: 'one two three four five six' });
    const events = await streamEvents(c, mock, ask('ignored'));
    expect(events[0]?.type).toBe('message_start');
    expect(count(events, 'text_delta')).toBe(4);
    expect(count(events, 'error')).toBe(0);
    const res = accumulate(events);
    expect(res.text).toBe('one two three four five six');
    expect(res.finishReason).toBe('stop');
    expect(res.usage).toMatchObject({ inputTokens: mockTokenCount('ignored'), outputTokens: mockTokenCount('one two three four five six') });
  });

  it('answers a tool call in JSON when the request offers tools', async () => {
    mock.setBehaviour({ toolCalls: [{ name: 'get_weather', arguments: '{ "city": "Paris" }' }] });
    const res = await complete(c, mock, ask('Weather in Paris?', { tools: [WEATHER_TOOL] }));
    expect(res.finishReason).toBe('tool_calls');
    expect(res.text).toBe('');
    expect(res.toolCalls).toHaveLength(1);
    expect(res.toolCalls[0]?.name).toBe('get_weather');
    expect(JSON.parse(res.toolCalls[0]?.arguments ?? '')).toEqual({ city: 'Paris' });
    expect(res.toolCalls[0]?.id.length).toBeGreaterThan(0);
  });

  it('answers with text, not the tool call, when the request offers no tools', async () => {
    mock.setBehaviour({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const res = await complete(c, mock, ask('No tools here'));
    expect(res.toolCalls).toEqual([]);
    expect(res.text).toBe('No tools here');
  });

  it('streams tool calls as the provider streams arguments', async () => {
    mock.setBehaviour({
      chunks: 3,
      reply: 'Checking.',
      toolCalls: [
        { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}', id: c.kind === 'mistral' ? 'abcDEF123' : 'call_given_1' },
        { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' },
      ],
    });
    const events = await streamEvents(c, mock, ask('Weather and time?', { tools: [WEATHER_TOOL] }));
    const res = accumulate(events);
    expect(res.finishReason).toBe('tool_calls');
    expect(res.text).toBe('Checking.');
    expect(res.toolCalls.map((t) => t.name)).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(res.toolCalls[0]?.arguments ?? '')).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(JSON.parse(res.toolCalls[1]?.arguments ?? '')).toEqual({ zone: 'Europe/Paris' });
    const firstToolDeltas = events.filter((e) => e.type === 'tool_call_delta' && e.index === 0).length;
    expect(firstToolDeltas).toBe(c.streamsArguments ? 3 : 1);
    if (c.kind !== 'gemini' && c.kind !== 'ollama') expect(res.toolCalls[0]?.id).toBe(c.kind === 'mistral' ? 'abcDEF123' : 'call_given_1');
  });

  it("reports explicit usage in the provider's own fields", async () => {
    mock.setBehaviour({ usage: EXPLICIT_USAGE });
    const json = await complete(c, mock, ask('usage please'));
    expect(json.usage).toEqual(c.explicitUsage);
    const streamed = accumulate(await streamEvents(c, mock, ask('usage please')));
    expect(streamed.usage).toEqual(c.explicitUsage);
  });

  it('reports the configured model and finish reason "length"', async () => {
    mock.setBehaviour({ model: 'reported-model', finishReason: 'length' });
    const res = await complete(c, mock, ask('cut short'));
    expect(res.finishReason).toBe('length');
    if (!['cohere', 'bedrock'].includes(c.kind)) expect(res.model).toBe('reported-model');
  });

  it('records method, path, headers and the parsed body', async () => {
    const http = await prepare(c, mock, ask('record me'));
    await send(http);
    const [recorded] = mock.requests;
    expect(recorded?.method).toBe('POST');
    expect(recorded?.path).toBe(new URL(http.url).pathname);
    expect(recorded?.operation).toBe('chat');
    expect(JSON.stringify(recorded?.body)).toContain('record me');
    if (c.keyHeader) expect(recorded?.headers[c.keyHeader]).toBeTruthy();
  });

  it('maps a 429 with retry-after, a 503 and a 400 through the adapter mapError', async () => {
    const adapter = getProviderAdapter(c.kind);
    const http = await prepare(c, mock, ask('fail'));
    mock.setBehaviour({ fault: { type: 'status', status: 429, retryAfter: 2 } });
    let res = await send(http);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    const limited = adapter.mapError(res.status, await res.text(), res.headers);
    expect(limited).toMatchObject({ code: 'TOTRA_PROVIDER_RATE_LIMITED', retryable: true, retryAfterMs: 2000 });

    mock.setBehaviour({ fault: { type: 'status', status: 503 } });
    res = await send(http);
    expect(adapter.mapError(res.status, await res.text(), res.headers)).toMatchObject({ code: 'TOTRA_PROVIDER_UNAVAILABLE', retryable: true, retryAfterMs: 1000 });

    mock.setBehaviour({ fault: { type: 'status', status: 400, message: 'Bad field "temperature".' } });
    res = await send(http);
    expect(adapter.mapError(res.status, await res.text(), res.headers)).toMatchObject({
      code: 'TOTRA_PROVIDER_BAD_REQUEST',
      retryable: false,
      message: expect.stringContaining('Bad field "temperature".') as unknown,
    });
    expect(() => adapter.parseResponse(400, '{}')).toThrow();
  });

  it('fails only the next N requests when the fault has `times`', async () => {
    mock.setBehaviour({ fault: { type: 'status', status: 500, times: 2 } });
    const http = await prepare(c, mock, ask('flaky'));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await send(http);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('refuses a request without the key the provider requires', async () => {
    const http = await prepare(c, mock, ask('no key'));
    const headers = Object.fromEntries(Object.entries(http.headers).filter(([name]) => name.toLowerCase() !== c.keyHeader));
    const res = await send({ ...http, headers });
    if (!c.keyHeader) {
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBeGreaterThanOrEqual(401);
    expect(getProviderAdapter(c.kind).mapError(res.status, await res.text(), res.headers).code).toBe('TOTRA_PROVIDER_AUTH');
  });

  it('drops the connection mid-stream: the client sees the first frames, then a network error', async () => {
    mock.setBehaviour({ chunks: 4, fault: { type: 'drop' } });
    const res = await send(await prepare(c, mock, ask('drop me', { stream: true })));
    expect(res.status).toBe(200);
    const parser = getProviderAdapter(c.kind).createStreamParser();
    const events: StreamEvent[] = [];
    const read = async () => {
      for await (const chunk of res.body as ReadableStream<Uint8Array>) events.push(...parser.push(chunk));
    };
    await expect(read()).rejects.toThrow();
    expect(events[0]?.type).toBe('message_start');
    expect(count(events, 'text_delta')).toBeGreaterThan(0);
    expect(count(events, 'finish')).toBe(0);
  });

  it('delivers frames as they are written: the first text arrives while the server holds the rest', async () => {
    const gate = createStreamGate();
    mock.setBehaviour({ chunks: 3, reply: 'alpha beta gamma', afterFrame: gate.afterFrame });
    const res = await send(await prepare(c, mock, ask('hold', { stream: true })));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const parser = getProviderAdapter(c.kind).createStreamParser();
    const events: StreamEvent[] = [];
    while (count(events, 'text_delta') === 0) {
      const { done, value } = await reader.read();
      if (done) throw new Error('stream ended before its first text');
      events.push(...parser.push(value));
    }
    const held = await gate.reached;
    expect(events.find((e) => e.type === 'text_delta')).toEqual({ type: 'text_delta', text: held.text });
    expect(held.index).toBeLessThan(held.count - 1);
    expect(count(events, 'finish')).toBe(0);
    gate.release();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      events.push(...parser.push(value));
    }
    events.push(...parser.end());
    expect(accumulate(events).text).toBe('alpha beta gamma');
    expect(count(events, 'text_delta')).toBe(3);
  });

  it('timeout mode accepts the request and never answers; the client gives up through its AbortSignal', async () => {
    mock.setBehaviour({ fault: { type: 'timeout', times: 1 } });
    const controller = new AbortController();
    const arrived = mock.nextRequest();
    const pending = send(await prepare(c, mock, ask('hang')), controller.signal);
    expect((await arrived).operation).toBe('chat');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect((await complete(c, mock, ask('answered after the timeout'))).text).toBe('answered after the timeout');
  });

  it('fast mode answers precomputed bytes the adapter parses, JSON and stream', async () => {
    mock.setBehaviour({ fast: true, reply: 'Precomputed answer.' });
    const first = await complete(c, mock, ask('anything'));
    expect(first.text).toBe('Precomputed answer.');
    expect(first.usage).toMatchObject({ inputTokens: 16, outputTokens: mockTokenCount('Precomputed answer.') });
    const raw1 = await (await send(await prepare(c, mock, ask('one')))).text();
    const raw2 = await (await send(await prepare(c, mock, ask('two, different')))).text();
    expect(raw2).toBe(raw1);
    const streamed = accumulate(await streamEvents(c, mock, ask('anything')));
    expect(streamed.text).toBe('Precomputed answer.');
    expect(streamed.finishReason).toBe('stop');
    expect(mock.requests.every((r) => r.body === undefined && r.rawBody.length > 0)).toBe(true);
  });

});

describe.each(CASES.filter((c) => c.embeddings))('mock $kind embeddings through the adapter', (c) => {
  let mock: MockProvider;
  beforeAll(async () => {
    mock = await startMockProvider({ provider: c.kind, behaviour: { embeddingDimensions: 6 } });
  });
  afterAll(() => mock.close());

  it('embeds texts deterministically, in the requested or the configured size', async () => {
    const adapter = getProviderAdapter(c.kind).embeddings;
    if (!adapter) throw new Error(`${c.kind} has no embeddings adapter`);
    const sized = await send(adapter.buildRequest({ model: 'alias', input: ['hello', 'world'], dimensions: 4 }, c.deployment(mock)));
    expect(adapter.parseResponse(sized.status, await sized.text()).embeddings).toEqual([mockEmbedding('hello', 4), mockEmbedding('world', 4)]);
    const unsized = await send(adapter.buildRequest({ model: 'alias', input: ['hello'] }, c.deployment(mock)));
    expect(adapter.parseResponse(unsized.status, await unsized.text()).embeddings).toEqual([mockEmbedding('hello', 6)]);
    expect(mock.requests.map((r) => r.operation)).toEqual(['embeddings', 'embeddings']);
  });
});
