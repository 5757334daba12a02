import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@totra/gateway';
import { startHarness, type Harness } from './support/gateway-harness.js';

// Budget leases (ADR 0013) through running gateways and the official openai client: after a
// caller's first request, a gateway admits its requests on a slice of the team budget it holds
// in Redis, without a round trip per request; the spend is still recorded once per request and
// the hot ledger agrees with the log; a gateway that stops gives its slice back.
describe('budget leases', () => {
  let h: Harness;
  let redis: Redis;
  let second: RunningGateway | undefined;
  const keys: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    second = await startGateway(loadGatewayConfig(h.env, { host: '127.0.0.1', port: 0, logLevel: 'silent' }), { env: h.env });
    for (const u of ['u-1', 'u-2']) {
      const r = await h.cli('keys', 'issue', '--user', u, '--team', 't-lease', '--tenant', 'acme', '--json', ...h.cliArgs);
      expect(r.code, r.err).toBe(0);
      keys.push((JSON.parse(r.out) as { key: string }).key);
    }
    const b = await h.cli('budgets', 'set', '--team', 't-lease', '--tenant', 'acme', '--usd', '50', '--period', 'monthly', ...h.cliArgs);
    expect(b.code, b.err).toBe(0);
    await h.projector.quotaHot.caughtUp();
    redis = new Redis(h.env['TOTRA_REDIS_URL'] as string);
  }, 120_000);

  afterAll(async () => {
    await second?.close();
    redis?.disconnect();
    await h?.close();
  });

  const leaseRecords = () => redis.keys(`${h.redisPrefix}qr:*~L:*`);
  const admissions = async (url: string) => {
    const text = await (await request(`${url}/metrics`)).body.text();
    const of = (path: string) => Number(new RegExp(`^totra_quota_admissions_total\\{path="${path}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { lease: of('lease'), script: of('script') };
  };

  it('admits a known caller on the gateway\'s lease, records every request once, and gives the lease back when the gateway stops', { timeout: 60_000 }, async () => {
    const gateways = [h.url, (second as RunningGateway).url];
    const before = await Promise.all(gateways.map(admissions));
    const ids: string[] = [];
    // Two users on two gateways, 40 requests each, some streamed.
    await Promise.all(
      gateways.flatMap((url, g) =>
        keys.map(async (key, k) => {
          const openai = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
          for (let i = 0; i < 40; i++) {
            if ((i + k + g) % 4 === 0) {
              const stream = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 30, stream: true, messages: [{ role: 'user', content: `question ${i}` }] });
              let text = '';
              for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
              expect(text.length).toBeGreaterThan(0);
            } else {
              const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', max_tokens: 30, messages: [{ role: 'user', content: `question ${i}` }] }).withResponse();
              expect(data.choices[0]?.message.content).toBeTruthy();
              ids.push(response.headers.get('x-request-id') ?? '');
            }
          }
        }),
      ),
    );
    const after = await Promise.all(gateways.map(admissions));
    for (let g = 0; g < gateways.length; g++) {
      const lease = (after[g]?.lease ?? 0) - (before[g]?.lease ?? 0);
      const script = (after[g]?.script ?? 0) - (before[g]?.script ?? 0);
      expect(lease + script).toBe(80);
      // The first requests go through the script while the lease is granted; most go on the lease.
      expect(lease).toBeGreaterThan(60);
    }
    // Each gateway holds one lease of the team's monthly budget; the one that stops gives it back
    // (at once: a lease nothing uses is given back only after 30 idle seconds).
    const held = (await leaseRecords()).sort();
    expect(held).toHaveLength(2);
    await (second as RunningGateway).close();
    second = undefined;
    const left = await leaseRecords();
    expect(left).toHaveLength(1);
    expect(held).toContain(left[0]);

    // Every request recorded exactly once, and the hot ledger counts exactly what the log says.
    await h.gateway.drain();
    await h.projector.quotaHot.caughtUp();
    const spends = (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { teamId: string }).teamId === 't-lease');
    expect(spends).toHaveLength(160);
    const recorded = new Set(spends.map((e) => (e.data as { requestId: string }).requestId));
    for (const id of ids) expect(recorded.has(id)).toBe(true);
    const total = spends.reduce((n, e) => n + (e.data as { microUsd: number }).microUsd, 0);
    const [spentKey] = await redis.keys(`${h.redisPrefix}qs:*team.t-lease.monthly*`);
    expect(Number(await redis.hget(spentKey as string, 'usd'))).toBe(total);
    // Nothing is pending any more; what is reserved is the remaining lease (if not given back yet), read together.
    const liveKey = (spentKey as string).replace(`${h.redisPrefix}qs:`, `${h.redisPrefix}ql:`);
    const [[, live], [, lease]] = (await redis.multi().hgetall(liveKey).hget(left[0] as string, 'usd').exec()) as [[null, Record<string, string>], [null, string | null]];
    expect(live).toEqual(lease === null ? {} : { rusd: lease });
  });
});
