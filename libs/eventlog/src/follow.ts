import { type NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { EventRegistry, type DecodedEvent } from '@totra/events';
import { lineMatcher } from './line-matcher.js';
import { pullSize } from './pull-size.js';
import { bodiesOf, readStream, streamState } from './reader.js';
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
 * Replays the events of the given types from the start of the stream (or from `fromStreamSeq`)
 * to its current end. Returns the last stream sequence read (0 for an empty stream;
 * `fromStreamSeq - 1` when the stream ends before it), to follow on from.
 */
export async function replayEvents(
  nc: NatsConnection,
  stream: StreamOptions,
  types: ReadonlySet<string>,
  onEvent: EventHandler,
  registry: EventRegistry = new EventRegistry(),
  fromStreamSeq = 1,
): Promise<number> {
  const wanted = lineMatcher(types);
  const { lastSeq } = await streamState(nc, stream);
  if (lastSeq < fromStreamSeq) return fromStreamSeq - 1;
  for await (const batch of readStream(nc, stream, { fromStreamSeq, untilStreamSeq: lastSeq, types })) {
    dispatch(batch.lines, batch.streamSeq, wanted, types, registry, onEvent);
  }
  return lastSeq;
}

/** A running subscription to new events; `stop()` ends it. */
export interface Following {
  stop(): Promise<void>;
}

/**
 * Delivers the events of the given types appended after `afterStreamSeq`, as they arrive,
 * until stopped. An ordered consumer of headers only (see `bodiesOf`): the server re-creates it
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
  const body = bodiesOf(nc, stream, types);
  const consumer = await jetstream(nc).consumers.get(stream.name, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterStreamSeq + 1,
    filter_subjects: `${stream.subjectPrefix}.chain.>`,
    headers_only: true,
  });
  const messages = await consumer.consume({ max_messages: pullSize(nc, { headersOnly: true }) });
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
