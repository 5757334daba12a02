import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdkClients, startHarness, type Harness, type MockName } from './support/gateway-harness.js';

// OpenAI's legacy Completions API (ADR 0045) through the gateway, with the official SDK:
// OpenAI's completion model and an OpenAI-compatible server get the client's own body at their
// Completions API; chat models (OpenAI's, Claude) get the prompt as a user message; every client
// gets text_completion answers, streamed or not, with the caller's personal data restored, and
// every request leaves its terminal event under the Completions API.
describe('the Completions API through the gateway', () => {
  let h: Harness;
  let openai: OpenAI;
  const email = 'jane.doe@example.com';
  const mocks: MockName[] = ['openai', 'anthropic', 'compatible', 'azure'];

  beforeAll(async () => {
    h = await startHarness({
      env: { OPENAI_MODELS: 'gpt-4o,gpt-3.5-turbo-instruct', AZURE_OPENAI_DEPLOYMENTS: 'azure-gpt=gpt4o-prod,azure-instruct=prod-instruct@gpt-3.5-turbo-instruct' },
    });
    openai = sdkClients(h).openai;
  });
  afterEach(() => {
    for (const m of mocks) h.mocks[m].setBehaviour({ reply: undefined, chunks: undefined });
  });
  afterAll(async () => {
    await h?.close();
  });

  const last = (mock: MockName) => {
    const r = h.mocks[mock].requests.at(-1);
    return { path: r?.path, body: r?.body as Record<string, unknown> };
  };

  /** The text, finish reason, chunk count and usage of a streamed completion. */
  const collect = async (stream: AsyncIterable<OpenAI.Completions.Completion>) => {
    let text = '';
    let finish: string | null = null;
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('text_completion');
      const choice = chunk.choices[0];
      if (choice) {
        text += choice.text;
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    return { text, finish, chunks, usage };
  };

  it('sends OpenAI’s completion model the client’s body at its Completions API', async () => {
    h.mocks.openai.setBehaviour({ reply: '\n\nThis is indeed a test' });
    const res = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7, temperature: 0, echo: true });
    expect(last('openai')).toEqual({ path: '/v1/completions', body: { model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7, temperature: 0, echo: true } });
    expect(res.object).toBe('text_completion');
    expect(res.id).toMatch(/^cmpl-/);
    expect(res.choices).toEqual([{ text: 'Say this is a test\n\nThis is indeed a test', index: 0, logprobs: null, finish_reason: 'stop' }]);
    expect(res.usage?.total_tokens).toBe((res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0));
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('streams a completion model’s answer as it comes, with usage only when asked', async () => {
    h.mocks.openai.setBehaviour({ reply: 'one two three four', chunks: 4 });
    const plain = await collect(await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Count', stream: true }));
    expect(plain).toMatchObject({ text: 'one two three four', finish: 'stop', usage: undefined });
    expect(plain.chunks).toBeGreaterThanOrEqual(5);
    // The gateway asked for the usage it records; the client did not, and does not see it.
    expect(last('openai').body['stream_options']).toEqual({ include_usage: true });

    const counted = await collect(await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Count', stream: true, stream_options: { include_usage: true } }));
    expect(counted.text).toBe('one two three four');
    expect(counted.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('answers a prompt with a chat model, OpenAI’s or Claude, as a completion', async () => {
    for (const [model, mock, path] of [['gpt-4o', 'openai', '/v1/chat/completions'], ['claude-sonnet-4-5', 'anthropic', '/v1/messages']] as const) {
      h.mocks[mock].setBehaviour({ reply: 'A haiku about the sea' });
      const res = await openai.completions.create({ model, prompt: 'Write a haiku', stop: ['\n\n'], n: 1 });
      const sent = last(mock);
      expect(sent.path, model).toBe(path);
      expect(JSON.stringify(sent.body['messages']), model).toContain('Write a haiku');
      // OpenAI's default output limit of the Completions API, which a chat API does not have.
      expect(sent.body[mock === 'openai' ? 'max_completion_tokens' : 'max_tokens'], model).toBe(16);
      expect(res.object, model).toBe('text_completion');
      expect(res.model, model).toBe(model);
      expect(res.choices, model).toEqual([{ text: 'A haiku about the sea', index: 0, logprobs: null, finish_reason: 'stop' }]);

      h.mocks[mock].setBehaviour({ reply: 'A haiku about the sea', chunks: 3 });
      const streamed = await collect(await openai.completions.create({ model, prompt: 'Write a haiku', stream: true, stream_options: { include_usage: true } }));
      expect(streamed, model).toMatchObject({ text: 'A haiku about the sea', finish: 'stop' });
      expect(streamed.usage?.prompt_tokens, model).toBeGreaterThan(0);
    }
  });

  it('sends an Azure deployment of a completion model, known by its base model, the client’s body at its Completions path', async () => {
    h.mocks.azure.setBehaviour({ reply: ' from Azure' });
    const res = await openai.completions.create({ model: 'azure-instruct', prompt: 'Hello', max_tokens: 5 });
    const sent = h.mocks.azure.requests.at(-1);
    expect(sent?.path).toBe('/openai/deployments/prod-instruct/completions');
    expect(sent?.body).toEqual({ model: 'azure-instruct', prompt: 'Hello', max_tokens: 5 });
    expect(res.choices[0]?.text).toBe(' from Azure');
  });

  it('sends an OpenAI-compatible server the client’s body with its fill-in-the-middle suffix', async () => {
    h.mocks.compatible.setBehaviour({ reply: '    return a + b' });
    const res = await openai.completions.create({ model: 'compat-model', prompt: 'def add(a, b):\n', suffix: '\n\nprint(add(1, 2))', max_tokens: 20 });
    expect(last('compatible')).toEqual({ path: '/v1/completions', body: { model: 'compat-model', prompt: 'def add(a, b):\n', suffix: '\n\nprint(add(1, 2))', max_tokens: 20 } });
    expect(res.choices[0]?.text).toBe('    return a + b');
  });

  it('never lets the caller’s personal data reach a provider, and restores it in the completion', async () => {
    const prompt = `Write to ${email} that the order shipped.`;
    // The mock answers with the prompt it was sent: the placeholder, which the caller gets back as the address.
    const res = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt, max_tokens: 50 });
    const sent = last('openai').body;
    expect(JSON.stringify(sent)).not.toContain(email);
    expect(sent['prompt']).toMatch(/^Write to <EMAIL_\d+> that the order shipped\.$/);
    expect(res.choices[0]?.text).toBe(prompt);

    h.mocks.compatible.setBehaviour({ chunks: 4 });
    const streamed = await collect(await openai.completions.create({ model: 'compat-model', prompt: 'def f():', suffix: `# owner: ${email}`, stream: true }));
    expect(JSON.stringify(last('compatible').body)).not.toContain(email);
    expect(last('compatible').body['suffix']).toMatch(/^# owner: <EMAIL_\d+>$/);
    expect(streamed.text).toContain(email);

    const viaClaude = await openai.completions.create({ model: 'claude-sonnet-4-5', prompt });
    expect(JSON.stringify(last('anthropic').body)).not.toContain(email);
    expect(viaClaude.choices[0]?.text).toBe(prompt);
  });

  it('answers several prompts in one request where the provider’s own Completions API serves them', async () => {
    const prompts = [`Mail ${email}`, 'Call +41 44 668 18 00', 'No data here'];
    const res = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: prompts, n: 2, max_tokens: 30 });
    const sent = last('openai').body;
    expect(JSON.stringify(sent)).not.toContain(email);
    expect((sent['prompt'] as string[])[2]).toBe('No data here');
    // Numbered prompt by prompt, each answer with its own prompt's values restored.
    expect(res.choices.map((c) => [c.index, c.text])).toEqual([
      [0, prompts[0]],
      [1, `${prompts[0]} (2)`],
      [2, prompts[1]],
      [3, `${prompts[1]} (2)`],
      [4, prompts[2]],
      [5, `${prompts[2]} (2)`],
    ]);

    const streamed: Record<number, string> = {};
    for await (const chunk of await openai.completions.create({ model: 'compat-model', prompt: prompts.slice(0, 2), stream: true })) {
      for (const c of chunk.choices) streamed[c.index] = (streamed[c.index] ?? '') + c.text;
    }
    expect(streamed).toEqual({ 0: prompts[0], 1: prompts[1] });
  });

  it('refuses what it cannot serve with a 400 that says why', async () => {
    await expect(openai.completions.create({ model: 'gpt-4o', prompt: ['first', 'second'] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/several prompts in one request \(this one has 2\) are answered by a provider's own Completions API only .*; no deployment of gpt-4o takes this request/),
    });
    const before = h.mocks.openai.requestCount;
    await expect(openai.chat.completions.create({ model: 'gpt-3.5-turbo-instruct', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/gpt-3\.5-turbo-instruct is one of OpenAI's completion models, which answer the Completions API only: send a prompt to POST \/v1\/completions/),
    });
    expect(h.mocks.openai.requestCount).toBe(before);
    await expect(openai.completions.create({ model: 'claude-sonnet-4-5', prompt: 'x', logprobs: 3 })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/`logprobs` \(of the OpenAI Completions request\) cannot be sent to anthropic/),
    });
  });

  it('records each request under the Completions API, with its tokens', async () => {
    const before = (await h.events()).length;
    h.mocks.openai.setBehaviour({ reply: 'recorded' });
    const res = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Record me' });
    const events = (await h.events()).slice(before);
    const done = events.filter((e) => e.type === 'RequestCompleted');
    expect(done).toHaveLength(1);
    expect(done[0]?.data).toMatchObject({
      api: 'openai.completions',
      modelRequested: 'gpt-3.5-turbo-instruct',
      stream: false,
      status: 200,
      tokens: { input: res.usage?.prompt_tokens, output: res.usage?.completion_tokens },
    });
    expect((await h.verify()).ok).toBe(true);
  });
});
