import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@totra/gateway';
import { startHarness, type Harness } from './support/gateway-harness.js';

// A price set with `totra prices set` reaches every gateway: a model the shipped catalog does not
// price is refused (fail closed) until an admin sets one, then charged at it, in the running
// gateway (through the log) and in one started later (from its start-up fold), until the admin
// removes it (`totra prices remove`).
describe('prices set by an admin', () => {
  let h: Harness;
  let later: RunningGateway | undefined;

  beforeAll(async () => {
    h = await startHarness({ env: { TOTRA_UNPRICED: 'reject' } });
  });
  afterAll(async () => {
    await later?.close();
    await h?.close();
  });

  const client = (url: string) => new OpenAI({ apiKey: h.key, baseURL: `${url}/v1`, maxRetries: 0 });
  const spendOf = async (requestId: string) => {
    const spends = (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { requestId: string }).requestId === requestId);
    expect(spends).toHaveLength(1);
    return spends[0]?.data as { microUsd: number; priceVersion: string; tokens: { input: number; output: number; cachedInput: number; reasoning: number } };
  };

  it('refuses an unpriced model saying how to price it, then charges the price set, in every gateway', async () => {
    const ask = (url: string) => client(url).chat.completions.create({ model: 'compat-model', messages: [{ role: 'user', content: 'what does this cost?' }] }).withResponse();
    const refused = await ask(h.url).then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    expect(refused?.status).toBe(400);
    expect(refused?.message).toContain('no price is known for `compat-model` (openai-compatible compat-model)');
    expect(refused?.message).toContain('totra prices set --provider openai-compatible --model compat-model');

    const set = await h.cli('prices', 'set', '--provider', 'openai-compatible', '--model', 'compat-model', '--input', '1', '--output', '2', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    const priceSet = (await h.events()).find((e) => e.type === 'PriceSet');
    expect(priceSet).toBeDefined();

    // The running gateway follows the log: served once the PriceSet has reached it.
    const { response } = await vi.waitFor(() => ask(h.url), { timeout: 10_000, interval: 100 });
    const requestId = response.headers.get('x-request-id') ?? '';
    const spend = await vi.waitFor(() => spendOf(requestId), { timeout: 10_000, interval: 100 });
    expect(spend.priceVersion).toBe(`priceset:${priceSet?.id}`);
    // 1 USD per million input tokens is one micro-dollar a token; 2 USD per million output, two.
    expect(spend.tokens.input).toBeGreaterThan(0);
    expect(spend.microUsd).toBe(spend.tokens.input + 2 * spend.tokens.output);

    // A gateway started now folds the price at start-up, and names the deployments still unpriced.
    const warnings: string[] = [];
    later = await startGateway(loadGatewayConfig(h.env, { host: '127.0.0.1', port: 0, logLevel: 'silent' }), { env: h.env, onWarning: (m) => warnings.push(m) });
    const unpriced = warnings.find((w) => w.startsWith('no price is known for '));
    expect(unpriced).toMatch(/azure-gpt \(azure-openai [^)]+\)/);
    expect(unpriced).toContain('their requests are refused until an admin sets one (totra prices set)');
    expect(unpriced).not.toContain('compat-model');
    const fromLater = await ask(later.url);
    const laterSpend = await vi.waitFor(() => spendOf(fromLater.response.headers.get('x-request-id') ?? ''), { timeout: 10_000, interval: 100 });
    expect(laterSpend.priceVersion).toBe(`priceset:${priceSet?.id}`);

    // Removed: both gateways follow the log, and the model is unpriced (refused) again.
    const removed = await h.cli('prices', 'remove', '--provider', 'openai-compatible', '--model', 'compat-model', ...h.cliArgs);
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toContain('price removed: openai-compatible compat-model (every deployment)');
    for (const url of [h.url, later.url]) {
      await vi.waitFor(
        async () => {
          const again = await ask(url).then(
            () => undefined,
            (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
          );
          expect(again?.status).toBe(400);
          expect(again?.message).toContain('no price is known for `compat-model`');
        },
        { timeout: 10_000, interval: 100 },
      );
    }
  });
});
