import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PriceBook, affordableOutputTokens, costOf, estimateMaxCost, loadTokenizer, priceAtServiceTier } from '@totra/pricing';
import { createStreamGate, startMockProvider, type MockProvider } from '@totra/testing';
import { ALIAS, startHarness, type Harness, type MockName } from './support/gateway-harness.js';

// Streams are metered against their budget reservation: a provider that ignores `max_tokens`
// is cut where the reservation ends, and the client's stream still ends cleanly. A caller that
// no budget applies to reserved nothing: its stream is not metered. And a streamed answer
// reports (and records) the same usage as the same answer not streamed.
describe('streaming metering', () => {
  let h: Harness;
  let openai: OpenAI;
  let anthropic: Anthropic;
  /** A key whose team, user and tenant have no budget and no rate limit. */
  let unlimited: OpenAI;
  // Alias `fb-price`: gpt-4o-mini (A, first) falls back to gpt-4o (B, a higher output price).
  let cheap: MockProvider;
  let dear: MockProvider;

  const TERMINAL = new Set(['RequestCompleted', 'RequestRejected', 'RequestFailed']);
  const eventFor = async (requestId: string) => (await h.events()).filter((e) => TERMINAL.has(e.type) && (e.data as { requestId?: string }).requestId === requestId);
  const spendFor = async (requestId: string) => (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { requestId?: string }).requestId === requestId);

  // A long answer in many pieces; the mocks never stop at the client's max_tokens.
  const LONG = Array.from({ length: 400 }, (_v, i) => `w${String(i).padStart(3, '0')} `).join('');

  /**
   * A stream of LONG cut at the 20 output tokens its request asked for: about 20 tokens of 4
   * characters, far less than the 2,000 the provider had, one finish (`length`), usage of 20.
   */
  const expectCutAt20 = (text: string, finishes: (string | null)[], usage: { completion_tokens: number } | null | undefined) => {
    expect(text.length).toBeGreaterThan(40);
    expect(text.length).toBeLessThanOrEqual(20 * 4);
    expect(LONG.startsWith(text)).toBe(true);
    expect(finishes).toEqual(['length']);
    expect(usage?.completion_tokens).toBe(20);
  };

  beforeAll(async () => {
    h = await startHarness();
    openai = new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: h.key, baseURL: h.url, maxRetries: 0 });
    cheap = await startMockProvider({ provider: 'openai', apiKey: 'sk-test-openai' });
    dear = await startMockProvider({ provider: 'openai', apiKey: 'sk-test-openai' });
    for (const [id, mock, model, priority] of [['fbp-a', cheap, 'gpt-4o-mini', '1'], ['fbp-b', dear, 'gpt-4o', '2']] as const) {
      const r = await h.cli('models', 'add', '--id', id, '--alias', 'fb-price', '--provider', 'openai', '--model', model, '--base-url', mock.baseUrl, '--credential', 'env:OPENAI_API_KEY', '--priority', priority, ...h.cliArgs);
      expect(r.code, r.err).toBe(0);
    }
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('fb-price')).toHaveLength(2), { timeout: 10_000 });
    // The harness key's team gets a budget far larger than these tests spend: its requests are
    // reserved, and their streams metered. Ready once a request's spend counts against it.
    const set = await h.cli('budgets', 'set', '--team', 't-research', '--tenant', 'acme', '--usd', '1000000', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    await h.projector.quotaHot.caughtUp();
    await vi.waitFor(
      async () => {
        const { response } = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'budget probe' }] }).withResponse();
        const [spend] = await vi.waitFor(async () => {
          const found = await spendFor(response.headers.get('x-request-id') ?? '');
          expect(found).toHaveLength(1);
          return found;
        });
        expect((spend?.data as { scopes: string[] }).scopes.length).toBeGreaterThan(0);
      },
      { timeout: 10_000 },
    );
    const issued = await h.cli('keys', 'issue', '--user', 'u-free', '--team', 't-free', '--tenant', 'acme', '--json', ...h.cliArgs);
    expect(issued.code, issued.err).toBe(0);
    unlimited = new OpenAI({ apiKey: (JSON.parse(issued.out) as { key: string }).key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.close();
    await cheap?.close();
    await dear?.close();
  });
  beforeEach(() => {
    for (const m of [...Object.values(h.mocks), cheap, dear]) m.resetBehaviour();
  });

  it('cuts an OpenAI chat stream at max_tokens the provider ignores: finish_reason length, usage, [DONE]', async () => {
    expect(LONG.length).toBe(2_000);
    // The provider holds the rest of its answer after frame 10 (the cap is reached by frame 3):
    // the client's stream can only end if the gateway stopped reading at the cap.
    const gate = createStreamGate((f) => f.index === 10);
    h.mocks.openai.setBehaviour({ reply: LONG, chunks: 40, afterFrame: gate.afterFrame });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let requestId = '';
    const chunks: { id: string; model: string; fingerprint: string | undefined }[] = [];
    try {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'gpt-4o', max_tokens: 20, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'talk at length' }] })
        .withResponse();
      requestId = response.headers.get('x-request-id') ?? '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
        if (chunk.usage) usage = chunk.usage;
        chunks.push({ id: chunk.id, model: chunk.model, fingerprint: chunk.system_fingerprint });
      }
    } finally {
      gate.release();
    }
    // Passed through as the provider framed it up to the cut (its fingerprint), then ended by the
    // gateway (no fingerprint) under the same id and model: one stream to the client.
    expect(chunks[0]?.fingerprint).toBe('fp_mock');
    expect(chunks.at(-1)?.fingerprint).toBeUndefined();
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(new Set(chunks.map((c) => c.model)).size).toBe(1);
    expectCutAt20(text, finishes, usage);

    const [event] = await eventFor(requestId);
    expect(event?.type).toBe('RequestCompleted');
    expect(event?.data).toMatchObject({ finishReason: 'length', stream: true, tokens: { output: 20, estimated: false } });
    const [spend] = await spendFor(requestId);
    expect((spend?.data as { tokens: { output: number } } | undefined)?.tokens.output).toBe(20);
  });

  it("cuts a Completions stream from a completion model's own Completions API in that API's form (ADR 0045)", async () => {
    const added = await h.cli('models', 'add', '--id', 'instruct-a', '--alias', 'instruct', '--provider', 'openai', '--model', 'gpt-3.5-turbo-instruct', '--base-url', h.mocks.openai.baseUrl, '--credential', 'env:OPENAI_API_KEY', ...h.cliArgs);
    expect(added.code, added.err).toBe(0);
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('instruct')).toHaveLength(1), { timeout: 10_000 });
    const gate = createStreamGate((f) => f.index === 10);
    h.mocks.openai.setBehaviour({ reply: LONG, chunks: 40, afterFrame: gate.afterFrame });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let requestId = '';
    const ids = new Set<string>();
    try {
      const { data: stream, response } = await openai.completions
        .create({ model: 'instruct', prompt: 'talk at length', max_tokens: 20, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      requestId = response.headers.get('x-request-id') ?? '';
      for await (const chunk of stream) {
        expect(chunk.object).toBe('text_completion');
        ids.add(chunk.id);
        text += chunk.choices[0]?.text ?? '';
        if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
        if (chunk.usage) usage = chunk.usage;
      }
    } finally {
      gate.release();
    }
    expect(h.mocks.openai.requests.at(-1)?.path).toBe('/v1/completions');
    // Forwarded as the provider framed it, then ended by the gateway under the provider's id.
    expect([...ids]).toEqual(['cmpl-mock' + String(h.mocks.openai.requests.at(-1)?.seq)]);
    expectCutAt20(text, finishes, usage);
    const [event] = await eventFor(requestId);
    expect(event?.data).toMatchObject({ api: 'openai.completions', finishReason: 'length', stream: true, tokens: { output: 20, estimated: false } });
    const [spend] = await spendFor(requestId);
    expect((spend?.data as { tokens: { output: number } } | undefined)?.tokens.output).toBe(20);
  });

  it('cuts a stream of several choices (n) at what the reservation pays for all of them, and ends each at the length limit', async () => {
    const gate = createStreamGate((f) => f.index === 30);
    h.mocks.openai.setBehaviour({ reply: LONG, chunks: 40, afterFrame: gate.afterFrame });
    const texts: string[] = [];
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let requestId = '';
    try {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'gpt-4o', max_tokens: 20, n: 2, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'talk at length' }] })
        .withResponse();
      requestId = response.headers.get('x-request-id') ?? '';
      for await (const chunk of stream) {
        for (const c of chunk.choices) {
          texts[c.index] = (texts[c.index] ?? '') + (c.delta.content ?? '');
          if (c.finish_reason) finishes[c.index] = c.finish_reason;
        }
        if (chunk.usage) usage = chunk.usage;
      }
    } finally {
      gate.release();
    }
    // 20 tokens for each of two choices were reserved: 40 in all, shared as the provider wrote them.
    expect(texts).toHaveLength(2);
    for (const t of texts) expect(LONG.startsWith(t)).toBe(true);
    const written = texts.reduce((n, t) => n + t.length, 0);
    expect(written).toBeGreaterThan(80);
    expect(written).toBeLessThanOrEqual(40 * 4);
    expect(finishes).toEqual(['length', 'length']);
    expect(usage?.completion_tokens).toBe(40);
    const [spend] = await spendFor(requestId);
    expect((spend?.data as { tokens: { output: number } } | undefined)?.tokens.output).toBe(40);
  });

  it('cuts an Anthropic Messages stream passed through: stop_reason max_tokens, then message_stop', async () => {
    // As for OpenAI chat: the provider holds the rest of its answer long after the cap.
    const gate = createStreamGate((f) => f.index === 20);
    h.mocks.anthropic.setBehaviour({ reply: LONG, chunks: 40, afterFrame: gate.afterFrame });
    const types: string[] = [];
    let final: Anthropic.Message;
    let requestId = '';
    try {
      const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'talk at length' }] });
      for await (const e of stream) types.push(e.type);
      final = await stream.finalMessage();
      requestId = (await stream.withResponse()).response.headers.get('x-request-id') ?? '';
    } finally {
      gate.release();
    }
    const text = final.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    expect(text.length).toBeGreaterThan(40);
    expect(text.length).toBeLessThanOrEqual(20 * 4);
    expect(LONG.startsWith(text)).toBe(true);
    expect(final.content).toHaveLength(1);
    expect(final.stop_reason).toBe('max_tokens');
    expect(final.usage.output_tokens).toBe(20);
    // Passed through as the provider framed it up to the cut: its message_start's usage carries
    // the service tier, which the gateway's own encoder does not write.
    expect(final.usage.service_tier).toBe('standard');
    expect(final.id).toMatch(/^msg_mock/);
    expect(types.at(-2)).toBe('message_delta');
    expect(types.at(-1)).toBe('message_stop');
    expect(types.filter((t) => t === 'content_block_start')).toHaveLength(1);
    expect(types.filter((t) => t === 'content_block_stop')).toHaveLength(1);

    const [event] = await eventFor(requestId);
    expect(event?.data).toMatchObject({ api: 'anthropic.messages', finishReason: 'length', stream: true, tokens: { output: 20, estimated: false } });
    const [spend] = await vi.waitFor(async () => {
      const found = await spendFor(requestId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect((spend?.data as { tokens: { output: number } } | undefined)?.tokens.output).toBe(20);
  });

  it('passes a metered Anthropic stream that fits its cap through whole', async () => {
    h.mocks.anthropic.setBehaviour({ reply: 'a short answer', chunks: 4 });
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'be brief' }] });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'a short answer' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.service_tier).toBe('standard');
  });

  /** A long Responses stream with a 20-token budget from `model`: its text and its last event. */
  const cutResponsesStream = async (model: string): Promise<{ text: string; last: OpenAI.Responses.ResponseStreamEvent | undefined }> => {
    const stream = await openai.responses.create({ model, max_output_tokens: 20, input: 'talk at length', stream: true });
    let text = '';
    let last: OpenAI.Responses.ResponseStreamEvent | undefined;
    for await (const e of stream) {
      if (e.type === 'response.output_text.delta') text += e.delta;
      last = e;
    }
    return { text, last };
  };

  it('cuts a Responses stream translated from another provider: response.incomplete', async () => {
    h.mocks.anthropic.setBehaviour({ reply: LONG, chunks: 40 });
    const { text, last } = await cutResponsesStream('claude-sonnet-4-5');
    expect(text.length).toBeGreaterThan(40);
    expect(text.length).toBeLessThanOrEqual(20 * 4);
    expect(last?.type).toBe('response.incomplete');
    expect(last?.type === 'response.incomplete' ? last.response.incomplete_details?.reason : undefined).toBe('max_output_tokens');
  });

  it("cuts a Responses stream from OpenAI's own Responses API (the client's body sent, the answer translated to cut it)", async () => {
    h.mocks.openai.setBehaviour({ reply: LONG, chunks: 40 });
    const { text, last } = await cutResponsesStream('gpt-4o');
    h.mocks.openai.resetBehaviour();
    expect(h.mocks.openai.requests.at(-1)?.path).toBe('/v1/responses');
    expect(text.length).toBeGreaterThan(40);
    expect(text.length).toBeLessThanOrEqual(20 * 4);
    expect(last?.type).toBe('response.incomplete');
  });

  it('a stream served by a fallback with a higher output price is cut at what the reservation pays for there', async () => {
    cheap.setBehaviour({ fault: { type: 'status', status: 503 } });
    dear.setBehaviour({ reply: LONG, chunks: 40 });
    const content = 'talk at length, from whichever deployment';
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'fb-price', max_tokens: 1000, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content }] })
      .withResponse();
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(cheap.requestCount).toBeGreaterThan(0);
    expect(dear.requestCount).toBe(1);
    expect(finish).toBe('length');
    expect(LONG.startsWith(text)).toBe(true);

    // What was reserved: the worst case priced on the first deployment (gpt-4o-mini).
    const prices = PriceBook.fromCatalog();
    const at = new Date();
    const inputTokens = (await loadTokenizer('fb-price')).estimateChatInput({ messages: [{ role: 'user', content }] }).inputTokens;
    const reserved = estimateMaxCost({ inputTokens, maxOutputTokens: 1000 }, prices.priceFor({ provider: 'openai', model: 'gpt-4o-mini', at }));
    const requestId = response.headers.get('x-request-id') ?? '';
    // Settled once the stream ended (after its last byte reached the client).
    const [spend] = await vi.waitFor(async () => {
      const found = await spendFor(requestId);
      expect(found).toHaveLength(1);
      return found;
    });
    const recorded = spend?.data as { microUsd: number; deploymentId: string; tokens: { output: number } } | undefined;
    expect(recorded?.deploymentId).toBe('fbp-b');
    expect(recorded?.tokens.output).toBe(usage?.completion_tokens);
    // gpt-4o's output price is 16x gpt-4o-mini's: the 1000 tokens the reservation allows on A
    // would cost far more there. The stream stopped where the reservation ends on B.
    expect(recorded?.tokens.output).toBeGreaterThan(10);
    expect(recorded?.tokens.output).toBeLessThan(100);
    expect(recorded?.microUsd).toBeGreaterThan(0);
    expect(recorded?.microUsd).toBeLessThanOrEqual(reserved);
  });

  it('a fallback with a higher output price is asked for no more output than the reservation pays for there (not streamed)', async () => {
    cheap.setBehaviour({ fault: { type: 'status', status: 503 } });
    const content = 'a plain answer, from whichever deployment';
    const before = dear.requestCount;
    const { data, response } = await openai.chat.completions.create({ model: 'fb-price', max_tokens: 1000, messages: [{ role: 'user', content }] }).withResponse();
    expect(data.choices[0]?.message.content).toContain(content);
    expect(dear.requestCount).toBe(before + 1);
    const sent = dear.requests.at(-1)?.body as { max_tokens?: number; max_completion_tokens?: number } | undefined;
    const asked = sent?.max_completion_tokens ?? sent?.max_tokens;
    // What 1000 tokens of gpt-4o-mini pay for at gpt-4o's prices.
    const prices = PriceBook.fromCatalog();
    const at = new Date();
    const inputTokens = (await loadTokenizer('fb-price')).estimateChatInput({ messages: [{ role: 'user', content }] }).inputTokens;
    const reserved = estimateMaxCost({ inputTokens, maxOutputTokens: 1000 }, prices.priceFor({ provider: 'openai', model: 'gpt-4o-mini', at }));
    expect(asked).toBe(affordableOutputTokens(reserved, inputTokens, prices.priceFor({ provider: 'openai', model: 'gpt-4o', at })));
    expect(asked).toBeLessThan(100);
    // The first deployment is asked for what the client asked.
    const first = cheap.requests.at(-1)?.body as { max_tokens?: number; max_completion_tokens?: number } | undefined;
    expect(first?.max_completion_tokens ?? first?.max_tokens).toBe(1000);
    const requestId = response.headers.get('x-request-id') ?? '';
    const [spend] = await vi.waitFor(async () => {
      const found = await spendFor(requestId);
      expect(found).toHaveLength(1);
      return found;
    });
    expect((spend?.data as { deploymentId: string }).deploymentId).toBe('fbp-b');
  });

  it("a Responses request on such a fallback goes as the client's body, the lower limit written in, its local tools kept (ADR 0038)", async () => {
    cheap.setBehaviour({ fault: { type: 'status', status: 503 } });
    const before = dear.requestCount;
    const res = await openai.responses.create({ model: 'fb-price', max_output_tokens: 1000, input: 'List the files.', tools: [{ type: 'shell' }] });
    expect(res.status).toBe('completed');
    expect(dear.requestCount).toBe(before + 1);
    const sent = dear.requests.at(-1);
    expect(sent?.path).toBe('/v1/responses');
    const body = sent?.body as { tools?: unknown; max_output_tokens?: number; store?: boolean };
    expect(body.tools).toEqual([{ type: 'shell' }]);
    expect(body.store).toBe(false);
    expect(body.max_output_tokens).toBeGreaterThan(0);
    expect(body.max_output_tokens).toBeLessThan(100);
    expect((cheap.requests.at(-1)?.body as { max_output_tokens?: number }).max_output_tokens).toBe(1000);
  });

  it("an Anthropic request on such a fallback goes as the client's body, the lower limit written in, its client tools kept (ADR 0040)", async () => {
    const cheapClaude = await startMockProvider({ provider: 'anthropic', apiKey: 'sk-test-anthropic' });
    const dearClaude = await startMockProvider({ provider: 'anthropic', apiKey: 'sk-test-anthropic' });
    try {
      for (const [id, mock, model, priority] of [['fbc-a', cheapClaude, 'claude-haiku-4-5', '1'], ['fbc-b', dearClaude, 'claude-opus-4-1', '2']] as const) {
        const r = await h.cli('models', 'add', '--id', id, '--alias', 'fb-claude', '--provider', 'anthropic', '--model', model, '--base-url', mock.baseUrl || mock.url, '--credential', 'env:ANTHROPIC_API_KEY', '--priority', priority, ...h.cliArgs);
        expect(r.code, r.err).toBe(0);
      }
      await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('fb-claude')).toHaveLength(2), { timeout: 10_000 });
      cheapClaude.setBehaviour({ fault: { type: 'status', status: 529 } });
      const tools: Anthropic.ToolUnion[] = [{ type: 'bash_20250124', name: 'bash' }];
      const res = await anthropic.messages.create({ model: 'fb-claude', max_tokens: 1000, tools, messages: [{ role: 'user', content: 'List the files.' }] });
      expect(res.content[0]?.type).toBe('text');
      const sent = dearClaude.requests.at(-1)?.body as { tools?: unknown; max_tokens?: number; model?: string };
      expect(sent.tools).toEqual(tools);
      expect(sent.model).toBe('claude-opus-4-1');
      expect(sent.max_tokens).toBeGreaterThan(0);
      expect(sent.max_tokens).toBeLessThan(1000);
      expect((cheapClaude.requests.at(-1)?.body as { max_tokens?: number }).max_tokens).toBe(1000);
    } finally {
      await cheapClaude.close();
      await dearClaude.close();
    }
  });

  it('a fallback with a higher output price shares what the reservation pays for there among the choices (n)', async () => {
    cheap.setBehaviour({ fault: { type: 'status', status: 503 } });
    const content = 'several plain answers';
    const { data } = await openai.chat.completions.create({ model: 'fb-price', max_tokens: 1000, n: 3, messages: [{ role: 'user', content }] }).withResponse();
    expect(data.choices).toHaveLength(3);
    const sent = dear.requests.at(-1)?.body as { n?: number; max_tokens?: number; max_completion_tokens?: number } | undefined;
    expect(sent?.n).toBe(3);
    const prices = PriceBook.fromCatalog();
    const at = new Date();
    const inputTokens = (await loadTokenizer('fb-price')).estimateChatInput({ messages: [{ role: 'user', content }] }).inputTokens;
    const reserved = estimateMaxCost({ inputTokens, maxOutputTokens: 3 * 1000 }, prices.priceFor({ provider: 'openai', model: 'gpt-4o-mini', at }));
    const each = Math.floor(affordableOutputTokens(reserved, inputTokens, prices.priceFor({ provider: 'openai', model: 'gpt-4o', at })) / 3);
    expect(sent?.max_completion_tokens ?? sent?.max_tokens).toBe(each);
    expect(each).toBeLessThan(100);
  });

  it("charges an answer's prompt-cache writes at their own rates, one-hour writes at theirs, streamed or not", async () => {
    const usage = { inputTokens: 12_000, outputTokens: 300, cachedInputTokens: 2_000, cacheWriteInputTokens: 9_000, cacheWrite1hInputTokens: 4_000 };
    h.mocks.anthropic.setBehaviour({ reply: 'cached', usage });
    const prices = PriceBook.fromCatalog();
    const price = prices.priceFor({ provider: 'anthropic', model: 'claude-sonnet-4-5', at: new Date() });
    const expected = costOf({ inputTokens: 12_000, outputTokens: 300, cachedInputTokens: 2_000, cacheWriteTokens: 9_000, cacheWrite1hTokens: 4_000, convention: 'openai' }, price);
    // Writes at the input rate, as they were charged before: less than Anthropic bills.
    const atInputRate = costOf({ inputTokens: 12_000, outputTokens: 300, cachedInputTokens: 2_000, convention: 'openai' }, price);
    expect(expected).toBeGreaterThan(atInputRate);
    for (const stream of [false, true]) {
      const { response } = await anthropic.messages
        .create({ model: 'claude-sonnet-4-5', max_tokens: 1000, stream, messages: [{ role: 'user', content: 'a long cached prompt' }] })
        .withResponse();
      if (stream) await response.text();
      const [spend] = await vi.waitFor(async () => {
        const found = await spendFor(response.headers.get('x-request-id') ?? '');
        expect(found).toHaveLength(1);
        return found;
      });
      expect(spend?.data, `stream: ${stream}`).toMatchObject({ microUsd: expected, tokens: { input: 12_000, output: 300, cachedInput: 2_000, cacheWrite: 9_000, cacheWrite1h: 4_000 } });
    }
  });

  it('charges a request at the processing tier OpenAI served it at, streamed or not, from both APIs', async () => {
    const r = await h.cli('models', 'add', '--id', 'tier-54', '--alias', 'gpt-5.4', '--provider', 'openai', '--model', 'gpt-5.4', '--base-url', h.mocks.openai.baseUrl, '--credential', 'env:OPENAI_API_KEY', ...h.cliArgs);
    expect(r.code, r.err).toBe(0);
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('gpt-5.4')).toHaveLength(1), { timeout: 10_000 });
    const usage = { inputTokens: 2_000, outputTokens: 400 };
    h.mocks.openai.setBehaviour({ reply: 'fast', usage });
    const standard = PriceBook.fromCatalog().priceFor({ provider: 'openai', model: 'gpt-5.4', at: new Date() });
    const charged = async (requestId: string) =>
      vi.waitFor(async () => {
        const found = await spendFor(requestId);
        expect(found).toHaveLength(1);
        return found[0]?.data as Record<string, unknown>;
      });
    const tokens = { ...usage, convention: 'openai' as const };
    for (const tier of ['priority', 'flex'] as const) {
      const at = costOf(tokens, priceAtServiceTier(standard, tier).price);
      const chat = await openai.chat.completions.create({ model: 'gpt-5.4', service_tier: tier, messages: [{ role: 'user', content: 'quick' }] }).withResponse();
      expect(chat.data.service_tier).toBe(tier);
      expect(await charged(chat.response.headers.get('x-request-id') ?? '')).toMatchObject({ microUsd: at, serviceTier: tier });
      const streamed = await openai.chat.completions.create({ model: 'gpt-5.4', service_tier: tier, stream: true, messages: [{ role: 'user', content: 'quick' }] }).withResponse();
      for await (const _chunk of streamed.data) void _chunk;
      expect(await charged(streamed.response.headers.get('x-request-id') ?? '')).toMatchObject({ microUsd: at, serviceTier: tier });
      const responses = await openai.responses.create({ model: 'gpt-5.4', service_tier: tier, input: 'quick' }).withResponse();
      expect(await charged(responses.response.headers.get('x-request-id') ?? '')).toMatchObject({ microUsd: at, serviceTier: tier });
    }
    expect(costOf(tokens, priceAtServiceTier(standard, 'priority').price)).toBeGreaterThan(costOf(tokens, standard));
    const plain = await openai.chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'quick' }] }).withResponse();
    const data = await charged(plain.response.headers.get('x-request-id') ?? '');
    expect(data['microUsd']).toBe(costOf(tokens, standard));
    expect(data).not.toHaveProperty('serviceTier');
  });

  it('passes the stream of a caller no budget applies to through as the provider sent it, never cut', async () => {
    // The provider ignores max_tokens: with nothing reserved there is no worst case to cut at.
    h.mocks.openai.setBehaviour({ reply: LONG, chunks: 40 });
    const read = async () => {
      const { data: stream, response } = await unlimited.chat.completions
        .create({ model: 'gpt-4o', max_tokens: 20, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'talk at length' }] })
        .withResponse();
      let text = '';
      const fingerprints = new Set<string | undefined>();
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        fingerprints.add(chunk.system_fingerprint);
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, fingerprints, finish, usage, requestId: response.headers.get('x-request-id') ?? '' };
    };
    // Twice: the first admission asks Redis, the second is answered from the gateway's verdict.
    for (const answer of [await read(), await read()]) {
      expect(answer.text).toBe(LONG);
      expect(answer.finish).toBe('stop');
      // Every chunk as the provider framed it (a translated stream carries no fingerprint).
      expect([...answer.fingerprints]).toEqual(['fp_mock']);
      const [spend] = await vi.waitFor(async () => {
        const found = await spendFor(answer.requestId);
        expect(found).toHaveLength(1);
        return found;
      });
      expect(spend?.data).toMatchObject({ scopes: [], tokens: { output: answer.usage?.completion_tokens, input: answer.usage?.prompt_tokens } });
      expect(answer.usage?.completion_tokens).toBeGreaterThan(20);
    }
  });

  it('leaves a stream that fits its cap untouched', async () => {
    h.mocks.openai.setBehaviour({ reply: 'a short answer', chunks: 4 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'be brief' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('a short answer');
    expect(finish).toBe('stop');
  });

  it.each(Object.keys(ALIAS) as MockName[])('%s: streamed usage equals non-streamed usage, to the client and in the events', async (name) => {
    const model = ALIAS[name];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `count the tokens of this prompt for ${name}, please` }];
    const plain = await openai.chat.completions.create({ model, messages }).withResponse();
    const { data: stream, response } = await openai.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } }).withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(plain.data.choices[0]?.message.content);
    expect(usage).toBeDefined();
    expect({ prompt: usage?.prompt_tokens, completion: usage?.completion_tokens, total: usage?.total_tokens }).toEqual({
      prompt: plain.data.usage?.prompt_tokens,
      completion: plain.data.usage?.completion_tokens,
      total: plain.data.usage?.total_tokens,
    });
    const [plainEvent] = await eventFor(plain.response.headers.get('x-request-id') ?? '');
    const [streamEvent] = await eventFor(response.headers.get('x-request-id') ?? '');
    expect(plainEvent?.type).toBe('RequestCompleted');
    expect(streamEvent?.type).toBe('RequestCompleted');
    const tokensOf = (e: typeof plainEvent) => (e?.data as { tokens: Record<string, unknown> }).tokens;
    expect(tokensOf(streamEvent)).toEqual(tokensOf(plainEvent));
    expect(tokensOf(streamEvent)).toMatchObject({ estimated: false });
  });
});
