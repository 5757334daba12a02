import { type NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { TYPES_HEADER } from './chain-writer.js';
import { pullSize } from './pull-size.js';
import { chainIdOfSubject, type StreamOptions } from './stream.js';

/** One message of the stream: a batch of events of one chain, as stored. */
export interface StoredBatch {
  /** Stream sequence of the message. */
  streamSeq: number;
  subject: string;
  /** The chain the subject belongs to (undefined for a subject outside `<prefix>.chain.>`). */
  chainId: string | undefined;
  /** The events of the batch, one JSON envelope per line, exactly as stored. */
  lines: string[];
}

export interface ReadStreamOptions {
  /** First stream sequence to read (default 1). */
  fromStreamSeq?: number;
  /** Last stream sequence to read (default: the last one when reading starts). */
  untilStreamSeq?: number;
  /** Only the chain subjects matching this filter (default: all chains). */
  filterSubject?: string;
  /** Called with (messages read, messages to read) as reading goes. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Only events of these types are wanted: messages are read headers first, and a message whose
   * `Totra-Types` header names none of them is yielded with no lines, without its body (ADR 0014).
   */
  types?: ReadonlySet<string>;
}

/**
 * For a consumer that delivers headers only: the body of a message that may hold events of
 * `types` (its `Totra-Types` header names one, or it has no header: written before the header
 * existed), fetched by its sequence; undefined for one whose header names none of them.
 */
export function bodiesOf(nc: NatsConnection, stream: StreamOptions, types: ReadonlySet<string>): (m: JsMsg) => Promise<string | undefined> {
  const jsm = jetstreamManager(nc, { checkAPI: false });
  return async (m) => {
    if (m.headers?.has(TYPES_HEADER) && !(m.headers.get(TYPES_HEADER) ?? '').split(',').some((t) => types.has(t))) return undefined;
    const stored = await (await jsm).streams.getMessage(stream.name, { seq: m.seq });
    return stored?.string();
  };
}

/** Number of messages and last sequence of the stream. */
export async function streamState(nc: NatsConnection, stream: StreamOptions): Promise<{ messages: number; firstSeq: number; lastSeq: number }> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const info = await jsm.streams.info(stream.name);
  return { messages: info.state.messages, firstSeq: info.state.first_seq, lastSeq: info.state.last_seq };
}

/**
 * Whether the stream's message at `streamSeq` holds the event with id `eventId`: a check that a
 * position recorded elsewhere (a read model's) belongs to this stream. False when there is no
 * such message.
 */
export async function messageHolds(nc: NatsConnection, stream: StreamOptions, streamSeq: number, eventId: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const stored = await jsm.streams.getMessage(stream.name, { seq: streamSeq }).catch(() => null);
  if (!stored) return false;
  const needle = `"id":${JSON.stringify(eventId)}`;
  return stored.string().split('\n').some((line) => line.includes(needle));
}

/**
 * What each durable consumer of the stream (a projection) has still to process: messages not
 * delivered yet plus messages delivered and not acknowledged. All zeros: the projections have
 * caught up with the stream.
 */
export async function durableConsumerLag(nc: NatsConnection, stream: StreamOptions): Promise<{ consumer: string; pending: number }[]> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const lag: { consumer: string; pending: number }[] = [];
  for await (const c of jsm.consumers.list(stream.name)) {
    // The server lists a consumer that goes away while it answers (an ordered reader's) as null.
    if (!c) continue;
    if (c.config.durable_name) lag.push({ consumer: c.config.durable_name, pending: c.num_pending + c.num_ack_pending });
  }
  return lag.sort((a, b) => a.consumer.localeCompare(b.consumer));
}

/**
 * Replays the stream in stream order (all chains interleaved; within a chain, chain order),
 * from `fromStreamSeq` up to the last message that existed when reading started. Uses an
 * ordered consumer, which the server deletes when the reader goes away.
 */
export async function* readStream(nc: NatsConnection, stream: StreamOptions, opts: ReadStreamOptions = {}): AsyncGenerator<StoredBatch> {
  const state = await streamState(nc, stream);
  const from = Math.max(opts.fromStreamSeq ?? 1, state.firstSeq, 1);
  const until = Math.min(opts.untilStreamSeq ?? state.lastSeq, state.lastSeq);
  if (state.messages === 0 || until < from) return;
  const js = jetstream(nc);
  const body = opts.types ? bodiesOf(nc, stream, opts.types) : undefined;
  const consumer = await js.consumers.get(stream.name, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
    filter_subjects: opts.filterSubject ?? `${stream.subjectPrefix}.chain.>`,
    ...(body ? { headers_only: true } : {}),
  });
  const total = until - from + 1;
  // Batches range from one event to near max_payload: see pullSize for why a count sized from
  // max_payload, and neither bytes nor a fixed count (unless only headers are delivered).
  const messages = await consumer.consume({ max_messages: pullSize(nc, { headersOnly: body !== undefined }) });
  try {
    for await (const m of messages) {
      if (m.seq > until) break;
      let lines: string[];
      if (body) {
        const text = await body(m);
        lines = text === undefined ? [] : text.split('\n');
      } else lines = m.string().split('\n');
      yield { streamSeq: m.seq, subject: m.subject, chainId: chainIdOfSubject(stream, m.subject), lines };
      opts.onProgress?.(m.seq - from + 1, total);
      if (m.seq >= until) break;
    }
  } finally {
    messages.stop();
    await consumer.delete().catch(() => undefined);
  }
}
