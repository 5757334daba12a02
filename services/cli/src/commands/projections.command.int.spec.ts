import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { ChainWriter, connectNats, ensureStream, streamState, type StreamOptions } from '@totra/eventlog';
import { loadProjectorConfig, startProjector, type RunningProjector } from '@totra/projector';
import { quotaHotProjection } from '@totra/projection-quota-hot';
import { natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { cli } from '../cli.test-kit.js';

/**
 * Every key under the prefix with its value, except those that are not the projection's: the
 * notifier's, the alerts stream, and the erasure watcher's pass lock (held only while a pass runs).
 */
async function snapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    for (const k of keys) {
      if (k.startsWith(`${prefix}alerts:`) || k === `${prefix}quota:alerts` || k === `${prefix}gdpr:lock`) continue;
      const type = await redis.type(k);
      if (type === 'hash') out[k] = await redis.hgetall(k);
      else if (type === 'set') out[k] = (await redis.smembers(k)).sort();
      else if (type === 'string') out[k] = await redis.get(k);
      else out[k] = type;
    }
    cursor = next;
  } while (cursor !== '0');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

async function flushPrefix(redis: Redis, prefix: string): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) n += await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return n;
}

describe('totra projections rebuild quota-hot (real NATS and Redis)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let dir: string;
  let stream: StreamOptions;
  let prefix: string;
  let args: string[];
  let env: Record<string, string>;
  let projector: RunningProjector | undefined;

  beforeAll(async () => {
    const nats = await natsUrl();
    const rurl = await redisUrl();
    nc = await connectNats(nats, { name: 'cli-projections' });
    redis = new Redis(rurl);
    stream = { name: uniqueStreamName('CLIP'), subjectPrefix: uniquePrefix('clip') };
    await ensureStream(await jetstreamManager(nc), stream);
    prefix = redisKeyPrefix('clip');
    dir = mkdtempSync(join(tmpdir(), 'totra-projections-'));
    args = ['--nats', nats, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', dir, '--redis', rurl, '--redis-prefix', prefix];
    env = { TOTRA_NATS_URL: nats, TOTRA_REDIS_URL: rurl, TOTRA_REDIS_PREFIX: prefix, TOTRA_STREAM: stream.name, TOTRA_SUBJECT_PREFIX: stream.subjectPrefix, TOTRA_SPOOL_DIR: join(dir, 'spool') };
  });
  afterAll(async () => {
    await projector?.close();
    await flushPrefix(redis, prefix);
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same numbers after a flush and a rebuild, by the running projector and without one', { timeout: 60_000 }, async () => {
    const log = args.slice(0, 8);
    const issued = await cli('keys', 'issue', '--user', 'u_1', '--team', 't_1', '--tenant', 'acme', '--json', ...log);
    expect(issued.code, issued.err).toBe(0);
    const { keyId } = JSON.parse(issued.out) as { keyId: string };
    expect((await cli('budgets', 'set', '--key', keyId, '--tenant', 'acme', '--usd', '10', ...log)).code).toBe(0);
    expect((await cli('budgets', 'set', '--team', 't_1', '--tenant', 'acme', '--tokens', '1000000', '--period', 'daily', ...log)).code).toBe(0);
    const month = `m:${new Date().toISOString().slice(0, 7)}`;
    const day = `d:${new Date().toISOString().slice(0, 10)}`;
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: join(dir, 'w') });
    for (let i = 0; i < 40; i++) {
      writer.append({
        type: 'SpendRecorded',
        tenant: 'acme',
        data: {
          requestId: `req-${i}`,
          scopes: [`key.${keyId}.monthly/${month}`, `team.t_1.daily/${day}`],
          tokens: { input: 100 + i, output: 20, cachedInput: 0, reasoning: 0 },
          microUsd: 1_000 + i,
          priceVersion: 'catalog:test',
          model: 'gpt-4o',
          provider: 'openai',
          deploymentId: 'openai-main',
          keyId,
          userId: 'u_1',
          teamId: 't_1',
        },
      });
    }
    await writer.close();

    projector = await startProjector(loadProjectorConfig(env));
    await projector.quotaHot.caughtUp();
    const before = await snapshot(redis, prefix);
    const { lastSeq } = await streamState(nc, stream);
    expect(before[`${prefix}quota-hot:checkpoint`]).toBe(String(lastSeq));
    const spentKey = `${prefix}qs:{acme}:key.${keyId}.monthly:${month}`;
    expect(before[spentKey]).toEqual({ usd: String(40 * 1_000 + (39 * 40) / 2), tok: String(40 * 120 + (39 * 40) / 2) });

    const status = await cli('projections', 'status', '--json', ...args);
    expect(status.code, status.err).toBe(0);
    // Postgres read models are listed too when a Postgres URL is configured (as in CI): only the
    // quota-hot row is this test's business.
    const rows = JSON.parse(status.out) as { projection: string }[];
    expect(rows.find((r) => r.projection === 'quota-hot')).toEqual({ projection: 'quota-hot', version: quotaHotProjection.version, position: lastSeq, lastSeq, lag: 0, projectorRunning: true });

    // Flush the whole prefix, then rebuild through the running projector.
    expect(await flushPrefix(redis, prefix)).toBeGreaterThan(0);
    expect(await snapshot(redis, prefix)).toEqual({});
    const viaProjector = await cli('projections', 'rebuild', 'quota-hot', ...args);
    expect(viaProjector.code, viaProjector.err).toBe(0);
    expect(viaProjector.out).toMatch(/quota-hot rebuilt by the running projector: replayed the log up to \d+/);
    await projector.quotaHot.caughtUp();
    expect(await snapshot(redis, prefix)).toEqual(before);

    // Without a projector: the CLI replays itself.
    await projector.close();
    projector = undefined;
    await flushPrefix(redis, prefix);
    const here = await cli('projections', 'rebuild', 'quota-hot', '--json', ...args);
    expect(here.code, here.err).toBe(0);
    expect(JSON.parse(here.out)).toMatchObject({ projection: 'quota-hot', by: 'cli', position: lastSeq });
    expect(await snapshot(redis, prefix)).toEqual(before);
    const after = await cli('projections', 'status', ...args);
    expect(after.out).toMatch(new RegExp(`quota-hot\\s+v${quotaHotProjection.version}\\s+at ${lastSeq}/${lastSeq}\\s+lag 0\\s+no projector answering`));

    expect((await cli('projections', 'rebuild', 'nope', ...args)).code).toBe(2);
  });
});
