import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import {
  foldApiKeys,
  hashApiKey,
  hotIdentityLayout,
  issueApiKey,
  mintApiKey,
  revokeApiKey,
  setTeamNetworkPolicy,
  type ApiKeysState,
  type FoldableEvent,
} from '@totra/identity';
import { natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { startQuotaHotProjection, type QuotaHotProjection } from './quota-hot.runner.js';

const at = () => new Date();

/** Every key under the prefix with its value, for comparing whole states. */
async function snapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    for (const k of keys) {
      const type = await redis.type(k);
      out[k] = type === 'hash' ? await redis.hgetall(k) : await redis.get(k);
    }
    cursor = next;
  } while (cursor !== '0');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Collects the messages of a Redis channel; `next(n)` resolves once n have arrived. */
async function listen(redis: Redis, channel: string) {
  const sub = redis.duplicate();
  const got: string[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  sub.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    got.push(message);
    if (waiter && got.length >= waiter.n) waiter.resolve();
  });
  await sub.subscribe(channel);
  return {
    got,
    next: (n: number) =>
      got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve })),
    close: () => sub.quit(),
  };
}

describe('quota-hot projection (real NATS and Redis)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let redis: Redis;
  let stream: StreamOptions;
  let prefix: string;
  let spoolDir: string;
  let writer: ChainWriter;
  let state: ApiKeysState;
  const running: QuotaHotProjection[] = [];

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'quota-hot-int' });
    jsm = await jetstreamManager(nc);
    redis = new Redis(await redisUrl());
  });
  afterAll(async () => {
    await nc.close();
    redis.disconnect();
  });

  const setup = async () => {
    stream = { name: uniqueStreamName('QHOT'), subjectPrefix: uniquePrefix('qhot') };
    prefix = redisKeyPrefix('qhot');
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-qhot-'));
    await ensureStream(jsm, stream);
    writer = await ChainWriter.open({ nc, stream, role: 'admin', spoolDir });
    state = foldApiKeys([]);
  };
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await writer.close();
    await jsm.streams.delete(stream.name).catch(() => undefined);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const start = async (consumerName = 'quota-hot') => {
    const p = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName });
    running.push(p);
    return p;
  };
  const append = async (events: FoldableEvent[]) => {
    for (const e of events) writer.append(e);
    state = foldApiKeys(events, state);
    await writer.drain();
  };
  const issue = async (over: { cidrs?: string[]; expiresAt?: Date; team?: string } = {}) => {
    const minted = mintApiKey(at(), (n) => randomBytes(n));
    await append(issueApiKey({ ...minted, user: 'u_1', team: over.team ?? 't_1', tenant: 'acme', at: at(), ...over }, state));
    return minted;
  };

  it('applies a backlog in script calls of at most maxOpsPerCall changes, cut between messages', async () => {
    await setup();
    const minted = [];
    for (let i = 0; i < 6; i++) minted.push(await issue()); // one message each, two changes each
    const calls = vi.spyOn(redis, 'evalsha');
    try {
      const p = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName: 'quota-hot', maxOpsPerCall: 4 });
      running.push(p);
      await p.caughtUp();
      const l = hotIdentityLayout(prefix);
      for (const m of minted) expect(await redis.hget(l.key(m.keyHash), 'keyId')).toBe(m.keyId);
      expect(Number(await redis.get(l.checkpoint))).toBe((await jsm.streams.info(stream.name)).state.last_seq);
      const changesPerCall = calls.mock.calls
        .filter((c) => c[2] === l.checkpoint)
        .map((c) => (JSON.parse(String(c[3])) as [string, unknown[]][]).reduce((n, g) => n + g[1].length, 0));
      expect(changesPerCall.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
      expect(changesPerCall.length).toBeGreaterThanOrEqual(3);
      for (const n of changesPerCall) expect(n).toBeLessThanOrEqual(4);
    } finally {
      calls.mockRestore();
    }
  });

  it('puts an issued key into Redis under its hash, with identity fields and no secret', async () => {
    await setup();
    const expiresAt = new Date(Date.now() + 86_400_000);
    const minted = await issue({ cidrs: ['10.0.0.0/8'], expiresAt });
    const p = await start();
    await p.caughtUp();
    const l = hotIdentityLayout(prefix);
    expect(await redis.hgetall(l.key(hashApiKey(minted.key)))).toEqual({
      keyId: minted.keyId,
      prefix: minted.prefix,
      userId: 'u_1',
      teamId: 't_1',
      tenant: 'acme',
      cidrs: '["10.0.0.0/8"]',
      expiresAt: expiresAt.toISOString(),
      revoked: '0',
    });
    expect(await redis.get(l.keyId(minted.keyId))).toBe(minted.keyHash);
    expect(Number(await redis.get(l.checkpoint))).toBe((await jsm.streams.info(stream.name)).state.last_seq);
    expect(JSON.stringify(await snapshot(redis, prefix))).not.toContain(minted.key);

    // A key issued while it runs arrives too.
    const second = await issue();
    await p.caughtUp();
    expect(await redis.hget(l.key(second.keyHash), 'keyId')).toBe(second.keyId);
  });

  it('marks a revoked key and announces its hash; sets team allowlists and announces them', async () => {
    await setup();
    const l = hotIdentityLayout(prefix);
    const revoked = await listen(redis, l.revokedChannel);
    const teams = await listen(redis, l.teamPolicyChannel);
    try {
      const minted = await issue();
      const p = await start();
      await p.caughtUp();
      await append(revokeApiKey({ keyId: minted.keyId, reason: 'leaked', at: at() }, state));
      await append(setTeamNetworkPolicy({ team: 't_1', tenant: 'acme', cidrs: ['192.0.2.0/24'], at: at() }));
      await Promise.all([revoked.next(1), teams.next(1), p.caughtUp()]);
      expect(revoked.got).toEqual([minted.keyHash]);
      expect(teams.got).toEqual([l.team('acme', 't_1')]);
      expect(await redis.hget(l.key(minted.keyHash), 'revoked')).toBe('1');
      expect(await redis.hget(l.team('acme', 't_1'), 'cidrs')).toBe('["192.0.2.0/24"]');
    } finally {
      await Promise.all([revoked.close(), teams.close()]);
    }
  });

  it('applies a redelivered message once: state, checkpoint and announcements do not change', async () => {
    await setup();
    const l = hotIdentityLayout(prefix);
    const revoked = await listen(redis, l.revokedChannel);
    try {
      const a = await issue();
      await issue();
      await append(revokeApiKey({ keyId: a.keyId, at: at() }, state));
      const p = await start();
      await p.caughtUp();
      await revoked.next(1);
      await p.stop();
      const before = await snapshot(redis, prefix);

      // Lost acks (a crash between the Redis write and the ack): the consumer hands out
      // everything again from seq 1.
      await jsm.consumers.delete(stream.name, 'quota-hot');
      await jsm.consumers.add(stream.name, {
        durable_name: 'quota-hot',
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `${stream.subjectPrefix}.chain.>`,
      });
      const again = await start();
      await again.caughtUp();
      const lastSeq = (await jsm.streams.info(stream.name)).state.last_seq;
      // Everything was delivered a second time...
      expect((await jsm.consumers.info(stream.name, 'quota-hot')).delivered.stream_seq).toBe(lastSeq);
      // ...and changed nothing.
      expect(await snapshot(redis, prefix)).toEqual(before);
      // A marker published after the redelivery arrives right behind the one announcement.
      await redis.publish(l.revokedChannel, 'marker');
      await revoked.next(2);
      expect(revoked.got).toEqual([a.keyHash, 'marker']);
    } finally {
      await revoked.close();
    }
  });

  it('recovers when Redis lost its data although the consumer acknowledged everything', async () => {
    await setup();
    const minted = await issue();
    const p = await start();
    await p.caughtUp();
    const before = await snapshot(redis, prefix);
    await p.stop();
    await redis.del(...(await redis.keys(`${prefix}*`)));
    const warnings: string[] = [];
    const again = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName: 'quota-hot', onWarning: (m) => warnings.push(m) });
    running.push(again);
    await again.caughtUp();
    expect(await snapshot(redis, prefix)).toEqual(before);
    // The operator is told what happened in words that say it is expected of an emptied Redis.
    expect(warnings).toEqual([expect.stringMatching(/^consumer quota-hot acknowledged up to stream sequence \d+ but Redis holds no quota state \(a new or emptied Redis.*\): recreating it to rebuild the hot quota state from the stream$/)]);
    expect(await redis.hget(hotIdentityLayout(prefix).key(minted.keyHash), 'keyId')).toBe(minted.keyId);
  });

  it('sets its consumer up again when it is deleted under it, and goes on', async () => {
    await setup();
    const warnings: string[] = [];
    const p = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName: 'quota-hot', onWarning: (m) => warnings.push(m) });
    running.push(p);
    await issue();
    await p.caughtUp();
    await jsm.consumers.delete(stream.name, 'quota-hot');
    const later = await issue();
    await p.caughtUp();
    expect(await redis.hget(hotIdentityLayout(prefix).key(later.keyHash), 'keyId')).toBe(later.keyId);
    expect((await jsm.consumers.info(stream.name, 'quota-hot')).config.durable_name).toBe('quota-hot');
    expect(warnings).toContainEqual(expect.stringMatching(/consumer quota-hot is gone/));
  });

  it('rebuild drops only its own keys and reproduces the same state from seq 1', async () => {
    await setup();
    const l = hotIdentityLayout(prefix);
    const keys = [await issue({ cidrs: ['2001:db8::/32'] }), await issue({ team: 't_2' }), await issue()];
    await append(revokeApiKey({ keyId: (keys[1] as { keyId: string }).keyId, at: at() }, state));
    await append(setTeamNetworkPolicy({ team: 't_2', tenant: 'acme', cidrs: ['10.0.0.0/8'], at: at() }));
    const p = await start();
    await p.caughtUp();
    const before = await snapshot(redis, prefix);
    expect(Object.keys(before)).toHaveLength(3 * 2 + 1 + 1); // records + id index, team, checkpoint

    await redis.hset(l.key('f'.repeat(64)), 'keyId', 'stale');
    await redis.set(`${prefix}not-ours`, 'kept');
    await p.rebuild();
    await p.caughtUp();
    const after = await snapshot(redis, prefix);
    expect(after[`${prefix}not-ours`]).toBe('kept');
    delete after[`${prefix}not-ours`];
    expect(after).toEqual(before);
    expect(p.position).toBe((await jsm.streams.info(stream.name)).state.last_seq);
  });

  it('sets an unreadable event aside on the dead-letter subject and goes on', async () => {
    await setup();
    const deadLetters = nc.subscribe(`${stream.subjectPrefix}.deadletter.quota-hot`, { max: 1 });
    const p = await start();
    await jetstream(nc).publish(`${stream.subjectPrefix}.chain.forged.host.boot`, '{"type":"ApiKeyRevoked","data":{}}');
    const minted = await issue();
    await p.caughtUp();
    for await (const m of deadLetters) {
      expect(m.json()).toMatchObject({ projection: 'quota-hot', index: 0, reason: expect.stringMatching(/invalid envelope/) });
    }
    expect(await redis.hget(hotIdentityLayout(prefix).key(minted.keyHash), 'keyId')).toBe(minted.keyId);
  });

  it('is caught up at once on an empty stream, and stop() ends waiting', async () => {
    await setup();
    const p = await start();
    await expect(p.caughtUp()).resolves.toBeUndefined();
    await p.stop();
    await expect(p.caughtUp()).rejects.toMatchObject({ code: 'TOTRA_PROJECTION_STOPPED' });
  });
});
