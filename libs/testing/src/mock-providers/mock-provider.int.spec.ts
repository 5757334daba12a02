import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockEmbedding, mockTokenCount } from './behaviour.js';
import { MockProviderError } from './errors.js';
import { startMockProvider, type MockProvider } from './mock-provider.js';
import { createStreamGate } from './stream-gate.js';

const chat = (text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: text }], ...extra });

function post(mock: MockProvider, path: string, body: string, init: RequestInit = {}): Promise<Response> {
  return fetch(mock.url + path, {
    method: 'POST',
    body,
    ...init,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...(init.headers as Record<string, string> | undefined) },
  });
}

describe('mock provider: timing, recording and lifecycle', () => {
  let mock: MockProvider;
  beforeAll(async () => {
    mock = await startMockProvider({ provider: 'openai', maxRecordedRequests: 3 });
  });
  afterAll(() => mock.close());
  beforeEach(() => mock.resetBehaviour());

  it('waits latencyMs before the first byte', async () => {
    mock.setBehaviour({ latencyMs: 60 });
    const started = performance.now();
    const res = await post(mock, '/v1/chat/completions', chat('slow'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('slow');
  });

  it('spaces stream frames by chunkDelayMs', async () => {
    // role chunk + 3 text chunks + finish chunk + [DONE] = 6 frames, 5 gaps.
    mock.setBehaviour({ chunkDelayMs: 20, chunks: 3 });
    const started = performance.now();
    const res = await post(mock, '/v1/chat/completions', chat('spaced out text', { stream: true }));
    const text = await res.text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(5 * 20 - 5);
    expect(text.match(/^data: /gm)).toHaveLength(6);
  });

  it('a client timeout (AbortSignal.timeout) ends a request the mock never answers', async () => {
    mock.setBehaviour({ fault: { type: 'timeout' } });
    const started = performance.now();
    await expect(post(mock, '/v1/chat/completions', chat('hang'), { signal: AbortSignal.timeout(80) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('keeps the latest maxRecordedRequests and resolves waiters by arrival number', async () => {
    const first = mock.requestCount + 1;
    const fifth = mock.waitForRequest(first + 4);
    for (let i = 0; i < 5; i++) await (await post(mock, '/v1/chat/completions', chat(`message ${i}`))).arrayBuffer();
    expect((await fifth).body).toMatchObject({ messages: [{ content: 'message 4' }] });
    expect(mock.requests.map((r) => r.seq)).toEqual([first + 2, first + 3, first + 4]);
    expect((await mock.waitForRequest(first + 3)).body).toMatchObject({ messages: [{ content: 'message 3' }] });
    await expect(mock.waitForRequest(first)).rejects.toBeInstanceOf(MockProviderError);

    mock.clearRequests();
    expect(mock.requests).toEqual([]);
    expect(mock.requestCount).toBe(first + 4);
    const next = mock.nextRequest();
    await (await post(mock, '/v1/chat/completions', chat('after clear'))).arrayBuffer();
    expect((await next).seq).toBe(first + 5);

    const controller = new AbortController();
    const never = mock.waitForRequest(first + 100, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(never).rejects.toThrow('gave up');
  });

  it('passes the request to a reply function', async () => {
    mock.setBehaviour({ reply: (r) => `${r.provider}|${r.model}|${r.lastUserText}|${r.hasTools}|${r.promptText}` });
    const res = await post(
      mock,
      '/v1/chat/completions',
      JSON.stringify({
        model: 'm1',
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: [{ type: 'text', text: 'question' }] },
        ],
      }),
    );
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe('openai|m1|question|false|sys\nquestion');
  });

  it('answers unknown routes, bad JSON and invalid bodies in the provider error shape', async () => {
    let res = await post(mock, '/v1/nope', '{}');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    res = await post(mock, '/v1/chat/completions', '{not json');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('JSON') as unknown } });
    res = await post(mock, '/v1/chat/completions', JSON.stringify({ model: 'x', messages: [] }));
    expect(res.status).toBe(400);
    res = await post(mock, '/v1/chat/completions', chat('no key'), { headers: { authorization: '' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
  });

  it('embeds token-array input deterministically and as base64 float32 when asked', async () => {
    const res = await post(mock, '/v1/embeddings', JSON.stringify({ model: 'e', input: [1, 2, 3], encoding_format: 'base64', dimensions: 2 }));
    const body = (await res.json()) as { data: { embedding: string }[] };
    const bytes = Buffer.from(body.data[0]?.embedding ?? '', 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual(mockEmbedding('[1,2,3]', 2));
  });

  it('fast mode still counts requests and honours faults', async () => {
    mock.setBehaviour({ fast: true, fault: { type: 'status', status: 429, times: 1 } });
    const before = mock.requestCount;
    const limited = await post(mock, '/v1/chat/completions', chat('x'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    await limited.arrayBuffer();
    const ok = await post(mock, '/v1/chat/completions', chat('x', { stream: true }));
    expect(ok.headers.get('content-type')).toContain('text/event-stream');
    const contents = [...(await ok.text()).matchAll(/"delta":\{"content":"([^"]*)"\}/g)].map((m) => m[1]);
    expect(contents.join('')).toBe('Hello from the mock provider.');
    expect(mock.requestCount - before).toBe(2);
  });

  it('drop mode can cut right after the headers, or halfway through a JSON body', async () => {
    mock.setBehaviour({ fault: { type: 'drop', afterFrames: 0, times: 1 } });
    const headersOnly = await post(mock, '/v1/chat/completions', chat('x', { stream: true }));
    expect(headersOnly.status).toBe(200);
    await expect(headersOnly.text()).rejects.toThrow();
    mock.setBehaviour({ fault: { type: 'drop', times: 1 } });
    const halfJson = await post(mock, '/v1/chat/completions', chat('x'));
    expect(Number(halfJson.headers.get('content-length'))).toBeGreaterThan(0);
    await expect(halfJson.text()).rejects.toThrow();
    const whole = await post(mock, '/v1/chat/completions', chat('whole again'));
    expect(await whole.json()).toMatchObject({ choices: [{ message: { content: 'whole again' } }] });
  });

  it('refuses invalid behaviour with MockProviderError', () => {
    expect(() => mock.setBehaviour({ toolCalls: [{ name: 'f', arguments: 'not json' }] })).toThrow(MockProviderError);
    expect(() => mock.setBehaviour({ toolCalls: [{ name: 'f', arguments: '[1]' }] })).toThrow(/JSON object/);
    expect(() => mock.setBehaviour({ chunks: 0 })).toThrow(MockProviderError);
    expect(() => mock.setBehaviour({ fault: { type: 'status', status: 200 } })).toThrow(/4xx or 5xx/);
    expect(() => mock.setBehaviour({ latencyMs: -1 })).toThrow(MockProviderError);
  });
});

describe('mock provider: close()', () => {
  it('ends hanging requests and held streams, and is idempotent', async () => {
    const mock = await startMockProvider({ provider: 'openai' });
    mock.setBehaviour({ fault: { type: 'timeout', times: 1 } });
    const arrived = mock.nextRequest();
    const hanging = post(mock, '/v1/chat/completions', chat('forever'));
    await arrived;
    const gate = createStreamGate();
    mock.setBehaviour({ afterFrame: gate.afterFrame });
    const held = await post(mock, '/v1/chat/completions', chat('held', { stream: true }));
    await gate.reached;
    await Promise.all([mock.close(), mock.close()]);
    await expect(hanging).rejects.toThrow();
    await expect(held.text()).rejects.toThrow();
    gate.release();
  });

  it('rejects an unknown provider kind', async () => {
    await expect(startMockProvider({ provider: 'nope' as 'openai' })).rejects.toBeInstanceOf(MockProviderError);
  });
});

describe('mock provider: provider-specific protocol rules', () => {
  const started: MockProvider[] = [];
  const start = async (...args: Parameters<typeof startMockProvider>) => {
    const m = await startMockProvider(...args);
    started.push(m);
    return m;
  };
  afterAll(() => Promise.all(started.map((m) => m.close())));

  it('azure-openai: deployment routes need api-version', async () => {
    const mock = await start({ provider: 'azure-openai' });
    const headers = { 'content-type': 'application/json', 'api-key': 'k' };
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    const missing = await fetch(`${mock.url}/openai/deployments/d1/chat/completions`, { method: 'POST', headers, body });
    expect(missing.status).toBe(404);
    const ok = await fetch(`${mock.url}/openai/deployments/d1/chat/completions?api-version=2024-10-21`, { method: 'POST', headers, body });
    expect(await ok.json()).toMatchObject({ model: 'd1', choices: [{ message: { content: 'hi' } }], prompt_filter_results: [{ prompt_index: 0 }] });
  });

  it("openai: a local tool's items need the tool declared; its calls answer, a shell call's commands streamed one by one", async () => {
    const mock = await start({ provider: 'openai' });
    const call = { type: 'shell_call', call_id: 'c1', action: { commands: ['ls'] }, status: 'completed' };
    const undeclared = await post(mock, '/v1/responses', JSON.stringify({ model: 'gpt-mock', input: [{ role: 'user', content: 'hi' }, call] }));
    expect(undeclared.status).toBe(400);
    expect(await undeclared.text()).toContain("requires the 'shell' tool");
    const action = { commands: ['ls', 'pwd'], timeout_ms: null, max_output_length: null };
    mock.setBehaviour({ toolCalls: [{ name: 'shell', local: 'shell_call', arguments: JSON.stringify({ action }), id: 'c2' }] });
    const body = { model: 'gpt-mock', input: [{ role: 'user', content: 'hi' }, call, { type: 'shell_call_output', call_id: 'c1', output: [{ stdout: 'a.txt', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] }], tools: [{ type: 'shell' }] };
    const answered = await post(mock, '/v1/responses', JSON.stringify(body));
    expect(((await answered.json()) as { output: unknown[] }).output).toEqual([{ type: 'shell_call', id: 'sh_mock2_0', call_id: 'c2', action, status: 'completed' }]);
    // What the commands printed is part of the prompt.
    mock.setBehaviour({ toolCalls: undefined, reply: (r) => r.promptText });
    expect(JSON.stringify(await (await post(mock, '/v1/responses', JSON.stringify(body))).json())).toContain('a.txt');
    mock.setBehaviour({ toolCalls: [{ name: 'shell', local: 'shell_call', arguments: JSON.stringify({ action }), id: 'c2' }], reply: undefined });
    const streamed = await (await post(mock, '/v1/responses', JSON.stringify({ ...body, stream: true }))).text();
    expect(streamed.match(/event: response\.shell_call_command\.delta/g)).toHaveLength(2);
    expect(streamed).toContain('"delta":"pwd"');
    const patchOnly = await post(mock, '/v1/responses', JSON.stringify({ ...body, tools: [{ type: 'apply_patch' }] }));
    expect(patchOnly.status).toBe(400);
  });

  it('mistral: refuses stream_options with 422, like the real API', async () => {
    const mock = await start({ provider: 'mistral' });
    const res = await post(mock, '/v1/chat/completions', chat('x', { stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ object: 'error', message: expect.stringContaining('stream_options') as unknown });
  });

  it('anthropic: requires anthropic-version and max_tokens, counts tokens', async () => {
    const mock = await start({ provider: 'anthropic' });
    const messages = [{ role: 'user', content: 'count me please' }];
    const base = { 'content-type': 'application/json', 'x-api-key': 'k' };
    let res = await fetch(`${mock.url}/v1/messages`, { method: 'POST', headers: base, body: JSON.stringify({ model: 'c', max_tokens: 5, messages }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const headers = { ...base, 'anthropic-version': '2023-06-01' };
    res = await fetch(`${mock.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify({ model: 'c', messages }) });
    expect(await res.json()).toMatchObject({ error: { message: 'max_tokens: Field required' } });
    res = await fetch(`${mock.url}/v1/messages/count_tokens`, { method: 'POST', headers, body: JSON.stringify({ model: 'c', messages }) });
    expect(await res.json()).toEqual({ input_tokens: mockTokenCount('count me please') });
  });

  it('gemini: key in the query, a wrong key is 400 API_KEY_INVALID, JSON-array streaming, countTokens, model list', async () => {
    const mock = await start({ provider: 'gemini', apiKey: 'right', models: ['gemini-mock'] });
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'array stream' }] }] });
    const url = (method: string, query: string) => `${mock.baseUrl}/models/gemini-mock:${method}?${query}`;
    const wrong = await fetch(url('generateContent', 'key=wrong'), { method: 'POST', body });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } });
    const streamed = await fetch(url('streamGenerateContent', 'key=right'), { method: 'POST', body });
    const chunks = (await streamed.json()) as { candidates: { content: { parts: { text?: string }[] } }[] }[];
    expect(chunks.map((c) => c.candidates[0]?.content.parts[0]?.text ?? '').join('')).toBe('array stream');
    const single = await fetch(url('embedContent', 'key=right'), {
      method: 'POST',
      body: JSON.stringify({ content: { parts: [{ text: 'vector' }] }, outputDimensionality: 3 }),
    });
    expect(await single.json()).toEqual({ embedding: { values: mockEmbedding('vector', 3) } });
    const counted = await fetch(url('countTokens', 'key=right'), { method: 'POST', body });
    expect(await counted.json()).toMatchObject({ totalTokens: mockTokenCount('array stream') });
    const models = await fetch(`${mock.baseUrl}/models?key=right`);
    expect(await models.json()).toMatchObject({ models: [{ name: 'models/gemini-mock' }] });
  });

  it("gemini: thinking levels from Gemini 3 on, each model its own, never with a budget; a Pro model always thinks", async () => {
    const mock = await start({ provider: 'gemini', apiKey: 'k' });
    const ask = async (model: string, thinkingConfig: Record<string, unknown>) => {
      const res = await fetch(`${mock.baseUrl}/models/${model}:generateContent?key=k`, {
        method: 'POST',
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'think' }] }], generationConfig: { thinkingConfig } }),
      });
      return { status: res.status, text: await res.text() };
    };
    expect((await ask('gemini-3-flash-preview', { thinkingLevel: 'minimal' })).status).toBe(200);
    expect((await ask('gemini-3.1-pro-preview', { thinkingLevel: 'medium' })).status).toBe(200);
    expect(await ask('gemini-3-pro-preview', { thinkingLevel: 'medium' })).toMatchObject({ status: 400, text: expect.stringContaining('Thinking level MEDIUM is not supported') });
    expect(await ask('gemini-2.5-flash', { thinkingLevel: 'low' })).toMatchObject({ status: 400, text: expect.stringContaining('Thinking level is not supported for this model') });
    expect(await ask('gemini-3-flash-preview', { thinkingLevel: 'low', thinkingBudget: 1024 })).toMatchObject({ status: 400, text: expect.stringContaining('not supported together') });
    expect(await ask('gemini-2.5-pro', { thinkingBudget: 0 })).toMatchObject({ status: 400, text: expect.stringContaining('only works in thinking mode') });
    expect((await ask('gemini-2.5-flash', { thinkingBudget: 0 })).status).toBe(200);
  });

  it('bedrock: refuses a request whose Authorization is not SigV4-shaped', async () => {
    const mock = await start({ provider: 'bedrock' });
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
    const res = await fetch(`${mock.url}/model/m/converse`, { method: 'POST', body, headers: { authorization: 'AWS4-HMAC-SHA256 nonsense', 'x-amz-date': '20250101T000000Z' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^AccessDeniedException:/);
    const keyed = await fetch(`${mock.url}/model/m/converse`, { method: 'POST', body, headers: { authorization: 'Bearer bedrock-api-key' } });
    expect(await keyed.json()).toMatchObject({ output: { message: { content: [{ text: 'hi' }] } }, stopReason: 'end_turn' });
  });

  it('bedrock: InvokeModel of a Claude model takes the Anthropic body with anthropic_version, and neither model nor stream', async () => {
    const mock = await start({ provider: 'bedrock' });
    const headers = { authorization: 'Bearer bedrock-api-key' };
    const invoke = (body: unknown, stream = false) =>
      fetch(`${mock.url}/model/anthropic.claude-mock/${stream ? 'invoke-with-response-stream' : 'invoke'}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const good = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 16, messages: [{ role: 'user', content: 'hi claude' }] };
    const answer = (await (await invoke(good)).json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ type: 'message', role: 'assistant', model: 'anthropic.claude-mock', content: [{ type: 'text', text: 'hi claude' }], stop_reason: 'end_turn' });
    for (const [body, wrong] of [
      [{ ...good, model: 'claude' }, 'extraneous key [model]'],
      [{ ...good, stream: true }, 'extraneous key [stream]'],
      [{ ...good, anthropic_version: '2023-06-01' }, 'anthropic_version'],
    ] as const) {
      const res = await invoke(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain(wrong);
    }
    const streamed = await invoke(good, true);
    expect(streamed.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const bytes = new Uint8Array(await streamed.arrayBuffer());
    // Event-stream messages of type `chunk`, each an Anthropic event in base64.
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain(':event-type');
    expect(text).toContain('chunk');
    const events = [...text.matchAll(/"bytes":"([A-Za-z0-9+/=]+)"/g)].map((m) => JSON.parse(Buffer.from(m[1] as string, 'base64').toString('utf8')) as Record<string, unknown>);
    const types = events.map((e) => e['type']);
    expect(types.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types).toContain('content_block_delta');
    expect(events.at(-1)).toHaveProperty('amazon-bedrock-invocationMetrics');
  });

  it('cohere and ollama: model listings', async () => {
    const cohere = await start({ provider: 'cohere', models: ['command-mock'] });
    const listed = await fetch(`${cohere.url}/v1/models`, { headers: { authorization: 'Bearer k' } });
    expect(await listed.json()).toMatchObject({ models: [{ name: 'command-mock', endpoints: ['chat', 'embed'] }] });
    const ollama = await start({ provider: 'ollama', models: ['llama-mock'] });
    expect(await (await fetch(`${ollama.url}/api/tags`)).json()).toMatchObject({ models: [{ name: 'llama-mock' }] });
  });

  it('apiKey: a wrong key is refused, the right one accepted', async () => {
    const mock = await start({ provider: 'openai-compatible', apiKey: 'only-this' });
    expect((await post(mock, '/v1/chat/completions', chat('x'))).status).toBe(401);
    expect((await post(mock, '/v1/chat/completions', chat('x'), { headers: { authorization: 'Bearer only-this' } })).status).toBe(200);
  });
});
