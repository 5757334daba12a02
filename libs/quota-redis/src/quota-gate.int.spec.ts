import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { hotQuotaLayout, type HotQuotaLayout } from '@totra/quota';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { QuotaGate, type Reservation } from './quota-gate.js';
import { UNTRACKED_SCRIPT } from './quota-scripts.js';
import { requestsOf, storeBudget } from './testdata/hot-budgets.js';

const TENANT = 'acme';
const KEY = `key_${'a'.repeat(32)}`;
const NOW = Date.parse('2026-12-04T10:00:30.000Z');

describe('QuotaGate (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let layout: HotQuotaLayout;

  beforeAll(async () => {
    redis = new Redis(await redisUrl(), { enableAutoPipelining: true });
  });
  afterAll(() => redis.disconnect());
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  const setup = (o: { reservationTtlMs?: number; subscriber?: Redis; heldWaitMs?: number; untrackedCacheMs?: number } = {}) => {
    prefix = redisKeyPrefix('qgate');
    layout = hotQuotaLayout(prefix);
    return new QuotaGate({ redis, keyPrefix: prefix, ...o });
  };
  const budget = (d: Parameters<typeof storeBudget>[3]) => storeBudget(redis, layout, TENANT, d);
  const req = requestsOf(TENANT, KEY, () => NOW);
  const live = async (ref: string) => {
    const [b, pk] = ref.split('/') as [string, string];
    return redis.hgetall(layout.live(TENANT, b, pk));
  };

  it('a request held only by reservations in flight waits for a settlement and is then admitted; one that cannot fit is refused at once', async () => {
    const subscriber = new Redis(await redisUrl());
    try {
      const gate = setup({ subscriber, heldWaitMs: 30_000 });
      const quick = new QuotaGate({ redis, subscriber, keyPrefix: prefix, heldWaitMs: 1 });
      await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 30_000 } });
      const a = await gate.admit(req({ estimate: { microUsd: 20_000, tokens: 1 } }));
      if (!a.ok) throw new Error('not admitted');

      // Fits once A settles (0 spent + 20,000 <= 30,000), not beside A's reservation: it waits.
      let settled = false;
      const b = gate.admit(req({ estimate: { microUsd: 20_000, tokens: 1 } })).then((r) => ({ r, settledBefore: settled }));
      await vi.waitFor(async () => expect(await redis.pubsub('NUMSUB', layout.released(TENANT))).toEqual([layout.released(TENANT), 1]));
      // Over even without reservations: refused at once, not held.
      const c = await gate.admit(req({ estimate: { microUsd: 30_001, tokens: 1 } }));
      expect(c).toMatchObject({ ok: false, reason: 'budget', held: false });
      // A gate that waits 1 ms gives up on a held request and says that it was held.
      expect(await quick.admit(req({ estimate: { microUsd: 20_000, tokens: 1 } }))).toMatchObject({ ok: false, reason: 'budget', held: true, used: 20_000 });

      settled = true;
      await gate.settle(a.reservation, { microUsd: 5_000, tokens: 1 });
      const { r, settledBefore } = await b;
      expect(settledBefore).toBe(true);
      expect(r.ok).toBe(true);
      const ref = a.reservation.scopes[0] as string;
      expect(await live(ref)).toMatchObject({ rusd: '20000', pusd: '5000' });
    } finally {
      subscriber.disconnect();
    }
  });

  it('600 concurrent admissions from 20 users against a team budget: at most the limit is reserved, no overshoot after settlement', async () => {
    const gate = setup();
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 1_000_000 } }); // 100 x 10,000
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) => gate.admit(req({ requestId: `c-${i}`, userId: `u_${i % 20}` }))),
    );
    const admitted = results.flatMap((r) => (r.ok ? [r.reservation] : []));
    const refused = results.filter((r) => !r.ok);
    expect(admitted).toHaveLength(100);
    expect(refused[0]).toMatchObject({ ok: false, reason: 'budget', scope: 'team:t_1', budgetId: 'team-t1', unit: 'microUsd', limit: 1_000_000, used: 1_000_000 });
    expect(refused[0]).not.toHaveProperty('retryAfterSeconds');
    const ref = admitted[0]?.scopes[0] as string;
    expect(ref).toBe('team-t1/m:2026-12');
    expect(await live(ref)).toMatchObject({ rusd: '1000000', rtok: '100000' });

    // Each used less than it reserved: reserved becomes pending of the actual amounts.
    const settled = await Promise.all(admitted.map((r, i) => gate.settle(r, { microUsd: 9_000 + (i % 2) * 1_000, tokens: 900 })));
    expect(new Set(settled)).toEqual(new Set(['settled']));
    const after = await live(ref);
    const pending = Number(after['pusd']);
    expect(after['rusd']).toBeUndefined(); // nothing reserved any more (a field back at zero goes)
    expect(pending).toBe(50 * 9_000 + 50 * 10_000);
    expect(pending).toBeLessThanOrEqual(1_000_000);
    // The room left is used again, and only as far as it goes.
    const more = await Promise.all(Array.from({ length: 20 }, () => gate.admit(req())));
    expect(more.filter((r) => r.ok)).toHaveLength(Math.floor((1_000_000 - pending) / 10_000));
  });

  it('is idempotent on the request id: the same request reserves once', async () => {
    const gate = setup();
    await budget({ budgetId: 'user-u1', scope: { kind: 'user', id: 'u_1' }, limit: { microUsd: 100_000, tokens: 50_000 } });
    const r = req({ requestId: 'same' });
    const [a, b] = await Promise.all([gate.admit(r), gate.admit(r)]);
    const again = await gate.admit(r);
    expect([a, b, again].every((x) => x.ok)).toBe(true);
    expect([a, b, again].map((x) => (x.ok ? x.reservation.replayed : undefined)).sort()).toEqual([false, true, true]);
    expect(await live('user-u1/m:2026-12')).toMatchObject({ rusd: '10000', rtok: '1000' });
    const first = (a.ok ? a.reservation : undefined) as Reservation;
    expect(await gate.settle(first, { microUsd: 7_000, tokens: 700 })).toBe('settled');
    expect(await gate.settle(first, { microUsd: 7_000, tokens: 700 })).toBe('already_settled');
    expect(await live('user-u1/m:2026-12')).toEqual({ pusd: '7000', ptok: '700' }); // nothing reserved any more
    expect(await gate.release(first)).toBe(false); // settled spend is not given back
  });

  it('refuses on tokens and on model-specific budgets only for that model; the first refusing scope is named', async () => {
    const gate = setup();
    await budget({ budgetId: 'key-tok', scope: { kind: 'key', id: KEY }, limit: { tokens: 1_500 }, period: 'daily' });
    await budget({ budgetId: 'tenant-claude', scope: { kind: 'tenant' }, model: 'claude', limit: { microUsd: 5_000 }, period: 'total' });
    const first = await gate.admit(req());
    expect(first.ok && first.reservation.scopes).toEqual(['key-tok/d:2026-12-04']);
    expect(await gate.admit(req())).toMatchObject({ ok: false, reason: 'budget', scope: `key:${KEY}`, unit: 'tokens', limit: 1_500, used: 1_000 });
    expect(await gate.admit(req({ model: 'claude', estimate: { microUsd: 6_000, tokens: 100 } }))).toMatchObject({ ok: false, scope: 'tenant', budgetId: 'tenant-claude' });
  });

  it('learns the period keys of a budget time zone it has not seen', async () => {
    const gate = setup();
    await budget({ budgetId: 'tokyo', scope: { kind: 'tenant' }, limit: { microUsd: 10 ** 9 }, period: 'daily', timeZone: 'Asia/Tokyo' });
    const r = await gate.admit(req({ now: Date.parse('2026-12-04T20:00:00Z') })); // already Dec 5 in Tokyo
    expect(r.ok && r.reservation.scopes).toEqual(['tokyo/d:2026-12-05']);
  });

  it('learns a new time zone for admissions sent together (one learns it, the other retries with it)', async () => {
    const gate = setup();
    await budget({ budgetId: 'tokyo', scope: { kind: 'tenant' }, limit: { microUsd: 10 ** 9 }, period: 'daily', timeZone: 'Asia/Tokyo' });
    const both = await Promise.all([gate.admit(req({ now: Date.parse('2026-12-04T20:00:00Z') })), gate.admit(req({ now: Date.parse('2026-12-04T20:00:00Z') }))]);
    expect(both.map((r) => r.ok && r.reservation.scopes)).toEqual([['tokyo/d:2026-12-05'], ['tokyo/d:2026-12-05']]);
  });

  it('admits the requests of a tenant sent together in one script call, each seeing the reservations before it; other tenants get their own', async () => {
    setup();
    // Its own connection, without auto-pipelining (which would route every call through pipeline()).
    const own = new Redis(await redisUrl());
    const gate = new QuotaGate({ redis: own, keyPrefix: prefix });
    await budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 55_000 } });
    const calls = vi.spyOn(own, 'pipeline');
    const single = vi.spyOn(own, 'evalsha');
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => gate.admit(req({ requestId: `t-${i}`, userId: `u_${i}` }))));
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, false, false, false]);
      expect(results[5]).toMatchObject({ ok: false, scope: 'team:t_1', used: 50_000, held: true }); // fits once those in flight settle
      expect(single).toHaveBeenCalledTimes(1); // eight admissions, one script call
      expect(calls).not.toHaveBeenCalled();
      expect(await live('team-t1/m:2026-12')).toEqual({ rusd: '50000', rtok: '5000' });
      const [mine, theirs] = await Promise.all([gate.admit(req()), gate.admit(req({ tenant: 'globex' }))]);
      expect(mine).toMatchObject({ ok: false, scope: 'team:t_1' });
      expect(theirs).toMatchObject({ ok: true, reservation: { state: 'untracked' } });
      expect(calls).toHaveBeenCalledTimes(1); // two tenants: two script calls in one pipeline
    } finally {
      calls.mockRestore();
      single.mockRestore();
      own.disconnect();
    }
  });

  it('gives back and settles requests that cost nothing in money (a token budget, an unpriced model)', async () => {
    const gate = setup();
    await budget({ budgetId: 'tok', scope: { kind: 'user', id: 'u_1' }, limit: { tokens: 10_000 } });
    const a = await gate.admit(req({ estimate: { microUsd: 0, tokens: 1_000 } }));
    const b = await gate.admit(req({ estimate: { microUsd: 0, tokens: 1_000 } }));
    if (!a.ok || !b.ok) throw new Error('both fit');
    expect(await gate.release(a.reservation)).toBe(true);
    expect(await gate.settle(b.reservation, { microUsd: 0, tokens: 400 })).toBe('settled');
    expect(await live('tok/m:2026-12')).toEqual({ ptok: '400' });
  });

  it('takes back the reservation of a crashed gateway once it expires, and a late settle still counts as pending', async () => {
    const gate = setup({ reservationTtlMs: 60_000 });
    await budget({ budgetId: 'team', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 15_000 } });
    const crashed = await gate.admit(req({ requestId: 'crashed' }));
    expect(crashed.ok).toBe(true);
    expect(await gate.admit(req({ now: NOW + 59_999 }))).toMatchObject({ ok: false, used: 10_000 });
    // The next admission after the TTL purges it and fits.
    const later = await gate.admit(req({ now: NOW + 60_000 }));
    expect(later.ok).toBe(true);
    expect(await redis.exists(layout.request(TENANT, 'crashed'))).toBe(0);
    expect(await redis.zscore(layout.expiries(TENANT), 'crashed')).toBeNull();
    expect(await live('team/m:2026-12')).toMatchObject({ rusd: '10000' });
    // The crashed request's gateway comes back and settles: its cost is still held as pending.
    if (crashed.ok) expect(await gate.settle(crashed.reservation, { microUsd: 4_000, tokens: 10 }, NOW + 61_000)).toBe('settled');
    expect(await live('team/m:2026-12')).toMatchObject({ rusd: '10000', pusd: '4000' });
    if (later.ok) expect(await gate.release(later.reservation)).toBe(true);
    expect(await live('team/m:2026-12')).toEqual({ pusd: '4000', ptok: '10' }); // nothing reserved any more
  });

  it('limits requests and tokens per minute per key with a sliding window, and says when to retry', async () => {
    const gate = setup();
    await redis.hset(layout.rateLimit(TENANT, KEY), 'rpm', '3');
    const start = Date.parse('2026-12-04T10:00:00.000Z');
    for (let i = 0; i < 3; i++) expect((await gate.admit(req({ now: start + 45_000 }))).ok).toBe(true);
    const refused = await gate.admit(req({ now: start + 45_000 }));
    // The window ends in 15 s; then the 3 count as the previous window, weighted by what is left of it.
    expect(refused).toMatchObject({ ok: false, reason: 'rate_limit', scope: `key:${KEY}`, unit: 'rpm', limit: 3, used: 3 });
    expect(refused.ok ? 0 : refused.retryAfterSeconds).toBe(15 + 20);
    expect((await gate.admit(req({ now: start + 60_000 + 19_000 }))).ok).toBe(false);
    expect((await gate.admit(req({ now: start + 60_000 + 20_001 }))).ok).toBe(true);

    await redis.hset(layout.rateLimit(TENANT, KEY), 'tpm', '500');
    expect(await gate.admit(req({ now: start + 600_000 }))).toMatchObject({ ok: false, unit: 'tpm', limit: 500 });
    const tooBig = await gate.admit(req({ now: start + 600_000 }));
    expect(tooBig.ok ? 1 : tooBig.retryAfterSeconds).toBeUndefined(); // 1,000 tokens never fit in 500 a minute
  });

  it('holds nothing when no budget or rate limit applies (untracked); holds the request when only a rate limit does', async () => {
    const gate = setup();
    const free = await gate.admit(req());
    expect(free).toMatchObject({ ok: true, reservation: { state: 'untracked', scopes: [] } });
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    if (!free.ok) throw new Error('unreachable');
    expect(await gate.settle(free.reservation, { microUsd: 5, tokens: 5 })).toBe('untracked');
    expect(await gate.release(free.reservation)).toBe(false);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);

    // A rate limit alone: the request is held, so that settlement can correct the token window.
    await redis.hset(layout.rateLimit(TENANT, KEY), 'tpm', '100000');
    const limited = await gate.admit(req());
    expect(limited).toMatchObject({ ok: true, reservation: { state: 'reserved', scopes: [] } });
    if (!limited.ok) throw new Error('unreachable');
    expect(await redis.exists(layout.request(TENANT, limited.reservation.requestId))).toBe(1);
    expect(await gate.settle(limited.reservation, { microUsd: 5, tokens: 5 })).toBe('settled');
  });

  describe('callers nothing limits', () => {
    let subscriber: Redis;
    beforeAll(async () => {
      subscriber = new Redis(await redisUrl());
    });
    afterAll(() => subscriber.disconnect());

    /** Once the gate listens to the limits channel (it subscribes when constructed). */
    const listening = async (gate: QuotaGate) => {
      await vi.waitFor(async () => expect(await redis.pubsub('NUMSUB', layout.limitsChanged)).toEqual([layout.limitsChanged, 1]));
      return gate;
    };
    /** Announces a change of the tenant's limits as the projection does, and waits until the gate's connection has it. */
    const announce = async (tenant = TENANT) => {
      await redis.publish(layout.limitsChanged, tenant);
      await subscriber.ping(); // answered after every message published before it
    };
    const budgetOfTeam = () => budget({ budgetId: 'team-t1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 5_000 } });

    it('are admitted again without asking Redis, until the projection announces a change of their tenant\'s limits', async () => {
      const gate = await listening(setup({ subscriber }));
      expect(await gate.admit(req())).toMatchObject({ ok: true, reservation: { state: 'untracked' } });
      // A budget stored without its announcement is not seen: the verdict is reused.
      await budgetOfTeam();
      expect(await gate.admit(req())).toMatchObject({ ok: true, reservation: { state: 'untracked', scopes: [] } });
      // It covers that caller and model only.
      expect(await gate.admit(req({ model: 'gpt-4o-mini' }))).toMatchObject({ ok: false, reason: 'budget', scope: 'team:t_1' });
      // Another tenant's announcement changes nothing here; this tenant's drops the verdict.
      await announce('globex');
      expect(await gate.admit(req())).toMatchObject({ ok: true, reservation: { state: 'untracked' } });
      await announce();
      expect(await gate.admit(req())).toMatchObject({ ok: false, reason: 'budget', scope: 'team:t_1', limit: 5_000 });
    });

    it('are asked again once untrackedCacheMs has passed, and every time without a subscriber or with 0', async () => {
      const briefly = await listening(setup({ subscriber, untrackedCacheMs: 20 }));
      const never = new QuotaGate({ redis, keyPrefix: prefix, subscriber, untrackedCacheMs: 0 });
      const deaf = new QuotaGate({ redis, keyPrefix: prefix });
      for (const gate of [briefly, never, deaf]) expect(await gate.admit(req())).toMatchObject({ ok: true, reservation: { state: 'untracked' } });
      await budgetOfTeam();
      for (const gate of [never, deaf]) expect(await gate.admit(req())).toMatchObject({ ok: false, reason: 'budget' });
      await vi.waitFor(async () => expect(await briefly.admit(req())).toMatchObject({ ok: false, reason: 'budget' }), { timeout: 2_000, interval: 5 });
    });

    it('are asked again in the background while in use: steady traffic never waits for Redis, and a limit stored unannounced still binds within untrackedCacheMs', async () => {
      const gate = await listening(setup({ subscriber, untrackedCacheMs: 100 }));
      expect(await gate.admit(req())).toMatchObject({ ok: true, reservation: { state: 'untracked' } });
      // Admitted from the kept verdict for several of its lifetimes: each check in its second
      // half keeps it, so no admission runs the script again.
      await vi.waitFor(
        async () => {
          expect(await gate.admit(req())).toMatchObject({ ok: true, reservation: { state: 'untracked' } });
          expect(gate.rechecks.kept).toBeGreaterThanOrEqual(4);
        },
        { timeout: 5_000, interval: 10 },
      );
      expect(gate.admissions.script).toBe(1);
      expect(gate.rechecks).toMatchObject({ dropped: 0, failed: 0 });
      // A budget stored without its announcement: the next check drops the verdict.
      await budgetOfTeam();
      await vi.waitFor(async () => expect(await gate.admit(req())).toMatchObject({ ok: false, reason: 'budget', scope: 'team:t_1' }), { timeout: 2_000, interval: 10 });
      expect(gate.rechecks.dropped).toBe(1);
    });

    it('are asked again with the admission script\'s own judgement of what limits a caller', async () => {
      const probe = async (over: Partial<ReturnType<typeof req>> = {}) => {
        const r = req(over);
        return redis.eval(UNTRACKED_SCRIPT, 1, layout.expiries(TENANT), layout.prefix, layout.tag(TENANT), r.model, r.keyId, r.userId, r.teamId);
      };
      const gate = setup();
      const agree = async (over: Partial<ReturnType<typeof req>>, untracked: boolean) => {
        const admitted = await gate.admit(req(over));
        expect(admitted.ok && admitted.reservation.state === 'untracked', JSON.stringify(over)).toBe(untracked);
        expect(await probe(over), JSON.stringify(over)).toBe(untracked ? 1 : 0);
      };
      await agree({}, true);
      // A budget of the team for another model, then of the user for this one.
      await budget({ budgetId: 'team-mini', scope: { kind: 'team', id: 't_1' }, model: 'gpt-4o-mini', limit: { microUsd: 5_000_000 } });
      await agree({}, true);
      await agree({ model: 'gpt-4o-mini' }, false);
      await budget({ budgetId: 'user-u2', scope: { kind: 'user', id: 'u_2' }, limit: { microUsd: 5_000_000 } });
      await agree({}, true);
      await agree({ userId: 'u_2' }, false);
      // A rate limit of the key.
      await redis.hset(layout.rateLimit(TENANT, KEY), 'tpm', '100000');
      await agree({}, false);
      await redis.del(layout.rateLimit(TENANT, KEY));
      await agree({}, true);
      // A budget of the whole tenant.
      await budget({ budgetId: 'tenant-all', scope: { kind: 'tenant' }, limit: { microUsd: 5_000_000 } });
      await agree({ keyId: `key_${'b'.repeat(32)}` }, false);
    });

    it('are forgotten when the subscriber connection drops (announcements may have been missed)', async () => {
      const own = new Redis(await redisUrl());
      try {
        const gate = setup({ subscriber: own });
        await vi.waitFor(async () => expect(await redis.pubsub('NUMSUB', layout.limitsChanged)).toEqual([layout.limitsChanged, 1]));
        expect(await gate.admit(req())).toMatchObject({ ok: true, reservation: { state: 'untracked' } });
        await budgetOfTeam();
        const closed = new Promise((resolve) => own.once('close', resolve));
        own.disconnect(true); // drops the connection; ioredis reconnects
        await closed;
        expect(await gate.admit(req())).toMatchObject({ ok: false, reason: 'budget' });
      } finally {
        own.disconnect();
      }
    });
  });
});
