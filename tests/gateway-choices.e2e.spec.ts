import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from './support/gateway-harness.js';

// Several choices for one prompt (OpenAI chat's `n`, ADR 0034), through the official `openai`
// client: providers that write them (OpenAI, Azure OpenAI, Mistral, OpenAI-compatible servers;
// Gemini as `candidateCount`) get `n`, and the client gets every choice, streamed or not, with the caller's personal data
// restored in each; a deployment that writes one choice is passed over, and refused by name when
// no deployment of the model is left; a budget reserves every choice's worst case.
describe('several choices (n)', () => {
  let h: Harness;
  let openai: OpenAI;
  const TERMINAL = new Set(['RequestCompleted', 'RequestRejected', 'RequestFailed']);
  const eventFor = async (requestId: string) => (await h.events()).filter((e) => TERMINAL.has(e.type) && (e.data as { requestId?: string }).requestId === requestId);

  beforeAll(async () => {
    h = await startHarness();
    openai = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    // Alias `mixed`: Claude first, then an OpenAI model.
    for (const [id, provider, model, mock, credential, priority] of [
      ['mixed-claude', 'anthropic', 'claude-sonnet-4-5', h.mocks.anthropic, 'env:ANTHROPIC_API_KEY', '1'],
      ['mixed-gpt', 'openai', 'gpt-4o', h.mocks.openai, 'env:OPENAI_API_KEY', '2'],
    ] as const) {
      const r = await h.cli('models', 'add', '--id', id, '--alias', 'mixed', '--provider', provider, '--model', model, '--base-url', mock.baseUrl || mock.url, '--credential', credential, '--priority', priority, ...h.cliArgs);
      expect(r.code, r.err).toBe(0);
    }
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('mixed')).toHaveLength(2), { timeout: 10_000 });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    for (const mock of Object.values(h.mocks)) mock.resetBehaviour();
  });

  /** Every choice's text and finish reason, by index, from a streamed answer. */
  const collect = async (stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) => {
    const texts: string[] = [];
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] = (texts[c.index] ?? '') + (c.delta.content ?? '');
        if (c.finish_reason) finishes[c.index] = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    return { texts, finishes, usage };
  };

  it('gets every choice from an OpenAI model, and the event counts the output of all', async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', n: 3, messages: [{ role: 'user', content: 'Name a colour.' }] }).withResponse();
    expect(h.mocks.openai.requests.at(-1)?.body).toMatchObject({ n: 3 });
    expect(data.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'Name a colour.', 'stop'],
      [1, 'Name a colour. (2)', 'stop'],
      [2, 'Name a colour. (3)', 'stop'],
    ]);
    const one = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Name a colour.' }] });
    expect(data.usage?.completion_tokens).toBe(3 * (one.usage?.completion_tokens ?? 0));
    const [event] = await eventFor(response.headers.get('x-request-id') ?? '');
    expect(event?.type).toBe('RequestCompleted');
    expect(event?.data).toMatchObject({ tokens: { output: data.usage?.completion_tokens, estimated: false } });
  });

  it('streams every choice, interleaved, from OpenAI, Azure OpenAI, Mistral, an OpenAI-compatible server and Gemini', async () => {
    for (const [model, mock] of [['gpt-4o', 'openai'], ['azure-gpt', 'azure'], ['mistral-large-latest', 'mistral'], ['compat-model', 'compatible'], ['gemini-2.5-flash', 'gemini']] as const) {
      const stream = await openai.chat.completions.create({ model, n: 2, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Name a colour.' }] });
      const got = await collect(stream);
      expect(h.mocks[mock].requests.at(-1)?.body, model).toMatchObject(mock === 'gemini' ? { generationConfig: { candidateCount: 2 } } : { n: 2 });
      expect(got.texts, model).toEqual(['Name a colour.', 'Name a colour. (2)']);
      expect(got.finishes, model).toEqual(['stop', 'stop']);
      expect(got.usage?.completion_tokens, model).toBeGreaterThan(0);
    }
  });

  it("restores the caller's personal data in every choice, streamed or not", async () => {
    const email = 'jane.doe@example.com';
    const messages = [{ role: 'user' as const, content: `Write to ${email} today.` }];
    const whole = await openai.chat.completions.create({ model: 'gpt-4o', n: 2, messages });
    expect(JSON.stringify(h.mocks.openai.requests.at(-1)?.body)).not.toContain(email);
    expect(whole.choices.map((c) => c.message.content)).toEqual([`Write to ${email} today.`, `Write to ${email} today. (2)`]);
    // Streamed in small pieces: a placeholder split across chunks is restored in its own choice.
    h.mocks.openai.setBehaviour({ chunks: 12 });
    const streamed = await collect(await openai.chat.completions.create({ model: 'gpt-4o', n: 2, stream: true, messages }));
    expect(streamed.texts).toEqual([`Write to ${email} today.`, `Write to ${email} today. (2)`]);
  });

  it('passes over a deployment that writes one choice, and refuses by name when no deployment is left', async () => {
    const before = h.mocks.anthropic.requestCount;
    const served = await openai.chat.completions.create({ model: 'mixed', n: 2, messages: [{ role: 'user', content: 'Name a colour.' }] }).withResponse();
    expect(served.data.choices).toHaveLength(2);
    const [event] = await eventFor(served.response.headers.get('x-request-id') ?? '');
    expect(event?.data).toMatchObject({ deploymentId: 'mixed-gpt', modelRequested: 'mixed' });
    expect(h.mocks.anthropic.requestCount).toBe(before);
    // One choice: Claude serves it, as the alias's first.
    const single = await openai.chat.completions.create({ model: 'mixed', messages: [{ role: 'user', content: 'Name a colour.' }] }).withResponse();
    expect((await eventFor(single.response.headers.get('x-request-id') ?? ''))[0]?.data).toMatchObject({ deploymentId: 'mixed-claude' });

    for (const model of ['claude-sonnet-4-5', 'command-a-03-2025', 'nova-pro', 'llama3.1']) {
      const err = await openai.chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'Name a colour.' }] }).catch((e: unknown) => e);
      expect(err, model).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message, model).toMatch(new RegExp(`n: \\w+ writes one choice per request, and this one asks for 2; no deployment of ${model} takes this request`));
    }
    expect(h.mocks.anthropic.requestCount).toBe(before + 1);
  });

  it("gets Gemini's candidates, up to its limit of eight", async () => {
    const res = await openai.chat.completions.create({ model: 'gemini-2.5-flash', n: 3, messages: [{ role: 'user', content: 'Name a colour.' }] });
    expect(res.choices.map((c) => c.message.content)).toEqual(['Name a colour.', 'Name a colour. (2)', 'Name a colour. (3)']);
    const err = await openai.chat.completions.create({ model: 'gemini-2.5-flash', n: 9, messages: [{ role: 'user', content: 'Name a colour.' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/n: gemini writes at most 8 choices per request, and this one asks for 9; no deployment of gemini-2\.5-flash takes this request/);
  });

  it('answers several numbered echoes from the built-in demo model', async () => {
    const res = await openai.chat.completions.create({ model: 'demo', n: 2, messages: [{ role: 'user', content: 'hello' }] });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(res.choices[1]?.message.content).toMatch(/^\(choice 2\) \[ToTra demo model/);
    const streamed = await collect(await openai.chat.completions.create({ model: 'demo', n: 2, stream: true, messages: [{ role: 'user', content: 'hello' }] }));
    expect(streamed.texts).toEqual(res.choices.map((c) => c.message.content));
  });

  it('refuses n outside 1..128 with a 400 naming it', async () => {
    for (const n of [0, 129]) {
      const err = await openai.chat.completions.create({ model: 'gpt-4o', n, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err, String(n)).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param: 'n' });
    }
  });

  it("reserves every choice's worst case against a budget", async () => {
    const issued = await h.cli('keys', 'issue', '--user', 'u-bob', '--team', 't-choices', '--tenant', 'acme', '--json', ...h.cliArgs);
    expect(issued.code, issued.err).toBe(0);
    // gpt-4o writes 1,000 output tokens for at most 0.01 USD: one choice fits in 0.025, three do not.
    const budget = await h.cli('budgets', 'set', '--team', 't-choices', '--tenant', 'acme', '--usd', '0.025', '--period', 'monthly', ...h.cliArgs);
    expect(budget.code, budget.err).toBe(0);
    await h.projector.quotaHot.caughtUp();
    const bob = new OpenAI({ apiKey: (JSON.parse(issued.out) as { key: string }).key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const ask = (n: number) => bob.chat.completions.create({ model: 'gpt-4o', n, max_tokens: 1000, messages: [{ role: 'user', content: 'Name a colour.' }] });
    const before = h.mocks.openai.requestCount;
    const err = await ask(3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).message).toMatch(/this request may cost up to 0\.030\d+ USD/);
    expect(h.mocks.openai.requestCount).toBe(before);
    expect((await ask(1)).choices).toHaveLength(1);
  });
});
