import { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventInput } from '@totra/events';
import { hotBudgetOf, hotQuotaLayout } from '@totra/quota';
import { QuotaGate } from '@totra/quota-redis';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { buildGateway } from '../app.js';
import { type CallerIdentity } from '../identity.js';
import { AfterResponse } from '../pipeline/after-response.js';
import { StaticDirectory } from '../routing/directory.js';
import { QuotaStage } from './quota-stage.js';

const WHO: CallerIdentity = { keyId: 'key_0193b5a07c3e7abc8def0123456789ab', userId: 'u_1', teamId: 't_1', tenant: 'acme' };

/** A bookkeeping lane that holds every task until `release()`. */
class HeldLane extends AfterResponse {
  release!: () => void;
  readonly #opened = new Promise<void>((resolve) => (this.release = resolve));
  override run<T>(task: () => Promise<T> | T): Promise<T> {
    return super.run(async () => {
      await this.#opened;
      return task();
    });
  }
}

// ADR 0012: bookkeeping waits for a quiet turn, but the budget must not wait with it. A request
// that fits only once the ones in flight are settled is refused at once when the gate does not
// wait for settlements (TOTRA_QUOTA_WAIT_MS=0), so the settlement goes as soon as the answer is out.
describe('settlement of a budgeted request (real Redis)', () => {
  const prefix = redisKeyPrefix('settle-first');
  const layout = hotQuotaLayout(prefix);
  let redis: Redis;
  let listener: Redis;

  beforeAll(async () => {
    redis = new Redis(await redisUrl());
    listener = new Redis(await redisUrl());
    const b = hotBudgetOf(WHO.tenant, { budgetId: 'b_team', scope: { kind: 'team', id: WHO.teamId }, limit: { tokens: 1_000_000 }, period: 'monthly', timeZone: 'UTC', thresholds: [] }, layout);
    await redis.hset(layout.budgets(WHO.tenant), 'b_team', JSON.stringify(b));
    await redis.hset(b.ix, 'b_team', JSON.stringify(b));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    listener.disconnect();
  });

  it('is settled in Redis as soon as the answer is out, before its events have their turn, and its SpendRecorded follows its terminal event', async () => {
    const gate = new QuotaGate({ redis, keyPrefix: prefix });
    const lane = new HeldLane();
    const events: EventInput[] = [];
    const directory = new StaticDirectory([{ deploymentId: 'demo-1', alias: 'demo', weight: 1, priority: 0, contextWindow: 0, provider: 'demo', model: 'demo', kind: 'chat' }]);
    const auth = async (scoped: FastifyInstance) => {
      scoped.addHook('onRequest', async (request) => {
        (request as unknown as { identity: CallerIdentity }).identity = WHO;
      });
    };
    const app = buildGateway({ readiness: [], directory, events: { append: (e) => events.push(e) }, quota: new QuotaStage({ gate, unpriced: 'allow' }), auth, after: lane });
    try {
      // Settlements announce themselves on the tenant's channel (ADR 0005).
      await listener.subscribe(layout.released(WHO.tenant));
      const announced = new Promise<void>((resolve) => listener.once('message', () => resolve()));
      const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'demo', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] } });
      expect(res.statusCode).toBe(200);
      const requestId = String(res.headers['x-request-id']);
      await announced;

      // Settled in Redis (admitting the same id again says so) while no event has been written yet.
      const again = await gate.admit({ requestId, tenant: WHO.tenant, keyId: WHO.keyId, userId: WHO.userId, teamId: WHO.teamId, model: 'demo', estimate: { microUsd: 0, tokens: 100 }, now: Date.now() });
      expect(again).toMatchObject({ ok: true, reservation: { state: 'settled', replayed: true, scopes: [expect.stringMatching(/^b_team\//)] } });
      expect(events.map((e) => e.type)).toEqual([]);

      lane.release();
      await lane.drain();
      expect(events.map((e) => e.type)).toEqual(['RequestCompleted', 'SpendRecorded']);
      expect(events[1]?.data).toMatchObject({ requestId, scopes: [expect.stringMatching(/^b_team\//)] });
    } finally {
      lane.release();
      await app.close();
    }
  });
});
