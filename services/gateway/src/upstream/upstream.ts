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
  headersTimeoutMs: 120_000,
  bodyTimeoutMs: 120_000,
  connectionsPerOrigin: 256,
  keepAliveTimeoutMs: 30_000,
};

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
