/** Deletes a Redis lock key only while it still holds the caller's token (KEYS[1], ARGV[1]). */
export const RELEASE_LOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * A background pass run again every `intervalMs` until stopped: the shared loop of the
 * projector's pollers (budget alerts, anomaly alerts, the GDPR watcher). A failed pass is
 * reported and the loop goes on; `wake()` starts the next pass at once.
 */
export class PollLoop {
  readonly #pass: () => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(pass: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void) {
    this.#pass = pass;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Runs the next pass now instead of after the interval. */
  wake(): void {
    this.#wake?.();
  }

  /** Stops the loop; resolves once the pass in progress, if any, has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#pass();
      } catch (err) {
        if (!this.#stopped) this.#onError(err);
      }
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.#intervalMs);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}
