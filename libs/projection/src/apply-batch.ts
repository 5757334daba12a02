import { sql, type Transaction } from 'kysely';
import { type EventRegistry } from '@totra/events';
import { type AnyProjection, type ProjectedEvent } from './projection.js';

/** One stream message as the runner sees it. */
export interface RawMessage {
  readonly seq: number;
  readonly subject: string;
  /** The batch of JSON envelopes, one per line. */
  readonly body: string;
  /** Server time the message was stored, ms since the epoch. */
  readonly timeMs: number;
}

/** An event a projection could not read or apply: set aside with the reason, never silently dropped. */
export interface DeadLetter {
  readonly projection: string;
  readonly streamSeq: number;
  readonly subject: string;
  readonly index: number;
  readonly type: string | undefined;
  readonly reason: string;
  readonly line: string;
}

const TRANSIENT_SQLSTATE = /^(08|40|53|55P03|57|58|XX)/;

/**
 * Whether an error says the database (not the event) is the problem: connection lost, deadlock,
 * out of resources, shutting down. Such a batch is retried, never dead-lettered.
 */
export function isTransientError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE.test(code);
  const message = err instanceof Error ? err.message : '';
  return /connection|terminated|ECONNRE|ETIMEDOUT|EPIPE|timeout exceeded|Client has encountered/i.test(message) || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Decodes the events a projection reads from some messages; what cannot be decoded goes to `dead`. */
export function decodeMessages(
  projection: AnyProjection,
  registry: EventRegistry,
  wanted: (line: string) => boolean,
  messages: readonly RawMessage[],
  dead: DeadLetter[],
): ProjectedEvent[] {
  const handles = new Set(projection.handles);
  const events: ProjectedEvent[] = [];
  for (const m of messages) {
    const lines = m.body.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index] ?? '';
      if (!wanted(line)) continue;
      let type: string | undefined;
      try {
        const raw = JSON.parse(line) as { type?: unknown };
        type = typeof raw.type === 'string' ? raw.type : undefined;
        if (type === undefined || !handles.has(type)) continue;
        events.push({ event: registry.decode(raw), streamSeq: m.seq, index });
      } catch (err) {
        dead.push({ projection: projection.name, streamSeq: m.seq, subject: m.subject, index, type, reason: `cannot decode: ${errorMessage(err)}`, line });
      }
    }
  }
  return events;
}

async function applyAll(projection: AnyProjection, events: readonly ProjectedEvent[], t: Transaction<never>): Promise<void> {
  const trx = t as unknown as Transaction<unknown>;
  if (projection.applyBatch) {
    await projection.applyBatch(events, trx);
    return;
  }
  for (const e of events) await projection.apply(e, trx);
}

/**
 * Applies decoded events inside `trx`. Fast path: the whole batch under one savepoint. When that
 * fails for a reason that is not transient, the batch is replayed event by event, each under its
 * own savepoint, and the events that still fail go to `dead` (the others stay applied). A
 * transient error is rethrown: the caller rolls back and retries the whole batch.
 */
export async function applyEvents(
  projection: AnyProjection,
  events: readonly ProjectedEvent[],
  trx: Transaction<never>,
  dead: DeadLetter[],
  lineOf: (e: ProjectedEvent) => string,
  subjectOf: (seq: number) => string,
): Promise<void> {
  if (events.length === 0) return;
  await sql`SAVEPOINT projection_batch`.execute(trx);
  try {
    await applyAll(projection, events, trx);
    await sql`RELEASE SAVEPOINT projection_batch`.execute(trx);
    return;
  } catch (err) {
    if (isTransientError(err)) throw err;
    await sql`ROLLBACK TO SAVEPOINT projection_batch`.execute(trx);
  }
  for (const e of events) {
    await sql`SAVEPOINT projection_event`.execute(trx);
    try {
      await projection.apply(e, trx as unknown as Transaction<unknown>);
      await sql`RELEASE SAVEPOINT projection_event`.execute(trx);
    } catch (err) {
      if (isTransientError(err)) throw err;
      await sql`ROLLBACK TO SAVEPOINT projection_event`.execute(trx);
      dead.push({
        projection: projection.name,
        streamSeq: e.streamSeq,
        subject: subjectOf(e.streamSeq),
        index: e.index,
        type: e.event.type,
        reason: `cannot apply: ${errorMessage(err)}`,
        line: lineOf(e),
      });
    }
  }
}

/** Records dead letters in `projection_dead_letter`, in the caller's transaction. */
export async function recordDeadLetters(trx: Transaction<never>, dead: readonly DeadLetter[]): Promise<void> {
  if (dead.length === 0) return;
  const rows = dead.map((d) => sql`(${d.projection}, ${d.streamSeq}, ${d.index}, ${d.type ?? null}, ${d.reason}, ${d.line})`);
  await sql`INSERT INTO projection_dead_letter (projection, stream_seq, event_index, event_type, reason, line) VALUES ${sql.join(rows)}`.execute(trx);
}

/**
 * Applies events decoded by {@link decodeMessages} in `trx` and records the dead letters (those
 * of decoding, passed in `dead`, and those of applying, added to it) in the same transaction.
 * Returns the number of events applied.
 */
export async function applyDecoded(
  projection: AnyProjection,
  events: readonly ProjectedEvent[],
  messages: readonly RawMessage[],
  trx: Transaction<never>,
  dead: DeadLetter[],
): Promise<number> {
  const bySeq = new Map(messages.map((m) => [m.seq, m]));
  const before = dead.length;
  await applyEvents(
    projection,
    events,
    trx,
    dead,
    (e) => bySeq.get(e.streamSeq)?.body.split('\n')[e.index] ?? '',
    (seq) => bySeq.get(seq)?.subject ?? '',
  );
  await recordDeadLetters(trx, dead);
  return events.length - (dead.length - before);
}

/**
 * Decodes and applies some messages in `trx`, recording what could not be applied as dead
 * letters in the same transaction. Returns the number of events applied and the dead letters
 * (to publish after commit).
 */
export async function applyMessages(
  projection: AnyProjection,
  registry: EventRegistry,
  wanted: (line: string) => boolean,
  messages: readonly RawMessage[],
  trx: Transaction<never>,
): Promise<{ events: number; dead: DeadLetter[] }> {
  const dead: DeadLetter[] = [];
  const events = decodeMessages(projection, registry, wanted, messages, dead);
  return { events: await applyDecoded(projection, events, messages, trx, dead), dead };
}
