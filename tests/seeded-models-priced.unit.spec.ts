import { describe, expect, it } from 'vitest';
import { seedFromEnv } from '@totra/catalog';
import { PriceBook } from '@totra/pricing';

// A provider key offers that provider's current models under their usual names. Each must have a
// price in the catalog, or a budget could not reserve a request to it and spend could not be
// recorded (the gateway refuses unpriced models unless told otherwise).
describe('the models a provider key offers', () => {
  const env = {
    OPENAI_API_KEY: 'sk-openai',
    ANTHROPIC_API_KEY: 'sk-anthropic',
    GEMINI_API_KEY: 'sk-gemini',
    MISTRAL_API_KEY: 'sk-mistral',
    COHERE_API_KEY: 'sk-cohere',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'eu-central-1',
  };
  const seeded = seedFromEnv(env).filter((d) => d.provider !== 'demo');
  const prices = PriceBook.fromCatalog();

  it('include the latest of every provider', () => {
    const models = seeded.map((d) => `${d.provider}/${d.model}`);
    expect(models).toEqual(expect.arrayContaining(['openai/gpt-5.5', 'anthropic/claude-fable-5-1', 'anthropic/claude-opus-5-5', 'gemini/gemini-3.1-pro-preview']));
  });

  it.each(seeded.map((d) => [`${d.provider}/${d.model}`, d] as const))('%s has a price', (_name, d) => {
    expect(prices.resolveModel(d.provider, d.model)).toBeDefined();
  });
});
