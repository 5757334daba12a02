import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { AuditVerifier, generateNoteSigner, type NoteSigner } from '@totra/chain';
import { ChainWriter, LocalKeyProvider, Notary, connectNats, ensureStream, readStream, streamState, type StreamOptions } from '@totra/eventlog';
import { natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { NotaryLeader, NotaryLease } from './notary-leader.js';

const ORIGIN = 'totra.test/lease';

describe('notary lease: one projector signs the log, another takes over (real NATS and Redis)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let stream: StreamOptions;
  let dir: string;
  let key: string;
  let signer: NoteSigner;
  let writer: ChainWriter;
  let n = 0;

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'notary-lease' });
    redis = new Redis(await redisUrl());
    stream = { name: uniqueStreamName('NLEASE'), subjectPrefix: uniquePrefix('nlease'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-notary-lease-'));
    key = `${redisKeyPrefix('nlease')}notary:lease:${stream.name}`;
    signer = generateNoteSigner(ORIGIN);
    writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: join(dir, 'gateway') });
  });

  afterAll(async () => {
    await writer?.close();
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc?.close();
    await redis?.del(key);
    redis?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const traffic = async (count: number): Promise<number> => {
    for (let i = 0; i < count; i++) writer.append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: n++, label: `request ${n}`, amountMicroUsd: 1 } });
    await writer.drain();
    return (await streamState(nc, stream)).lastSeq;
  };

  /** A projector's notary side: its own spool and tree folder, the shared lease key. */
  const projector = (name: string) => {
    const warnings: string[] = [];
    const lease = new NotaryLease(redis, key, 600);
    const leader = new NotaryLeader({
      lease,
      onWarning: (m) => warnings.push(m),
      start: (mayCheckpoint) => Notary.start({ nc, stream, spoolDir: join(dir, name), keys: new LocalKeyProvider(signer), origin: ORIGIN, intervalMs: 3_600_000, maxEvents: 1e9, mayCheckpoint }),
    });
    return { leader, lease, warnings };
  };

  it('a standby signs nothing, a holder that lost the lease signs nothing more, and the next holder continues the same log', async () => {
    const a = projector('a');
    await a.leader.start();
    const standby = projector('b');
    await standby.leader.start();
    let firstSize = 0;
    try {
      expect(a.leader.current).not.toBeNull();
      expect(standby.leader.current).toBeNull();
      expect(standby.warnings).toEqual(['notary: another projector holds the notary lease; this one stands by']);
      const signing = a.leader.current!;
      await signing.waitFor(await traffic(8));
      const cp1 = await signing.checkpoint();
      expect(cp1).not.toBeNull();
      firstSize = cp1!.size;

      // Someone else holds the lease now (as when A was paused past its lifetime and another
      // projector took it): A's next checkpoint is refused before it changes anything, and A
      // stands by at its next renewal.
      await redis.set(key, 'another-projector', 'PX', 60_000);
      await signing.waitFor(await traffic(5));
      expect(await signing.checkpoint()).toBeNull();
      await expect.poll(() => a.leader.current, { timeout: 5_000 }).toBeNull();
      expect(a.warnings).toEqual(['notary: lost the notary lease to another projector (or Redis); this one stops signing and stands by']);
    } finally {
      await a.leader.close();
      await standby.leader.close();
    }
    expect(await redis.get(key)).toBe('another-projector'); // a holder that lost it releases nothing

    // The lease is free again: a third projector takes it and goes on from A's checkpoint.
    await redis.del(key);
    const c = projector('c');
    await c.leader.start();
    try {
      const next = c.leader.current!;
      expect(next.startup.from).toBe('stream');
      expect(next.last?.size).toBe(firstSize);
      await next.waitFor(await traffic(3));
      expect(await next.checkpoint()).not.toBeNull();
    } finally {
      await c.leader.close();
    }
    expect(await redis.get(key)).toBeNull(); // released at a clean stop

    // One chain of checkpoints, each linked to the one before: nothing an auditor would flag.
    const v = new AuditVerifier({ trustedKeys: [signer], origin: ORIGIN });
    for await (const batch of readStream(nc, stream)) for (const line of batch.lines) v.push(line);
    const report = v.finish();
    expect(report.findings).toEqual([]);
    expect(report.checkpoints).toMatchObject({ accepted: 2, rootsRecomputed: true });
  });
});
