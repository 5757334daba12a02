import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@totra/gateway';
import { sql } from 'kysely';
import { createTestDatabase, redisUrl, type TestDatabase } from '@totra/testing';
import { startHarness, type Harness } from './support/gateway-harness.js';

// Hard budgets across replicas: three gateway instances share one Redis ledger. 600
// concurrent requests (half streaming) from 20 users against a team budget that allows about
// 100 of them: the recorded spend never exceeds the limit, 429s start when it is used up, and
// the sum of SpendRecorded equals what the quota-hot projection counted, to the micro-dollar.
describe('budgets across three gateways', () => {
  let h: Harness;
  const extra: RunningGateway[] = [];
  const LIMIT_USD = '0.03';
  const LIMIT_MICRO = 30_000;
  const keys: string[] = [];

  let db: TestDatabase;

  beforeAll(async () => {
    // The projector also builds the Postgres read models here: the cost model is the third ledger.
    db = await createTestDatabase();
    h = await startHarness({ env: { TOTRA_PG_URL: db.url } });
    for (let i = 0; i < 2; i++) extra.push(await startGateway(loadGatewayConfig(h.env, { host: '127.0.0.1', port: 0, logLevel: 'silent' }), { env: h.env }));
    for (let u = 0; u < 20; u++) {
      const r = await h.cli('keys', 'issue', '--user', `u-${u}`, '--team', 't-budget', '--tenant', 'acme', '--json', ...h.cliArgs);
      expect(r.code, r.err).toBe(0);
      keys.push((JSON.parse(r.out) as { key: string }).key);
    }
    const b = await h.cli('budgets', 'set', '--team', 't-budget', '--tenant', 'acme', '--usd', LIMIT_USD, '--period', 'monthly', ...h.cliArgs);
    expect(b.code, b.err).toBe(0);
    await h.projector.quotaHot.caughtUp();
  }, 120_000);

  afterAll(async () => {
    for (const g of extra) await g.close();
    await h?.close();
    await db?.drop();
  });

  it('never overspends, refuses with 429 once the budget is used, and the ledgers agree', { timeout: 120_000 }, async () => {
    const urls = [h.url, ...extra.map((g) => g.url)];
    const agent = new Agent({ connections: 100 });
    const statuses: number[] = [];
    let refusal: { error: { code: string; message: string } } | undefined;
    await Promise.all(
      Array.from({ length: 600 }, async (_v, i) => {
        const stream = i % 2 === 0;
        const res = await request(`${urls[i % 3]}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${keys[i % 20]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o', max_tokens: 40, stream, messages: [{ role: 'user', content: `request number ${i} please` }] }),
        });
        const text = await res.body.text();
        if (res.statusCode === 429) refusal ??= JSON.parse(text) as typeof refusal;
        statuses.push(res.statusCode);
      }),
    );
    await agent.close();
    const ok = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 429).length;
    expect(ok + refused).toBe(600);
    expect(refused).toBeGreaterThan(0);
    expect(ok).toBeGreaterThan(20);

    // Every spend event is in the log, and the projection has applied all of it.
    await Promise.all([h.gateway, ...extra].map((g) => g.drain()));
    await h.projector.quotaHot.caughtUp();
    const spends = (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { teamId: string }).teamId === 't-budget');
    expect(spends.length).toBe(ok);
    const recorded = spends.reduce((sum, e) => sum + (e.data as { microUsd: number }).microUsd, 0);
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBeLessThanOrEqual(LIMIT_MICRO);

    const redis = new Redis(await redisUrl());
    try {
      let cursor = '0';
      let spent = 0;
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${h.redisPrefix}qs:*`, 'COUNT', 200);
        cursor = next;
        for (const k of found) spent += Number((await redis.hget(k, 'usd')) ?? 0);
      } while (cursor !== '0');
      expect(spent).toBe(recorded);
    } finally {
      redis.disconnect();
    }

    // ... and so does the Postgres cost read model.
    const readModels = h.projector.readModels;
    expect(readModels).not.toBeNull();
    await Promise.all((readModels?.runners ?? []).map((r) => r.caughtUp()));
    const cost = await sql<{ usd: string }>`SELECT coalesce(sum(micro_usd), 0)::text AS usd FROM cost_daily WHERE team_id = 't-budget'`.execute(readModels!.db);
    expect(Number(cost.rows[0]?.usd)).toBe(recorded);

    // The refusals say which scope and why.
    expect(refusal?.error.code).toBe('insufficient_quota');
    expect(refusal?.error.message).toMatch(/team/);

    // The projector's notifier recorded each threshold the recorded spend reached, once each,
    // and none it did not reach (how far the spend gets depends on the worst-case reservations
    // in flight when the budget closed).
    await h.projector.alerts.pollOnce();
    const crossed = (await h.events()).filter((e) => e.type === 'BudgetThresholdCrossed').map((e) => e.data as { budgetId: string; threshold: number });
    const thresholds = crossed.filter((c) => c.budgetId === 'team.t-budget.monthly').map((c) => c.threshold);
    for (const t of [50, 80, 100]) {
      expect(thresholds.filter((x) => x === t), `threshold ${t}% at ${recorded} of ${LIMIT_MICRO}`).toHaveLength(recorded * 100 >= t * LIMIT_MICRO ? 1 : 0);
    }
  });
});
