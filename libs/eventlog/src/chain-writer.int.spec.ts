import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { ChainVerifier } from '@totra/chain';
import { natsUrl, startOwnNats, uniquePrefix, uniqueStreamName, type OwnNats } from '@totra/testing';
import { ChainWriter } from './chain-writer.js';
import { connectNats } from './connect.js';
import { readStream } from './reader.js';
import { spoolPath } from './spool.js';
import { ensureStream, type StreamOptions } from './stream.js';

const testEvent = (n: number) => ({
  type: 'TestEventRecorded',
  tenant: 'acme',
  data: { n, label: `event ${n}`, amountMicroUsd: n * 7 },
});

async function verifyAll(nc: NatsConnection, stream: StreamOptions) {
  const verifier = new ChainVerifier();
  for await (const batch of readStream(nc, stream)) {
    batch.lines.forEach((line, i) => verifier.push(line, `${batch.streamSeq}:${i}`));
  }
  return verifier.finish();
}

/** Appends `count` events, yielding to the event loop now and then so batches go out meanwhile. */
async function appendMany(writer: ChainWriter, from: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    writer.append(testEvent(from + i));
    if (i % 2000 === 1999) await new Promise<void>((r) => setImmediate(r));
  }
}

describe('ChainWriter on a shared JetStream', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let stream: StreamOptions;
  let spoolDir: string;

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'eventlog-int' });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
  });

  const setup = async () => {
    stream = { name: uniqueStreamName('EVLOG'), subjectPrefix: uniquePrefix('evlog') };
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-spool-'));
    await ensureStream(jsm, stream);
  };
  afterEach(async () => {
    await jsm.streams.delete(stream.name).catch(() => undefined);
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('creates an immutable stream that refuses message delete and purge', async () => {
    await setup();
    const info = await jsm.streams.info(stream.name);
    expect(info.config).toMatchObject({ deny_delete: true, deny_purge: true, allow_rollup_hdrs: false, discard: 'new', max_msgs: -1, max_bytes: -1 });
    const writer = await ChainWriter.open({ nc, stream, role: 'test', spoolDir });
    writer.append(testEvent(1));
    await writer.drain();
    await writer.close();
    await expect(jsm.streams.deleteMessage(stream.name, 1)).rejects.toThrow();
    await expect(jsm.streams.purge(stream.name)).rejects.toThrow();
    // ensureStream on an existing stream is idempotent and keeps the data.
    await ensureStream(jsm, stream);
    expect((await jsm.streams.info(stream.name)).state.messages).toBeGreaterThan(0);
  });

  it('two writers append 100,000 events concurrently; the log verifies; a stale expected sequence is refused', async () => {
    await setup();
    const nc2 = await connectNats(await natsUrl(), { name: 'eventlog-int-2' });
    try {
      // Full batches (500 events, ~200 KiB a message), as under load: the reader must cope.
      const a = await ChainWriter.open({ nc, stream, role: 'gateway', host: 'a', spoolDir, batchDelayMs: 50 });
      const b = await ChainWriter.open({ nc: nc2, stream, role: 'gateway', host: 'b', spoolDir, batchDelayMs: 50 });
      await Promise.all([appendMany(a, 0, 50_000), appendMany(b, 50_000, 50_000)]);
      await Promise.all([a.drain(), b.drain()]);
      expect(a.stats()).toMatchObject({ appendedSeq: 50_001, streamSeq: 50_001, eventsSpooled: 0, mode: 'direct' });
      expect(b.stats()).toMatchObject({ appendedSeq: 50_001, streamSeq: 50_001, eventsSpooled: 0, mode: 'direct' });

      // A third writer publishing on a's chain with a stale expected subject sequence is refused.
      const js = jetstream(nc);
      const refused = await js
        .publish(a.subject, JSON.stringify({ forged: true }), { expect: { lastSubjectSequence: 1 } })
        .then(() => undefined, (err: unknown) => err);
      expect(refused).toBeInstanceOf(JetStreamApiError);
      expect((refused as JetStreamApiError).code).toBe(10071);

      await Promise.all([a.close(), b.close()]);
      const report = await verifyAll(nc, stream);
      expect(report.findings).toEqual([]);
      expect(report).toMatchObject({ ok: true, events: 100_002, chains: 2, valid: 100_002 });
      expect(report.heads.map((h) => h.seq).sort()).toEqual([50_001, 50_001]);
    } finally {
      await nc2.close();
    }
  });

  it('refuses to append after close, and validates events before they get a seq', async () => {
    await setup();
    const w = await ChainWriter.open({ nc, stream, role: 'test', spoolDir });
    expect(() => w.append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: -1, label: 'x', amountMicroUsd: 0 } })).toThrow(/invalid data/);
    expect(w.head.seq).toBe(1);
    await w.close();
    expect(() => w.append(testEvent(1))).toThrow(expect.objectContaining({ code: 'TOTRA_CHAIN_WRITER_CLOSED' }));
  });
});

describe('ChainWriter when NATS goes away', () => {
  let own: OwnNats;
  let spoolDir: string;
  const stream: StreamOptions = { name: 'TOTRA', subjectPrefix: 'totra' };

  beforeAll(async () => {
    own = await startOwnNats();
  });
  afterAll(async () => {
    await own.dispose();
  });
  afterEach(() => {
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('spools while NATS is down, replays in order when it is back, and loses nothing', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-spool-'));
    const nc = await connectNats(own.url, { name: 'outage', reconnectTimeWait: 100 });
    try {
      await ensureStream(await jetstreamManager(nc), stream);
      const w = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir, publishTimeoutMs: 500, maxRetryDelayMs: 200 });
      await appendMany(w, 0, 2_000);
      await w.drain();

      await own.stop();
      await appendMany(w, 2_000, 3_000);
      await w.flush(); // durable: in the spool, since JetStream is away
      expect(w.stats().mode).toBe('spooling');
      expect(w.stats().eventsSpooled).toBeGreaterThan(0);
      expect(w.stats().durableSeq).toBe(5_001);
      expect(existsSync(spoolPath(spoolDir, w.chainId))).toBe(true);

      await own.start();
      await appendMany(w, 5_000, 1_000);
      await w.drain();
      expect(w.stats()).toMatchObject({ mode: 'direct', streamSeq: 6_001 });
      expect(existsSync(spoolPath(spoolDir, w.chainId))).toBe(false);
      await w.close();

      const report = await verifyAll(nc, stream);
      expect(report.findings).toEqual([]);
      expect(report).toMatchObject({ ok: true, events: 6_001, chains: 1 });
    } finally {
      await nc.close();
    }
  });

  it('a new process replays the spool an earlier one left behind', async () => {
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-spool-'));
    const nc = await connectNats(own.url, { name: 'orphan', reconnectTimeWait: 100 });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, stream);
      const before = (await jsm.streams.info(stream.name)).state.messages;
      const first = await ChainWriter.open({ nc, stream, role: 'gateway', host: 'old', spoolDir, publishTimeoutMs: 500 });
      await appendMany(first, 0, 100);
      await first.drain();
      await own.stop();
      await appendMany(first, 100, 400);
      await first.close(200); // NATS is down: the rest stays in the spool
      expect(existsSync(spoolPath(spoolDir, first.chainId))).toBe(true);

      await own.start();
      // The next process: its own connection, the same spool folder.
      const nc2 = await connectNats(own.url, { name: 'orphan-next' });
      const second = await ChainWriter.open({ nc: nc2, stream, role: 'gateway', host: 'new', spoolDir, publishTimeoutMs: 2000 });
      await expect(second.orphansReplayed()).resolves.toBe(400);
      expect(existsSync(spoolPath(spoolDir, first.chainId))).toBe(false);
      await second.close();

      const report = await verifyAll(nc2, stream);
      await nc2.close();
      expect(report.findings).toEqual([]);
      const head = report.heads.find((h) => h.chain === first.chainId);
      expect(head?.seq).toBe(501);
      expect(report.events).toBeGreaterThan(before);
    } finally {
      await nc.close();
    }
  });
});
