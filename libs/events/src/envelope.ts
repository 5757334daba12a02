import { z } from 'zod';

/** Lowercase hex SHA-256 digest (64 characters). */
export const HashHex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 digest');
export type HashHex = z.infer<typeof HashHex>;

/** The `prev` of the first event of every chain: 32 zero bytes. */
export const GENESIS_PREV: HashHex = '0'.repeat(64);

/**
 * A chain id is `<role>.<host>.<boot-id>`: one chain per writer process start. Each part is a
 * NATS subject token (no dots, spaces or wildcards), so `totra.chain.<chain-id>` is a subject.
 */
export const ChainId = z
  .string()
  .max(200)
  .regex(/^[a-z][a-z0-9-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a chain id "<role>.<host>.<boot-id>"');
export type ChainId = z.infer<typeof ChainId>;

/** Event type names are PascalCase past-tense facts, e.g. `RequestCompleted`. */
export const EventTypeName = z.string().regex(/^[A-Z][A-Za-z0-9]{2,63}$/, 'a PascalCase event type name');

/**
 * Personal data encrypted with the data subject's key (AES-256-GCM). `iv` and `ct` are
 * base64url; the associated data binds the event id, the subject and the key id.
 */
export const Sealed = z
  .object({
    kid: z.string().min(1).max(200),
    alg: z.literal('A256GCM'),
    iv: z.string().regex(/^[A-Za-z0-9_-]+$/),
    ct: z.string().regex(/^[A-Za-z0-9_-]*$/),
  })
  .strict();
export type Sealed = z.infer<typeof Sealed>;

/** Event time: RFC 3339 UTC with millisecond precision, e.g. `2026-01-31T12:00:00.000Z`. */
export const EventTime = z.iso.datetime({ precision: 3 });

const envelopeShape = {
  /** Schema version of `data` for this event type. */
  v: z.number().int().min(1).max(1000),
  /** UUIDv7: unique, and sortable by creation time. */
  id: z.uuidv7(),
  type: EventTypeName,
  time: EventTime,
  chain: ChainId,
  /** Position in the chain, from 1 (the chain's `ChainOpened`). */
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Hash of the previous event of the same chain; `GENESIS_PREV` at seq 1. */
  prev: HashHex,
  tenant: z.string().min(1).max(128),
  /** Random pseudonymous id of the data subject; never derived from personal data. */
  subject: z.string().min(1).max(128).optional(),
  /** Clear fields: accounting and audit data, never personal data. */
  data: z.record(z.string(), z.unknown()),
  sealed: Sealed.optional(),
};

/** The envelope as hashed: every field but `hash`. */
export const UnhashedEnvelope = z.object(envelopeShape).strict();
export type UnhashedEnvelope = z.infer<typeof UnhashedEnvelope>;

/** An event as stored in the stream: the envelope plus its hash. */
export const Envelope = z.object({ ...envelopeShape, hash: HashHex }).strict();
export type Envelope = z.infer<typeof Envelope>;

/** Typed view of an envelope whose `data` was validated against its event type. */
export type TypedEnvelope<TType extends string, TData> = Omit<Envelope, 'type' | 'data'> & {
  type: TType;
  data: TData;
};

/** What a writer is given: the rest of the envelope (id, time, chain, seq, prev, hash) is its job. */
export interface EventInput<TData = Record<string, unknown>> {
  type: string;
  v?: number;
  tenant: string;
  subject?: string;
  data: TData;
  sealed?: Sealed;
  /** Optional fixed id (UUIDv7), e.g. to tie an event to a request id. */
  id?: string;
  /** Optional fixed time; the writer's clock otherwise. */
  time?: string;
}
