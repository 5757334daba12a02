import { join } from 'node:path';
import { type Command } from 'commander';
import { type NatsConnection } from '@nats-io/nats-core';
import { createDb } from '@totra/db';
import { ChainWriter, DEFAULT_STREAM, connectNats, type StreamOptions } from '@totra/eventlog';
import { replayFromEventLog, settingsLog, type EventLogReadModel, type EventLogSource } from '@totra/projection-reporting';
import { type DecodedEvent } from '@totra/events';
import { CliError, EXIT } from './cli-error.js';
import { readUrls, resolveNatsUrl, stateDir } from './state.js';
import { VERSION } from './version.js';

/** Options every command that reads or writes the event log takes. */
export interface LogOptions {
  nats?: string;
  stream: string;
  subjectPrefix: string;
  stateDir?: string;
}

/** Adds the event-log connection options to a command. */
export function logOptions(cmd: Command): Command {
  return cmd
    .option('--nats <url>', 'NATS server URL (default: TOTRA_NATS_URL, then .totra/urls.json, then nats://127.0.0.1:4222)')
    .option('--stream <name>', 'JetStream stream name', process.env['TOTRA_STREAM'] ?? DEFAULT_STREAM.name)
    .option('--subject-prefix <prefix>', 'subject prefix of the chains', process.env['TOTRA_SUBJECT_PREFIX'] ?? DEFAULT_STREAM.subjectPrefix)
    .option('--state-dir <dir>', 'state folder of `totra up`', undefined);
}

/** Connects to NATS for the duration of `fn`; a connection failure is a usage error (exit 2). */
export async function withNats<T>(o: LogOptions, fn: (nc: NatsConnection, stream: StreamOptions) => Promise<T>): Promise<T> {
  const url = resolveNatsUrl(o.nats, stateDir(o.stateDir));
  let nc: NatsConnection;
  try {
    nc = await connectNats(url, { name: 'totra-cli', timeout: 5000 });
  } catch (err) {
    throw new CliError('TOTRA_CLI_NATS_UNREACHABLE', `cannot connect to NATS at ${url}: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
  try {
    return await fn(nc, { name: o.stream, subjectPrefix: o.subjectPrefix });
  } catch (err) {
    const e = err as { name?: string; code?: unknown; message: string };
    if (e.name === 'StreamNotFoundError' || e.code === 10059) {
      throw new CliError('TOTRA_CLI_NO_STREAM', `stream ${o.stream} does not exist on ${url} (start ToTra with \`npm start\` first)`, EXIT.usage, { cause: err });
    }
    throw err;
  } finally {
    await nc.close();
  }
}

/**
 * Runs `fn` with a chain writer of role `cli` (a new chain, as for every writer process
 * start) and waits until every event it appended is in JetStream before returning.
 */
export async function withWriter<T>(o: LogOptions, fn: (writer: ChainWriter, nc: NatsConnection, stream: StreamOptions) => Promise<T> | T): Promise<T> {
  return withNats(o, async (nc, stream) => {
    const writer = await ChainWriter.open({ nc, stream, role: 'cli', spoolDir: join(stateDir(o.stateDir), 'spool'), writerVersion: VERSION });
    try {
      const result = await fn(writer, nc, stream);
      await writer.drain();
      return result;
    } finally {
      await writer.close();
    }
  });
}

/** An event-log read model to start a fold from; undefined: the whole log is read. */
export type EventLogReader = EventLogSource | undefined;

/**
 * Runs `fn` with the event-log read model `model` of ToTra's Postgres (`--db` where a command has
 * it, `TOTRA_DATABASE_URL`, then `.totra/urls.json`), when one is known: commands that fold events
 * of its types (the catalog, PII policies, keys, budgets, erasures) read it up to its checkpoint
 * and the log only past it, instead of the whole log (ADR 0018). Without a Postgres URL, `fn` gets
 * undefined and reads the whole log, as it does when the read model cannot be read (a Postgres
 * that is down is given two seconds to answer; `note` is told).
 */
export async function withEventLog<T>(o: LogOptions & { db?: string }, model: EventLogReadModel, note: (line: string) => void, fn: (log: EventLogReader) => Promise<T>): Promise<T> {
  const url = o.db ?? process.env['TOTRA_DATABASE_URL'] ?? readUrls(stateDir(o.stateDir))?.postgres;
  if (!url) return fn(undefined);
  const db = createDb<unknown>(url, { applicationName: 'totra-cli', maxConnections: 1, connectionTimeoutMs: 2_000 });
  const read = async () => {
    try {
      return await model.read(db);
    } catch (err) {
      note(`note: the ${model.name} read model could not be read (${(err as Error).message}); reading the whole log instead\n`);
      return undefined;
    }
  };
  try {
    return await fn({ name: model.name, read });
  } finally {
    await db.destroy();
  }
}

/** {@link withEventLog} with the `settings_log` read model (catalog, PII policies, team settings). */
export function withSettingsLog<T>(o: LogOptions, note: (line: string) => void, fn: (log: EventLogReader) => Promise<T>): Promise<T> {
  return withEventLog(o, settingsLog, note, fn);
}

/**
 * Folds the events of `types` of the whole stream (every chain, in stream order) with `evolve`:
 * from the event-log read model `log` up to its checkpoint when it is one of this stream, and
 * from the stream past it (ADR 0018).
 */
export async function foldFromEventLog<S>(nc: NatsConnection, stream: StreamOptions, types: ReadonlySet<string>, initial: S, evolve: (state: S, event: DecodedEvent) => S, log?: EventLogReader): Promise<S> {
  let state = initial;
  await replayFromEventLog({
    nc,
    stream,
    types,
    onEvent: (event) => {
      state = evolve(state, event);
    },
    log,
  });
  return state;
}
