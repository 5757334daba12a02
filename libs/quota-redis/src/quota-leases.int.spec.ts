import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { hotQuotaLayout, type HotQuotaLayout } from '@totra/quota';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { QuotaGate, type AdmitRequest, type Reservation } from './quota-gate.js';
import { requestsOf, storeBudget } from './testdata/hot-budgets.js';
import { type LeaseOptions } from './quota-leases.js';

const TENANT = 'acme';
const KEY = `key_${'b'.repeat(32)}`;

describe('QuotaGate budget leases (real Redis)', () => {
  let redis: Redis;
  let subscriber: Redis;
  let prefix: string;
  let layout: HotQuotaLayout;
  const gates: QuotaGate[] = [];

  beforeAll(async () => {
    redis = new Redis(await redisUrl());
    subscriber = new Redis(await redisUrl());
  });
  afterAll(() => {
    redis.disconnect();
    subscriber.disconnect();
  });
  afterEach(async () => {
    await Promise.all(gates.splice(0).map((g) => g.close()));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  /** A gate with leases, once it listens to limit changes (leases are used only then). */
  const gate = async (leases: LeaseOptions = {}, o: { heldWaitMs?: number; redisConn?: Redis } = {}) => {
    const g = new QuotaGate({ redis: o.redisConn ?? redis, subscriber, keyPrefix: prefix, leases, untrackedCacheMs: 0, ...(o.heldWaitMs !== undefined ? { heldWaitMs: o.heldWaitMs } : {}) });
    gates.push(g);
    await vi.waitFor(async () => expect(await redis.pubsub('NUMSUB', layout.limitsChanged)).toEqual([layout.limitsChanged, 1]));
    return g;
  };
  const fresh = () => {
    prefix = redisKeyPrefix('qlease');
    layout = hotQuotaLayout(prefix);
  };
  const budget = (d: Parameters<typeof storeBudget>[3]) => storeBudget(redis, layout, TENANT, d);
  const req = requestsOf(TENANT, KEY, () => Date.now(), { microUsd: 1_000, tokens: 100 });
  const admitted = async (g: QuotaGate, r: AdmitRequest = req()): Promise<Reservation> => {
    const a = await g.admit(r);
    if (!a.ok) throw new Error(`refused: ${JSON.stringify(a)}`);
    return a.reservation;
  };
  const live = (ref: string) => {
    const [b, pk] = ref.split('/') as [string, string];
    return redis.hgetall(layout.live(TENANT, b, pk));
  };
  const leaseRecords = async () => (await redis.keys(`${prefix}qr:*~L:*`)).sort();
  /** Admits until a request is leased (the first ones go through the script while the lease is granted). */
  const untilLeased = async (g: QuotaGate): Promise<Reservation> => {
    let r: Reservation | undefined;
    await vi.waitFor(
      async () => {
        const x = await admitted(g);
        if (x.state !== 'leased') {
          await g.settle(x, { microUsd: 0, tokens: 0 });
          throw new Error(`not leased yet: ${x.state}`);
        }
        r = x;
      },
      { timeout: 5_000, interval: 5 },
    );
    return r as Reservation;
  };

  it('admits a known caller on its lease without writing a request record; the settlement moves what it cost from the lease to pending', async () => {
    fresh();
    const g = await gate();
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 10_000_000 } });
    const first = await admitted(g);
    expect(first.state).toBe('reserved');
    const ref = first.scopes[0] as string;
    await g.settle(first, { microUsd: 400, tokens: 40 });

    const r = await untilLeased(g);
    expect(r.scopes).toEqual([ref]);
    expect(await redis.exists(layout.request(TENANT, r.requestId))).toBe(0);
    const [record] = await leaseRecords();
    expect(record).toBeDefined();
    const lease = await redis.hgetall(record as string);
    // 32 requests' worth asked for, well within a quarter of the free room; tokens are not limited, so not leased.
    expect(lease).toMatchObject({ s: 'r', sc: JSON.stringify([ref]), usd: '32000', tok: '0' });
    const before = await live(ref);
    expect(Number(before.rusd)).toBe(32_000);

    expect(await g.settle(r, { microUsd: 700, tokens: 70 })).toBe('settled');
    expect(await redis.hgetall(layout.request(TENANT, r.requestId))).toMatchObject({ s: 's', usd: '700', tok: '70' });
    expect(await redis.hget(record as string, 'usd')).toBe(String(32_000 - 700));
    const after = await live(ref);
    expect(Number(after.rusd)).toBe(32_000 - 700);
    expect(Number(after.pusd) - Number(before.pusd ?? 0)).toBe(700);

    // Released (never charged): the estimate goes back to the lease, nothing is written.
    const unused = await admitted(g);
    expect(unused.state).toBe('leased');
    expect(await g.release(unused)).toBe(true);
    const snap = [...g.leaseSnapshot().values()][0];
    expect(snap).toMatchObject({ state: 'active', inUseUsd: 0, usd: 32_000 - 700 });
  });

  it('never lets two gates with leases together admit more than the budget, and hands the end of it to the exact per-request check', async () => {
    fresh();
    const opts: LeaseOptions = { idleMs: 50, initialRequests: 8 };
    const a = await gate(opts, { heldWaitMs: 5_000 });
    const b = await gate(opts, { heldWaitMs: 5_000 });
    const LIMIT = 200_000;
    const EST = 1_000;
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: LIMIT } });
    let admittedCount = 0;
    let leasedCount = 0;
    // Eight clients per gate, each admitting and settling at its estimate until a hard refusal.
    const client = async (g: QuotaGate) => {
      for (;;) {
        const a = await g.admit(req({ estimate: { microUsd: EST, tokens: 10 } }));
        if (!a.ok) {
          expect(a).toMatchObject({ reason: 'budget', held: false });
          return;
        }
        admittedCount++;
        if (a.reservation.state === 'leased') leasedCount++;
        await new Promise((resolve) => setImmediate(resolve));
        expect(await g.settle(a.reservation, { microUsd: EST, tokens: 10 })).toBe('settled');
      }
    };
    await Promise.all([...Array.from({ length: 8 }, () => client(a)), ...Array.from({ length: 8 }, () => client(b))]);
    // Every request cost its estimate: exactly the budget's worth was admitted, no more.
    expect(admittedCount).toBe(LIMIT / EST);
    expect(leasedCount).toBeGreaterThan(LIMIT / EST / 2);
    // Nearly used up, the leases stopped and were given back.
    await vi.waitFor(async () => expect(await leaseRecords()).toEqual([]), { timeout: 5_000, interval: 10 });
    const keys = await redis.keys(`${prefix}ql:*`);
    expect(keys).toHaveLength(1);
    const l = await redis.hgetall(keys[0] as string);
    expect(l).toEqual({ pusd: String(LIMIT), ptok: String((LIMIT / EST) * 10) });
  });

  it('stops leasing a tenant when its limits change, and gives the leases back', async () => {
    fresh();
    const g = await gate();
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 10_000_000 } });
    await admitted(g);
    const r = await untilLeased(g);
    expect(await leaseRecords()).toHaveLength(1);
    // A change is announced while a request is in flight: no more leased admissions.
    await redis.publish(layout.limitsChanged, TENANT);
    await subscriber.ping();
    expect((await admitted(g)).state).toBe('reserved');
    expect(await leaseRecords()).toHaveLength(1); // the request in flight still holds it
    await g.settle(r, { microUsd: 10, tokens: 1 });
    await vi.waitFor(async () => expect(await leaseRecords()).toEqual([]), { timeout: 2_000, interval: 5 });
  });

  it('does not lease for a caller a rate limit counts, nor without a subscriber', async () => {
    fresh();
    const g = await gate();
    const deaf = new QuotaGate({ redis, keyPrefix: prefix, leases: true });
    gates.push(deaf);
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 10_000_000 } });
    await redis.hset(layout.rateLimit(TENANT, KEY), 'rpm', '100000');
    for (let i = 0; i < 20; i++) {
      expect((await admitted(g)).state).toBe('reserved');
      expect((await admitted(deaf, req({ keyId: 'key_other' }))).state).toBe('reserved');
    }
    expect(await leaseRecords()).toEqual([]);
  });

  it('gives its leases back on close, and a lease not given back (a crashed gateway) is purged after its TTL', async () => {
    fresh();
    const g = await gate();
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 10_000_000 } });
    const first = await admitted(g);
    const ref = first.scopes[0] as string;
    await g.settle(first, { microUsd: 0, tokens: 0 });
    await g.settle(await untilLeased(g), { microUsd: 0, tokens: 0 });
    await g.close();
    expect(await leaseRecords()).toEqual([]);
    expect((await live(ref)).rusd).toBeUndefined();

    // A gate that stops without closing: its lease holds until the TTL, then any admission purges it.
    const crashed = await gate({ ttlMs: 1_000 });
    const other = await gate();
    const x = await admitted(crashed);
    await crashed.settle(x, { microUsd: 0, tokens: 0 });
    await crashed.settle(await untilLeased(crashed), { microUsd: 0, tokens: 0 });
    expect(await leaseRecords()).toHaveLength(1);
    expect(Number((await live(ref)).rusd)).toBeGreaterThan(0);
    await admitted(other, req({ userId: 'u_2', now: Date.now() + 60_000 }));
    expect(await leaseRecords()).toEqual([]);
  });

  it('does not give a leased request\'s cost back for reuse when its settlement fails', async () => {
    fresh();
    const conn = new Redis(await redisUrl());
    try {
      const g = await gate({}, { redisConn: conn });
      await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 10_000_000 } });
      await g.settle(await admitted(g), { microUsd: 0, tokens: 0 });
      const r = await untilLeased(g);
      const before = [...g.leaseSnapshot().values()][0];
      expect(before).toMatchObject({ state: 'active', inUseUsd: 1_000 });
      conn.disconnect(); // Redis unreachable for this gate's scripts
      await expect(g.settle(r, { microUsd: 700, tokens: 70 })).rejects.toThrow();
      // The estimate left the lease; what it cost is gone from the room the lease admits from.
      expect([...g.leaseSnapshot().values()][0]).toMatchObject({ inUseUsd: 0, usd: (before?.usd ?? 0) - 700 });
      // In Redis the lease still holds it (nothing was debited): counted on the safe side.
      const [record] = await leaseRecords();
      expect(Number(await redis.hget(record as string, 'usd'))).toBe(before?.usd);
    } finally {
      conn.disconnect();
    }
  });

  it('gives an idle lease back at once when another gateway\'s admission is held by the room it holds', async () => {
    fresh();
    // A lease may take the whole free room here, so that it is what holds the budget.
    const holder = await gate({ share: 1 });
    const other = new QuotaGate({ redis, subscriber, keyPrefix: prefix, heldWaitMs: 10_000, untrackedCacheMs: 0 });
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 40_000 } });
    await holder.settle(await admitted(holder), { microUsd: 0, tokens: 0 });
    await holder.settle(await untilLeased(holder), { microUsd: 0, tokens: 0 });
    expect(await leaseRecords()).toHaveLength(1);
    // 10,000 fits the budget (nothing is spent) but not beside the lease's 32,000: held, and the
    // holder, told so, gives its lease back instead of keeping it until it has been idle long enough.
    const started = Date.now();
    const r = await admitted(other, req({ userId: 'u_2', estimate: { microUsd: 10_000, tokens: 1 } }));
    expect(r.state).toBe('reserved');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await leaseRecords()).toEqual([]);
  });
});
