import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderKind } from '@totra/providers';
import {
  buildFastReply,
  buildReply,
  mockTokenCount,
  normaliseBehaviour,
  type MockBehaviour,
  type MockFault,
} from './behaviour.js';
import { JSON_TYPE, type ChatView, type Dialect, type Frame, type RequestContext, type StreamBody } from './dialect.js';
import { anthropicDialect } from './dialects/anthropic.dialect.js';
import { bedrockDialect } from './dialects/bedrock.dialect.js';
import { cohereDialect } from './dialects/cohere.dialect.js';
import { geminiDialect } from './dialects/gemini.dialect.js';
import { ollamaDialect } from './dialects/ollama.dialect.js';
import { openaiFamilyDialect } from './dialects/openai.dialect.js';
import { MockProviderError, WireRequestError } from './errors.js';
import { rec } from './json-access.js';
import { RequestRecorder, type RecordedRequest } from './request-recorder.js';

/** Options of {@link startMockProvider}. */
export interface MockProviderOptions {
  /** Which provider's wire format to speak. */
  provider: ProviderKind;
  /** Initial behaviour (also what `resetBehaviour()` returns to). */
  behaviour?: MockBehaviour;
  /** How many of the latest requests `requests` keeps. Default 100; 0 keeps none (waiters still work). */
  maxRecordedRequests?: number;
  /**
   * The key requests must carry (Bearer, `x-api-key`, `api-key`, `x-goog-api-key`, or for Bedrock
   * the SigV4 access key id / API key). Default: any key, where the provider requires one.
   */
  apiKey?: string;
  /** Refuse requests without a key (as the real provider does). Default true; OpenAI-compatible and Ollama never require one unless `apiKey` is set. */
  requireAuth?: boolean;
  /** Model ids the listing endpoints return. Default `['mock-model']`. */
  models?: readonly string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

/** A running mock provider. */
export interface MockProvider {
  readonly provider: ProviderKind;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /**
   * `url` plus the provider's API root, ready for `Deployment.baseUrl` and SDK `baseURL`:
   * `/v1` (OpenAI, OpenAI-compatible, Mistral), `/v1beta` (Gemini), nothing for the others.
   */
  readonly baseUrl: string;
  readonly port: number;
  /** The latest requests (at most `maxRecordedRequests`), oldest first. A copy. */
  readonly requests: RecordedRequest[];
  /** Requests received since start (unaffected by `clearRequests`). */
  readonly requestCount: number;
  readonly behaviour: Readonly<MockBehaviour>;
  /** Merges `patch` over the current behaviour; a `fault` in the patch restarts its `times` count. Takes effect for requests that arrive afterwards. */
  setBehaviour(patch: MockBehaviour): void;
  /** Back to the behaviour given at start. */
  resetBehaviour(): void;
  /** Resolves with request number `n` (1-based, counted since start) once it has arrived. */
  waitForRequest(n: number, options?: { signal?: AbortSignal }): Promise<RecordedRequest>;
  /** Resolves with the first request that arrives after this call. */
  nextRequest(options?: { signal?: AbortSignal }): Promise<RecordedRequest>;
  /** Forgets the kept requests (numbering goes on). */
  clearRequests(): void;
  /** Stops listening and destroys every open connection (hanging and streaming ones included). Idempotent. */
  close(): Promise<void>;
}

const DIALECTS: Readonly<Record<ProviderKind, () => Dialect>> = {
  openai: () => openaiFamilyDialect('openai'),
  'openai-compatible': () => openaiFamilyDialect('openai-compatible'),
  'azure-openai': () => openaiFamilyDialect('azure-openai'),
  mistral: () => openaiFamilyDialect('mistral'),
  anthropic: anthropicDialect,
  gemini: geminiDialect,
  cohere: cohereDialect,
  bedrock: bedrockDialect,
  ollama: ollamaDialect,
};

const EMPTY_QUERY: Readonly<Record<string, string>> = Object.freeze({});
const STREAM_KEY = Buffer.from('"stream"');
const FAST_CACHE_LIMIT = 64;

const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Invalid request (mock).',
  401: 'Invalid authentication (mock).',
  403: 'Forbidden (mock).',
  404: 'Not found (mock).',
  429: 'Rate limit reached (mock). Please try again later.',
  500: 'The server had an error while processing your request (mock).',
  503: 'The service is temporarily overloaded (mock).',
};

/** Finds a top-level-looking `"stream": true|false` without parsing the body (fast mode). */
function scanStreamFlag(raw: Buffer): boolean | undefined {
  let from = 0;
  for (;;) {
    const at = raw.indexOf(STREAM_KEY, from);
    if (at === -1) return undefined;
    let i = at + STREAM_KEY.length;
    while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x0a || raw[i] === 0x0d || raw[i] === 0x09 || raw[i] === 0x3a)) i++;
    if (raw[i] === 0x74) return true; // t
    if (raw[i] === 0x66) return false; // f
    from = at + 1;
  }
}

function concatFrames(frames: readonly Frame[]): Buffer {
  return Buffer.concat(frames.map((f) => (typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : f.data)));
}

/** Writes and resolves once the bytes went to the socket; false when the connection is gone. */
function writeFrame(res: ServerResponse, data: string | Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve(false);
      return;
    }
    const onClose = () => resolve(false);
    res.once('close', onClose);
    res.write(data, (err) => {
      res.off('close', onClose);
      resolve(!err);
    });
  });
}

/** Sends the status line and headers now (before any body byte) and resolves once they left. */
function flushHeaders(res: ServerResponse): Promise<void> {
  res.flushHeaders();
  return new Promise((resolve) => {
    const socket = res.socket;
    if (!socket || socket.destroyed) resolve();
    // Write callbacks run in order: an empty write completes after the headers were flushed.
    else socket.write('', () => resolve());
  });
}

/** Waits `ms`; false when the client went away meanwhile (no point answering). */
function waitFor(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

interface FastAnswer {
  headers: Record<string, string>;
  body: Buffer;
}

type StatusFault = Extract<MockFault, { type: 'status' }>;
type RawFault = Extract<MockFault, { type: 'raw' }>;
type DropFault = Extract<MockFault, { type: 'drop' }>;

type Outcome =
  | { kind: 'error'; status: number; message: string }
  | { kind: 'serve'; ctx: RequestContext; fault: StatusFault | DropFault | RawFault | undefined };

class MockProviderServer implements MockProvider {
  readonly provider: ProviderKind;
  url = '';
  baseUrl = '';
  port = 0;
  private current: MockBehaviour;
  private faultLeft: number | undefined;
  private readonly initial: MockBehaviour;
  private readonly recorder: RequestRecorder;
  private readonly fastCache = new Map<string, FastAnswer>();
  private readonly server: Server;
  /** Numbers the answers' request ids (`req_mock<n>`), where the dialect's provider names its requests. */
  private answered = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly dialect: Dialect,
    private readonly options: MockProviderOptions,
  ) {
    this.provider = options.provider;
    this.initial = normaliseBehaviour(options.behaviour ?? {});
    this.current = this.initial;
    this.faultLeft = this.initial.fault?.times;
    this.recorder = new RequestRecorder(options.maxRecordedRequests ?? 100);
    this.server = createServer({ noDelay: true, keepAlive: true }, (req, res) => this.onRequest(req, res));
  }

  /** `headers` with the provider's request id, where its dialect names its requests. */
  private withRequestId(headers: Record<string, string>): Record<string, string> {
    const name = this.dialect.requestIdHeader;
    return name === undefined ? headers : { ...headers, [name]: `req_mock${++this.answered}` };
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    this.baseUrl = this.url + this.dialect.apiRoot;
  }

  get requests(): RecordedRequest[] {
    return this.recorder.snapshot();
  }

  get requestCount(): number {
    return this.recorder.total;
  }

  get behaviour(): Readonly<MockBehaviour> {
    return this.current;
  }

  setBehaviour(patch: MockBehaviour): void {
    this.current = normaliseBehaviour({ ...this.current, ...patch });
    if ('fault' in patch) this.faultLeft = patch.fault?.times;
    this.fastCache.clear();
  }

  resetBehaviour(): void {
    this.current = this.initial;
    this.faultLeft = this.initial.fault?.times;
    this.fastCache.clear();
  }

  waitForRequest(n: number, options?: { signal?: AbortSignal }): Promise<RecordedRequest> {
    return this.recorder.wait(n, options?.signal);
  }

  nextRequest(options?: { signal?: AbortSignal }): Promise<RecordedRequest> {
    return this.recorder.wait(this.recorder.total + 1, options?.signal);
  }

  clearRequests(): void {
    this.recorder.clear();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  // -------------------------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      this.answer(req, res, raw).catch((err: unknown) => this.failed(res, err));
    });
  }

  private takeFault(): MockFault | undefined {
    const fault = this.current.fault;
    if (!fault) return undefined;
    if (this.faultLeft === undefined) return fault;
    if (this.faultLeft <= 0) return undefined;
    this.faultLeft--;
    return fault;
  }

  private async answer(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const b = this.current;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi === -1 ? url : url.slice(0, qi);
    const query = new URLSearchParams(qi === -1 ? '' : url.slice(qi + 1));
    const match = this.dialect.route(method, path, query);
    const fast = b.fast === true && (match?.operation === 'chat' || match?.operation === 'responses' || match?.operation === 'completions');
    let body: unknown;
    let badJson = false;
    if (!fast && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        badJson = true;
      }
    }
    const record = this.recorder.add({
      method,
      path,
      query: qi === -1 ? EMPTY_QUERY : Object.fromEntries(query),
      headers: req.headers,
      body,
      rawBody: raw,
      operation: match?.operation,
      receivedAt: performance.now(),
    });

    let outcome: Outcome;
    if (!match) {
      outcome = { kind: 'error', status: 404, message: `Unknown request URL: ${method} ${path}` };
    } else {
      const ctx: RequestContext = { method, path, query, headers: req.headers, match };
      const denied = this.dialect.checkAuth(ctx, this.options.apiKey, this.options.requireAuth ?? true);
      if (denied) outcome = { kind: 'error', ...denied };
      else {
        const fault = this.takeFault();
        if (fault?.type === 'timeout') return; // accepted, never answered: close() or the client ends it
        outcome = { kind: 'serve', ctx, fault };
      }
    }
    if (b.latencyMs && !(await waitFor(res, b.latencyMs))) return;
    if (outcome.kind === 'error') return this.sendError(res, outcome.status, outcome.message, undefined);
    const { ctx: context, fault } = outcome;
    if (fault?.type === 'status') return this.sendFault(res, fault);
    if (fault?.type === 'raw') return this.sendRaw(res, fault);
    const drop = fault?.type === 'drop' ? fault : undefined;
    try {
      this.dialect.checkRequest?.(context);
      if (badJson) throw new WireRequestError(400, 'We could not parse the JSON body of your request.');
      if (fast) return await this.sendFast(res, context, raw, b, drop);
      await this.serve(res, context, rec(body) ?? {}, b, record, drop);
    } catch (err) {
      if (!(err instanceof WireRequestError)) throw err;
      this.sendError(res, err.status, err.message, undefined);
    }
  }

  private async serve(
    res: ServerResponse,
    ctx: RequestContext,
    body: Record<string, unknown>,
    b: MockBehaviour,
    record: RecordedRequest,
    drop: DropFault | undefined,
  ): Promise<void> {
    switch (ctx.match.operation) {
      case 'chat':
      case 'responses':
      case 'completions': {
        const view = this.dialect.chatRequest(body, ctx);
        const reply = buildReply(record.seq, view, b);
        if (!view.stream) return this.sendJson(res, this.dialect.chatJson(reply, view), drop);
        return this.sendStream(res, this.dialect.chatStream(reply, view), b, record, drop);
      }
      case 'count-tokens': {
        if (!this.dialect.countTokens) throw new WireRequestError(404, 'Not found');
        const view = this.dialect.chatRequest(body, ctx);
        const tokens = b.usage?.inputTokens ?? Math.max(1, mockTokenCount(view.promptText));
        return this.sendJson(res, this.dialect.countTokens(tokens), drop);
      }
      case 'embeddings':
        if (!this.dialect.embeddings) throw new WireRequestError(404, 'Not found');
        return this.sendJson(res, this.dialect.embeddings(body, ctx, b), drop);
      case 'models':
        if (!this.dialect.models) throw new WireRequestError(404, 'Not found');
        return this.sendJson(res, this.dialect.models(this.options.models ?? ['mock-model'], ctx), drop);
    }
  }

  private async sendFast(
    res: ServerResponse,
    ctx: RequestContext,
    raw: Buffer,
    b: MockBehaviour,
    drop: DropFault | undefined,
  ): Promise<void> {
    const m = ctx.match;
    const stream = m.pathStream ?? scanStreamFlag(raw) ?? this.dialect.streamsByDefault;
    const key = `${m.operation}|${stream ? 1 : 0}|${m.variant ?? ''}|${m.pathModel ?? ''}`;
    let answer = this.fastCache.get(key);
    if (!answer) {
      const view: ChatView = {
        provider: this.provider,
        operation: m.operation === 'responses' || m.operation === 'completions' ? m.operation : 'chat',
        model: b.model ?? m.pathModel ?? 'mock-model',
        stream,
        lastUserText: '',
        promptText: '',
        hasTools: false,
        body: {},
        includeUsage: true,
      };
      if (m.variant !== undefined) view.variant = m.variant;
      const reply = buildFastReply(view, b);
      if (stream) {
        const s = this.dialect.chatStream(reply, view);
        answer = { headers: { 'content-type': s.contentType, 'cache-control': 'no-cache' }, body: concatFrames(s.frames) };
      } else {
        const json = Buffer.from(this.dialect.chatJson(reply, view), 'utf8');
        answer = { headers: { 'content-type': JSON_TYPE, 'content-length': String(json.length) }, body: json };
      }
      if (this.fastCache.size >= FAST_CACHE_LIMIT) this.fastCache.clear();
      this.fastCache.set(key, answer);
    }
    res.writeHead(200, this.withRequestId(answer.headers));
    if (!drop) {
      res.end(answer.body);
      return;
    }
    await writeFrame(res, answer.body.subarray(0, answer.body.length >> 1));
    res.destroy();
  }

  private async sendJson(res: ServerResponse, json: string, drop: DropFault | undefined): Promise<void> {
    const bytes = Buffer.from(json, 'utf8');
    res.writeHead(200, this.withRequestId({ 'content-type': JSON_TYPE, 'content-length': String(bytes.length) }));
    if (!drop) {
      res.end(bytes);
      return;
    }
    await writeFrame(res, bytes.subarray(0, bytes.length >> 1));
    res.destroy();
  }

  private async sendStream(
    res: ServerResponse,
    stream: StreamBody,
    b: MockBehaviour,
    record: RecordedRequest,
    drop: DropFault | undefined,
  ): Promise<void> {
    const { frames } = stream;
    res.writeHead(200, this.withRequestId({ 'content-type': stream.contentType, 'cache-control': 'no-cache' }));
    const hook = b.afterFrame;
    const gap = b.chunkDelayMs ?? 0;
    const dropAt = drop ? Math.min(frames.length, drop.afterFrames ?? Math.ceil(frames.length / 2)) : -1;
    if (!hook && gap === 0 && dropAt === -1) {
      res.end(concatFrames(frames));
      return;
    }
    if (dropAt === 0) await flushHeaders(res);
    for (let i = 0; i < frames.length; i++) {
      if (i === dropAt) break;
      if (i > 0 && gap > 0 && !(await waitFor(res, gap))) return;
      const frame = frames[i] as Frame;
      if (!(await writeFrame(res, frame.data))) return;
      if (hook) await hook({ index: i, count: frames.length, text: frame.text, request: record });
    }
    if (dropAt !== -1) res.destroy();
    else res.end();
  }

  private sendRaw(res: ServerResponse, fault: RawFault): void {
    if (res.destroyed) return;
    const bytes = typeof fault.body === 'string' ? Buffer.from(fault.body, 'utf8') : Buffer.from(fault.body);
    res.writeHead(fault.status ?? 200, this.withRequestId({ 'content-type': fault.contentType ?? JSON_TYPE, 'content-length': String(bytes.length) }));
    res.end(bytes);
  }

  private sendFault(res: ServerResponse, fault: StatusFault): void {
    const retryAfter =
      fault.retryAfter === null
        ? undefined
        : fault.retryAfter === undefined
          ? fault.status === 429 || fault.status === 503
            ? '1'
            : undefined
          : String(fault.retryAfter);
    const message = fault.message ?? DEFAULT_MESSAGES[fault.status] ?? `HTTP ${fault.status} (mock).`;
    this.sendError(res, fault.status, message, retryAfter);
  }

  private sendError(res: ServerResponse, status: number, message: string, retryAfter: string | undefined): void {
    if (res.destroyed) return;
    const reply = this.dialect.error(status, message, retryAfter);
    const bytes = Buffer.from(reply.body, 'utf8');
    const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'content-length': String(bytes.length), ...reply.headers };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    res.writeHead(status, this.withRequestId(headers));
    res.end(bytes);
  }

  /** A bug in the mock or a throwing `reply`/`afterFrame`: answer 500 if still possible, else cut the connection. */
  private failed(res: ServerResponse, err: unknown): void {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    this.sendError(res, 500, `mock provider failed: ${err instanceof Error ? err.message : String(err)}`, undefined);
  }
}

/**
 * Starts a real HTTP server on 127.0.0.1 (a free port) that speaks one provider's documented
 * wire format, answers deterministically under a configurable behaviour, and records requests.
 */
export async function startMockProvider(options: MockProviderOptions): Promise<MockProvider> {
  const make = DIALECTS[options.provider] as (() => Dialect) | undefined;
  if (!make) throw new MockProviderError(`unknown provider kind "${String(options.provider)}"`);
  const server = new MockProviderServer(make(), options);
  await server.listen();
  return server;
}
