/**
 * The work a request still has once its client has the answer (terminal event, settlement,
 * metrics). It waits for its turn, after the I/O the event loop has ready: answers to other
 * clients and new requests go first, so a burst of requests is not slowed down by the
 * bookkeeping of the ones before it. A turn lets through a quarter of the waiting work (at least
 * one), so under sustained load the bookkeeping keeps pace instead of piling up.
 *
 * It also knows what is unfinished: `drain()` resolves when every task has ended, and every
 * request handler given to `track()` (the gateway waits for it before it closes its chain
 * writer, so no event is lost at shutdown, not even that of a request cut short by it).
 */
export class AfterResponse {
  #waiting: (() => void)[] = [];
  #scheduled = false;
  #open = 0;
  #drained: (() => void)[] = [];

  /** Runs `task` in a later turn of the event loop; resolves or rejects with it. */
  async run<T>(task: () => Promise<T> | T): Promise<T> {
    this.#open++;
    try {
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        this.#schedule();
      });
      return await task();
    } finally {
      this.#close();
    }
  }

  #close(): void {
    this.#open--;
    if (this.#open === 0) for (const done of this.#drained.splice(0)) done();
  }

  /** Counts `work` (a request handler) as unfinished until it settles; returns it. */
  async track<T>(work: Promise<T>): Promise<T> {
    this.#open++;
    try {
      return await work;
    } finally {
      this.#close();
    }
  }

  /** Tasks waiting for their turn or running, and tracked work not settled yet. */
  get open(): number {
    return this.#open;
  }

  /** Resolves when no task is waiting or running and no tracked work is pending. */
  drain(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#turn);
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    const n = Math.max(1, this.#waiting.length >> 2);
    for (const go of this.#waiting.splice(0, n)) go();
    if (this.#waiting.length) this.#schedule();
  };
}
