import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { connectNats, ensureStream, readStream, type StreamOptions } from '@totra/eventlog';
import { feishuSign, hotQuotaLayout, verifyWebhookSignature, type AlertTarget } from '@totra/quota';
import { natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { alertNotifierKeys, BudgetAlertNotifier } from './budget-alert.notifier.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'generic-webhook-secret';
const FEISHU_SECRET = 'feishu-bot-secret';

describe('budget alert notifier (real NATS and Redis, local webhooks)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let stream: StreamOptions;
  let prefix: string;
  let spoolDir: string;
  let server: Server;
  let base: string;
  const received: Received[] = [];
  let hookFailuresLeft = 2;
  let now = Date.parse('2026-12-04T10:00:00.000Z');

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'alerts-int' });
    redis = new Redis(await redisUrl());
    stream = { name: uniqueStreamName('ALERTS'), subjectPrefix: uniquePrefix('alerts') };
    await ensureStream(await jetstreamManager(nc), stream);
    prefix = redisKeyPrefix('alerts');
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-alerts-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/hook' && hookFailuresLeft > 0) {
          hookFailuresLeft--;
          res.writeHead(503).end('try later');
          return;
        }
        if (req.url === '/feishu') {
          const m = JSON.parse(body) as { timestamp: string; sign: string };
          const ok = m.sign === feishuSign(FEISHU_SECRET, Number(m.timestamp));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { code: 0, msg: 'success' } : { code: 19021, msg: 'sign match fail' }));
          return;
        }
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc.close();
    redis.disconnect();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  /** What the quota-hot apply script writes for a crossing. */
  const crossing = (budgetId: string, threshold: number, spent: number) =>
    redis.xadd(hotQuotaLayout(prefix).alerts, '*', 'tenant', 'acme', 'budgetId', budgetId, 'periodKey', 'm:2026-12', 'threshold', String(threshold), 'spentMicroUsd', String(spent), 'limitMicroUsd', '1000000');

  const crossedEvents = async () => {
    const out: { id: string; data: { budgetId: string; threshold: number } }[] = [];
    for await (const b of readStream(nc, stream)) {
      for (const l of b.lines) {
        const e = JSON.parse(l) as { type: string; id: string; data: { budgetId: string; threshold: number } };
        if (e.type === 'BudgetThresholdCrossed') out.push(e);
      }
    }
    return out;
  };

  const targets: AlertTarget[] = [];
  const notifier = (name: string) =>
    new BudgetAlertNotifier({ nc, stream, redis, keyPrefix: prefix, spoolDir: join(spoolDir, name), targets, clock: () => now, retryBaseMs: 1000, maxAttempts: 5 });

  it('records each crossing once, delivers to Slack, Feishu and a signed webhook, and retries a failing one', async () => {
    targets.push(
      { kind: 'slack', url: `${base}/slack` },
      { kind: 'feishu', url: `${base}/feishu`, secret: FEISHU_SECRET },
      { kind: 'webhook', name: 'ops', url: `${base}/hook`, secret: SECRET },
    );
    const n = notifier('a');
    await crossing('team.t1.monthly', 50, 500_000);
    await crossing('team.t1.monthly', 80, 800_000);
    await crossing('team.t1.monthly', 50, 500_000); // recorded again (e.g. after a rebuild)
    expect(await n.pollOnce()).toEqual({ recorded: 2, skipped: 1 });
    expect(await n.pending()).toBe(6);

    expect(await n.deliverDue()).toEqual({ delivered: 4, retrying: 2, dead: 0 });
    // Not due yet: nothing is sent again until the backoff has passed.
    expect(await n.deliverDue()).toEqual({ delivered: 0, retrying: 0, dead: 0 });
    now += 1000;
    expect(await n.deliverDue()).toEqual({ delivered: 2, retrying: 0, dead: 0 });
    expect(await n.pending()).toBe(0);
    await n.stop();

    const events = await crossedEvents();
    expect(events.map((e) => e.data.threshold).sort()).toEqual([50, 80]);

    const hooks = received.filter((r) => r.path === '/hook');
    expect(hooks).toHaveLength(4); // two failures, then one success per alert
    for (const h of hooks.slice(-2)) {
      const ok = verifyWebhookSignature(SECRET, {
        signature: String(h.headers['x-totra-signature']),
        timestamp: String(h.headers['x-totra-timestamp']),
        body: h.body,
        nowSeconds: Math.floor(now / 1000),
      });
      expect(ok).toBe(true);
      const payload = JSON.parse(h.body) as { id: string; type: string };
      expect(events.map((e) => e.id)).toContain(payload.id);
      expect(payload.type).toBe('BudgetThresholdCrossed');
    }
    expect(verifyWebhookSignature('wrong-secret-xxxxxx', { signature: String(hooks[3]?.headers['x-totra-signature']), timestamp: String(hooks[3]?.headers['x-totra-timestamp']), body: hooks[3]?.body ?? '', nowSeconds: Math.floor(now / 1000) })).toBe(false);
    const slack = received.filter((r) => r.path === '/slack').map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(slack).toEqual(expect.arrayContaining([expect.stringContaining('reached 50%'), expect.stringContaining('reached 80%')]));
    expect(received.filter((r) => r.path === '/feishu')).toHaveLength(2);
  });

  it('skips crossings the log holds even when Redis lost its markers, and dead-letters after the last attempt', async () => {
    const k = alertNotifierKeys(prefix);
    await redis.del(k.emitted, k.logSeq, k.cursor); // Redis lost the notifier's state: the alerts stream is read from the start
    targets.splice(0, targets.length, { kind: 'slack', name: 'down', url: `${base.replace(/:\d+$/, ':1')}/nowhere` });
    const n = notifier('b');
    await crossing('team.t1.monthly', 100, 1_000_000);
    expect(await n.pollOnce()).toEqual({ recorded: 1, skipped: 3 });
    expect((await crossedEvents()).map((e) => e.data.threshold).sort()).toEqual([100, 50, 80]);
    for (let i = 0; i < 5; i++) {
      const r = await n.deliverDue();
      expect(r.delivered).toBe(0);
      now += 60_000;
    }
    expect(await n.pending()).toBe(0);
    expect(await redis.llen(k.dead)).toBe(1);
    await n.stop();
  });
});
