import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { newEventId } from '@totra/events';
import { natsUrl, uniquePrefix, uniqueStreamName, uniqueSuffix } from '@totra/testing';
import { connectNats } from './connect.js';
import { followEvents } from './follow.js';
import { durableConsumerLag, readStream } from './reader.js';
import { chainSubject, ensureStream, type StreamOptions } from './stream.js';

const TYPES: ReadonlySet<string> = new Set(['TestEventRecorded']);
/** Longest a full read of one test stream may take; a stalled consumer never finishes. */
const READ_BOUND_MS = 25_000;
const TIME = '2026-01-31T12:00:00.000Z';
const LABEL = 'x'.repeat(200);
// Sealed payload padding brings each line to about 1 KiB, like a request event with its metadata.
const PAD = 'A'.repeat(520);

/** One stored envelope line of a synthetic event numbered `n` (schema-valid; the hash is not checked by readers). */
function eventLine(chain: string, n: number): string {
  return JSON.stringify({
    v: 2,
    id: newEventId(),
    type: 'TestEventRecorded',
    time: TIME,
    chain,
    seq: n + 1,
    prev: '0'.repeat(64),
    hash: 'f'.repeat(64),
    tenant: 'acme',
    data: { n, label: LABEL, amountMicroUsd: n },
    sealed: { kid: 'k1', alg: 'A256GCM', iv: 'AAAAAAAAAAAAAAAA', ct: PAD },
  });
}

interface Written {
  /** Events per message, in stream order. */
  counts: number[];
  events: number;
  largestBytes: number;
}

/** Publishes one message per entry of `counts`, each a batch of that many consecutive events. */
async function writeBatches(nc: NatsConnection, stream: StreamOptions, counts: number[]): Promise<Written> {
  const js = jetstream(nc);
  const chains = [`test.reader.${uniqueSuffix()}`, `test.reader.${uniqueSuffix()}`];
  let n = 0;
  let largestBytes = 0;
  for (const [i, count] of counts.entries()) {
    const chain = chains[i % chains.length] ?? 'test.reader.x';
    const lines: string[] = [];
    for (let k = 0; k < count; k++) lines.push(eventLine(chain, n++));
    const payload = lines.join('\n');
    largestBytes = Math.max(largestBytes, Buffer.byteLength(payload));
    await js.publish(chainSubject(stream, chain), payload);
  }
  return { counts, events: n, largestBytes };
}

function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms (stalled?)`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Reads the whole stream with readStream; checks every message's place and size, and the events' order. */
async function readAll(nc: NatsConnection, stream: StreamOptions, written: Written): Promise<{ messages: number; events: number }> {
  let messages = 0;
  let events = 0;
  let progress = 0;
  for await (const batch of readStream(nc, stream, { onProgress: (done) => (progress = done) })) {
    expect(batch.streamSeq).toBe(messages + 1);
    expect(batch.lines.length).toBe(written.counts[messages]);
    const first = JSON.parse(batch.lines[0] ?? '{}') as { data?: { n?: number } };
    const last = JSON.parse(batch.lines[batch.lines.length - 1] ?? '{}') as { data?: { n?: number } };
    expect(first.data?.n).toBe(events);
    expect(last.data?.n).toBe(events + batch.lines.length - 1);
    messages++;
    events += batch.lines.length;
  }
  expect(progress).toBe(written.counts.length);
  return { messages, events };
}

/** Follows the stream from `afterStreamSeq` until `expected` events arrived, then stops. */
async function followUntil(nc: NatsConnection, stream: StreamOptions, expected: number) {
  const ns: number[] = [];
  let lastSeq = 0;
  let outOfOrder = 0;
  let reached!: () => void;
  let failed!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    reached = resolve;
    failed = reject;
  });
  const following = await followEvents(
    nc,
    stream,
    TYPES,
    0,
    (event, streamSeq) => {
      if (streamSeq < lastSeq) outOfOrder++;
      lastSeq = streamSeq;
      ns.push((event.data as { n: number }).n);
      if (ns.length === expected) reached();
    },
    { onError: failed },
  );
  return {
    async result() {
      try {
        await within(READ_BOUND_MS, 'followEvents', done);
      } finally {
        await following.stop();
      }
      return { ns, lastSeq, outOfOrder };
    },
  };
}

const isInOrder = (ns: number[]): boolean => ns.every((n, i) => n === i);

describe('readStream and followEvents on streams of small and large batches', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let stream: StreamOptions;

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'eventlog-reader-int' });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
  });
  afterEach(async () => {
    await jsm.streams.delete(stream.name).catch(() => undefined);
  });

  const setup = async () => {
    stream = { name: uniqueStreamName('EVREAD'), subjectPrefix: uniquePrefix('evread') };
    await ensureStream(jsm, stream);
  };

  it('reads interleaved batches of one event, 500 events and near max_payload completely and in order', { timeout: 120_000 }, async () => {
    await setup();
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const lineBytes = Buffer.byteLength(eventLine('test.reader.sizing', 0)) + 1;
    expect(lineBytes).toBeGreaterThan(900);
    const near = Math.floor((maxPayload * 0.95) / lineBytes);
    // Tiny and large messages next to each other: a byte-bounded pull ends on a message that does not fit.
    const cycle = [1, near, 1, 500, near, 1, 1, near, 500, 1];
    const counts = Array.from({ length: 30 }, () => cycle).flat();

    const live = await followUntil(nc, stream, counts.reduce((a, b) => a + b, 0));
    const written = await writeBatches(nc, stream, counts);
    expect(written.counts).toHaveLength(300);
    expect(written.largestBytes).toBeGreaterThan(maxPayload * 0.9);
    expect(written.largestBytes).toBeLessThan(maxPayload);

    await expect(within(READ_BOUND_MS, 'readStream', readAll(nc, stream, written))).resolves.toEqual({ messages: 300, events: written.events });

    const backlog = await (await followUntil(nc, stream, written.events)).result();
    expect(backlog.ns).toHaveLength(written.events);
    expect(isInOrder(backlog.ns)).toBe(true);
    expect(backlog).toMatchObject({ lastSeq: 300, outOfOrder: 0 });

    const tail = await live.result();
    expect(tail.ns).toHaveLength(written.events);
    expect(isInOrder(tail.ns)).toBe(true);
    expect(tail).toMatchObject({ lastSeq: 300, outOfOrder: 0 });
  });

  it('reads more than 400 messages of about 250 KiB each completely and in order', { timeout: 120_000 }, async () => {
    await setup();
    const counts = Array.from({ length: 420 }, () => 250);
    const written = await writeBatches(nc, stream, counts);
    expect(written.largestBytes).toBeGreaterThan(240 * 1024);

    await expect(within(READ_BOUND_MS, 'readStream', readAll(nc, stream, written))).resolves.toEqual({ messages: 420, events: 420 * 250 });

    const followed = await (await followUntil(nc, stream, written.events)).result();
    expect(followed.ns).toHaveLength(420 * 250);
    expect(isInOrder(followed.ns)).toBe(true);
    expect(followed).toMatchObject({ lastSeq: 420, outOfOrder: 0 });
  });

  it('durableConsumerLag counts what each durable consumer has not received or not acknowledged, and ignores ordered consumers', { timeout: 60_000 }, async () => {
    await setup();
    await writeBatches(nc, stream, [1, 1, 1, 1, 1]);
    await jsm.consumers.add(stream.name, { durable_name: 'proj-b', ack_policy: AckPolicy.Explicit });
    await jsm.consumers.add(stream.name, { durable_name: 'proj-a', ack_policy: AckPolicy.Explicit });
    // An ordered (ephemeral) reader is not a projection: it is not listed.
    for await (const b of readStream(nc, stream)) expect(b.lines).toHaveLength(1);
    expect(await durableConsumerLag(nc, stream)).toEqual([
      { consumer: 'proj-a', pending: 5 },
      { consumer: 'proj-b', pending: 5 },
    ]);

    // proj-a takes three: two acknowledged, one delivered and not acknowledged yet.
    const a = await jetstream(nc).consumers.get(stream.name, 'proj-a');
    const got = await a.fetch({ max_messages: 3, expires: 5_000 });
    const msgs = [];
    for await (const m of got) msgs.push(m);
    expect(msgs).toHaveLength(3);
    await msgs[0]?.ackAck();
    await msgs[1]?.ackAck();
    expect(await durableConsumerLag(nc, stream)).toEqual([
      { consumer: 'proj-a', pending: 3 },
      { consumer: 'proj-b', pending: 5 },
    ]);
  });
});
