import { type NatsConnection } from '@nats-io/nats-core';

/** Bytes a reader lets the server have in flight towards it (per consumer). */
export const PULL_BYTES = 8 * 1024 * 1024;

/**
 * Messages per pull of a headers-only consumer: what reaches the reader is the message's headers
 * (a few hundred bytes: the event types of the batch and its size), never its body, so the count
 * is not bounded by the largest body.
 */
export const HEADERS_ONLY_PULL = 256;

/**
 * Messages per pull for a `consume()` of the event stream: bounded by count, sized so that even
 * messages as large as the server allows stay within {@link PULL_BYTES} in flight.
 *
 * Not `max_bytes`: when the next message does not fit in what is left of a byte-bounded pull, the
 * server ends it with "409 Message Size Exceeds MaxBytes", and the client then issues no new pull
 * if its buffer happens to be empty, so the reader stalls. Not a fixed large count either: a
 * count-bounded pull of hundreds of large batches puts more in flight than the server lets a
 * client have pending.
 *
 * `headersOnly`: the consumer delivers headers only ({@link HEADERS_ONLY_PULL}). The client asks
 * for more once a quarter of a pull has arrived, so a small count means a pull request for every
 * two or three messages: for a gateway that follows the whole stream for its few settings events,
 * as much traffic to the server as the events it appends.
 */
export function pullSize(nc: Pick<NatsConnection, 'info'>, opts: { headersOnly?: boolean } = {}): number {
  if (opts.headersOnly) return HEADERS_ONLY_PULL;
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  return Math.max(4, Math.min(256, Math.floor(PULL_BYTES / Math.max(1, maxPayload))));
}
