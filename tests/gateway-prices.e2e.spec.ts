import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@totra/gateway';
import { costOf, PriceBook } from '@totra/pricing';
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

  it('charges an Azure deployment of the customer’s own name as the public model it runs (--base-model)', async () => {
    // The seeded Azure deployment `gpt4o-prod` names no model: refused, saying how to name one.
    const unnamed = await client(h.url)
      .chat.completions.create({ model: 'azure-gpt', messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => undefined,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
    expect(unnamed?.status).toBe(400);
    expect(unnamed?.message).toContain('no price is known for `azure-gpt` (azure-openai gpt4o-prod)');
    expect(unnamed?.message).toContain('name the public model the deployment runs (`totra models add ... --base-model gpt-4o`)');

    const added = await h.cli('models', 'add', '--alias', 'team-chat', '--provider', 'azure-openai', '--model', 'team-chat-01', '--base-model', 'gpt-4o-mini', '--base-url', h.mocks.azure.url, ...h.cliArgs);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain('(team-chat -> azure-openai team-chat-01, runs gpt-4o-mini)');
    expect(added.err).not.toContain('no price is known');
    const listed = await h.cli('models', 'list', ...h.cliArgs);
    expect(listed.out).toMatch(/team-chat\s+azure-openai\/team-chat\s+azure-openai\s+team-chat-01 \(gpt-4o-mini\)/);
    await vi.waitFor(() => expect(h.gateway.catalog.directory.deploymentsFor('team-chat')).toHaveLength(1), { timeout: 10_000 });

    const { data, response } = await client(h.url).chat.completions.create({ model: 'team-chat', messages: [{ role: 'user', content: 'what does this cost?' }] }).withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    // The provider was called by the deployment's own name.
    expect(h.mocks.azure.requests.at(-1)?.path).toContain('/openai/deployments/team-chat-01/chat/completions');
    const spend = await vi.waitFor(() => spendOf(response.headers.get('x-request-id') ?? ''), { timeout: 10_000, interval: 100 });
    const mini = PriceBook.fromCatalog().priceFor({ provider: 'azure-openai', model: 'gpt-4o-mini', at: new Date() });
    expect(spend.priceVersion).toBe(mini.priceVersion);
    expect(spend.tokens.input).toBeGreaterThan(0);
    expect(spend.microUsd).toBe(costOf({ inputTokens: spend.tokens.input, outputTokens: spend.tokens.output, cachedInputTokens: spend.tokens.cachedInput }, mini));

    // A price an admin sets under the deployment's own name (a negotiated one) wins over the list price.
    const set = await h.cli('prices', 'set', '--provider', 'azure-openai', '--model', 'team-chat-01', '--input', '1', '--output', '2', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    const priceSet = (await h.events()).find((e) => e.type === 'PriceSet' && (e.data as { model?: string }).model === 'team-chat-01');
    expect(priceSet).toBeDefined();
    const negotiated = await vi.waitFor(
      async () => {
        const again = await client(h.url).chat.completions.create({ model: 'team-chat', messages: [{ role: 'user', content: 'and now?' }] }).withResponse();
        const charged = await vi.waitFor(() => spendOf(again.response.headers.get('x-request-id') ?? ''), { timeout: 10_000, interval: 100 });
        expect(charged.priceVersion).toBe(`priceset:${priceSet?.id}`);
        return charged;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(negotiated.microUsd).toBe(negotiated.tokens.input + 2 * negotiated.tokens.output);
    const removed = await h.cli('prices', 'remove', '--provider', 'azure-openai', '--model', 'team-chat-01', ...h.cliArgs);
    expect(removed.code, removed.err).toBe(0);
  });

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
    const priceSet = (await h.events()).find((e) => e.type === 'PriceSet' && (e.data as { model?: string }).model === 'compat-model');
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
