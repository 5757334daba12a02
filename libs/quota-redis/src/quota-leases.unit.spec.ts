import { afterEach, describe, expect, it, vi } from 'vitest';
import { QuotaLeases, type LeaseItem } from './quota-leases.js';

const T = 'acme';
const CALLER = 'key\nuser\nteam\ngpt-4o';
const REF = 'team-t1/2026-12';
const PERIODS = '{"UTC":{}}';

/** A lease runner that answers each call as told, and remembers what it was asked. */
function fakeRedis() {
  const calls: { tenant: string; items: LeaseItem[]; answer: (replies: unknown[]) => void; fail: (err: Error) => void }[] = [];
  const run = (tenant: string, items: LeaseItem[]) =>
    new Promise<unknown[]>((answer, fail) => {
      calls.push({ tenant, items, answer, fail });
    });
  return { calls, run };
}
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('QuotaLeases', () => {
  let leases: QuotaLeases | undefined;
  let current: ReturnType<typeof fakeRedis> | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    const l = leases;
    leases = undefined;
    if (l) {
      const closing = l.close();
      for (const c of current?.calls ?? []) c.answer([['released']]);
      await closing;
    }
  });

  const start = (now: () => number, o = {}) => {
    const redis = fakeRedis();
    current = redis;
    leases = new QuotaLeases(redis.run, { ttlMs: 60_000, idleMs: 2_000, initialRequests: 4, ...o }, now);
    return redis;
  };

  it('asks for a new lease once a caller is known, admits on it after the grant, and grows it below half of what it wants', async () => {
    const now = 1_000;
    const redis = start(() => now);
    const l = leases as QuotaLeases;
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined(); // unknown caller
    l.learn(T, CALLER, PERIODS, [REF], 100, 10);
    expect(redis.calls).toHaveLength(1);
    expect(redis.calls[0]?.items).toEqual([{ ref: REF, op: 'open', addUsd: 400, addTok: 40, minUsd: 100, minTok: 10 }]);
    // Not before the grant is in.
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
    redis.calls[0]?.answer([['ok', '400', '-1', String(now + 60_000)]]);
    await flush();

    // Tokens are not limited by this budget: only micro-USD is counted.
    const a = l.admit(T, CALLER, PERIODS, 100, 10);
    expect(a).toBeDefined();
    expect(l.snapshot().get(`${T}\n${REF}`)).toMatchObject({ state: 'active', usd: 400, tok: -1, inUseUsd: 100 });
    // Other period keys (a new month): not on this lease.
    expect(l.admit(T, CALLER, '{"UTC":{"x":1}}', 100, 10)).toBeUndefined();
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeDefined();
    // 200 free of the 400 it wants: not below half yet. One more is.
    expect(redis.calls).toHaveLength(1);
    const c = l.admit(T, CALLER, PERIODS, 100, 10);
    expect(c).toBeDefined();
    expect(redis.calls).toHaveLength(2);
    expect(redis.calls[1]?.items[0]).toMatchObject({ op: 'grow', addUsd: 300 });
    // While that call is out, the last 100 still fit; the next does not and goes to the script.
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeDefined();
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
    redis.calls[1]?.answer([['ok', '300', '-1', '0']]);
    await flush();
    expect(l.snapshot().get(`${T}\n${REF}`)).toMatchObject({ usd: 700, inUseUsd: 400 });

    // A settlement at 60 of 100: 40 goes back at once, 60 stays in use until Redis confirms the debit.
    const d = l.debit(c as NonNullable<typeof c>, 60, 6);
    expect(d).toMatchObject({ usd: 60, tok: 6 });
    expect(l.snapshot().get(`${T}\n${REF}`)).toMatchObject({ usd: 700, inUseUsd: 360 });
    d.done();
    expect(l.snapshot().get(`${T}\n${REF}`)).toMatchObject({ usd: 640, inUseUsd: 300 });
    // A release gives the whole estimate back; a settlement above its estimate debits only the estimate.
    l.release(a as NonNullable<typeof a>);
    const over = l.debit(l.admit(T, CALLER, PERIODS, 100, 10) as NonNullable<ReturnType<QuotaLeases['admit']>>, 150, 15);
    expect(over.usd).toBe(100);
  });

  /** A process that knows the caller in each tenant and holds a lease of each, granted as `grant` says. */
  const granted = async (grant: string[], tenants: readonly string[] = [T], now: () => number = () => 0) => {
    const redis = start(now);
    const l = leases as QuotaLeases;
    for (const tenant of tenants) l.learn(tenant, CALLER, PERIODS, [REF], 100, 10);
    tenants.forEach((_, i) => redis.calls[i]?.answer([grant]));
    await flush();
    return { redis, l };
  };

  it('asks for room for twice what is in use when a request did not fit', async () => {
    const { redis, l } = await granted(['ok', '400', '40', '0']);
    expect(l.admit(T, CALLER, PERIODS, 500, 10)).toBeUndefined();
    expect(redis.calls[1]?.items[0]).toMatchObject({ op: 'grow', addUsd: 600, minUsd: 500 });
  });

  it('drains on `low`: no new admissions, and the lease is given back once its requests are settled', async () => {
    const { redis, l } = await granted(['ok', '200', '-1', '0']);
    const a = l.admit(T, CALLER, PERIODS, 100, 10);
    expect(redis.calls).toHaveLength(2); // 100 free of 400 wanted: grow
    redis.calls[1]?.answer([['low', '0', '-1', '0']]);
    await flush();
    expect(l.snapshot().get(`${T}\n${REF}`)?.state).toBe('draining');
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
    expect(redis.calls).toHaveLength(2); // draining, and no new lease while it cools down
    const d = l.debit(a as NonNullable<typeof a>, 100, 10);
    expect(redis.calls).toHaveLength(2); // the debit is not confirmed yet
    d.done();
    expect(redis.calls).toHaveLength(3);
    expect(redis.calls[2]?.items).toEqual([{ ref: REF, op: 'release', addUsd: 0, addTok: 0, minUsd: 0, minTok: 0 }]);
    expect(l.snapshot().size).toBe(0);
  });

  it('stops admitting a quarter of the TTL before the lease expires, renews it before that, and gives back an idle one', async () => {
    vi.useFakeTimers();
    let now = 0;
    const redis = start(() => now, { ttlMs: 8_000, idleMs: 1_000 });
    const l = leases as QuotaLeases;
    l.learn(T, CALLER, PERIODS, [REF], 100, 10);
    redis.calls[0]?.answer([['ok', '400', '-1', '8000']]);
    await vi.advanceTimersByTimeAsync(0);
    const a = l.admit(T, CALLER, PERIODS, 100, 10);
    expect(a).toBeDefined();
    // Valid until 6,000 (8,000 less a quarter); renewed on the first tick after 2,000 (half the TTL left).
    now = 2_100;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(redis.calls.at(-1)?.items[0]).toMatchObject({ op: 'grow' });
    const renewals = redis.calls.length;
    // No answer: at 6,000 it stops admitting.
    now = 6_000;
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
    redis.calls.at(-1)?.answer([['ok', '0', '-1', String(now + 8_000)]]);
    await vi.advanceTimersByTimeAsync(0);
    // Renewed (sent at 2,100): valid until 8,100.
    const b = l.admit(T, CALLER, PERIODS, 100, 10);
    expect(b).toBeDefined();
    expect(redis.calls.length).toBe(renewals);
    // Nothing in flight and nothing admitted for a second: given back on the next tick.
    l.release(a as NonNullable<typeof a>);
    l.release(b as NonNullable<typeof b>);
    // A request larger than its free room: the lease wants twice that, gets nothing more.
    expect(l.admit(T, CALLER, PERIODS, 900, 10)).toBeUndefined();
    expect(redis.calls.at(-1)?.items[0]).toMatchObject({ op: 'grow', addUsd: 1_400 });
    redis.calls.at(-1)?.answer([['ok', '0', '-1', '0']]);
    await vi.advanceTimersByTimeAsync(0);
    now = 7_200;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(redis.calls.at(-1)?.items[0]).toMatchObject({ op: 'release' });
    expect(l.snapshot().size).toBe(0);
    // The next lease of that budget period starts with what the idle one wanted, not from scratch.
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
    expect(redis.calls.at(-1)?.items[0]).toMatchObject({ op: 'open', addUsd: 1_800 });
  });

  it('gives every lease back on close, and a tenant change drains only that tenant', async () => {
    const { redis, l } = await granted(['ok', '400', '-1', '0'], [T, 'globex']);
    l.tenantChanged('globex');
    expect(redis.calls[2]).toMatchObject({ tenant: 'globex', items: [{ op: 'release' }] });
    expect(l.admit('globex', CALLER, PERIODS, 100, 10)).toBeUndefined();
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeDefined();
    const closing = l.close();
    expect(redis.calls[3]).toMatchObject({ tenant: T, items: [{ ref: REF, op: 'release' }] });
    redis.calls[3]?.answer([['released']]);
    await closing;
    leases = undefined;
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
  });

  it('does not wait for an unreachable Redis on close for more than two seconds', async () => {
    vi.useFakeTimers();
    const redis = start(() => 0);
    const l = leases as QuotaLeases;
    l.learn(T, CALLER, PERIODS, [REF], 100, 10);
    redis.calls[0]?.answer([['ok', '400', '-1', '0']]);
    await vi.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = l.close().then(() => (closed = true));
    leases = undefined;
    expect(redis.calls).toHaveLength(2); // the release, never answered
    await vi.advanceTimersByTimeAsync(1_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(closed).toBe(true);
  });

  it('gives a pressed tenant\'s leases back and leases it again only after a cooldown, or when its limits change', async () => {
    let now = 0;
    const { redis, l } = await granted(['ok', '400', '-1', '0'], [T, 'globex'], () => now);
    const tag = (t: string) => `{${t}}`;
    l.pressure(tag, '{acme}');
    expect(redis.calls[2]).toMatchObject({ tenant: T, items: [{ op: 'release' }] });
    expect(l.admit('globex', CALLER, PERIODS, 100, 10)).toBeDefined();
    // No new lease for acme while it cools down, then one again.
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
    expect(redis.calls).toHaveLength(3);
    now = 2_000;
    expect(l.admit(T, CALLER, PERIODS, 100, 10)).toBeUndefined();
    expect(redis.calls[3]?.items[0]).toMatchObject({ op: 'open' });
    redis.calls[3]?.answer([['low', '0', '-1', '0']]);
    await flush();
    // Told `low`: cooling down again, until the tenant's limits change (its budget was raised).
    l.learn(T, CALLER, PERIODS, [REF], 100, 10);
    expect(redis.calls).toHaveLength(4);
    l.tenantChanged(T);
    l.learn(T, CALLER, PERIODS, [REF], 100, 10);
    expect(redis.calls[4]?.items[0]).toMatchObject({ op: 'open' });
  });
});
