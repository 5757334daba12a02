import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { getEngines, redisUrl } from './engine-urls.js';
import { redisKeyPrefix, uniquePrefix, uniqueStreamName } from './unique-names.js';

describe('getEngines (real NATS, Postgres and Redis)', () => {
  it('hands this worker the servers the run\'s global setup obtained', async () => {
    const provided = inject('totraEngineUrls');
    expect(await getEngines()).toEqual({ natsUrl: provided.nats, pgUrl: provided.postgres, redisUrl: provided.redis });
  });

  it('gives a NATS URL where JetStream stores messages', async () => {
    const { natsUrl } = await getEngines();
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    const stream = uniqueStreamName();
    const prefix = uniquePrefix();
    try {
      await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
      const js = jetstream(nc);
      const ack = await js.publish(`${prefix}.hello`, 'world');
      expect(ack.stream).toBe(stream);
      expect((await jsm.streams.info(stream)).state.messages).toBe(1);
    } finally {
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    }
  });

  it('gives a Postgres superuser URL', async () => {
    const { pgUrl } = await getEngines();
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ superuser: string; version: number }>(
        `SELECT current_setting('is_superuser') AS superuser, current_setting('server_version_num')::int AS version`,
      );
      expect(rows[0]?.superuser).toBe('on');
      expect(rows[0]?.version).toBeGreaterThanOrEqual(130000);
    } finally {
      await client.end();
    }
  });

  it('gives a Redis URL, and prefixes keep tests apart', async () => {
    const redis = new Redis(await redisUrl());
    const mine = redisKeyPrefix();
    const theirs = redisKeyPrefix();
    try {
      await redis.set(`${mine}counter`, '1');
      await redis.set(`${theirs}counter`, '2');
      expect(await redis.get(`${mine}counter`)).toBe('1');
      expect(await redis.keys(`${mine}*`)).toEqual([`${mine}counter`]);
    } finally {
      await redis.del(`${mine}counter`, `${theirs}counter`);
      redis.disconnect();
    }
  });
});

describe('engine URL precedence', () => {
  const saved = process.env['TOTRA_REDIS_URL'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TOTRA_REDIS_URL'];
    else process.env['TOTRA_REDIS_URL'] = saved;
  });

  it('prefers the URL given in the environment', async () => {
    process.env['TOTRA_REDIS_URL'] = 'redis://example.invalid:1234';
    expect(await redisUrl()).toBe('redis://example.invalid:1234');
  });
});
