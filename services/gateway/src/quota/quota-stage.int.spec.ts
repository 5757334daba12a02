import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { hotBudgetOf, hotQuotaLayout } from '@totra/quota';
import { QuotaGate } from '@totra/quota-redis';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { type CallerIdentity } from '../identity.js';
import { type DeploymentRoute } from '../routing/directory.js';
import { QuotaStage } from './quota-stage.js';

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
    return { redis, prefix, stage, a: { reservation: admission.reservation, inputTokens: 1_000 } };
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

  it('returns the SpendRecorded with the actual cost when the ledger took the settlement', async () => {
    const { stage, a } = await admitted();
    expect(a.reservation.state).toBe('reserved');
    const { spend, ledgerError } = await stage.settle(a, WHO, ROUTE, USAGE, 0);
    expect(ledgerError).toBeUndefined();
    expect(spend).toMatchObject({ type: 'SpendRecorded', tenant: 'acme', data: { requestId: a.reservation.requestId, tokens: { input: 1_000, output: 500 } } });
    expect((spend.data as { microUsd: number }).microUsd).toBeGreaterThan(0);
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
});
