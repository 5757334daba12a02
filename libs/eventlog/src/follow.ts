import { type NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { EventRegistry, type DecodedEvent } from '@totra/events';
import { TYPES_HEADER } from './chain-writer.js';
import { lineMatcher } from './line-matcher.js';
import { pullSize } from './pull-size.js';
import { streamState } from './reader.js';
import { type StreamOptions } from './stream.js';

/** Called with each event of the selected types, in stream order, validated and upcast. */
export type EventHandler = (event: DecodedEvent, streamSeq: number) => void;

function dispatch(lines: string[], streamSeq: number, wanted: (l: string) => boolean, types: ReadonlySet<string>, registry: EventRegistry, onEvent: EventHandler): void {
  for (const line of lines) {
    if (!wanted(line)) continue;
    const raw = JSON.parse(line) as { type?: unknown };
    if (typeof raw.type !== 'string' || !types.has(raw.type)) continue;
    onEvent(registry.decode(raw), streamSeq);
  }
}

/**
 * The bodies of the messages that may hold events of `types`, for a consumer that delivers
 * headers only: a message whose `Totra-Types` header names none of them is skipped without its
 * body; one that names one (or has no header: written before the header existed) is fetched by
 * its sequence. Most of the log is request traffic that such a reader does not want.
 */
function bodies(nc: NatsConnection, stream: StreamOptions, types: ReadonlySet<string>): (m: JsMsg) => Promise<string | undefined> {
  const jsm = jetstreamManager(nc, { checkAPI: false });
  return async (m) => {
    // A header naming none of the types: nothing to read. No header (an older message): read it.
    if (m.headers?.has(TYPES_HEADER) && !(m.headers.get(TYPES_HEADER) ?? '').split(',').some((t) => types.has(t))) return undefined;
    const stored = await (await jsm).streams.getMessage(stream.name, { seq: m.seq });
    return stored?.string();
  };
}

/**
 * Replays the events of the given types from the start of the stream to its current end.
 * Returns the last stream sequence read (0 for an empty stream), to follow on from.
 */
export async function replayEvents(
  nc: NatsConnection,
  stream: StreamOptions,
  types: ReadonlySet<string>,
  onEvent: EventHandler,
  registry: EventRegistry = new EventRegistry(),
): Promise<number> {
  const wanted = lineMatcher(types);
  const state = await streamState(nc, stream);
  const lastSeq = state.lastSeq;
  if (state.messages === 0 || lastSeq < state.firstSeq) return lastSeq;
  const body = bodies(nc, stream, types);
  const consumer = await jetstream(nc).consumers.get(stream.name, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(1, state.firstSeq),
    filter_subjects: `${stream.subjectPrefix}.chain.>`,
    headers_only: true,
  });
  const messages = await consumer.consume({ max_messages: pullSize(nc) });
  try {
    for await (const m of messages) {
      if (m.seq > lastSeq) break;
      const text = await body(m);
      if (text !== undefined) dispatch(text.split('\n'), m.seq, wanted, types, registry, onEvent);
      if (m.seq >= lastSeq) break;
    }
  } finally {
    messages.stop();
    await consumer.delete().catch(() => undefined);
  }
  return lastSeq;
}

/** A running subscription to new events; `stop()` ends it. */
export interface Following {
  stop(): Promise<void>;
}

/**
 * Delivers the events of the given types appended after `afterStreamSeq`, as they arrive,
 * until stopped. An ordered consumer of headers only (see `bodies`): the server re-creates it
 * after a reconnect, and delivery resumes where it stopped.
 */
export async function followEvents(
  nc: NatsConnection,
  stream: StreamOptions,
  types: ReadonlySet<string>,
  afterStreamSeq: number,
  onEvent: EventHandler,
  opts: { registry?: EventRegistry; onError?: (err: unknown) => void } = {},
): Promise<Following> {
  const registry = opts.registry ?? new EventRegistry();
  const wanted = lineMatcher(types);
  const body = bodies(nc, stream, types);
  const consumer = await jetstream(nc).consumers.get(stream.name, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterStreamSeq + 1,
    filter_subjects: `${stream.subjectPrefix}.chain.>`,
    headers_only: true,
  });
  const messages = await consumer.consume({ max_messages: pullSize(nc) });
  const done = (async () => {
    for await (const m of messages) {
      try {
        const text = await body(m);
        if (text !== undefined) dispatch(text.split('\n'), m.seq, wanted, types, registry, onEvent);
      } catch (err) {
        opts.onError?.(err);
      }
    }
  })();
  return {
    async stop() {
      messages.stop();
      await done.catch(() => undefined);
      await consumer.delete().catch(() => undefined);
    },
  };
}
