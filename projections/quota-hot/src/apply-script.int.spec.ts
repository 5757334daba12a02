import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { encodeHotKeyRecord, hotIdentityLayout } from '@totra/identity';
import { hotBudgetOf, hotQuotaLayout } from '@totra/quota';
import { QuotaGate, readQuotaAlerts } from '@totra/quota-redis';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { APPLY_SCRIPT } from './apply-script.js';
import { type HotOp } from './quota-hot.projection.js';

describe('the apply script (real Redis)', () => {
  let redis: Redis;
  let sub: Redis;
  const prefix = redisKeyPrefix('qhot-lua');
  const l = hotIdentityLayout(prefix);
  const HASH = 'e'.repeat(64);
  const KEY = 'key_0193b5a07c3e7abc8def0123456789ab';

  beforeAll(async () => {
    redis = new Redis(await redisUrl());
    sub = redis.duplicate();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    sub.disconnect();
  });

  const run = async (groups: [string, HotOp[]][]) => Number(await redis.eval(APPLY_SCRIPT, 1, l.checkpoint, JSON.stringify(groups)));

  it('applies messages above the checkpoint only, atomically with it', async () => {
    const announced: string[] = [];
    const twoArrived = new Promise<void>((resolve) =>
      sub.on('message', (_ch: string, m: string) => {
        if (announced.push(m) === 2) resolve();
      }),
    );
    await sub.subscribe(l.revokedChannel);
    const fields = encodeHotKeyRecord({ keyId: KEY, prefix: 'tt-AbC12', userId: 'u', teamId: 't', tenant: 'acme', cidrs: [], revoked: false });
    const groups: [string, HotOp[]][] = [
      ['7', [['issue', l.key(HASH), l.keyId(KEY), HASH, ...fields]]],
      ['9', [['revoke', l.keyId(KEY), `${prefix}key:{`, '}', '2026-12-04T10:00:00.000Z', l.revokedChannel]]],
      ['12', []],
    ];
    expect(await run(groups)).toBe(3);
    expect(await redis.get(l.checkpoint)).toBe('12');
    expect(await redis.hgetall(l.key(HASH))).toMatchObject({ keyId: KEY, revoked: '1', revokedAt: '2026-12-04T10:00:00.000Z' });

    // The same messages again: nothing is applied or announced.
    expect(await run(groups)).toBe(0);
    // Partly new: only the part above the checkpoint.
    expect(await run([...groups, ['13', [['team', l.team('acme', 't'), '["10.0.0.0/8"]', l.teamPolicyChannel]]]])).toBe(1);
    expect(await redis.get(l.checkpoint)).toBe('13');
    // A marker published now arrives after whatever the script published.
    await redis.publish(l.revokedChannel, 'marker');
    await twoArrived;
    expect(announced).toEqual([HASH, 'marker']);
  });

  it('keeps the first issue of a key id', async () => {
    const fields = (userId: string) => encodeHotKeyRecord({ keyId: KEY, prefix: 'tt-AbC12', userId, teamId: 't', tenant: 'acme', cidrs: [], revoked: false });
    const other = 'f'.repeat(64);
    await run([['20', [['issue', l.key(other), l.keyId(KEY), other, ...fields('someone-else')]]]]);
    expect(await redis.exists(l.key(other))).toBe(0);
    expect(await redis.get(l.keyId(KEY))).toBe(HASH);
  });

  it('announces every change of a tenant\'s budgets or rate limits on the limits channel, with the tenant', async () => {
    const q = hotQuotaLayout(prefix);
    const listener = redis.duplicate();
    const heard: string[] = [];
    listener.on('message', (ch: string, m: string) => ch === q.limitsChanged && heard.push(m));
    await listener.subscribe(q.limitsChanged);
    try {
      const b = JSON.stringify({ id: 'b1', k: 'team', s: 't', u: 5, p: 'total', z: 'UTC', th: [], ix: q.scopeBudgets('acme', 'team', 't') });
      expect(
        await run([
          ['30', [['budget', q.budgets('acme'), 'b1', b, q.scopeBudgets('acme', 'team', 't'), q.limitsChanged, 'acme']]],
          ['31', [['ratelimit', q.rateLimit('globex', KEY), '60', '', q.limitsChanged, 'globex']]],
          ['32', [['unbudget', q.budgets('acme'), 'b1', q.limitsChanged, 'acme']]],
        ]),
      ).toBe(3);
      await listener.ping(); // after the messages published before it
      expect(heard).toEqual(['acme', 'globex', 'acme']);
      expect(await redis.hget(q.rateLimit('globex', KEY), 'rpm')).toBe('60');
      expect(await redis.hexists(q.budgets('acme'), 'b1')).toBe(0);
    } finally {
      listener.disconnect();
    }
  });
  it('applies the spend of many requests in one call: holds given back, spent summed, each threshold alerted at the request that crossed it', async () => {
    const q = hotQuotaLayout(prefix);
    const def = hotBudgetOf('acme', { budgetId: 'team-b', scope: { kind: 'team', id: 't' }, limit: { microUsd: 50_000 }, period: 'total', timeZone: 'UTC', thresholds: [50, 80, 100] }, q);
    expect(await run([['40', [['budget', q.budgets('acme'), 'team-b', JSON.stringify(def), def.ix, q.limitsChanged, 'acme']]]])).toBe(1);
    const gate = new QuotaGate({ redis, keyPrefix: prefix });
    const held = [];
    for (const id of ['s1', 's2', 's3']) {
      const a = await gate.admit({ requestId: id, tenant: 'acme', keyId: KEY, userId: 'u', teamId: 't', model: 'gpt-4o', estimate: { microUsd: 16_000, tokens: 100 }, now: Date.now() });
      if (!a.ok) throw new Error(`refused: ${JSON.stringify(a)}`);
      held.push(a.reservation);
    }
    // Two settled (pending), one still reserved when its spend is projected.
    await gate.settle(held[0]!, { microUsd: 20_000, tokens: 60 });
    await gate.settle(held[1]!, { microUsd: 25_000, tokens: 70 });
    expect(await redis.hgetall(q.live('acme', 'team-b', 't'))).toEqual({ rusd: '16000', rtok: '100', pusd: '45000', ptok: '130' });
    const spend = (id: string, usd: number, tok: number): HotOp => ['spend', prefix, q.tag('acme'), id, String(usd), String(tok), '["team-b/t"]', String(Date.now() + 600_000), q.alerts, 'acme', q.budgets('acme')];
    expect(await run([['41', [spend('s1', 20_000, 60)]], ['42', [spend('s2', 25_000, 70)]], ['43', [spend('s3', 5_000, 10)]], ['44', [spend('s1', 20_000, 60)]]])).toBe(4);
    expect(await redis.hgetall(q.spent('acme', 'team-b', 't'))).toEqual({ usd: '50000', tok: '140' }); // s1 counted once
    expect(await redis.exists(q.live('acme', 'team-b', 't'))).toBe(0); // nothing reserved or pending any more
    expect(await redis.zcard(q.expiries('acme'))).toBe(0);
    expect(await redis.exists(q.request('acme', 's1'), q.request('acme', 's2'), q.request('acme', 's3'))).toBe(0);
    const alerts = await readQuotaAlerts(redis, prefix);
    expect(alerts.map((a) => [a.threshold, a.spentMicroUsd])).toEqual([
      [50, 45_000],
      [80, 45_000],
      [100, 50_000],
    ]);
  });

  it('writes a spend marker that expires when the op says, and none for spend older than that (a rebuild)', async () => {
    const q = hotQuotaLayout(prefix);
    const op = (id: string, until: number): HotOp => ['spend', prefix, q.tag('acme'), id, '7', '1', '["old-b/t"]', String(until), q.alerts, 'acme', q.budgets('acme')];
    const until = Date.now() + 3_600_000;
    // The old one twice in one call (as a rebuild would meet a duplicate): counted once all the same.
    expect(await run([['45', [op('fresh', until)]], ['46', [op('old', Date.now() - 1_000)]], ['47', [op('old', Date.now() - 1_000)]]])).toBe(3);
    expect(await redis.hget(q.spent('acme', 'old-b', 't'), 'usd')).toBe('14'); // fresh and old, once each
    expect(await redis.exists(q.done('acme', 'old'))).toBe(0);
    const left = await redis.pttl(q.done('acme', 'fresh'));
    expect(left).toBeGreaterThan(3_500_000);
    expect(left).toBeLessThanOrEqual(3_600_000);
  });

  it('refuses a call with an op it does not know before changing anything', async () => {
    const q = hotQuotaLayout(prefix);
    const before = await redis.get(l.checkpoint);
    await expect(run([['50', [['ratelimit', q.rateLimit('acme', 'k-x'), '5', '', q.limitsChanged, 'acme']]], ['51', [['bogus'] as unknown as HotOp]]])).rejects.toThrow(/unknown op bogus/);
    expect(await redis.exists(q.rateLimit('acme', 'k-x'))).toBe(0);
    expect(await redis.get(l.checkpoint)).toBe(before);
  });
});
