import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { redisKeyPrefix, redisUrl } from '@totra/testing';
import { MAX_GROUP_ITEMS, ScriptBatcher } from './script-batcher.js';
import { sha1 } from './quota-scripts.js';

// Scripts made unique per run (a comment with the prefix), so that Redis does not know them yet.
const prefix = redisKeyPrefix('batcher');
const ECHO = `-- ${prefix} echo\nreturn {KEYS[1], ARGV[1]}`;
const incr = (variant: string) => `-- ${prefix} incr ${variant}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
const FAIL = `-- ${prefix} fail\nreturn redis.error_reply('BUDGET broken ' .. ARGV[1])`;
/** Grouped: counts its calls in KEYS[1], replies `<ARGV[1]>:<item>` for every item after it. */
const TAG = (variant: string) =>
  `-- ${prefix} tag ${variant}\nlocal n = redis.call('INCR', KEYS[1]) local out = {} for i = 2, #ARGV do out[#out + 1] = ARGV[1] .. ':' .. ARGV[i] .. ':' .. n end return out`;
/** Keeps Redis busy for about `ARGV[1]` ms (Lua cannot sleep). */
const BUSY = `-- ${prefix} busy\nlocal t = redis.call('TIME') local until_us = t[1] * 1000000 + t[2] + ARGV[1] * 1000\nrepeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= until_us\nreturn 'done'`;

describe('ScriptBatcher (real Redis)', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(await redisUrl());
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('sends the scripts of one event-loop turn as one pipeline, each call getting its own reply', async () => {
    const batcher = new ScriptBatcher(redis);
    const pipelines = vi.spyOn(redis, 'pipeline');
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.run(ECHO, [`${prefix}:k${i}`], [`v${i}`])));
      expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => [`${prefix}:k${i}`, `v${i}`]));
      expect(pipelines).toHaveBeenCalledTimes(1);
    } finally {
      pipelines.mockRestore();
    }
  });

  it('with delayMs, collects the scripts of several turns into one pipeline, sent after those of an immediate batcher', async () => {
    const PUSH = `-- ${prefix} push\nreturn redis.call('RPUSH', KEYS[1], ARGV[1])`;
    await redis.script('LOAD', PUSH);
    const key = `${prefix}:order`;
    const bookkeeping = new ScriptBatcher(redis, { delayMs: 200 });
    const admissions = new ScriptBatcher(redis);
    const pipelines = vi.spyOn(redis, 'pipeline');
    try {
      const settled = [bookkeeping.run(PUSH, [key], ['settle-1'])];
      await new Promise(setImmediate); // a later turn of the event loop
      settled.push(bookkeeping.run(PUSH, [key], ['settle-2']));
      await new Promise(setImmediate);
      await admissions.run(PUSH, [key], ['admit']);
      await Promise.all(settled);
      expect(await redis.lrange(key, 0, -1)).toEqual(['admit', 'settle-1', 'settle-2']);
      expect(pipelines).toHaveBeenCalledTimes(1); // the two delayed calls; the admission alone needs none
    } finally {
      pipelines.mockRestore();
    }
  });

  it('runs a script Redis does not know yet (NOSCRIPT), alone and in a batch', async () => {
    const batcher = new ScriptBatcher(redis);
    const [alone, batched] = [incr('alone'), incr('batched')];
    expect(await redis.script('EXISTS', ...[alone, batched].map(sha1))).toEqual([0, 0]);
    await expect(batcher.run(alone, [`${prefix}:n`], ['2'])).resolves.toBe(2);
    const all = await Promise.all([batcher.run(batched, [`${prefix}:n`], ['3']), batcher.run(batched, [`${prefix}:n`], ['5'])]);
    expect(all.map(Number).sort((a, b) => a - b)).toEqual([5, 10]);
    expect(Number(await redis.get(`${prefix}:n`))).toBe(10);
  });

  it('sends the grouped calls of one group as one script call (at most MAX_GROUP_ITEMS items), each call getting its own reply', async () => {
    const batcher = new ScriptBatcher(redis);
    const script = TAG('groups'); // unknown to Redis: the NOSCRIPT retry answers grouped calls too
    const counter = `${prefix}:calls`;
    const a = Array.from({ length: MAX_GROUP_ITEMS + 6 }, (_, i) => batcher.runGrouped(script, 'a', [counter], ['A'], [`${i}`]));
    const b = Array.from({ length: 3 }, (_, i) => batcher.runGrouped(script, 'b', [counter], ['B'], [`${i}`]));
    const plain = batcher.run(ECHO, [`${prefix}:p`], ['p']);
    const [ra, rb, rp] = await Promise.all([Promise.all(a), Promise.all(b), plain]);
    expect(Number(await redis.get(counter))).toBe(3); // a in two calls, b in one
    // Each call's reply is its own item, from the script call its group went in.
    const callOf = (r: unknown) => String(r).split(':')[2];
    expect(ra.map((r) => String(r).split(':').slice(0, 2).join(':'))).toEqual(a.map((_, i) => `A:${i}`));
    expect(new Set(ra.slice(0, MAX_GROUP_ITEMS).map(callOf)).size).toBe(1);
    expect(callOf(ra[MAX_GROUP_ITEMS])).not.toBe(callOf(ra[0]));
    expect(rb.map((r) => String(r).split(':').slice(0, 2).join(':'))).toEqual(['B:0', 'B:1', 'B:2']);
    expect(rp).toEqual([`${prefix}:p`, 'p']);
  });

  it('rejects every call of a group, with a message, when the script does not reply one item per call', async () => {
    const batcher = new ScriptBatcher(redis);
    const short = `-- ${prefix} short\nreturn {'only one'}`;
    const results = await Promise.allSettled([batcher.runGrouped(short, 'g', [`${prefix}:s`], [], ['1']), batcher.runGrouped(short, 'g', [`${prefix}:s`], [], ['2'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toContain('replied with 1 replies for 2 calls');
  });

  it("rejects only the call whose script failed; the batch's other calls succeed", async () => {
    const batcher = new ScriptBatcher(redis);
    const [ok, failed, ok2] = await Promise.allSettled([
      batcher.run(ECHO, [`${prefix}:a`], ['1']),
      batcher.run(FAIL, [`${prefix}:b`], ['42']),
      batcher.run(ECHO, [`${prefix}:c`], ['3']),
    ]);
    expect(ok).toEqual({ status: 'fulfilled', value: [`${prefix}:a`, '1'] });
    expect(failed.status).toBe('rejected');
    expect(String((failed as PromiseRejectedResult).reason)).toContain('BUDGET broken 42');
    expect(ok2).toEqual({ status: 'fulfilled', value: [`${prefix}:c`, '3'] });
  });

  it("sends the next turn's batch without waiting for the replies of the one before", async () => {
    const batcher = new ScriptBatcher(redis);
    let firstAnswered = false;
    const first = Promise.all([batcher.run(BUSY, [`${prefix}:busy`], ['150']), batcher.run(ECHO, [`${prefix}:x`], ['1'])]).then(() => (firstAnswered = true));
    await new Promise((r) => setImmediate(r)); // the first batch is written in this turn
    const pipelines = vi.spyOn(redis, 'pipeline');
    let answeredWhenSent: boolean | undefined;
    pipelines.mockImplementation(function (this: Redis, ...args: Parameters<Redis['pipeline']>) {
      answeredWhenSent = firstAnswered;
      pipelines.mockRestore();
      return this.pipeline(...args);
    });
    const second = Promise.all([batcher.run(ECHO, [`${prefix}:y`], ['2']), batcher.run(ECHO, [`${prefix}:z`], ['3'])]);
    await Promise.all([first, second]);
    // Auto-pipelining would hold the second batch until Redis answered the first (150 ms busy).
    expect(answeredWhenSent).toBe(false);
    expect(await second).toEqual([[`${prefix}:y`, '2'], [`${prefix}:z`, '3']]);
  });

  it('rejects every call of a batch when the connection cannot take it', async () => {
    const broken = new Redis(await redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    broken.on('error', () => undefined); // never connected: every write fails, which is the point
    const batcher = new ScriptBatcher(broken);
    const results = await Promise.allSettled([batcher.run(ECHO, ['k1'], ['1']), batcher.run(ECHO, ['k2'], ['2']), batcher.run(ECHO, ['k3'], ['3'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const single = await Promise.allSettled([batcher.run(ECHO, ['k1'], ['1'])]);
    expect(single[0]?.status).toBe('rejected');
    broken.disconnect();
  });
});
