import { describe, expect, it } from 'vitest';
import { costOf } from './cost.js';
import { PriceBook } from './price-book.js';
import { PriceSetData } from './price-set.schema.js';

const book = PriceBook.fromCatalog();
const at = '2026-12-04T12:00:00.000Z';

function priceSet(over: Partial<PriceSetData> = {}): PriceSetData {
  return {
    provider: 'openai',
    model: 'gpt-4o',
    inputPerMTokMicroUsd: 2_000_000,
    outputPerMTokMicroUsd: 8_000_000,
    effectiveFrom: '2026-11-01T00:00:00.000Z',
    ...over,
  };
}

describe('PriceBook.priceFor with the catalog', () => {
  it('resolves dated snapshots and aliases to the same catalog price', () => {
    const dated = book.priceFor({ provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', at });
    const alias = book.priceFor({ provider: 'anthropic', model: 'claude-sonnet-4-5', at });
    expect(dated.priceVersion).toBe('catalog:2026-12/anthropic/claude-sonnet-4-5-20250929');
    expect(alias.priceVersion).toBe(dated.priceVersion);
    expect(alias.inputPerMTokMicroUsd).toBe(3_000_000);
    expect(alias.catalogEntry?.source.length).toBeGreaterThan(0);

    expect(book.priceFor({ provider: 'openai', model: 'gpt-4o-2024-08-06', at }).model).toBe('gpt-4o');
    expect(book.priceFor({ provider: 'openai', model: 'GPT-4o', at }).model).toBe('gpt-4o');
    // a snapshot the catalog does not list resolves by dropping its date
    expect(book.priceFor({ provider: 'openai', model: 'gpt-4.1-2026-01-15', at }).model).toBe('gpt-4.1');
    expect(book.priceFor({ provider: 'anthropic', model: 'claude-sonnet-4-5@20250929', at }).model).toBe('claude-sonnet-4-5-20250929');
  });

  it('prefers a snapshot with its own price over the date-stripped family', () => {
    const launch = book.priceFor({ provider: 'openai', model: 'gpt-4o-2024-05-13', at });
    expect(launch.model).toBe('gpt-4o-2024-05-13');
    expect(launch.inputPerMTokMicroUsd).toBe(5_000_000);
  });

  it('resolves provider prefixes, Bedrock inference profiles and provider aliases', () => {
    expect(book.priceFor({ provider: 'gemini', model: 'models/gemini-2.5-pro', at }).model).toBe('gemini-2.5-pro');
    expect(book.priceFor({ provider: 'google', model: 'gemini-2.5-flash', at }).provider).toBe('gemini');
    const profile = book.priceFor({ provider: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', at });
    expect(profile.model).toBe('anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(profile.priceVersion).toBe('catalog:2026-12/bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  it('bills Azure OpenAI at OpenAI list prices', () => {
    const azure = book.priceFor({ provider: 'azure-openai', model: 'gpt-4o-mini-2024-07-18', at });
    expect(azure.provider).toBe('azure-openai');
    expect(azure.priceVersion).toBe('catalog:2026-12/openai/gpt-4o-mini');
    expect(azure.inputPerMTokMicroUsd).toBe(150_000);
  });

  it('prices local and demo models at zero', () => {
    const local = book.priceFor({ provider: 'ollama', model: 'llama3.1:8b', at });
    expect(local.priceVersion).toBe('catalog:2026-12/ollama/*');
    expect(costOf({ inputTokens: 123_456, outputTokens: 7_890 }, local)).toBe(0);
    expect(costOf({ inputTokens: 5, outputTokens: 5 }, book.priceFor({ provider: 'demo', model: 'echo', at }))).toBe(0);
  });

  it('throws TOTRA_PRICE_UNKNOWN_MODEL for a model nobody priced', () => {
    for (const query of [
      { provider: 'openai', model: 'gpt-99-ultra' },
      { provider: 'anthropic', model: 'gpt-4o' },
      { provider: 'openai-compatible', model: 'meta-llama/Llama-3.3-70B-Instruct' },
    ]) {
      expect(() => book.priceFor({ ...query, at }), query.model).toThrow(
        expect.objectContaining({ code: 'TOTRA_PRICE_UNKNOWN_MODEL', name: 'UnknownModelPriceError' }),
      );
    }
  });

  it('rejects an invalid time', () => {
    expect(() => book.priceFor({ provider: 'openai', model: 'gpt-4o', at: 'yesterday' })).toThrow(
      expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }),
    );
  });
});

describe('PriceBook overrides', () => {
  it('applies an override from its effectiveFrom on, and not before', () => {
    const withOverride = book.apply(priceSet({ effectiveFrom: '2026-12-01T00:00:00Z' }), { eventId: 'evt-1' });
    const before = withOverride.priceFor({ provider: 'openai', model: 'gpt-4o', at: '2026-11-30T23:59:59.999Z' });
    const from = withOverride.priceFor({ provider: 'openai', model: 'gpt-4o', at: '2026-12-01T00:00:00.000Z' });
    expect(before.origin).toBe('catalog');
    expect(before.inputPerMTokMicroUsd).toBe(2_500_000);
    expect(from.origin).toBe('override');
    expect(from.priceVersion).toBe('priceset:evt-1');
    expect(from.inputPerMTokMicroUsd).toBe(2_000_000);
    // omitted cached rate falls back to the override's input rate, not the catalog's
    expect(costOf({ inputTokens: 1_000, cachedInputTokens: 1_000, outputTokens: 0 }, from)).toBe(2_000);
  });

  it('lets the latest effectiveFrom win, then the last applied', () => {
    const b = book
      .apply(priceSet({ inputPerMTokMicroUsd: 1_000_000, effectiveFrom: '2026-10-01T00:00:00Z' }), { eventId: 'oct' })
      .apply(priceSet({ inputPerMTokMicroUsd: 1_100_000, effectiveFrom: '2026-11-01T00:00:00Z' }), { eventId: 'nov' })
      .apply(priceSet({ inputPerMTokMicroUsd: 900_000, effectiveFrom: '2026-09-01T00:00:00Z' }), { eventId: 'sep-late' });
    expect(b.priceFor({ provider: 'openai', model: 'gpt-4o', at }).priceVersion).toBe('priceset:nov');
    expect(b.priceFor({ provider: 'openai', model: 'gpt-4o', at: '2026-10-15T00:00:00Z' }).priceVersion).toBe('priceset:oct');
    const tie = b.apply(priceSet({ inputPerMTokMicroUsd: 1_200_000, effectiveFrom: '2026-11-01T00:00:00Z' }), { eventId: 'nov-fix' });
    expect(tie.priceFor({ provider: 'openai', model: 'gpt-4o', at }).priceVersion).toBe('priceset:nov-fix');
  });

  it('prefers a deployment override over a provider-wide one, only for that deployment', () => {
    const b = book
      .apply(priceSet({ deployment: 'eu-1', inputPerMTokMicroUsd: 1_500_000, effectiveFrom: '2026-01-01T00:00:00Z' }), { eventId: 'eu' })
      .apply(priceSet({ inputPerMTokMicroUsd: 2_200_000, effectiveFrom: '2026-11-01T00:00:00Z' }), { eventId: 'all' });
    expect(b.priceFor({ provider: 'openai', model: 'gpt-4o', deployment: 'eu-1', at }).priceVersion).toBe('priceset:eu');
    expect(b.priceFor({ provider: 'openai', model: 'gpt-4o', deployment: 'us-1', at }).priceVersion).toBe('priceset:all');
    expect(b.priceFor({ provider: 'openai', model: 'gpt-4o', at }).priceVersion).toBe('priceset:all');
  });

  it('matches overrides through aliases and date suffixes, per provider', () => {
    const b = book.apply(priceSet({ provider: 'anthropic', model: 'claude-sonnet-4-5', inputPerMTokMicroUsd: 2_700_000 }));
    const dated = b.priceFor({ provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', at });
    expect(dated.origin).toBe('override');
    expect(dated.priceVersion).toBe('priceset:anthropic/claude-sonnet-4-5-20250929@*/2026-11-01T00:00:00.000Z');
    // an OpenAI override does not reprice Azure OpenAI
    const openaiOnly = book.apply(priceSet());
    expect(openaiOnly.priceFor({ provider: 'azure-openai', model: 'gpt-4o', at }).origin).toBe('catalog');
  });

  it('prices models the catalog does not know, and overrides zero-cost providers', () => {
    const b = book
      .apply(priceSet({ provider: 'openai-compatible', model: 'Qwen3-235B', deployment: 'vllm-a', inputPerMTokMicroUsd: 100_000 }))
      .apply(priceSet({ provider: 'ollama', model: 'llama3.1:8b', inputPerMTokMicroUsd: 10_000, outputPerMTokMicroUsd: 10_000 }));
    const custom = b.priceFor({ provider: 'openai-compatible', model: 'qwen3-235b', deployment: 'vllm-a', at });
    expect(custom.inputPerMTokMicroUsd).toBe(100_000);
    expect(() => b.priceFor({ provider: 'openai-compatible', model: 'qwen3-235b', deployment: 'vllm-b', at })).toThrow(
      expect.objectContaining({ code: 'TOTRA_PRICE_UNKNOWN_MODEL' }),
    );
    expect(b.priceFor({ provider: 'ollama', model: 'llama3.1:8b', at }).inputPerMTokMicroUsd).toBe(10_000);
  });

  it('replaces the catalog tiers: a negotiated price is flat', () => {
    const b = book.apply(priceSet({ provider: 'gemini', model: 'gemini-2.5-pro', inputPerMTokMicroUsd: 1_000_000, outputPerMTokMicroUsd: 8_000_000 }));
    const price = b.priceFor({ provider: 'gemini', model: 'gemini-2.5-pro', at });
    expect(costOf({ inputTokens: 300_000, outputTokens: 0 }, price)).toBe(300_000);
  });

  it('stops applying a removed price from its date on: a deployment falls back to the provider-wide price, that to the catalog', () => {
    const price = (b: PriceBook, when: string, deployment?: string) => b.priceFor({ provider: 'openai', model: 'gpt-4o', ...(deployment ? { deployment } : {}), at: when }).priceVersion;
    const b = book
      .apply(priceSet({ deployment: 'eu-1', inputPerMTokMicroUsd: 1_500_000, effectiveFrom: '2026-01-01T00:00:00Z' }), { eventId: 'eu' })
      .apply(priceSet({ inputPerMTokMicroUsd: 2_200_000, effectiveFrom: '2026-02-01T00:00:00Z' }), { eventId: 'all' })
      .fold('PriceRemoved', { provider: 'openai', model: 'gpt-4o-2024-08-06', deployment: 'eu-1', effectiveFrom: '2026-06-01T00:00:00Z' }, { eventId: 'eu-off' })
      .fold('PriceRemoved', { provider: 'openai', model: 'gpt-4o', effectiveFrom: '2026-09-01T00:00:00Z' }, { eventId: 'all-off' });
    // Before the removals, as set.
    expect(price(b, '2026-05-31T23:59:59Z', 'eu-1')).toBe('priceset:eu');
    // The deployment's removal (named by a dated model id): the provider-wide price.
    expect(price(b, '2026-06-01T00:00:00Z', 'eu-1')).toBe('priceset:all');
    expect(price(b, '2026-06-01T00:00:00Z', 'us-1')).toBe('priceset:all');
    // The provider-wide removal: the catalog, for every deployment.
    expect(price(b, '2026-09-01T00:00:00Z', 'eu-1')).toMatch(/^catalog:/);
    expect(price(b, '2026-09-01T00:00:00Z')).toMatch(/^catalog:/);
    // A price set after a removal applies from its own date.
    const again = b.fold('PriceSet', priceSet({ inputPerMTokMicroUsd: 2_000_000, effectiveFrom: '2026-10-01T00:00:00Z' }), { eventId: 'oct' });
    expect(price(again, '2026-09-15T00:00:00Z')).toMatch(/^catalog:/);
    expect(price(again, '2026-10-01T00:00:00Z', 'eu-1')).toBe('priceset:oct');
    // What is in force, for the CLI: a removal leaves nothing at its level.
    expect(again.overrideFor('openai', 'gpt-4o', 'eu-1', '2026-07-01T00:00:00Z')?.priceVersion).toBe('priceset:all');
    expect(again.overrideFor('openai', 'gpt-4o', undefined, '2026-09-15T00:00:00Z')).toBeUndefined();
    expect(again.overrideFor('openai', 'gpt-4o', undefined, '2026-03-01T00:00:00Z')?.priceVersion).toBe('priceset:all');
  });

  it('folds only price events, and refuses a malformed removal', () => {
    expect(() => book.fold('BudgetSet', {})).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }));
    for (const bad of [{ provider: 'openai', model: 'gpt-4o' }, { provider: 'openai', model: 'gpt-4o', effectiveFrom: 'soon' }, { provider: 'openai', model: 'gpt-4o', effectiveFrom: at, inputPerMTokMicroUsd: 1 }]) {
      expect(() => book.remove(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }));
    }
  });

  it('is immutable: apply returns a new book', () => {
    const next = book.apply(priceSet());
    expect(book.overrides).toHaveLength(0);
    expect(next.overrides).toHaveLength(1);
    expect(book.priceFor({ provider: 'openai', model: 'gpt-4o', at }).origin).toBe('catalog');
  });

  it('rejects malformed PriceSet data with TOTRA_PRICE_INVALID', () => {
    for (const bad of [
      { ...priceSet(), inputPerMTokMicroUsd: 2.5 },
      { ...priceSet(), outputPerMTokMicroUsd: -1 },
      { ...priceSet(), effectiveFrom: 'next week' },
      { ...priceSet(), currency: 'EUR' },
      { ...priceSet(), model: '' },
    ]) {
      expect(() => book.apply(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }));
    }
  });
});

describe('PriceSetData', () => {
  it('accepts the documented payload with and without optional rates', () => {
    expect(PriceSetData.safeParse(priceSet()).success).toBe(true);
    const full = priceSet({
      deployment: 'azure-westeurope',
      cachedInputPerMTokMicroUsd: 1,
      cacheWritePerMTokMicroUsd: 2,
      reasoningPerMTokMicroUsd: 3,
      effectiveFrom: '2026-11-01T00:00:00+01:00',
    });
    expect(PriceSetData.parse(full)).toEqual(full);
  });
});
