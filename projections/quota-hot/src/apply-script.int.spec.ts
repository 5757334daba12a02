import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { encodeHotKeyRecord, hotIdentityLayout } from '@totra/identity';
import { hotQuotaLayout } from '@totra/quota';
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
});
