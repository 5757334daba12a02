import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { hashAndSerialize } from '@totra/chain';
import { GENESIS_PREV, newEventId, type DecodedEvent, type UnhashedEnvelope } from '@totra/events';
import { natsUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { ChainWriter, TYPES_HEADER } from './chain-writer.js';
import { connectNats } from './connect.js';
import { followEvents, replayEvents } from './follow.js';
import { messageHolds, readStream } from './reader.js';
import { chainSubject, ensureStream, type StreamOptions } from './stream.js';

const KEY = (n: number) => `key_${n.toString(16).padStart(32, '0')}`;
const traffic = (n: number) => ({ type: 'TestEventRecorded', tenant: 'acme', data: { n, label: `event ${n}`, amountMicroUsd: n } });
const revoked = (n: number) => ({ type: 'ApiKeyRevoked', tenant: 'acme', data: { keyId: KEY(n) } });
const WANTED = new Set(['ApiKeyRevoked']);

/** A stored line of a chain of its own (for messages published without the writer). */
const lineOf = (chain: string, seq: number, prev: string, type: string, data: unknown) =>
  hashAndSerialize({ v: 1, id: newEventId(), type, time: new Date().toISOString(), chain, seq, prev, tenant: 'acme', data } as UnhashedEnvelope);

describe('readers of some types read headers, and bodies only where they may hold a wanted type', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let stream: StreamOptions;
  let spoolDir: string;

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'eventlog-follow-int' });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
  });
  afterEach(async () => {
    await jsm.streams.delete(stream.name).catch(() => undefined);
    rmSync(spoolDir, { recursive: true, force: true });
  });
  const setup = async () => {
    stream = { name: uniqueStreamName('FOLLOW'), subjectPrefix: uniquePrefix('follow') };
    spoolDir = mkdtempSync(join(tmpdir(), 'totra-follow-'));
    await ensureStream(jsm, stream);
  };

  it('labels every batch with its event types, and replays and follows exactly the wanted events in order', async () => {
    await setup();
    const writer = await ChainWriter.open({ nc, stream, role: 'test', spoolDir, batchDelayMs: 1 });
    // Traffic in batches of its own, and batches that mix traffic with a wanted event.
    for (let i = 0; i < 300; i++) {
      writer.append(traffic(i));
      if (i % 100 === 50) writer.append(revoked(i));
      if (i % 20 === 19) await writer.drain();
    }
    await writer.drain();

    // Every message says which types it holds.
    const info = await jsm.streams.info(stream.name);
    const labels = new Set<string>();
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream.name, { seq });
      const label = m?.header.get(TYPES_HEADER);
      expect(label).toBeTruthy();
      const types = new Set((m?.string() ?? '').split('\n').map((l) => (JSON.parse(l) as { type: string }).type));
      expect(label).toBe([...types].sort().join(','));
      labels.add(label as string);
    }
    expect(labels).toContain('TestEventRecorded');
    expect(labels).toContain('ApiKeyRevoked,TestEventRecorded');

    const seen: DecodedEvent[] = [];
    const last = await replayEvents(nc, stream, WANTED, (e) => seen.push(e));
    expect(last).toBe(info.state.last_seq);
    expect(seen.map((e) => (e.data as { keyId: string }).keyId)).toEqual([50, 150, 250].map(KEY));

    // Following on: new wanted events arrive, traffic does not.
    const followed: DecodedEvent[] = [];
    const following = await followEvents(nc, stream, WANTED, last, (e) => followed.push(e));
    try {
      for (let i = 300; i < 400; i++) writer.append(traffic(i));
      writer.append(revoked(400));
      await writer.drain();
      await vi.waitFor(() => expect(followed.map((e) => (e.data as { keyId: string }).keyId)).toEqual([KEY(400)]), { timeout: 5_000, interval: 10 });
    } finally {
      await following.stop();
      await writer.close();
    }
  });

  it('skips a message whose header names no wanted type without reading it, and reads one without a header (an older message)', async () => {
    await setup();
    const js = jetstream(nc);
    const chain = 'test.older.b1';
    const subject = chainSubject(stream, chain);
    const first = lineOf(chain, 1, GENESIS_PREV, 'ApiKeyRevoked', { keyId: KEY(1) });
    const second = lineOf(chain, 2, first.hash, 'ApiKeyRevoked', { keyId: KEY(2) });
    // Without a header: read.
    await js.publish(subject, first.line);
    // A header that says traffic only: not read, although the body holds a wanted event.
    const h = headers();
    h.set(TYPES_HEADER, 'TestEventRecorded');
    await js.publish(subject, second.line, { headers: h });

    // readStream with types yields every message, the skipped one without lines.
    const batches: { seq: number; lines: number }[] = [];
    for await (const b of readStream(nc, stream, { types: WANTED })) batches.push({ seq: b.streamSeq, lines: b.lines.length });
    expect(batches).toEqual([
      { seq: 1, lines: 1 },
      { seq: 2, lines: 0 },
    ]);

    const seen: string[] = [];
    const last = await replayEvents(nc, stream, WANTED, (e) => seen.push((e.data as { keyId: string }).keyId));
    expect(last).toBe(2);
    expect(seen).toEqual([KEY(1)]);

    const followed: string[] = [];
    const following = await followEvents(nc, stream, WANTED, 0, (e) => followed.push((e.data as { keyId: string }).keyId));
    try {
      const third = lineOf(chain, 3, second.hash, 'ApiKeyRevoked', { keyId: KEY(3) });
      await js.publish(subject, third.line);
      await vi.waitFor(() => expect(followed).toEqual([KEY(1), KEY(3)]), { timeout: 5_000, interval: 10 });
    } finally {
      await following.stop();
    }
  });

  it('asks the server for more once per dozens of messages, not per message', async () => {
    await setup();
    // Pull requests are NATS requests on the JetStream API: another connection sees each one.
    const watcher = await connectNats(await natsUrl(), { name: 'eventlog-follow-pulls' });
    const pulls = watcher.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${stream.name}.>`);
    let pullCount = 0;
    void (async () => {
      for await (const _ of pulls) pullCount++;
    })();
    await watcher.flush();
    const js = jetstream(nc);
    const chain = 'test.pulls.b1';
    const subject = chainSubject(stream, chain);
    const followed: string[] = [];
    const following = await followEvents(nc, stream, WANTED, 0, (e) => followed.push((e.data as { keyId: string }).keyId));
    try {
      let prev = GENESIS_PREV;
      const publish = async (n: number, type: string, data: unknown) => {
        const stored = lineOf(chain, n, prev, type, data);
        prev = stored.hash;
        const h = headers();
        h.set(TYPES_HEADER, type);
        await js.publish(subject, stored.line, { headers: h });
      };
      // 300 messages of traffic, one at a time as a busy gateway appends them, then a wanted one.
      for (let n = 1; n <= 300; n++) await publish(n, 'TestEventRecorded', traffic(n).data);
      await publish(301, 'ApiKeyRevoked', { keyId: KEY(301) });
      await vi.waitFor(() => expect(followed).toEqual([KEY(301)]), { timeout: 10_000, interval: 10 });
      await watcher.flush();
      // A first pull and a refill every 64 messages; a pull of 8 asked again every 2 messages.
      expect(pullCount).toBeGreaterThanOrEqual(1);
      expect(pullCount).toBeLessThanOrEqual(10);
    } finally {
      await following.stop();
      await watcher.close();
    }
  });

  it('replays from a given stream sequence, and tells which message holds an event', async () => {
    await setup();
    const js = jetstream(nc);
    const chain = 'test.from.b1';
    const subject = chainSubject(stream, chain);
    let prev = GENESIS_PREV;
    const ids: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const stored = lineOf(chain, n, prev, 'ApiKeyRevoked', { keyId: KEY(n) });
      prev = stored.hash;
      ids.push((JSON.parse(stored.line) as { id: string }).id);
      await js.publish(subject, stored.line);
    }
    const seen: string[] = [];
    expect(await replayEvents(nc, stream, WANTED, (e) => seen.push((e.data as { keyId: string }).keyId), undefined, 3)).toBe(4);
    expect(seen).toEqual([KEY(3), KEY(4)]);
    // From past the end: nothing read, and the position to follow on from is the one before it.
    expect(await replayEvents(nc, stream, WANTED, () => seen.push('more'), undefined, 5)).toBe(4);
    expect(seen).toHaveLength(2);

    expect(await messageHolds(nc, stream, 2, ids[1] as string)).toBe(true);
    expect(await messageHolds(nc, stream, 3, ids[1] as string)).toBe(false);
    expect(await messageHolds(nc, stream, 99, ids[1] as string)).toBe(false);
  });
});
