import { type NatsConnection } from '@nats-io/nats-core';
import { messageHolds, replayEvents, streamState, type StreamOptions } from '@totra/eventlog';
import { EventRegistry, type DecodedEvent } from '@totra/events';
import { type SettingsLog } from './settings-log.projection.js';

/** How settings were loaded: from the read model up to a point, then the stream. */
export interface SettingsLoad {
  /** From the `settings_log` read model, complete up to stream sequence `upTo`; undefined: not used. */
  fromReadModel: { upTo: number; events: number } | undefined;
  /** Stream messages read after it (or from the start of the stream). */
  streamMessages: number;
}

/**
 * Hands `onEvent` every event of `types` of the stream, in stream order: up to the
 * `settings_log` read model's checkpoint from the read model (which holds the
 * `SETTINGS_EVENT_TYPES` only: other types wanted are read from the stream past that point,
 * which suits types that only matter as they come), when `settingsLog` gives one that belongs to
 * this stream, and the rest from the stream (ADR 0018). Without a usable read model, the whole
 * stream is read, as `replayEvents` does; why it was not usable goes to `onError`. Returns the
 * last stream sequence read, to follow on from.
 */
export async function replaySettings(o: {
  nc: NatsConnection;
  stream: StreamOptions;
  types: ReadonlySet<string>;
  onEvent: (event: DecodedEvent) => void;
  registry?: EventRegistry;
  settingsLog?: (() => Promise<SettingsLog | undefined>) | undefined;
  onError?: ((err: Error) => void) | undefined;
}): Promise<{ last: number; load: SettingsLoad }> {
  const registry = o.registry ?? new EventRegistry();
  const log = o.settingsLog ? await usableSettingsLog(o.nc, o.stream, o.settingsLog, o.onError) : undefined;
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
 * The settings log when it belongs to this stream: it holds at least one event, its point is not
 * past the stream's end, and the message at the stream sequence of its last event holds that
 * event (a read model kept for another stream, or for one since recreated, fails this). One with
 * no event is not used: nothing would tell whose stream it is, and it saves nothing (a gateway
 * seeds the catalog at its first start, so only a new installation has no settings event).
 * Undefined otherwise, or when it cannot be read: the caller reads the whole stream.
 */
async function usableSettingsLog(
  nc: NatsConnection,
  stream: StreamOptions,
  read: () => Promise<SettingsLog | undefined>,
  onError: ((err: Error) => void) | undefined,
): Promise<SettingsLog | undefined> {
  let log: SettingsLog | undefined;
  try {
    log = await read();
  } catch (err) {
    onError?.(new Error(`the settings_log read model could not be read (${(err as Error).message}); reading the whole stream instead`));
    return undefined;
  }
  const lastEnvelope = log?.envelopes.at(-1) as { id?: unknown } | undefined;
  if (!log || lastEnvelope === undefined) return undefined;
  const { lastSeq } = await streamState(nc, stream);
  const lastAt = log.lastStreamSeq;
  const matches = log.upTo <= lastSeq && lastAt !== undefined && typeof lastEnvelope.id === 'string' && (await messageHolds(nc, stream, lastAt, lastEnvelope.id));
  if (!matches) {
    onError?.(new Error(`the settings_log read model (up to stream sequence ${log.upTo}) does not match stream ${stream.name} (last sequence ${lastSeq}); reading the whole stream instead`));
    return undefined;
  }
  return log;
}
