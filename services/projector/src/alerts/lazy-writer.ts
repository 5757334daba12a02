import { type NatsConnection } from '@nats-io/nats-core';
import { ChainWriter, type StreamOptions } from '@totra/eventlog';

export interface LazyChainWriterOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** Writer role, the first part of its chain id (`notifier`, `anomaly`, `gdpr`). */
  role: string;
  spoolDir: string;
  writerVersion?: string | undefined;
  /** Opens the writer instead (tests pass their own). */
  open?: (() => Promise<ChainWriter>) | undefined;
  /** Prefix of the warnings, e.g. `alerts writer`. */
  label: string;
  onWarning: (message: string, err?: unknown) => void;
}

/**
 * The chain writer of a projector task that appends now and then (alerts, erasure notices):
 * opened on first use, so a process that never appends opens no chain, and opened once even
 * when two passes ask at the same time.
 */
export class LazyChainWriter {
  readonly #o: LazyChainWriterOptions;
  #opening: Promise<ChainWriter> | undefined;

  constructor(o: LazyChainWriterOptions) {
    this.#o = o;
  }

  get(): Promise<ChainWriter> {
    const o = this.#o;
    this.#opening ??= (
      o.open
        ? o.open()
        : ChainWriter.open({
            nc: o.nc,
            stream: o.stream,
            role: o.role,
            spoolDir: o.spoolDir,
            ...(o.writerVersion !== undefined ? { writerVersion: o.writerVersion } : {}),
            onWarning: (m, err) => o.onWarning(`${o.label}: ${m}`, err),
          })
    ).catch((err: unknown) => {
      this.#opening = undefined; // the next pass tries again
      throw err;
    });
    return this.#opening;
  }

  /** Closes the writer if it was opened; a failure is a warning. */
  async close(): Promise<void> {
    const opening = this.#opening;
    if (!opening) return;
    try {
      await (await opening).close();
    } catch (err) {
      this.#o.onWarning(`${this.#o.label}: closing failed: ${(err as Error).message}`, err);
    }
  }
}
