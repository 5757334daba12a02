import { type NatsConnection } from '@nats-io/nats-core';
import { messageHolds, replayEvents, streamState, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type DecodedEvent } from '@totra/events';
import { type EventLog } from './event-log.projection.js';

/** How events were loaded: from an event-log read model up to a point, then the stream. */
export interface EventLogLoad {
  /** From the read model, complete up to stream sequence `upTo`; undefined: not used. */
  fromReadModel: { upTo: number; events: number } | undefined;
  /** Stream messages read after it (or from the start of the stream). */
  streamMessages: number;
}

/** An event-log read model to start from: its name (for messages) and how to read it. */
export interface EventLogSource {
  name: string;
  read: () => Promise<EventLog | undefined>;
}

/**
 * Hands `onEvent` every event of `types` of the stream, in stream order: up to the read model's
 * checkpoint from the event-log read model `log` (which holds its own types only: other types
 * wanted are read from the stream past that point, which suits types that only matter as they
 * come), when it belongs to this stream, and the rest from the stream (ADR 0018). Without a
 * usable read model, the whole stream is read, as `replayEvents` does; why it was not usable goes
 * to `onError`. Returns the last stream sequence read, to follow on from.
 */
export async function replayFromEventLog(o: {
  nc: NatsConnection;
  stream: StreamOptions;
  types: ReadonlySet<string>;
  onEvent: (event: DecodedEvent) => void;
  registry?: EventRegistry;
  log?: EventLogSource | undefined;
  onError?: ((err: Error) => void) | undefined;
}): Promise<{ last: number; load: EventLogLoad }> {
  const registry = o.registry ?? new EventRegistry();
  const log = o.log ? await usableEventLog(o.nc, o.stream, o.log, o.onError) : undefined;
  if (log) {
    for (const envelope of log.envelopes) {
      const e = registry.decode(envelope);
      if (o.types.has(e.type)) o.onEvent(e);
    }
  }
  const from = (log?.upTo ?? 0) + 1;
  const last = await replayEvents(o.nc, o.stream, o.types, o.onEvent, registry, from);
  return { last, load: { fromReadModel: log ? { upTo: log.upTo, events: log.envelopes.length } : undefined, streamMessages: Math.max(0, last - from + 1) } };
}

/**
 * The event log when it belongs to this stream: it holds at least one event, its point is not
 * past the stream's end, and the message at the stream sequence of its last event holds that
 * event (a read model kept for another stream, or for one since recreated, fails this). One with
 * no event is not used: nothing would tell whose stream it is, and it saves nothing (a gateway
 * seeds the catalog at its first start, so only a new installation has no settings event; a
 * log of keys or budgets is empty until the first is issued or set).
 * Undefined otherwise, or when it cannot be read: the caller reads the whole stream.
 */
async function usableEventLog(nc: NatsConnection, stream: StreamOptions, source: EventLogSource, onError: ((err: Error) => void) | undefined): Promise<EventLog | undefined> {
  let log: EventLog | undefined;
  try {
    log = await source.read();
  } catch (err) {
    onError?.(new Error(`the ${source.name} read model could not be read (${(err as Error).message}); reading the whole stream instead`));
    return undefined;
  }
  const lastEnvelope = log?.envelopes.at(-1) as { id?: unknown } | undefined;
  if (!log || lastEnvelope === undefined) return undefined;
  const { lastSeq } = await streamState(nc, stream);
  const lastAt = log.lastStreamSeq;
  const matches = log.upTo <= lastSeq && lastAt !== undefined && typeof lastEnvelope.id === 'string' && (await messageHolds(nc, stream, lastAt, lastEnvelope.id));
  if (!matches) {
    onError?.(new Error(`the ${source.name} read model (up to stream sequence ${log.upTo}) does not match stream ${stream.name} (last sequence ${lastSeq}); reading the whole stream instead`));
    return undefined;
  }
  return log;
}
