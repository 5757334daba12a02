import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { costOf } from '../cost.js';
import { assertValidPrice, priceAtServiceTier } from '../price.js';
import { CATALOG_2026_12 } from './2026-12.catalog.js';
import { CatalogIndex, type CatalogEntry, modelIdCandidates, PROVIDERS } from './catalog.js';

const Rate = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const Rates = {
  inputPerMTokMicroUsd: Rate,
  outputPerMTokMicroUsd: Rate,
  cachedInputPerMTokMicroUsd: Rate.optional(),
  cacheWritePerMTokMicroUsd: Rate.optional(),
  cacheWrite1hPerMTokMicroUsd: Rate.optional(),
  reasoningPerMTokMicroUsd: Rate.optional(),
};
const Tiers = z.array(z.object({ aboveInputTokens: z.int().positive(), ...Rates }).strict()).optional();
const EntryShape = z
  .object({
    provider: z.enum(PROVIDERS),
    model: z.string().regex(/^[a-z0-9][a-z0-9.:_-]*$/),
    aliases: z.array(z.string().min(1)).min(1).optional(),
    kind: z.enum(['chat', 'embedding']),
    price: z
      .object({
        ...Rates,
        tiers: Tiers,
        // Processing tiers priced apart (OpenAI's service_tier), each a whole price of its own.
        serviceTiers: z
          .object({ priority: z.object({ ...Rates, tiers: Tiers }).strict().optional(), flex: z.object({ ...Rates, tiers: Tiers }).strict().optional() })
          .strict()
          .optional(),
      })
      .strict(),
    source: z.array(z.url({ protocol: /^https$/ })).min(1),
    verification: z.enum(['official', 'secondary', 'unverified']),
    asOf: z.iso.date(),
    note: z.string().min(10).optional(),
  })
  .strict();

const entries: readonly CatalogEntry[] = CATALOG_2026_12.entries;

describe('catalog 2026-12', () => {
  it('has a well-formed entry for every model, with source URLs and an asOf date', () => {
    for (const entry of entries) {
      const result = EntryShape.safeParse(entry);
      expect(result.success, `${entry.provider}/${entry.model}: ${result.error?.message ?? ''}`).toBe(true);
      expect(() => assertValidPrice(entry.price, entry.model)).not.toThrow();
      expect(Date.parse(entry.asOf)).toBeLessThanOrEqual(Date.parse('2026-12-31'));
    }
  });

  it('prices priority above the standard tier and flex below it, rate by rate', () => {
    const withTiers = entries.filter((e) => e.price.serviceTiers);
    expect(withTiers.map((e) => e.model)).toEqual(expect.arrayContaining(['gpt-5.5', 'gpt-5.4']));
    for (const e of withTiers) {
      const { priority, flex } = e.price.serviceTiers ?? {};
      for (const field of ['inputPerMTokMicroUsd', 'outputPerMTokMicroUsd'] as const) {
        if (priority) expect(priority[field], `${e.model} priority ${field}`).toBeGreaterThan(e.price[field]);
        if (flex) expect(flex[field], `${e.model} flex ${field}`).toBeLessThan(e.price[field]);
      }
      // A long-context tier at each processing tier where the standard price has one.
      for (const tierPrice of [priority, flex]) if (tierPrice) expect(tierPrice.tiers?.length ?? 0, e.model).toBe(e.price.tiers?.length ?? 0);
    }
  });

  it("charges a request OpenAI served at priority or flex at that tier's listed rates, snapshots included", () => {
    const index = new CatalogIndex(CATALOG_2026_12);
    const usage = { inputTokens: 1_000_000, cachedInputTokens: 200_000, outputTokens: 100_000 };
    /** The cost of `usage` in USD on `model` (Azure OpenAI priced as OpenAI) served at `tier`. */
    const usd = (provider: string, model: string, tier: string) => {
      const entry = index.resolve(provider, model)?.entry;
      if (!entry) throw new Error(`${provider}/${model} is not in the catalog`);
      const at = priceAtServiceTier(entry.price, tier);
      expect(at.priced, `${model} at ${tier}`).toBe(true);
      return costOf(usage, at.price) / 1_000_000;
    };
    // 800K uncached and 200K cached input tokens, 100K output tokens, at the listed rates per 1M.
    const expected = (input: number, cached: number, output: number) => 0.8 * input + 0.2 * cached + 0.1 * output;
    for (const [provider, model, tier, rates] of [
      ['openai', 'gpt-4o', 'priority', [4.25, 2.125, 17]],
      ['openai', 'gpt-4o-2024-11-20', 'priority', [4.25, 2.125, 17]],
      ['azure-openai', 'gpt-4o', 'priority', [4.25, 2.125, 17]],
      ['openai', 'gpt-4o-mini', 'priority', [0.25, 0.125, 1]],
      ['openai', 'gpt-4.1', 'priority', [3.5, 0.875, 14]],
      ['openai', 'gpt-4.1-nano-2025-04-14', 'priority', [0.2, 0.05, 0.8]],
      ['openai', 'o3', 'priority', [3.5, 0.875, 14]],
      ['openai', 'o4-mini', 'priority', [2, 0.5, 8]],
      ['openai', 'gpt-5', 'priority', [2.5, 0.25, 20]],
      ['openai', 'gpt-5-mini', 'priority', [0.45, 0.045, 3.6]],
      ['openai', 'gpt-5.2', 'priority', [3.5, 0.35, 28]],
      ['openai', 'gpt-5.4-mini', 'priority', [1.5, 0.15, 9]],
      ['openai', 'o3', 'flex', [1, 0.25, 4]],
      ['openai', 'gpt-5-nano', 'flex', [0.025, 0.0025, 0.2]],
      ['openai', 'gpt-5.1', 'flex', [0.625, 0.0625, 5]],
    ] as const) {
      expect(usd(provider, model, tier), `${provider}/${model} at ${tier}`).toBeCloseTo(expected(rates[0], rates[1], rates[2]), 6);
    }
    // The first gpt-4o snapshot has prices of its own at every tier; it has no cached rate, so its cache hits are input.
    expect(usd('openai', 'gpt-4o-2024-05-13', 'priority')).toBeCloseTo(1 * 8.75 + 0.1 * 26.25, 6);
    // A tier the model has no price for is said to be unpriced (the spend says so), not guessed.
    expect(priceAtServiceTier(index.resolve('openai', 'gpt-4.1')?.entry.price ?? { inputPerMTokMicroUsd: 0, outputPerMTokMicroUsd: 0 }, 'flex').priced).toBe(false);
  });

  it('explains every price it could not verify', () => {
    for (const entry of entries.filter((e) => e.verification === 'unverified')) {
      expect(entry.note, `${entry.provider}/${entry.model}`).toBeDefined();
    }
  });

  it('lists every model id and alias once per provider', () => {
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const entry of entries) {
      for (const id of [entry.model, ...(entry.aliases ?? [])]) {
        const key = `${entry.provider}/${id.toLowerCase()}`;
        if (seen.has(key)) duplicates.push(key);
        seen.add(key);
      }
    }
    expect(duplicates).toEqual([]);
    expect(() => new CatalogIndex(CATALOG_2026_12)).not.toThrow();
  });

  it('prices sensibly: output >= 0, embeddings have no output, cache reads never above input, long tiers never cheaper', () => {
    for (const { provider, model, kind, price } of entries) {
      const label = `${provider}/${model}`;
      expect(price.outputPerMTokMicroUsd, label).toBeGreaterThanOrEqual(0);
      expect(price.inputPerMTokMicroUsd, label).toBeGreaterThan(0);
      if (kind === 'embedding') expect(price.outputPerMTokMicroUsd, label).toBe(0);
      else expect(price.outputPerMTokMicroUsd, label).toBeGreaterThanOrEqual(price.inputPerMTokMicroUsd);
      expect(price.cachedInputPerMTokMicroUsd ?? 0, label).toBeLessThanOrEqual(price.inputPerMTokMicroUsd);
      for (const tier of price.tiers ?? []) {
        expect(tier.inputPerMTokMicroUsd, label).toBeGreaterThanOrEqual(price.inputPerMTokMicroUsd);
        expect(tier.outputPerMTokMicroUsd, label).toBeGreaterThanOrEqual(price.outputPerMTokMicroUsd);
      }
    }
  });

  it('covers every provider the gateway routes to', () => {
    const priced = new Set(entries.map((e) => e.provider));
    for (const provider of ['openai', 'anthropic', 'gemini', 'mistral', 'cohere', 'bedrock'] as const) {
      expect(priced.has(provider), provider).toBe(true);
    }
    expect(CATALOG_2026_12.zeroCostProviders).toEqual(expect.arrayContaining(['ollama', 'demo']));
    expect(CATALOG_2026_12.providerFallbacks['azure-openai']).toBe('openai');
    const index = new CatalogIndex(CATALOG_2026_12);
    for (const [provider, model] of [
      ['openai', 'gpt-4o'],
      ['openai', 'gpt-4o-mini'],
      ['openai', 'gpt-4.1-nano'],
      ['openai', 'o1'],
      ['openai', 'o3'],
      ['openai', 'o3-mini'],
      ['openai', 'o4-mini'],
      ['openai', 'gpt-5'],
      ['openai', 'text-embedding-3-small'],
      ['openai', 'text-embedding-3-large'],
      ['anthropic', 'claude-opus-4-1'],
      ['anthropic', 'claude-sonnet-4-5'],
      ['anthropic', 'claude-haiku-4-5'],
      ['anthropic', 'claude-3-5-haiku-latest'],
      ['gemini', 'gemini-2.5-pro'],
      ['gemini', 'gemini-2.5-flash'],
      ['gemini', 'gemini-2.0-flash'],
      ['mistral', 'mistral-large-latest'],
      ['mistral', 'mistral-small-latest'],
      ['mistral', 'codestral-latest'],
      ['mistral', 'mistral-embed'],
      ['cohere', 'command-r'],
      ['cohere', 'command-r-plus'],
      ['cohere', 'command-a'],
      ['cohere', 'embed-v4.0'],
      ['bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
      ['bedrock', 'meta.llama3-3-70b-instruct-v1:0'],
      ['bedrock', 'amazon.nova-pro-v1:0'],
    ] as const) {
      expect(index.resolve(provider, model), `${provider}/${model}`).toBeDefined();
    }
  });
});

describe('CatalogIndex', () => {
  const base = CATALOG_2026_12.entries[0];

  it('refuses a catalog that lists an id twice', () => {
    if (!base) throw new Error('empty catalog');
    const twice = { ...CATALOG_2026_12, entries: [base, { ...base, aliases: [] }] };
    expect(() => new CatalogIndex(twice)).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }));
  });

  it('tries the id as given, without prefixes, then without a date suffix', () => {
    expect(modelIdCandidates('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toEqual([
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]);
    expect(modelIdCandidates('gemini', 'models/gemini-2.5-pro')).toEqual(['models/gemini-2.5-pro', 'gemini-2.5-pro']);
    expect(modelIdCandidates('openai', 'GPT-4o-2024-08-06')).toEqual(['gpt-4o-2024-08-06', 'gpt-4o']);
    expect(modelIdCandidates('anthropic', 'claude-sonnet-4-5@20250929')).toEqual(['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5']);
  });
});

describe('CatalogIndex.resolve remembers its answers', () => {
  it('answers a repeated question as the first time, unknown models included, past its memory bound', () => {
    const index = new CatalogIndex(CATALOG_2026_12);
    const first = index.resolve('openai', 'gpt-4o-2024-08-06');
    expect(first?.entry.model).toBe('gpt-4o');
    expect(index.resolve('openai', 'gpt-4o-2024-08-06')).toEqual(first);
    expect(index.resolve('openai', 'no-such-model')).toBeUndefined();
    expect(index.resolve('openai', 'no-such-model')).toBeUndefined();
    // More distinct questions than it keeps: answers stay right after it forgets.
    for (let i = 0; i < 5000; i++) expect(index.resolve('openai', `unknown-${i}`)).toBeUndefined();
    expect(index.resolve('openai', 'gpt-4o-2024-08-06')).toEqual(first);
    expect(index.resolve('azure', 'gpt-4o')?.priceProvider).toBe(new CatalogIndex(CATALOG_2026_12).resolve('azure', 'gpt-4o')?.priceProvider);
  });
});
