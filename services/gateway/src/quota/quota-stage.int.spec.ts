import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hotBudgetOf, hotQuotaLayout } from '@totra/quota';
import { QuotaGate } from '@totra/quota-redis';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { type CallerIdentity } from '../identity.js';
import { type DeploymentRoute } from '../routing/directory.js';
import { PriceBook, costOf, estimateMaxCost, priceAtServiceTier } from '@totra/pricing';
import { decodeOpenAIChatRequest, type ChatRequest } from '@totra/providers';
import { GatewayError } from '../errors.js';
import { QuotaStage, holdsReservation } from './quota-stage.js';

const WHO: CallerIdentity = { keyId: 'key_1', userId: 'u_1', teamId: 't_1', tenant: 'acme' };
const ROUTE: DeploymentRoute = { deploymentId: 'd1', alias: 'gpt-4o', provider: 'openai', model: 'gpt-4o', kind: 'chat', weight: 1, priority: 0, contextWindow: 0 };
const USAGE = { inputTokens: 1_000, outputTokens: 500, totalTokens: 1_500 };

describe('QuotaStage settlement (real Redis)', () => {
  const clients: Redis[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });

  /** Admits a request; with `budget`, the team has a monthly budget (as the quota-hot projection stores it), so the reservation is held in Redis. */
  async function admitted(o: { budget?: boolean } = { budget: true }) {
    const redis = new Redis(await redisUrl(), { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
    clients.push(redis);
    await redis.connect();
    const prefix = redisKeyPrefix('qstage');
    if (o.budget) {
      const layout = hotQuotaLayout(prefix);
      const b = hotBudgetOf(WHO.tenant, { budgetId: 'b_team', scope: { kind: 'team', id: WHO.teamId }, limit: { microUsd: 1_000_000_000 }, period: 'monthly', timeZone: 'UTC', thresholds: [80] }, layout);
      await redis.hset(layout.budgets(WHO.tenant), 'b_team', JSON.stringify(b));
      await redis.hset(b.ix, 'b_team', JSON.stringify(b));
    }
    const gate = new QuotaGate({ redis, keyPrefix: prefix });
    const stage = new QuotaStage({ gate });
    const admission = await gate.admit({ requestId: `r-${Math.random()}`, tenant: WHO.tenant, keyId: WHO.keyId, userId: WHO.userId, teamId: WHO.teamId, model: 'gpt-4o', estimate: { microUsd: 100_000, tokens: 5_000 }, now: Date.now() });
    if (!admission.ok) throw new Error('not admitted');
    return { redis, prefix, stage, a: { reservation: admission.reservation, inputTokens: 1_000, countInput: () => Promise.resolve(1_000) } };
  }

  it('holds nothing in Redis when no budget or rate limit applies: settling needs no round trip, even with Redis gone', async () => {
    const { redis, prefix, stage, a } = await admitted({ budget: false });
    expect(a.reservation.state).toBe('untracked');
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    redis.disconnect();
    const { spend, ledgerError } = await stage.settle(a, WHO, ROUTE, USAGE, 0);
    expect(ledgerError).toBeUndefined();
    expect(spend).toMatchObject({ type: 'SpendRecorded', data: { requestId: a.reservation.requestId, scopes: [], tokens: { input: 1_000, output: 500 } } });
  });

  it('admits a caller nothing limits from the gate\'s verdict without counting its prompt, counts it at settlement when the provider gave no usage, and does not meter it', async () => {
    const url = await redisUrl();
    const redis = new Redis(url);
    const subscriber = new Redis(url);
    clients.push(redis, subscriber);
    const prefix = redisKeyPrefix('qstage');
    const layout = hotQuotaLayout(prefix);
    const gate = new QuotaGate({ redis, keyPrefix: prefix, subscriber });
    // Verdicts are kept only while the gate hears about changes of limits.
    await vi.waitFor(async () => expect(await redis.pubsub('NUMSUB', layout.limitsChanged)).toEqual([layout.limitsChanged, 1]));
    const stage = new QuotaStage({ gate });
    const request: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'count the tokens of these few words, please' }] }], stream: true };
    const counted = await stage.inputTokens(request, 'gpt-4o');
    expect(counted).toBeGreaterThan(5);

    // The first admission asks Redis, with its estimate (the prompt counted).
    const first = await stage.admit('r-1', WHO, 'gpt-4o', ROUTE, request);
    expect(first).toMatchObject({ reservation: { state: 'untracked', scopes: [] }, inputTokens: counted });
    expect(gate.admissions).toMatchObject({ script: 1, cached: 0 });
    // The next is admitted from the verdict: nothing counted, nothing to cut a stream at.
    const second = await stage.admit('r-2', WHO, 'gpt-4o', ROUTE, request);
    expect(gate.admissions).toMatchObject({ script: 1, cached: 1 });
    expect(second.reservation).toMatchObject({ requestId: 'r-2', state: 'untracked', scopes: [] });
    expect(second.inputTokens).toBeUndefined();
    expect(holdsReservation(second)).toBe(false);
    expect(stage.outputCap(second, ROUTE)).toBe(Number.POSITIVE_INFINITY);
    // No usage from the provider: the prompt is counted now, the output estimated from its text.
    const { spend } = await stage.settle(second, WHO, ROUTE, undefined, 40);
    expect((spend.data as { tokens: unknown }).tokens).toEqual({ cachedInput: 0, input: counted, output: 10, reasoning: 0 });
    // The tier asked for is kept on this path too: without usage, an OpenAI deployment charges it.
    const priority = await stage.admit('r-2p', WHO, 'gpt-4o', ROUTE, { ...request, extra: { format: 'openai-chat', members: { service_tier: 'priority' } } });
    expect(priority).toMatchObject({ reservation: { state: 'untracked' }, serviceTier: 'priority' });
    const route54 = { ...ROUTE, alias: 'gpt-5.4', model: 'gpt-5.4', deploymentId: 'd54' };
    expect((await stage.settle(priority, WHO, route54, undefined, 40)).spend.data).toMatchObject({ serviceTier: 'priority' });
    // A model without a price is refused on this path too (fail closed).
    expect(() => stage.price({ ...ROUTE, model: 'no-such-model', deploymentId: 'd9' })).toThrow(GatewayError);
    await expect(stage.admit('r-3', WHO, 'gpt-4o', { ...ROUTE, model: 'no-such-model', deploymentId: 'd9' }, request)).rejects.toMatchObject({ code: 'TOTRA_PRICE_UNKNOWN' });

    // A caller with a budget is counted and metered.
    const b = hotBudgetOf(WHO.tenant, { budgetId: 'b_team', scope: { kind: 'team', id: WHO.teamId }, limit: { microUsd: 1_000_000_000 }, period: 'monthly', timeZone: 'UTC', thresholds: [80] }, layout);
    await redis.hset(layout.budgets(WHO.tenant), 'b_team', JSON.stringify(b));
    await redis.hset(b.ix, 'b_team', JSON.stringify(b));
    await redis.publish(layout.limitsChanged, WHO.tenant);
    await subscriber.ping(); // answered after the announcement reached the gate's connection
    const budgeted = await stage.admit('r-4', WHO, 'gpt-4o', ROUTE, request);
    expect(budgeted).toMatchObject({ reservation: { state: 'reserved' }, inputTokens: counted });
    expect(holdsReservation(budgeted)).toBe(true);
    expect(stage.outputCap(budgeted, ROUTE)).toBeLessThan(Number.POSITIVE_INFINITY);
    await stage.release(budgeted);
  });

  it('reserves no more output than the deployment\'s model can write, whatever max_tokens asks', async () => {
    const redis = new Redis(await redisUrl());
    clients.push(redis);
    const prefix = redisKeyPrefix('qstage');
    const layout = hotQuotaLayout(prefix);
    // 50 USD: 10 million output tokens of gpt-4o (10 USD a million) would be 100 USD.
    const b = hotBudgetOf(WHO.tenant, { budgetId: 'b_team', scope: { kind: 'team', id: WHO.teamId }, limit: { microUsd: 50_000_000 }, period: 'monthly', timeZone: 'UTC', thresholds: [80] }, layout);
    await redis.hset(layout.budgets(WHO.tenant), 'b_team', JSON.stringify(b));
    await redis.hset(b.ix, 'b_team', JSON.stringify(b));
    const stage = new QuotaStage({ gate: new QuotaGate({ redis, keyPrefix: prefix }) });
    const request: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'a short question' }] }], stream: false, maxTokens: 10_000_000 };
    // The deployment's model writes at most 16,384 tokens: that is the worst case reserved.
    const capped = await stage.admit('r-cap', WHO, 'gpt-4o', { ...ROUTE, maxOutputTokens: 16_384 }, request);
    expect(capped.reservation.state).toBe('reserved');
    expect(stage.outputCap(capped, ROUTE)).toBeLessThanOrEqual(16_384);
    await stage.release(capped);
    // Where the model's maximum is not known, what max_tokens asks is the worst case: over budget.
    await expect(stage.admit('r-uncapped', WHO, 'gpt-4o', ROUTE, request)).rejects.toBeInstanceOf(GatewayError);
  });

  it('returns the SpendRecorded with the actual cost when the ledger took the settlement', async () => {
    const { stage, a } = await admitted();
    expect(a.reservation.state).toBe('reserved');
    const { spend, ledgerError } = await stage.settle(a, WHO, ROUTE, USAGE, 0);
    expect(ledgerError).toBeUndefined();
    expect(spend).toMatchObject({ type: 'SpendRecorded', tenant: 'acme', data: { requestId: a.reservation.requestId, tokens: { input: 1_000, output: 500 } } });
    expect((spend.data as { microUsd: number }).microUsd).toBeGreaterThan(0);
    // Listed in canonical order, so that the chain writer hashes it on its fastest path.
    const names = (o: object) => Object.keys(o);
    expect(names(spend.data)).toEqual([...names(spend.data)].sort());
    expect(names((spend.data as { tokens: object }).tokens)).toEqual([...names((spend.data as { tokens: object }).tokens)].sort());
  });

  it('reserves and caps a request at the price of the processing tier it asks for, and charges the tier the provider served it at', async () => {
    const { stage } = await admitted();
    const route: DeploymentRoute = { ...ROUTE, alias: 'gpt-5.4', model: 'gpt-5.4', deploymentId: 'd54' };
    const prices = PriceBook.fromCatalog();
    const standard = prices.priceFor({ provider: 'openai', model: 'gpt-5.4', at: new Date() });
    const priority = priceAtServiceTier(standard, 'priority');
    const flex = priceAtServiceTier(standard, 'flex');
    expect(priority.priced && flex.priced).toBe(true);
    const request = decodeOpenAIChatRequest({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'a short question' }], max_tokens: 1_000, service_tier: 'priority' });
    const a = await stage.admit('r-tier', WHO, 'gpt-5.4', route, request);
    const inputTokens = a.inputTokens ?? 0;
    expect(a.serviceTier).toBe('priority');
    expect(a.reservation.estimate.microUsd).toBe(estimateMaxCost({ inputTokens, maxOutputTokens: 1_000 }, priority.price));
    expect(a.reservation.estimate.microUsd).toBeGreaterThan(estimateMaxCost({ inputTokens, maxOutputTokens: 1_000 }, standard));
    // The stream's cap is what the reservation pays for at that tier: all that was asked.
    expect(stage.outputCap(a, route)).toBe(1_000);

    const charged = async (usage: typeof USAGE & { serviceTier?: string }, on = route) => (await stage.settle({ ...a }, WHO, on, usage, 0)).spend.data as Record<string, unknown>;
    const tokens = { inputTokens: 1_000, outputTokens: 500, convention: 'openai' as const };
    expect(await charged({ ...USAGE, serviceTier: 'priority' })).toMatchObject({ microUsd: costOf(tokens, priority.price), serviceTier: 'priority' });
    expect(await charged({ ...USAGE, serviceTier: 'flex' })).toMatchObject({ microUsd: costOf(tokens, flex.price), serviceTier: 'flex' });
    // Served at the standard tier after all: charged so, and the event names no tier.
    const atDefault = await charged({ ...USAGE, serviceTier: 'default' });
    expect(atDefault['microUsd']).toBe(costOf(tokens, standard));
    expect(atDefault).not.toHaveProperty('serviceTier');
    // A tier the model has no price for (GPT-4o is priced at priority, not at flex): the standard price, and the event says so.
    const gpt4o = prices.priceFor({ provider: 'openai', model: 'gpt-4o', at: new Date() });
    expect(priceAtServiceTier(gpt4o, 'flex').priced).toBe(false);
    const unpriced = await charged({ ...USAGE, serviceTier: 'flex' }, ROUTE);
    expect(unpriced).toMatchObject({ microUsd: costOf(tokens, gpt4o), serviceTier: 'flex', serviceTierUnpriced: true });
    expect(await charged({ ...USAGE, serviceTier: 'priority' }, ROUTE)).toMatchObject({ microUsd: costOf(tokens, priceAtServiceTier(gpt4o, 'priority').price), serviceTier: 'priority' });
    const names = Object.keys(unpriced);
    expect(names).toEqual([...names].sort());
  });

  it('still returns the SpendRecorded, with the ledger error, when Redis is gone: no spend is lost', async () => {
    const reference = await admitted();
    const expected = (await reference.stage.settle(reference.a, WHO, ROUTE, USAGE, 0)).spend;

    const { redis, stage, a } = await admitted();
    redis.disconnect();
    const { spend, ledgerError } = await stage.settle(a, WHO, ROUTE, USAGE, 0);
    expect(ledgerError).toBeInstanceOf(Error);
    expect(spend).toMatchObject({ type: 'SpendRecorded', data: { requestId: a.reservation.requestId } });
    expect((spend.data as { microUsd: number }).microUsd).toBe((expected.data as { microUsd: number }).microUsd);
  });
  it('refuses with what the request may take in the unit of the budget that refused it', async () => {
    const redis = new Redis(await redisUrl());
    clients.push(redis);
    const prefix = redisKeyPrefix('qstage');
    const layout = hotQuotaLayout(prefix);
    const stage = new QuotaStage({ gate: new QuotaGate({ redis, keyPrefix: prefix }) });
    const store = async (budgetId: string, limit: { microUsd?: number; tokens?: number }) => {
      const b = hotBudgetOf(WHO.tenant, { budgetId, scope: { kind: 'team', id: WHO.teamId }, limit, period: 'monthly', timeZone: 'UTC', thresholds: [] }, layout);
      await redis.hset(layout.budgets(WHO.tenant), budgetId, JSON.stringify(b));
      await redis.hset(b.ix, budgetId, JSON.stringify(b));
    };
    const chat: ChatRequest = { model: 'gpt-4o', stream: false, maxTokens: 200, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }] };
    const refusal = async () => {
      try {
        await stage.admit(`r-${Math.random()}`, WHO, 'gpt-4o', ROUTE, chat);
      } catch (err) {
        if (err instanceof GatewayError) return err;
        throw err;
      }
      throw new Error('admitted');
    };
    await store('b_tokens', { tokens: 100 });
    const tokens = await refusal();
    expect(tokens.status).toBe(429);
    expect(tokens.message).toContain(`budget b_tokens of team:t_1 does not allow this request (0 of 100 tokens used, this request may use up to ${(await stage.inputTokens(chat, 'gpt-4o')) + 200} tokens)`);
    await redis.hdel(layout.budgets(WHO.tenant), 'b_tokens');
    await redis.del(layout.scopeBudgets(WHO.tenant, 'team', WHO.teamId));
    await store('b_usd', { microUsd: 10 });
    expect((await refusal()).message).toMatch(/budget b_usd of team:t_1 does not allow this request \(0\.000000 of 0\.000010 USD used, this request may cost up to 0\.\d{6} USD\)/);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });
});
