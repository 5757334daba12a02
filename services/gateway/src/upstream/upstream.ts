import { addAbortListener } from 'node:events';
import { Agent, type Dispatcher } from 'undici';
import { type ProviderHttpRequest } from '@totra/providers';

export interface UpstreamOptions {
  /** TCP + TLS connect timeout. */
  connectTimeoutMs: number;
  /** Time to the response headers (the provider's time to first byte). */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks. */
  bodyTimeoutMs: number;
  /** Keep-alive connections per upstream origin. */
  connectionsPerOrigin: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_UPSTREAM: UpstreamOptions = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 600_000,
  bodyTimeoutMs: 600_000,
  connectionsPerOrigin: 256,
  keepAliveTimeoutMs: 30_000,
};

/** A provider's answer read whole: status, headers (lower-case names) and body text (UTF-8, a leading BOM dropped). */
export interface BufferedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Most provider URLs whose parsed parts are kept (a few per deployment); beyond it the cache starts over. */
const MAX_PARSED_URLS = 1024;

/** The upstream HTTP side: one undici agent, which keeps a keep-alive pool per provider origin. */
export class Upstream {
  readonly #agent: Agent;
  readonly options: UpstreamOptions;
  /** Origin and path of the provider URLs seen: the same few come back on every request. */
  readonly #parsed = new Map<string, { origin: string; path: string }>();

  constructor(options: Partial<UpstreamOptions> = {}) {
    this.options = { ...DEFAULT_UPSTREAM, ...options };
    this.#agent = new Agent({
      connections: this.options.connectionsPerOrigin,
      keepAliveTimeout: this.options.keepAliveTimeoutMs,
      connect: { timeout: this.options.connectTimeoutMs },
      headersTimeout: this.options.headersTimeoutMs,
      bodyTimeout: this.options.bodyTimeoutMs,
    });
  }

  /** Sends a provider request; the response body is a stream the caller must consume or dump. */
  send(req: ProviderHttpRequest, signal: AbortSignal, headersTimeoutMs?: number): Promise<Dispatcher.ResponseData> {
    const url = this.#parse(req.url);
    return this.#agent.request({
      origin: url.origin,
      path: url.path,
      method: req.method,
      headers: req.headers,
      body: typeof req.body === 'string' ? req.body : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
      signal,
      ...(headersTimeoutMs ? { headersTimeout: headersTimeoutMs } : {}),
    });
  }

  /**
   * Sends a provider request and reads its whole answer, for answers that are not streamed: the
   * chunks are collected as they arrive, with no body stream (and its listeners and promises) in
   * between. Rejects as `send` does: with undici's error, or with the signal's reason once it aborts.
   */
  sendBuffered(req: ProviderHttpRequest, signal: AbortSignal, headersTimeoutMs?: number): Promise<BufferedResponse> {
    const url = this.#parse(req.url);
    return new Promise<BufferedResponse>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let controller: Dispatcher.DispatchController | undefined;
      let abortReason: unknown;
      let statusCode = 0;
      let headers: BufferedResponse['headers'] = {};
      const chunks: Buffer[] = [];
      let length = 0;
      let settled = false;
      const listener = addAbortListener(signal, () => {
        abortReason = signal.reason;
        controller?.abort(abortReason as Error);
      });
      const finish = (err: unknown, value?: BufferedResponse) => {
        if (settled) return;
        settled = true;
        listener[Symbol.dispose]();
        if (err === undefined) resolve(value as BufferedResponse);
        else reject(err);
      };
      try {
        this.#agent.dispatch(
          {
            origin: url.origin,
            path: url.path,
            method: req.method as Dispatcher.HttpMethod,
            headers: req.headers,
            body: typeof req.body === 'string' ? req.body : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
            ...(headersTimeoutMs ? { headersTimeout: headersTimeoutMs } : {}),
          },
          {
            onRequestStart(c) {
              controller = c;
              if (abortReason !== undefined) c.abort(abortReason as Error);
            },
            onResponseStart(_c, status, responseHeaders) {
              // 1xx answers (100 Continue) come before the real one.
              if (status < 200) return;
              statusCode = status;
              headers = responseHeaders;
            },
            onResponseData(_c, chunk) {
              chunks.push(chunk);
              length += chunk.length;
            },
            onResponseEnd() {
              const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
              const bom = body.length > 2 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
              finish(undefined, { statusCode, headers, text: body.toString('utf8', bom) });
            },
            onResponseError(_c, err) {
              finish(err);
            },
          },
        );
      } catch (err) {
        finish(err);
      }
    });
  }

  #parse(href: string): { origin: string; path: string } {
    let parts = this.#parsed.get(href);
    if (!parts) {
      const url = new URL(href);
      parts = { origin: url.origin, path: `${url.pathname}${url.search}` };
      if (this.#parsed.size >= MAX_PARSED_URLS) this.#parsed.clear();
      this.#parsed.set(href, parts);
    }
    return parts;
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
