import { type Kysely, type Transaction } from 'kysely';
import { type ProjectionMigrations } from '@totra/db';
import { type DecodedEvent } from '@totra/events';
import { InvalidProjectionError } from './errors.js';

/** One event handed to a projection, with where it sits in the stream. */
export interface ProjectedEvent {
  readonly event: DecodedEvent;
  /** Stream sequence of the message (batch) that holds the event. */
  readonly streamSeq: number;
  /** Position of the event inside its message. */
  readonly index: number;
}

/**
 * A read model fed from the event stream. `apply` must only write through `trx` (the runner's
 * transaction, which also moves the checkpoint) so that an event takes effect exactly once.
 * `applyBatch`, when given, must have the same effect as `apply` on each event in order; it lets a
 * projection aggregate a batch into few statements.
 */
export interface Projection<DB = unknown> {
  /** Lowercase snake case; also the prefix of its tables (see @totra/db's README). */
  readonly name: string;
  /** Bump to rebuild the read model from the stream (the runner does it when the stored version differs). */
  readonly version: number;
  /** Event types the projection reads; every other type is skipped cheaply. */
  readonly handles: readonly string[];
  readonly migrations: ProjectionMigrations;
  apply(event: ProjectedEvent, trx: Transaction<DB>): Promise<void>;
  applyBatch?(events: readonly ProjectedEvent[], trx: Transaction<DB>): Promise<void>;
}

/** A projection typed for any database: what the runner stores and lists. */
export type AnyProjection = Projection<unknown>;

/** Checks a projection definition and returns it unchanged. */
export function defineProjection<DB>(projection: Projection<DB>): Projection<DB> {
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(projection.name) || projection.name.includes('__')) {
    throw new InvalidProjectionError(`projection name "${projection.name}" must be 1-40 of [a-z0-9_] (no "__"), starting with a letter`);
  }
  if (projection.migrations.projection !== projection.name) {
    throw new InvalidProjectionError(`projection ${projection.name} has the migrations of ${projection.migrations.projection}`);
  }
  if (!Number.isInteger(projection.version) || projection.version < 1) {
    throw new InvalidProjectionError(`projection ${projection.name}: version must be a positive integer`);
  }
  if (projection.handles.length === 0) throw new InvalidProjectionError(`projection ${projection.name} handles no event type`);
  return projection;
}

/** A projection's own database handle type, for code that only needs `Kysely<unknown>`. */
export type AnyDb = Kysely<unknown>;
