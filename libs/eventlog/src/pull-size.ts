import { type NatsConnection } from '@nats-io/nats-core';

/** Bytes a reader lets the server have in flight towards it (per consumer). */
export const PULL_BYTES = 8 * 1024 * 1024;

/**
 * Messages per pull for a `consume()` of the event stream: bounded by count, sized so that even
 * messages as large as the server allows stay within {@link PULL_BYTES} in flight.
 *
 * Not `max_bytes`: when the next message does not fit in what is left of a byte-bounded pull, the
 * server ends it with "409 Message Size Exceeds MaxBytes", and the client then issues no new pull
 * if its buffer happens to be empty, so the reader stalls. Not a fixed large count either: a
 * count-bounded pull of hundreds of large batches puts more in flight than the server lets a
 * client have pending.
 */
export function pullSize(nc: Pick<NatsConnection, 'info'>): number {
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  return Math.max(4, Math.min(256, Math.floor(PULL_BYTES / Math.max(1, maxPayload))));
}
