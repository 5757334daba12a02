import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockEmbedding, mockTokenCount } from './behaviour.js';
import { startMockProvider, type MockProvider } from './mock-provider.js';

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('official openai client against the openai mock', () => {
  let mock: MockProvider;
  let client: OpenAI;
  beforeAll(async () => {
    mock = await startMockProvider({ provider: 'openai', apiKey: 'sk-test', models: ['gpt-mock', 'text-embedding-mock'] });
    client = new OpenAI({ apiKey: 'sk-test', baseURL: mock.baseUrl, maxRetries: 0 });
  });
  afterAll(() => mock.close());
  beforeEach(() => mock.resetBehaviour());

  it('creates a chat completion', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'Hello SDK' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-mock');
    expect(completion.choices[0]?.message.content).toBe('Hello SDK');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: mockTokenCount('Hello SDK'), completion_tokens: mockTokenCount('Hello SDK') });
    const recorded = await mock.waitForRequest(mock.requestCount);
    expect(recorded.headers.authorization).toBe('Bearer sk-test');
  });

  it('streams a chat completion with the include_usage chunk', async () => {
    mock.setBehaviour({ chunks: 4, reply: 'streamed from the mock', usage: { inputTokens: 11, outputTokens: 5, cachedInputTokens: 3 } });
    const stream = await client.chat.completions.create({
      model: 'gpt-mock',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toHaveLength(4);
    expect(pieces.join('')).toBe('streamed from the mock');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16, prompt_tokens_details: { cached_tokens: 3 } });
  });

  it('answers the legacy Completions API, echo and several choices included, streamed or not', async () => {
    const completion = await client.completions.create({ model: 'gpt-mock', prompt: 'Say this', echo: true, n: 2 });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices.map((c) => [c.index, c.text, c.finish_reason])).toEqual([
      [0, 'Say thisSay this', 'stop'],
      [1, 'Say thisSay this (2)', 'stop'],
    ]);
    expect(completion.usage).toMatchObject({ prompt_tokens: mockTokenCount('Say this'), completion_tokens: 2 * mockTokenCount('Say this') });
    expect((await mock.waitForRequest(mock.requestCount)).operation).toBe('completions');

    mock.setBehaviour({ chunks: 3, reply: 'streamed completion', usage: { inputTokens: 4, outputTokens: 2 } });
    const stream = await client.completions.create({ model: 'gpt-mock', prompt: 'go', stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.text) pieces.push(chunk.choices[0].text);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toHaveLength(3);
    expect(pieces.join('')).toBe('streamed completion');
    expect(usage).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
  });

  it('streams tool calls the stream helper assembles', async () => {
    mock.setBehaviour({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const final = await client.chat.completions
      .stream({ model: 'gpt-mock', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL] })
      .finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ id: 'call_mock_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
  });

  it('creates embeddings (the SDK asks for base64 and decodes it)', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-mock', input: ['alpha', 'beta'] });
    expect(res.data.map((d) => d.embedding)).toEqual([mockEmbedding('alpha'), mockEmbedding('beta')]);
    expect(res.usage.prompt_tokens).toBe(mockTokenCount('alpha') + mockTokenCount('beta'));
    const sized = await client.embeddings.create({ model: 'text-embedding-mock', input: 'alpha', dimensions: 3, encoding_format: 'float' });
    expect(sized.data[0]?.embedding).toEqual(mockEmbedding('alpha', 3));
  });

  it('lists and retrieves models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['gpt-mock', 'text-embedding-mock']);
    expect((await client.models.retrieve('gpt-mock')).id).toBe('gpt-mock');
    await expect(client.models.retrieve('missing')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('creates and streams a Responses API answer, with a function call', async () => {
    const created = await client.responses.create({ model: 'gpt-mock', input: 'Hi responses' });
    expect(created.output_text).toBe('Hi responses');
    expect(created.usage?.input_tokens).toBe(mockTokenCount('Hi responses'));

    mock.setBehaviour({ chunks: 3, reply: 'Let me look.', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}', id: 'call_oslo' }] });
    const deltas: string[] = [];
    const stream = client.responses.stream({
      model: 'gpt-mock',
      input: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [{ type: 'function', name: 'get_weather', parameters: WEATHER_TOOL.function.parameters, strict: false }],
    });
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas).toEqual(['Let ', 'me l', 'ook.']);
    expect(final.output_text).toBe('Let me look.');
    const call = final.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Oslo"}', call_id: 'call_oslo' });
    expect(final.status).toBe('completed');
  });

  it('raises the SDK error classes for faults, and retries a 429 after its retry-after', async () => {
    mock.setBehaviour({ fault: { type: 'status', status: 400, message: 'Unsupported value: temperature' } });
    await expect(client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('Unsupported value: temperature') as unknown,
    });

    mock.setBehaviour({ fault: { type: 'status', status: 429, times: 1, retryAfter: 0 } });
    const before = mock.requestCount;
    const retrying = new OpenAI({ apiKey: 'sk-test', baseURL: mock.baseUrl, maxRetries: 1 });
    const completion = await retrying.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'again' }] });
    expect(completion.choices[0]?.message.content).toBe('again');
    expect(mock.requestCount - before).toBe(2);

    const wrongKey = new OpenAI({ apiKey: 'sk-wrong', baseURL: mock.baseUrl, maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('official openai client against the azure-openai and openai-compatible mocks', () => {
  let azure: MockProvider;
  let compatible: MockProvider;
  beforeAll(async () => {
    [azure, compatible] = await Promise.all([startMockProvider({ provider: 'azure-openai' }), startMockProvider({ provider: 'openai-compatible' })]);
  });
  afterAll(() => Promise.all([azure.close(), compatible.close()]));

  it('AzureOpenAI reaches the deployment route with api-key and api-version', async () => {
    const client = new AzureOpenAI({ endpoint: azure.url, apiKey: 'azure-key', apiVersion: '2024-10-21', deployment: 'my-deployment', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'Hi Azure' }] });
    expect(completion.choices[0]?.message.content).toBe('Hi Azure');
    expect(completion.model).toBe('my-deployment');
    const stream = await client.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'Stream Azure' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Stream Azure');
    const recorded = azure.requests.at(-1);
    expect(recorded?.path).toBe('/openai/deployments/my-deployment/chat/completions');
    expect(recorded?.query['api-version']).toBe('2024-10-21');
    expect(recorded?.headers['api-key']).toBe('azure-key');
  });

  it('an OpenAI-compatible server answers the SDK without a real key', async () => {
    const client = new OpenAI({ apiKey: 'unused', baseURL: compatible.baseUrl, maxRetries: 0 });
    const final = await client.chat.completions
      .stream({ model: 'llama-mock', messages: [{ role: 'user', content: 'Compatible?' }] })
      .finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('Compatible?');
  });
});

describe('official @anthropic-ai/sdk client against the anthropic mock', () => {
  let mock: MockProvider;
  let client: Anthropic;
  beforeAll(async () => {
    mock = await startMockProvider({ provider: 'anthropic', apiKey: 'sk-ant-test', models: ['claude-mock'] });
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.baseUrl, maxRetries: 0 });
  });
  afterAll(() => mock.close());
  beforeEach(() => mock.resetBehaviour());

  it('creates a message', async () => {
    const message = await client.messages.create({ model: 'claude-mock', max_tokens: 64, messages: [{ role: 'user', content: 'Hello Claude' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Hello Claude' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: mockTokenCount('Hello Claude'), output_tokens: mockTokenCount('Hello Claude') });
    const recorded = mock.requests.at(-1);
    // This SDK version sends the key as a bearer token; older ones used x-api-key. The mock takes both.
    expect(recorded?.headers['x-api-key'] ?? recorded?.headers.authorization).toMatch(/^(Bearer )?sk-ant-test$/);
    expect(recorded?.headers['anthropic-version']).toBeTruthy();
  });

  it('streams a message the SDK accumulates, with cache usage', async () => {
    mock.setBehaviour({ chunks: 3, reply: 'Streaming from Claude', usage: { inputTokens: 50, outputTokens: 7, cachedInputTokens: 20, cacheWriteInputTokens: 10 } });
    const texts: string[] = [];
    const stream = client.messages.stream({ model: 'claude-mock', max_tokens: 64, messages: [{ role: 'user', content: 'stream' }] });
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts).toHaveLength(3);
    expect(texts.join('')).toBe('Streaming from Claude');
    expect(final.content).toMatchObject([{ type: 'text', text: 'Streaming from Claude' }]);
    expect(final.usage).toMatchObject({ input_tokens: 20, cache_read_input_tokens: 20, cache_creation_input_tokens: 10, output_tokens: 7 });
  });

  it('streams tool use with partial JSON the SDK parses', async () => {
    mock.setBehaviour({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Rome"}' }] });
    const final = await client.messages
      .stream({
        model: 'claude-mock',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Weather in Rome?' }],
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      })
      .finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([{ type: 'tool_use', id: 'toolu_mock_0', name: 'get_weather', input: { city: 'Rome' }, caller: { type: 'direct' } }]);
  });

  it('counts tokens and lists models', async () => {
    const counted = await client.messages.countTokens({ model: 'claude-mock', messages: [{ role: 'user', content: 'count these words' }] });
    expect(counted.input_tokens).toBe(mockTokenCount('count these words'));
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['claude-mock']);
  });

  it('raises RateLimitError on a 429 and OverloadedError-shaped 529', async () => {
    mock.setBehaviour({ fault: { type: 'status', status: 429, times: 1 } });
    await expect(client.messages.create({ model: 'claude-mock', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      Anthropic.RateLimitError,
    );
    mock.setBehaviour({ fault: { type: 'status', status: 529, times: 1 } });
    await expect(client.messages.create({ model: 'claude-mock', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 529,
      error: { type: 'error', error: { type: 'overloaded_error' } },
    });
  });
});
