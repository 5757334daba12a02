import type { IncomingHttpHeaders } from 'node:http';
import { MockProviderError } from './errors.js';

/** What a mock operation is: which endpoint the request hit. */
export type MockOperation = 'chat' | 'responses' | 'completions' | 'embeddings' | 'models' | 'count-tokens';

/** One request as the mock received it. */
export interface RecordedRequest {
  /** 1-based arrival number since the mock started. */
  readonly seq: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Node's header object: lower-case names. */
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when there is none, when it is not JSON, or in fast mode. */
  readonly body: unknown;
  readonly rawBody: Buffer;
  /** undefined when no route matched (answered 404). */
  readonly operation: MockOperation | undefined;
  /** `performance.now()` when the body had been read. */
  readonly receivedAt: number;
}

interface Waiter {
  resolve(request: RecordedRequest): void;
  reject(error: unknown): void;
}

/**
 * Keeps the last `limit` requests (amortised O(1) per request) and resolves waiters for a
 * given arrival number.
 */
export class RequestRecorder {
  private list: RecordedRequest[] = [];
  private head = 0;
  private count = 0;
  private readonly waiters = new Map<number, Waiter[]>();

  constructor(private readonly limit: number) {}

  get total(): number {
    return this.count;
  }

  /** Numbers and keeps a request, and wakes whoever waits for its number. */
  add(fields: Omit<RecordedRequest, 'seq'>): RecordedRequest {
    const request: RecordedRequest = { seq: ++this.count, ...fields };
    if (this.limit > 0) {
      this.list.push(request);
      if (this.list.length - this.head > this.limit) this.head++;
      if (this.head > this.limit) {
        this.list = this.list.slice(this.head);
        this.head = 0;
      }
    }
    const waiting = this.waiters.get(request.seq);
    if (waiting) {
      this.waiters.delete(request.seq);
      for (const w of waiting) w.resolve(request);
    }
    return request;
  }

  snapshot(): RecordedRequest[] {
    return this.list.slice(this.head);
  }

  clear(): void {
    this.list = [];
    this.head = 0;
  }

  find(seq: number): RecordedRequest | undefined {
    const kept = this.list.length - this.head;
    const first = kept > 0 ? (this.list[this.head] as RecordedRequest).seq : this.count + 1;
    return seq >= first ? this.list[this.head + (seq - first)] : undefined;
  }

  wait(seq: number, signal?: AbortSignal): Promise<RecordedRequest> {
    if (!Number.isInteger(seq) || seq < 1) return Promise.reject(new MockProviderError(`request number must be >= 1, got ${seq}`));
    if (seq <= this.count) {
      const found = this.find(seq);
      return found
        ? Promise.resolve(found)
        : Promise.reject(new MockProviderError(`request ${seq} arrived but is no longer kept (raise maxRecordedRequests)`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<RecordedRequest>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject,
      };
      const onAbort = () => {
        const list = this.waiters.get(seq);
        const i = list?.indexOf(waiter) ?? -1;
        if (list && i !== -1) list.splice(i, 1);
        if (list?.length === 0) this.waiters.delete(seq);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.waiters.get(seq);
      if (list) list.push(waiter);
      else this.waiters.set(seq, [waiter]);
    });
  }
}
