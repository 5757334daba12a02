import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { erasureOverdueEventId, requestErasure, foldErasure } from '@totra/crypto';
import { ChainWriter, connectNats, ensureStream, readStream, streamState, type StreamOptions } from '@totra/eventlog';
import { type Envelope, newEventId } from '@totra/events';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateToLatest } from '@totra/db';
import { startProjection } from '@totra/projection';
import { gdprLog } from '@totra/projection-reporting';
import { verifyWebhookSignature } from '@totra/quota';
import { createTestDatabase, natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { BudgetAlertNotifier } from '../alerts/budget-alert.notifier.js';
import { ErasureWatcher, type SubjectDataPurger } from './erasure-watcher.js';

const SECRET = 'gdpr-webhook-secret-0123';

describe('GDPR erasure watcher (real NATS and Redis, local webhook)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let stream: StreamOptions;
  let prefix: string;
  let dir: string;
  let server: Server;
  let url: string;
  const received: { headers: Record<string, unknown>; body: string }[] = [];

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'gdpr-watcher-int' });
    redis = new Redis(await redisUrl());
    stream = { name: uniqueStreamName('GDPRW'), subjectPrefix: uniquePrefix('gdprw') };
    await ensureStream(await jetstreamManager(nc), stream);
    prefix = redisKeyPrefix('gdprw');
    dir = mkdtempSync(join(tmpdir(), 'totra-gdprw-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/gdpr`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const logOf = async (type: string) => {
    const out: Envelope[] = [];
    for await (const b of readStream(nc, stream)) for (const l of b.lines) if (l.includes(`"${type}"`)) out.push(JSON.parse(l) as Envelope);
    return out.filter((e) => e.type === type);
  };

  it('alerts an overdue request once (event + one delivery per target), across passes and watchers; purges erased subjects once', async () => {
    const requestedAt = new Date('2026-10-01T08:00:00.000Z');
    const reqId = newEventId();
    const writer = await ChainWriter.open({ nc, stream, role: 'admin', spoolDir: join(dir, 'admin') });
    for (const e of requestErasure({ subject: 'u_late', tenant: 'acme', requestedBy: 'dpo', legalBasis: 'Art. 17', at: requestedAt, eventId: reqId }, foldErasure([]))) writer.append(e);
    const onTime = requestErasure({ subject: 'u_ontime', tenant: 'acme', requestedBy: 'dpo', legalBasis: 'Art. 17', at: new Date('2026-11-20T08:00:00.000Z'), eventId: newEventId() }, foldErasure([]));
    for (const e of onTime) writer.append(e);
    const journal = newEventId();
    writer.append({ type: 'SubjectKeyShredded', id: journal, tenant: 'acme', subject: 'u_gone', data: { kids: [], journalEntryId: journal, reason: 'erasure' } });
    await writer.close();

    let now = Date.parse('2026-12-04T10:00:00.000Z');
    const purged: string[] = [];
    const purger: SubjectDataPurger = { name: 'test-cache', purgeSubject: async ({ subject }) => (purged.push(subject), 1) };
    const notifier = new BudgetAlertNotifier({ nc, stream, redis, keyPrefix: prefix, spoolDir: join(dir, 'n'), targets: [{ kind: 'webhook', url, secret: SECRET }], clock: () => now });
    const watcher = (name: string) =>
      new ErasureWatcher({ nc, stream, redis, keyPrefix: prefix, notifier, spoolDir: join(dir, name), purgers: [purger], clock: () => now });
    const a = watcher('a');
    const b = watcher('b');
    try {
      expect(await a.passOnce()).toEqual({ alerted: 1, queued: 1, purged: 1 });
      // Later passes, and a second watcher reading the same log, add nothing.
      now += 3_600_000;
      expect(await a.passOnce()).toEqual({ alerted: 0, queued: 0, purged: 0 });
      expect(await b.passOnce()).toEqual({ alerted: 0, queued: 0, purged: 0 });
      expect(await notifier.deliverDue()).toEqual({ delivered: 1, retrying: 0, dead: 0 });
      expect(await notifier.deliverDue()).toEqual({ delivered: 0, retrying: 0, dead: 0 });
    } finally {
      await a.stop();
      await b.stop();
      await notifier.stop();
    }

    const overdue = await logOf('SubjectErasureOverdue');
    expect(overdue).toHaveLength(1);
    expect(overdue[0]).toMatchObject({ id: erasureOverdueEventId(reqId), subject: 'u_late', data: { requestEventId: reqId, dueAt: '2026-11-01T08:00:00.000Z', state: 'open' } });
    expect(purged).toEqual(['u_gone']);
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(verifyWebhookSignature(SECRET, { signature: String(got.headers['x-totra-signature']), timestamp: String(got.headers['x-totra-timestamp']), body: got.body, nowSeconds: Math.floor(now / 1000) })).toBe(true);
    expect(JSON.parse(got.body)).toMatchObject({ type: 'SubjectErasureOverdue', id: erasureOverdueEventId(reqId), subject: 'u_late', text: expect.stringContaining('is overdue') });
  });


  it('with the gdpr_log read model, its first pass reads only the stream past the checkpoint, and alerts what the read model holds', async () => {
    const own: StreamOptions = { name: uniqueStreamName('GDPRWL'), subjectPrefix: uniquePrefix('gdprwl') };
    await ensureStream(await jetstreamManager(nc), own);
    const database = await createTestDatabase();
    const db = createDb<unknown>(database.url);
    const ownPrefix = redisKeyPrefix('gdprwl');
    try {
      await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
      const writer = await ChainWriter.open({ nc, stream: own, role: 'admin', spoolDir: join(dir, 'admin-l') });
      const reqId = newEventId();
      for (const e of requestErasure({ subject: 'u_late', tenant: 'acme', requestedBy: 'dpo', legalBasis: 'Art. 17', at: new Date('2026-10-01T08:00:00.000Z'), eventId: reqId }, foldErasure([]))) writer.append(e);
      await writer.drain();
      // The read model takes the request, then stops; request traffic and another request follow.
      const runner = startProjection({ nc, stream: own, db, pgUrl: database.url, projection: gdprLog.projection() });
      await runner.caughtUp();
      await runner.stop();
      const checkpoint = (await gdprLog.read(db))!.upTo;
      for (let i = 0; i < 5; i++) {
        writer.append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: i, label: `request ${i}`, amountMicroUsd: 1 } });
        await writer.drain();
      }
      for (const e of requestErasure({ subject: 'u_ontime', tenant: 'acme', requestedBy: 'dpo', legalBasis: 'Art. 17', at: new Date('2026-11-20T08:00:00.000Z'), eventId: newEventId() }, foldErasure([]))) writer.append(e);
      await writer.close();
      const { lastSeq } = await streamState(nc, own);

      const notifier = new BudgetAlertNotifier({ nc, stream: own, redis, keyPrefix: ownPrefix, spoolDir: join(dir, 'n-l'), targets: [], clock: () => Date.parse('2026-12-04T10:00:00.000Z') });
      const watcher = new ErasureWatcher({
        nc,
        stream: own,
        redis,
        keyPrefix: ownPrefix,
        notifier,
        spoolDir: join(dir, 'w-l'),
        log: { name: gdprLog.name, read: () => gdprLog.read(db) },
        clock: () => Date.parse('2026-12-04T10:00:00.000Z'),
      });
      try {
        expect(await watcher.passOnce()).toEqual({ alerted: 1, queued: 0, purged: 0 });
        expect(watcher.firstRead).toEqual({ fromReadModel: { upTo: checkpoint, events: 1 }, streamMessages: lastSeq - checkpoint });
        expect(await watcher.passOnce()).toEqual({ alerted: 0, queued: 0, purged: 0 });
      } finally {
        await watcher.stop();
        await notifier.stop();
      }
      const overdue: Envelope[] = [];
      for await (const b of readStream(nc, own)) for (const l of b.lines) if (l.includes('"SubjectErasureOverdue"')) overdue.push(JSON.parse(l) as Envelope);
      expect(overdue.map((e) => [e.subject, e.data['requestEventId']])).toEqual([['u_late', reqId]]);
    } finally {
      await (await jetstreamManager(nc)).streams.delete(own.name).catch(() => undefined);
      await db.destroy();
      await database.drop();
    }
  });
});
