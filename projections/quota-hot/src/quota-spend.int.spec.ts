import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, DeliverPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { type EventInput } from '@totra/events';
import { foldQuota, hotQuotaLayout, initialQuotaState, removeBudget, setBudget, setRateLimit, type QuotaEvent, type QuotaState } from '@totra/quota';
import { QuotaGate, readQuotaAlerts, type Reservation } from '@totra/quota-redis';
import { natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { startQuotaHotProjection, type QuotaHotProjection } from './quota-hot.runner.js';

const TENANT = 'acme';
const KEY = `key_${'b'.repeat(32)}`;
const NOW = Date.parse('2026-12-04T10:00:00.000Z');
const at = new Date(NOW);

/** Every key under the prefix with its value (hashes, strings, sets), sorted. */
async function snapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    for (const k of keys) {
      const type = await redis.type(k);
      if (type === 'hash') out[k] = await redis.hgetall(k);
      else if (type === 'set') out[k] = (await redis.smembers(k)).sort();
      else if (type === 'zset') out[k] = await redis.zrange(k, 0, -1, 'WITHSCORES');
      else if (type === 'string') out[k] = await redis.get(k);
      else out[k] = type;
    }
    cursor = next;
  } while (cursor !== '0');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

describe('quota-hot projection: budgets and spend (real NATS and Redis)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let redis: Redis;
  let stream: StreamOptions;
  let prefix: string;
  let spoolDir: string;
  let writer: ChainWriter;
  let state: QuotaState;
  let gate: QuotaGate;
  const running: QuotaHotProjection[] = [];

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'quota-spend-int' });
    jsm = await jetstreamManager(nc);
    redis = new Redis(await redisUrl());
  });
  afterAll(async () => {
    await nc.close();
    redis.disconnect();
  });

  const setup = async () => {
    stream = { name: uniqueStreamName('QSPD'), subjectPrefix: uniquePrefix('qspd') };
    prefix = redisKeyPrefix('qspd');
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-qspd-'));
    await ensureStream(jsm, stream);
    writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir });
    state = initialQuotaState;
    gate = new QuotaGate({ redis, keyPrefix: prefix });
    const p = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName: 'quota-hot' });
    running.push(p);
    return p;
  };
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await writer.close();
    await jsm.streams.delete(stream.name).catch(() => undefined);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const decided = async (events: QuotaEvent[]) => {
    for (const e of events) writer.append(e);
    state = foldQuota(events, state);
    await writer.drain();
  };
  const spend = (r: Reservation, microUsd: number, over: Partial<Record<string, unknown>> = {}): EventInput => ({
    type: 'SpendRecorded',
    tenant: TENANT,
    data: {
      requestId: r.requestId,
      scopes: r.scopes,
      tokens: { input: 100, output: 50, cachedInput: 0, reasoning: 0 },
      microUsd,
      priceVersion: 'catalog:2026-12/openai/gpt-4o',
      model: 'gpt-4o',
      provider: 'openai',
      deploymentId: 'openai-main',
      keyId: KEY,
      userId: 'u_1',
      teamId: 't_1',
      ...over,
    },
  });
  const admit = async (requestId: string, microUsd = 100_000) => {
    const a = await gate.admit({ requestId, tenant: TENANT, keyId: KEY, userId: 'u_1', teamId: 't_1', model: 'gpt-4o', estimate: { microUsd, tokens: 1_000 }, now: NOW });
    if (!a.ok) throw new Error(`refused: ${JSON.stringify(a)}`);
    return a.reservation;
  };

  it('budgets reach Redis; a request is reserved, settled to pending, and its SpendRecorded moves pending to spent once', async () => {
    const p = await setup();
    await decided(setBudget({ budgetId: 'team-t1', tenant: TENANT, scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 100_000 }, period: 'monthly', timeZone: 'Europe/Berlin', at }, state));
    await decided(setRateLimit({ keyId: KEY, tenant: TENANT, rpm: 100, at }));
    await p.caughtUp();
    const l = hotQuotaLayout(prefix);
    expect(await redis.hgetall(l.rateLimit(TENANT, KEY))).toEqual({ rpm: '100' });

    const r = await admit('req-1');
    expect(r.scopes).toEqual(['team-t1/m:2026-12']);
    await gate.settle(r, { microUsd: 60_000, tokens: 150 });
    expect(await redis.hgetall(l.live(TENANT, 'team-t1', 'm:2026-12'))).toEqual({ pusd: '60000', ptok: '150' });

    // The same spend twice (e.g. a gateway bug): counted once.
    writer.append(spend(r, 60_000));
    writer.append(spend(r, 60_000));
    await writer.drain();
    await p.caughtUp();
    expect(await redis.hgetall(l.spent(TENANT, 'team-t1', 'm:2026-12'))).toEqual({ usd: '60000', tok: '150' });
    expect(await redis.exists(l.live(TENANT, 'team-t1', 'm:2026-12'))).toBe(0); // nothing pending any more
    expect(await redis.exists(l.request(TENANT, 'req-1'))).toBe(0);
    // A late settle of a recorded request changes nothing.
    expect(await gate.settle(r, { microUsd: 60_000, tokens: 150 })).toBe('recorded');
    // 50 % crossed: one alert for the notifier.
    expect(await readQuotaAlerts(redis, prefix)).toEqual([
      expect.objectContaining({ tenant: TENANT, budgetId: 'team-t1', periodKey: 'm:2026-12', threshold: 50, spentMicroUsd: 60_000, limitMicroUsd: 100_000 }),
    ]);
    // The budget now admits only what is left (100,000 - 60,000).
    expect(await gate.admit({ requestId: 'big', tenant: TENANT, keyId: KEY, userId: 'u_1', teamId: 't_1', model: 'gpt-4o', estimate: { microUsd: 40_001, tokens: 1 }, now: NOW })).toMatchObject({ ok: false, used: 60_000 });
    expect((await admit('fits', 40_000)).scopes).toEqual(['team-t1/m:2026-12']);

    // Removing the budget unlists it: admissions no longer count against it.
    await decided(removeBudget({ budgetId: 'team-t1', at }, state));
    await p.caughtUp();
    const held = await admit('after-removal');
    expect(held).toMatchObject({ scopes: [], state: 'reserved' }); // the key's rate limit still holds it

    // Spend that no budget counts: the rate-limit hold goes, and no marker is left behind.
    await gate.settle(held, { microUsd: 1_000, tokens: 10 });
    expect(await redis.exists(l.request(TENANT, 'after-removal'))).toBe(1);
    writer.append(spend(held, 1_000));
    await writer.drain();
    await p.caughtUp();
    expect(await redis.exists(l.request(TENANT, 'after-removal'), l.done(TENANT, 'after-removal'))).toBe(0);
    expect(await redis.zscore(l.expiries(TENANT), 'after-removal')).toBeNull();
    expect(await redis.exists(l.done(TENANT, 'req-1'))).toBe(1); // a budgeted one keeps its marker
  });

  it('applies spend exactly once under redelivery of the whole stream', async () => {
    const p = await setup();
    await decided(setBudget({ budgetId: 'tenant', tenant: TENANT, scope: { kind: 'tenant' }, limit: { microUsd: 500_000 }, period: 'daily', thresholds: [10, 100], at }, state));
    // The budget must be in Redis before the first admission, or that request counts against nothing.
    await p.caughtUp();
    for (let i = 0; i < 5; i++) {
      const r = await admit(`r-${i}`);
      await gate.settle(r, { microUsd: 30_000, tokens: 150 });
      writer.append(spend(r, 30_000));
    }
    await writer.drain();
    await p.caughtUp();
    await p.stop();
    const l = hotQuotaLayout(prefix);
    const before = await snapshot(redis, prefix);
    expect(before[l.spent(TENANT, 'tenant', 'd:2026-12-04')]).toEqual({ usd: '150000', tok: '750' });

    // Lost acks: the consumer hands everything out again.
    await jsm.consumers.delete(stream.name, 'quota-hot');
    await jsm.consumers.add(stream.name, { durable_name: 'quota-hot', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: `${stream.subjectPrefix}.chain.>` });
    const again = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName: 'quota-hot' });
    running.push(again);
    await again.caughtUp();
    expect(await snapshot(redis, prefix)).toEqual(before);
    expect((await readQuotaAlerts(redis, prefix)).map((a) => a.threshold)).toEqual([10]);
  });

  it('rebuild after the prefix is flushed restores the same budgets, limits and spent from the stream', async () => {
    const p = await setup();
    await decided(setBudget({ budgetId: 'team-t1', tenant: TENANT, scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 2_000_000, tokens: 90_000 }, period: 'weekly', timeZone: 'America/New_York', at }, state));
    await decided(setBudget({ budgetId: 'user-u1', tenant: TENANT, scope: { kind: 'user', id: 'u_1' }, model: 'gpt-4o', limit: { tokens: 50_000 }, period: 'total', at }, state));
    await decided(setBudget({ budgetId: 'gone', tenant: TENANT, scope: { kind: 'key', id: KEY }, limit: { microUsd: 1 }, at }, state));
    await decided(removeBudget({ budgetId: 'gone', at }, state));
    await decided(setRateLimit({ keyId: KEY, tenant: TENANT, rpm: 60, tpm: 100_000, at }));
    await p.caughtUp();
    for (let i = 0; i < 8; i++) {
      const r = await admit(`rb-${i}`);
      await gate.settle(r, { microUsd: 40_000 + i, tokens: 150 });
      writer.append(spend(r, 40_000 + i));
    }
    await writer.drain();
    await p.caughtUp();
    const l = hotQuotaLayout(prefix);
    const projected = (s: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith(`${prefix}qw:`))); // rate windows are live gateway state
    const before = projected(await snapshot(redis, prefix));
    expect(before[l.spent(TENANT, 'team-t1', 'w:2026-W49')]).toEqual({ usd: String(8 * 40_000 + 28), tok: '1200' });
    expect(before[l.spent(TENANT, 'user-u1', 't')]).toEqual({ usd: String(8 * 40_000 + 28), tok: '1200' });

    // Redis loses everything under the prefix; the projection rebuilds from seq 1.
    await redis.del(...(await redis.keys(`${prefix}*`)));
    await p.rebuild();
    await p.caughtUp();
    const after = projected(await snapshot(redis, prefix));
    // The alerts stream is an outbox, not state: compare the rest.
    delete before[l.alerts];
    delete after[l.alerts];
    expect(after).toEqual(before);
  });
});
