import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceBook, costOf } from '@totra/pricing';
import { startHarness, type Harness } from './support/gateway-harness.js';

// Embeddings are admitted against budgets (input tokens x input price, no output) and settled
// with SpendRecorded like chat: through the official openai client, a key's token budget lets
// requests through until their recorded spend uses it, then refuses before the provider.
describe('embeddings against budgets', () => {
  let h: Harness;
  let openai: OpenAI;
  let keyId = '';

  const spendFor = async (requestId: string) => (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { requestId?: string }).requestId === requestId);

  beforeAll(async () => {
    h = await startHarness();
    const issued = await h.cli('keys', 'issue', '--user', 'u-embed', '--team', 't-embed', '--tenant', 'acme', '--json', ...h.cliArgs);
    expect(issued.code, issued.err).toBe(0);
    const k = JSON.parse(issued.out) as { key: string; keyId: string };
    keyId = k.keyId;
    openai = new OpenAI({ apiKey: k.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('records the spend of an embeddings request: input tokens at the input price', async () => {
    const { data, response } = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['the first text to embed', 'and a second one'] }).withResponse();
    expect(data.data).toHaveLength(2);
    const requestId = response.headers.get('x-request-id') ?? '';
    const [spend, ...more] = await spendFor(requestId);
    expect(more).toHaveLength(0);
    const recorded = spend?.data as { tokens: { input: number; output: number }; microUsd: number; model: string; keyId: string } | undefined;
    expect(recorded).toMatchObject({ model: 'text-embedding-3-small', keyId, tokens: { input: data.usage.prompt_tokens, output: 0 } });
    const price = PriceBook.fromCatalog().priceFor({ provider: 'openai', model: 'text-embedding-3-small', at: new Date() });
    expect(recorded?.microUsd).toBe(costOf({ inputTokens: data.usage.prompt_tokens, outputTokens: 0, convention: 'openai' }, price));
    expect(recorded?.microUsd).toBeGreaterThan(0);
  });

  it('refuses with 429 once the recorded spend used the budget, before any provider is contacted', async () => {
    const set = await h.cli('budgets', 'set', '--key', keyId, '--tenant', 'acme', '--tokens', '60', '--period', 'total', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    const spentBefore = (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { keyId?: string }).keyId === keyId).reduce((n, e) => n + (e.data as { tokens: { input: number } }).tokens.input, 0);
    await h.projector.quotaHot.caughtUp();
    // 20 tokens by the gateway's tokenizer (what is reserved), 10 by the mock's count (what it
    // reports and is recorded): the budget of 60 runs out after a few requests.
    const input = 'a b c d e f g h i j k l m n o p q r s t';
    let served = 0;
    let refusal: InstanceType<typeof OpenAI.APIError> | undefined;
    for (let i = 0; i < 10 && !refusal; i++) {
      try {
        await openai.embeddings.create({ model: 'text-embedding-3-small', input });
        served++;
      } catch (err) {
        if (!(err instanceof OpenAI.APIError)) throw err;
        refusal = err;
      }
    }
    expect(refusal?.status).toBe(429);
    expect(refusal?.message).toMatch(/key:/);
    expect(served).toBeGreaterThan(0);
    // The refused request never reached the provider; the served ones were all recorded, within the budget.
    const requestsBefore = h.mocks.openai.requestCount;
    await expect(openai.embeddings.create({ model: 'text-embedding-3-small', input })).rejects.toMatchObject({ status: 429 });
    expect(h.mocks.openai.requestCount).toBe(requestsBefore);
    const spends = (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { keyId?: string }).keyId === keyId);
    expect(spends).toHaveLength(1 + served);
    const tokens = spends.reduce((n, e) => n + (e.data as { tokens: { input: number } }).tokens.input, 0);
    expect(tokens - spentBefore).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(60);
  });
});
