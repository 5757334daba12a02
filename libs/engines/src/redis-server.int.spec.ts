import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis } from './redis-server.js';

async function withClient<T>(url: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

describe('startRedis (real redis-server binary)', () => {
  const root = mkdtempSync(join(tmpdir(), 'totra-redis-spec-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps data across restarts with AOF persistence', async () => {
    const dataDir = join(root, 'aof');
    const first = await startRedis({ dataDir, persistence: 'aof' });
    try {
      await withClient(first.url, (redis) => redis.set('totra:key', 'kept'));
    } finally {
      await first.stop();
    }
    const second = await startRedis({ dataDir, persistence: 'aof' });
    try {
      expect(await withClient(second.url, (redis) => redis.get('totra:key'))).toBe('kept');
    } finally {
      await second.stop();
    }
  });

  it('writes nothing to disk without persistence', async () => {
    const dataDir = join(root, 'none');
    const first = await startRedis({ dataDir });
    try {
      expect(first.persistence).toBe('none');
      await withClient(first.url, (redis) => redis.set('totra:key', 'lost'));
    } finally {
      await first.stop();
    }
    const second = await startRedis({ dataDir });
    try {
      expect(await withClient(second.url, (redis) => redis.get('totra:key'))).toBeNull();
    } finally {
      await second.stop();
    }
  });
});
