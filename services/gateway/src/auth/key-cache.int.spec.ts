import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { encodeHotKeyRecord, hashApiKey, hotIdentityLayout, type HotKeyRecord } from '@totra/identity';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { KeyResolver, LOOKUP_NEEDED, type Eviction, type KeyResolverOptions } from './key-cache.js';

// Redis is written here the way the quota-hot projection writes it (the layout and record
// encoding of @totra/identity); tests/api-keys.int.spec.ts runs the real projection.

const KEY = `tt-${'k'.repeat(40)}`;
const OTHER = `tt-${'o'.repeat(40)}`;
const record = (over: Partial<HotKeyRecord> = {}): HotKeyRecord => ({
  keyId: 'key_0193b5a07c3e7abc8def0123456789ab',
  prefix: KEY.slice(0, 8),
  userId: 'u_1',
  teamId: 't_1',
  tenant: 'acme',
  cidrs: ['10.0.0.0/8'],
  revoked: false,
  ...over,
});

describe('KeyResolver (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let l: ReturnType<typeof hotIdentityLayout>;
  const resolvers: KeyResolver[] = [];
  let clock = 0;

  beforeAll(async () => {
    redis = new Redis(await redisUrl());
  });
  afterAll(() => {
    redis.disconnect();
  });
  afterEach(async () => {
    for (const r of resolvers.splice(0)) await r.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });

  const start = async (o: Partial<KeyResolverOptions> = {}) => {
    prefix = redisKeyPrefix('keycache');
    l = hotIdentityLayout(prefix);
    clock = 1_000_000;
    const r = new KeyResolver({ redis, keyPrefix: prefix, now: () => clock, ...o });
    resolvers.push(r);
    await r.start();
    return r;
  };
  const put = (key: string, r: HotKeyRecord) => redis.hset(l.key(hashApiKey(key)), ...encodeHotKeyRecord(r));
  const nextEviction = (r: KeyResolver, match: (e: Eviction) => boolean) =>
    new Promise<Eviction>((resolve) => {
      const off = r.onEvicted((e) => {
        if (!match(e)) return;
        off();
        resolve(e);
      });
    });

  it('resolves a key to its identity with the team allowlist, then serves it from memory', async () => {
    const r = await start();
    await put(KEY, record({ expiresAt: '2099-01-01T00:00:00.000Z' }));
    await redis.hset(l.team('acme', 't_1'), 'cidrs', '["10.1.0.0/16"]');
    const expected = { keyId: record().keyId, prefix: 'tt-kkkkk', userId: 'u_1', teamId: 't_1', tenant: 'acme', cidrs: ['10.0.0.0/8'], teamCidrs: ['10.1.0.0/16'], expiresAt: '2099-01-01T00:00:00.000Z', revoked: false };
    const first = await r.resolve(KEY);
    expect(first).toEqual(expected);
    expect(Object.isFrozen(first) && Object.isFrozen(first?.cidrs)).toBe(true);
    // Changed behind its back (no announcement): memory still answers until the TTL...
    await put(KEY, record({ userId: 'u_changed' }));
    expect(await r.resolve(KEY)).toEqual(expected);
    expect(r.stats()).toMatchObject({ hits: 1, misses: 1, size: 1, subscribed: true });
    // ...after which Redis is read again.
    clock += 30_001;
    expect((await r.resolve(KEY))?.userId).toBe('u_changed');
  });

  it('does not know unknown or malformed keys, remembering "unknown" only briefly', async () => {
    const r = await start();
    expect(await r.resolve(KEY)).toBeUndefined();
    await put(KEY, record());
    expect(await r.resolve(KEY)).toBeUndefined(); // the negative entry
    expect(r.stats().unknownHits).toBe(1);
    clock += 2_001;
    expect((await r.resolve(KEY))?.keyId).toBe(record().keyId);

    const misses = r.stats().misses;
    for (const bad of ['', 'sk-abc', `tt-${'k'.repeat(39)}`, `${KEY} `, `Bearer ${KEY}`]) expect(await r.resolve(bad)).toBeUndefined();
    expect(r.stats().misses).toBe(misses); // never looked up
  });

  it('answers from memory alone with peek: the identity once resolved, never a key memory does not hold', async () => {
    const r = await start();
    await put(KEY, record());
    expect(r.peek(KEY)).toBe(LOOKUP_NEEDED);
    expect(r.peek('sk-not-ours')).toBeUndefined(); // malformed: no lookup could find it
    const resolved = await r.resolve(KEY);
    expect(r.peek(KEY)).toBe(resolved);
    expect(r.peek(OTHER)).toBe(LOOKUP_NEEDED);
    expect(await r.resolve(OTHER)).toBeUndefined();
    expect(r.peek(OTHER)).toBeUndefined(); // the negative entry, while it lasts
    clock += 2_001;
    expect(r.peek(OTHER)).toBe(LOOKUP_NEEDED);

    // A revocation drops the key from memory: peek sends the caller back to Redis.
    const evicted = nextEviction(r, (e) => e.reason === 'revoked');
    await redis.hset(l.key(hashApiKey(KEY)), 'revoked', '1');
    await redis.publish(l.revokedChannel, hashApiKey(KEY));
    await evicted;
    expect(r.peek(KEY)).toBe(LOOKUP_NEEDED);
    expect((await r.resolve(KEY))?.revoked).toBe(true);
  });

  it('looks a key up once for concurrent requests', async () => {
    const r = await start();
    await put(KEY, record());
    const all = await Promise.all(Array.from({ length: 20 }, () => r.resolve(KEY)));
    expect(new Set(all).size).toBe(1);
    expect(r.stats().misses).toBe(1);
  });

  it('drops a revoked key from memory as soon as the revocation is announced', async () => {
    const r = await start();
    await put(KEY, record());
    await put(OTHER, record({ keyId: 'key_0193b5a07c3e7abc8def0123456789ac' }));
    expect((await r.resolve(KEY))?.revoked).toBe(false);
    expect((await r.resolve(OTHER))?.revoked).toBe(false);

    const evicted = nextEviction(r, (e) => e.reason === 'revoked');
    const t0 = performance.now();
    await redis.hset(l.key(hashApiKey(KEY)), 'revoked', '1');
    await redis.publish(l.revokedChannel, hashApiKey(KEY));
    expect(await evicted).toEqual({ reason: 'revoked', keyHash: hashApiKey(KEY), dropped: 1 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect((await r.resolve(KEY))?.revoked).toBe(true);
    expect(r.stats().size).toBe(2); // the other key stayed, the revoked one is cached as revoked
  });

  it("drops a team's keys when its allowlist changes", async () => {
    const r = await start();
    await put(KEY, record());
    await put(OTHER, record({ keyId: 'key_0193b5a07c3e7abc8def0123456789ac', teamId: 't_2' }));
    await r.resolve(KEY);
    await r.resolve(OTHER);
    const evicted = nextEviction(r, (e) => e.reason === 'team-policy');
    await redis.hset(l.team('acme', 't_1'), 'cidrs', '["192.0.2.0/24"]');
    await redis.publish(l.teamPolicyChannel, l.team('acme', 't_1'));
    expect(await evicted).toEqual({ reason: 'team-policy', teamKey: l.team('acme', 't_1'), dropped: 1 });
    expect((await r.resolve(KEY))?.teamCidrs).toEqual(['192.0.2.0/24']);
    expect((await r.resolve(OTHER))?.teamCidrs).toEqual([]);
  });

  it('forgets everything and reads Redis when its subscription drops, and listens again after', async () => {
    const sub = redis.duplicate();
    const subId = Number(await sub.client('ID'));
    const r = await start({ subscriber: sub });
    try {
      await put(KEY, record());
      await r.resolve(KEY);
      const lost = nextEviction(r, (e) => e.reason === 'reconnected');
      await redis.client('KILL', 'ID', String(subId));
      expect(await lost).toEqual({ reason: 'reconnected', dropped: 1 });
      expect(r.peek(KEY)).toBe(LOOKUP_NEEDED);
      // ioredis reconnects by itself; revocations are heard again once it has re-subscribed.
      await expect.poll(() => r.stats().subscribed).toBe(true);
      await r.resolve(KEY);
      const evicted = nextEviction(r, (e) => e.reason === 'revoked');
      await redis.publish(l.revokedChannel, hashApiKey(KEY));
      expect(await evicted).toMatchObject({ keyHash: hashApiKey(KEY), dropped: 1 });
    } finally {
      sub.disconnect();
    }
  });

  it('fails loudly when Redis holds a malformed record', async () => {
    const r = await start();
    await redis.hset(l.key(hashApiKey(KEY)), 'keyId', 'x', 'revoked', 'maybe');
    await expect(r.resolve(KEY)).rejects.toThrow();
  });
});
