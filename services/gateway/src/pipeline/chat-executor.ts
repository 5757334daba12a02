import { setTimeout as delay } from 'node:timers/promises';
import { imageTokens } from '@totra/pricing';
import { type Dispatcher } from 'undici';
import {
  ProviderConfigError,
  ProviderError,
  UnsupportedFeatureError,
  getProviderAdapter,
  isCountedUsage,
  mergeUsage,
  prepareRequest,
  passthroughFor,
  upstreamRequestId,
  type ChatChoice,
  type ChatRequest,
  type Deployment,
  type InboundFormat,
  type PassthroughInput,
  type PassthroughMessage,
  type PassthroughStreamParser,
  type PassthroughSupport,
  type ProviderAdapter,
  type ProviderHttpRequest,
  type StreamCutter,
  type StreamEvent,
  type StreamParser,
  type ToolCall,
  type Usage,
} from '@totra/providers';
import { demoResponse, demoStream } from '../demo/demo-provider.js';
import { GatewayError } from '../errors.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../json-depth.js';
import { type CredentialResolver, type DeploymentRoute, type ModelDirectory } from '../routing/directory.js';
import { backoffMs, type Router } from '../routing/router.js';
import { type Upstream } from '../upstream/upstream.js';
import { type OutputTransform } from '../pii/pii-stage.js';
import { createStreamEncoder, encodeResponse, streamErrorFrame, type StreamEncoder } from './formats.js';
import { outputMeter, type OutputMeter } from './output-meter.js';

export interface RetryPolicy {
  /** Tries on one deployment (1 = no retry) for retryable errors (429, 5xx, timeouts). */
  attemptsPerDeployment: number;
  /** Upstream attempts in all, across deployments and fallbacks. */
  maxAttempts: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** A `Retry-After` longer than this moves on to the next deployment instead of waiting. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attemptsPerDeployment: 2, maxAttempts: 6, baseBackoffMs: 100, maxBackoffMs: 2_000, maxRetryAfterMs: 5_000 };

export interface ChatExecutorDeps {
  directory: ModelDirectory;
  resolveCredentials: CredentialResolver;
  router: Router;
  upstream: Upstream;
  retry: RetryPolicy;
}

/** Where the answer goes: a JSON body, or a stream opened at the first byte. */
export interface ResponseSink {
  json(status: number, body: string): void;
  /** Starts the stream (its headers go out with the first write); called once, when the first upstream chunk is in. */
  openStream(): StreamWriter;
}

export interface StreamWriter {
  /** Writes SSE text; resolves when the client can take more (backpressure). */
  write(text: string): Promise<void> | void;
  end(): void;
}

/** One chat request, decoded. */
export interface ChatRun {
  inbound: InboundFormat;
  alias: string;
  request: ChatRequest;
  /** The inbound body as received and as parsed (for the same-format fast path). */
  raw: Buffer;
  parsed: Record<string, unknown>;
  requestId: string;
  /** Aborted when the client goes away: the upstream request is aborted with it. */
  signal: AbortSignal;
  /** False when the request was changed (e.g. PII redacted): the raw body must not be forwarded. */
  allowPassthrough: boolean;
  /**
   * When the request was changed: the client's body with the rewritten texts, sent to a provider
   * of the client's API in place of the raw body (ADR 0028); absent: the request is translated.
   */
  rewritten?: PassthroughInput | undefined;
  /** Applied to the answer before it reaches the client (e.g. restoring pseudonyms). */
  output?: OutputTransform | undefined;
  /**
   * The output its budget reservation pays for: a stream is cut there, and a fallback deployment
   * is asked for no more; none: read to the end.
   */
  cap?: OutputCap | undefined;
}

/** The most output a stream may carry: past it, the gateway ends the stream with finish reason `length`. */
export interface OutputCap {
  /**
   * The cap on the deployment serving the attempt: the reservation was priced on the first
   * deployment, and a fallback with a higher price affords fewer tokens from the same reservation.
   */
  maxOutputTokens(route: DeploymentRoute): number;
  /** The prompt's counted tokens: the input recorded when the provider reported none before the cut. */
  inputTokens?: number | undefined;
  /**
   * The deployment the reservation was priced on. Any other one (a fallback) is asked for at
   * most `maxOutputTokens(route)` output tokens, streamed or not.
   */
  pricedOn?: string | undefined;
}

/** What happened, for the request's terminal event. */
export interface ChatOutcome {
  route: DeploymentRoute | undefined;
  attempts: number;
  status: number;
  usage: Usage | undefined;
  /** The provider reported token counts that are none (negative, fractional, past 2^53): `usage` is left out. */
  uncountedUsage?: true;
  finishReason: string | null;
  upstreamUs: number;
  firstByteUs: number | undefined;
  /** The answer started reaching the client before the failure. */
  partial: boolean;
  error: ProviderError | GatewayError | undefined;
  /** The provider's id of the request that answered (its answer's headers), when it names one. */
  upstreamRequestId?: string | undefined;
}

/** A failure after bytes reached the client: no fallback, the stream ends with an error frame. */
class CommittedFailure extends Error {
  constructor(readonly outcome: ChatOutcome) {
    super('stream failed after it started');
  }
}

const usNow = () => Number(process.hrtime.bigint() / 1000n);

/**
 * What a failed upstream call means: the client closed the connection (`signal` aborted), a
 * timeout (504) or an unreachable provider (502); provider and gateway errors pass through.
 */
export function toProviderError(err: unknown, provider: string, signal: AbortSignal): ProviderError | GatewayError {
  if (err instanceof ProviderError || err instanceof GatewayError) return err;
  const e = err as { code?: string; name?: string; message?: string };
  if (signal.aborted) {
    return new GatewayError({ code: 'TOTRA_CLIENT_CLOSED', status: 499, message: 'the client closed the connection' }, { cause: err });
  }
  const timeout = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT';
  return new ProviderError({
    code: timeout ? 'TOTRA_PROVIDER_TIMEOUT' : 'TOTRA_PROVIDER_UNAVAILABLE',
    provider,
    status: timeout ? 504 : 502,
    retryable: true,
    fallbackable: true,
    // The client's error body names the provider before it (`openai: could not be reached ...`).
    message: `${timeout ? 'timed out' : 'could not be reached'} (${e.code ?? e.name ?? 'error'})`,
    cause: err,
  });
}

/** What an image is counted as for context-window routing: the most an image can cost (its size is not read). */
export const IMAGE_TOKENS = imageTokens({ type: 'image' });

/**
 * Rough input size in tokens, for context-window routing: the request's texts (messages, reasoning,
 * tool calls and results, tool definitions, the response schema) at 4 characters a token, and
 * each image at a flat {@link IMAGE_TOKENS}. Not the body's size: an image's base64 bytes are no
 * measure of its tokens (a 3 MB photo costs a model about as much as a small one), and counting
 * them refused every photo of more than a few hundred kilobytes as too long. Documents, files and
 * audio (opaque content, ADR 0026) are not counted: their size is no measure either, and a
 * provider's refusal of what is too long falls back like any other. Never below 1.
 */
export function roughTokens(request: ChatRequest): number {
  let chars = 0;
  let images = 0;
  for (const m of request.messages) {
    for (const p of m.content) {
      if (p.type === 'text' || p.type === 'reasoning') chars += p.text.length;
      else if (p.type === 'image') images++;
    }
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) chars += c.name.length + c.arguments.length;
  }
  for (const t of request.tools ?? []) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  if (request.responseFormat?.type === 'json_schema') chars += JSON.stringify(request.responseFormat.schema ?? {}).length;
  return Math.max(1, Math.ceil(chars / 4) + images * IMAGE_TOKENS);
}

/**
 * Runs a chat request: orders the alias's deployments (then its fallback aliases'), tries them
 * with retries, backoff and circuit breakers, and answers the client in its own format. A
 * deployment is abandoned for the next one only before any byte reached the client; a stream
 * that breaks later ends with an error frame and is never re-sent.
 */
export async function executeChat(deps: ChatExecutorDeps, run: ChatRun, sink: ResponseSink): Promise<ChatOutcome> {
  const own = deps.directory.deploymentsFor(run.alias).filter((d) => d.kind === 'chat');
  if (!own.length) throw unknownModel(deps.directory, run.alias, false, 'chat');
  const tokens = roughTokens(run.request);
  const candidates = [...deps.router.order(own, tokens, Date.now())];
  for (const fallback of new Set(own.flatMap((d) => d.fallbackAliases ?? []))) {
    candidates.push(...deps.router.order(deps.directory.deploymentsFor(fallback).filter((d) => d.kind === 'chat'), tokens, Date.now()));
  }
  if (!candidates.length) {
    throw new GatewayError({
      code: 'TOTRA_CONTEXT_TOO_LONG',
      status: 400,
      reason: 'invalid_request',
      param: 'messages',
      message: `the request (about ${tokens} tokens) is larger than the context window of every deployment of ${run.alias}`,
    });
  }

  // The client left before its turn (e.g. while it waited for admission): no provider is asked.
  if (run.signal.aborted) return clientClosed(undefined, 0, 0, toProviderError(new Error('client closed'), 'none', run.signal));
  let attempts = 0;
  let upstreamUs = 0;
  let last: ProviderError | GatewayError | undefined;
  /** Why a deployment could not even be asked (the request cannot be put in its format, or it lacks its configuration). */
  let unsent: UnsupportedFeatureError | ProviderConfigError | undefined;
  for (const route of candidates) {
    const breaker = deps.router.breaker(route.deploymentId);
    for (let tryNo = 1; tryNo <= deps.retry.attemptsPerDeployment && attempts < deps.retry.maxAttempts; tryNo++) {
      if (!breaker.tryAcquire(Date.now())) break;
      attempts++;
      const done = deps.router.begin(route.deploymentId);
      const t0 = usNow();
      try {
        const outcome = await attemptOnce(deps, run, route, sink, attempts);
        breaker.success();
        return { ...outcome, upstreamUs: upstreamUs + outcome.upstreamUs };
      } catch (err) {
        upstreamUs += usNow() - t0;
        if (err instanceof CommittedFailure) {
          breaker.failure(Date.now());
          return { ...err.outcome, upstreamUs: upstreamUs };
        }
        if (err instanceof UnsupportedFeatureError || err instanceof ProviderConfigError) {
          // Nothing was sent, so nothing about the provider's health was learnt: the breaker is
          // left as it was, and there is no retry; another deployment may take the request.
          breaker.release();
          attempts--;
          unsent = err;
          break;
        }
        const pe = toProviderError(err, route.provider, run.signal);
        if (pe instanceof GatewayError) {
          breaker.release();
          // The client left while the provider was working on it: the request ends here, and
          // its terminal event names the deployment it had reached (the route records it).
          if (run.signal.aborted) return clientClosed(route, attempts, upstreamUs, pe);
          throw pe;
        }
        if (pe.status >= 500 || pe.status === 429 || pe.code === 'TOTRA_PROVIDER_TIMEOUT' || pe.code === 'TOTRA_PROVIDER_UNAVAILABLE') breaker.failure(Date.now());
        else breaker.success();
        last = pe;
        if (!pe.retryable && !pe.fallbackable) throw pe;
        if (!pe.retryable || tryNo >= deps.retry.attemptsPerDeployment) break;
        const wait = pe.retryAfterMs ?? backoffMs(tryNo, deps.retry.baseBackoffMs, deps.retry.maxBackoffMs);
        if (wait > deps.retry.maxRetryAfterMs) break;
        await delay(wait, undefined, { signal: run.signal }).catch(() => undefined);
        if (run.signal.aborted) return clientClosed(route, attempts, upstreamUs, toProviderError(new Error('aborted'), route.provider, run.signal));
      } finally {
        done();
      }
    }
    if (attempts >= deps.retry.maxAttempts) break;
  }
  if (last) throw last;
  if (unsent instanceof UnsupportedFeatureError) {
    throw new GatewayError({ code: 'TOTRA_UNSUPPORTED_FEATURE', status: 400, reason: 'invalid_request', message: `${unsent.message}; no deployment of ${run.alias} takes this request` });
  }
  if (unsent) {
    throw new GatewayError({ code: 'TOTRA_PROVIDER_NOT_CONFIGURED', status: 503, reason: 'provider_not_configured', message: `${run.alias} cannot be served: ${unsent.message}` });
  }
  throw new GatewayError({
    code: 'TOTRA_NO_DEPLOYMENT_AVAILABLE',
    status: 503,
    message: `every deployment of ${run.alias} is unavailable (circuit breakers open); try again shortly`,
    retryAfterSeconds: 5,
  });
}

/** The outcome of a request whose client closed the connection before any byte of the answer. */
function clientClosed(route: DeploymentRoute | undefined, attempts: number, upstreamUs: number, error: ProviderError | GatewayError): ChatOutcome {
  return { route, attempts, status: error.status, usage: undefined, finishReason: null, upstreamUs, firstByteUs: undefined, partial: false, error };
}

/**
 * The refusal of a model the gateway does not serve (or, `hidden`, one this key may not use: the
 * models routes do not tell the two apart): what to configure when the gateway can tell. `wanted`
 * is the kind of model the route serves: a model the gateway serves as the other kind (an
 * embeddings model sent to a chat API) is named as such, with the API to send it to.
 */
export function unknownModel(directory: ModelDirectory, alias: string, hidden = false, wanted?: 'chat' | 'embeddings'): GatewayError {
  if (wanted && !hidden) {
    const other = directory.deploymentsFor(alias).find((d) => d.kind !== wanted);
    if (other) {
      return new GatewayError({
        code: 'TOTRA_WRONG_MODEL_KIND',
        status: 400,
        reason: 'invalid_request',
        param: 'model',
        message:
          other.kind === 'embeddings'
            ? `the model \`${alias}\` is an embeddings model: send it to POST /v1/embeddings; this API takes chat models (GET /v1/models lists the models you can use)`
            : `the model \`${alias}\` is a chat model: POST /v1/embeddings takes embeddings models (GET /v1/models lists the models you can use)`,
      });
    }
  }
  const hint = directory.explainMissing?.(alias);
  if (hint) return new GatewayError({ code: 'TOTRA_PROVIDER_NOT_CONFIGURED', status: 400, reason: 'provider_not_configured', param: 'model', message: hint });
  return new GatewayError({
    code: 'TOTRA_UNKNOWN_MODEL',
    status: 404,
    reason: 'unknown_model',
    param: 'model',
    message: `the model \`${alias}\` does not exist or ${hidden ? 'this key may not use it' : 'is not served by this gateway'}; GET /v1/models lists the models you can use`,
  });
}

async function attemptOnce(deps: ChatExecutorDeps, run: ChatRun, route: DeploymentRoute, sink: ResponseSink, attempts: number): Promise<ChatOutcome> {
  const base = { route, attempts, partial: false, error: undefined };
  if (route.provider === 'demo') return demoAttempt(run, sink, base);
  const adapter = getProviderAdapter(route.provider);
  const deployment = deps.resolveCredentials(route);
  // A capped (metered) stream is passed through message by message where the format has a
  // cutter to end it cleanly where the gateway cuts it (OpenAI chat, Anthropic Messages);
  // otherwise it is translated, and the encoder ends it.
  const capped = run.cap !== undefined && run.request.stream === true;
  const request = affordableRequest(run, route);
  // A provider of the client's API gets the client's body: as it came, or with the texts the PII
  // stage rewrote put in place (ADR 0028), possibly through an API other than its wire format
  // (OpenAI's Responses API, ADR 0029), whose own parsers then read its answers. The answer is
  // passed through when nothing in it must be restored or scanned.
  // A budget's lower output limit goes into the body where that API's pass-through writes it.
  const api = passthroughFor(adapter, run.inbound, deployment);
  const lowered = request === run.request ? undefined : request.maxTokens;
  const own = lowered === undefined || api?.takesOutputLimit ? api : undefined;
  const given: PassthroughInput | undefined = own && (run.allowPassthrough ? { raw: run.raw, parsed: run.parsed } : run.rewritten);
  const body = given && lowered !== undefined ? { ...given, maxOutputTokens: lowered } : given;
  const sent = own && body ? own : undefined;
  const passthrough = sent && !run.output && (!capped || sent.createStreamCutter) ? sent : undefined;
  const built = sent && body ? passthroughRequest(adapter, sent, body, run, deployment) : prepareRequest(adapter, request, deployment, new Date());
  const req: ProviderHttpRequest = built instanceof Promise ? await built : built;
  const t0 = usNow();
  // A provider error names the provider's request id too, for the failure's event.
  const failure = (status: number, body: string, headers: Record<string, string>, id: string | undefined): ProviderError => {
    const err = adapter.mapError(status, body, headers, Date.now());
    err.upstreamRequestId = id;
    return err;
  };
  if (!run.request.stream) {
    const { statusCode, headers, text } = await deps.upstream.sendBuffered(req, run.signal);
    const id = upstreamRequestId(adapter, headers as Record<string, string>);
    if (statusCode < 200 || statusCode >= 300) throw failure(statusCode, text, headers as Record<string, string>, id);
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
      // Translating or restoring it would exhaust the stack: an answer no API gives.
      throw new ProviderError({
        code: 'TOTRA_PROVIDER_INVALID_RESPONSE',
        provider: route.provider,
        status: statusCode,
        retryable: true,
        fallbackable: true,
        message: `${route.provider} returned a response that could not be parsed: it nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
      });
    }
    const answer = sent?.parseResponse ? sent.parseResponse(statusCode, text) : adapter.parseResponse(statusCode, text);
    const parsed = withIdentity(restoreResponse(answer, run.output), run);
    const upstreamUs = usNow() - t0;
    sink.json(200, passthrough ? text : encodeResponse(run.inbound, parsed, run.alias, run.request));
    return { ...base, status: 200, ...counted(parsed.usage), finishReason: parsed.finishReason, upstreamUs, firstByteUs: undefined, upstreamRequestId: id };
  }
  const res = await deps.upstream.send(req, run.signal);
  const id = upstreamRequestId(adapter, res.headers as Record<string, string>);
  if (res.statusCode < 200 || res.statusCode >= 300) throw failure(res.statusCode, await res.body.text(), res.headers as Record<string, string>, id);
  const includeUsage = run.request.includeUsage === true;
  const named = { ...base, upstreamRequestId: id };
  return passthrough
    ? streamAttempt(run, res, t0, named, sink, {
        forward: passthrough.createStreamParser({ stripUsageChunk: !includeUsage }),
        cutter: capped ? passthrough.createStreamCutter?.({ includeUsage, legacyFunctions: run.request.legacyFunctions === true }) : undefined,
      })
    : streamAttempt(run, res, t0, named, sink, { translate: sent?.parseResponse ? eventsOf(sent.createStreamParser()) : adapter.createStreamParser() });
}

/**
 * The client's body as `sent` takes it, signed where the provider signs its requests (Bedrock);
 * built without a turn of the event loop where it needs no signature.
 */
function passthroughRequest(adapter: ProviderAdapter, sent: PassthroughSupport, body: PassthroughInput, run: ChatRun, deployment: Deployment): ProviderHttpRequest | Promise<ProviderHttpRequest> {
  const built = sent.buildRequest(run.request.betas ? { ...body, betas: run.request.betas } : body, deployment);
  return adapter.signRequest ? adapter.signRequest(built, deployment, new Date()) : built;
}

/** The canonical events of a pass-through parser, its forwarded text left aside (the answer is translated). */
function eventsOf(parser: PassthroughStreamParser): StreamParser {
  return { push: (chunk) => parser.push(chunk).events, end: () => parser.end().events };
}

/**
 * An answer with an id and a creation time, where its provider gives none (Bedrock and Ollama
 * answers have no id; Anthropic's, Bedrock's and Cohere's no time): the request's id in the form
 * the client's API uses, and the gateway's clock. OpenAI and Anthropic clients expect both.
 */
function withIdentity<T extends { id: string; created: number }>(answer: T, run: ChatRun): T {
  if (answer.id && answer.created) return answer;
  return { ...answer, id: answer.id || answerId(run), created: answer.created || Math.floor(Date.now() / 1000) };
}

/** An answer id made of the request id, in the form of the client's API (the Responses encoder adds `resp_`). */
function answerId(run: ChatRun): string {
  switch (run.inbound) {
    case 'openai-chat':
      return `chatcmpl-${run.requestId}`;
    case 'openai-completions':
      return `cmpl-${run.requestId}`;
    case 'anthropic-messages':
      return `msg_${run.requestId}`;
    case 'openai-responses':
      return run.requestId;
  }
}

/**
 * The request as sent to `route`: on a deployment other than the one its reservation was priced
 * on, its output maximum is lowered to what the reservation pays for there (at least 1 token),
 * shared by its choices.
 */
function affordableRequest(run: ChatRun, route: DeploymentRoute): ChatRequest {
  if (!run.cap?.pricedOn || run.cap.pricedOn === route.deploymentId) return run.request;
  const affordable = Math.max(1, Math.floor(run.cap.maxOutputTokens(route) / (run.request.choices ?? 1)));
  return run.request.maxTokens !== undefined && run.request.maxTokens <= affordable ? run.request : { ...run.request, maxTokens: affordable };
}

type Base = Pick<ChatOutcome, 'route' | 'attempts' | 'partial' | 'error' | 'upstreamRequestId'>;

/** How a stream reaches the client: passed through (with a cutter when metered), or translated. */
type StreamWay = { forward: PassthroughStreamParser; cutter: StreamCutter | undefined; translate?: undefined } | { translate: StreamParser; forward?: undefined; cutter?: undefined };

async function streamAttempt(run: ChatRun, res: Dispatcher.ResponseData, t0: number, base: Base, sink: ResponseSink, way: StreamWay): Promise<ChatOutcome> {
  // Translated: the encoder writes every chunk. Passed through and metered: the provider's
  // messages go out as they came while they fit, and the cutter writes the end of a stream cut
  // at its cap, continuing the provider's stream (id, model, content blocks).
  const { forward: forwardParser, cutter, translate: translateParser } = way;
  const encoder: StreamEncoder | undefined = translateParser ? createStreamEncoder(run.inbound, { model: run.alias, includeUsage: run.request.includeUsage === true, legacyFunctions: run.request.legacyFunctions }) : undefined;
  let usage: Usage | undefined;
  /** The provider reported a count that is none (see `counted`): the stream's usage is not kept. */
  let uncounted = false;
  let finishReason: string | null = null;
  let writer: StreamWriter | undefined;
  let firstByteUs: number | undefined;
  let streamError: { code: string; message: string } | undefined;
  const observe = (events: StreamEvent[]) => {
    for (const e of events) {
      if (e.type === 'usage') {
        // Once a count is not a count, the stream's usage is none: estimated, like a stream without usage.
        if (uncounted) continue;
        if (isCountedUsage(e.usage)) usage = mergeUsage(usage, e.usage);
        else {
          uncounted = true;
          usage = undefined;
        }
      }
      else if (e.type === 'finish') finishReason = e.finishReason;
      else if (e.type === 'error') streamError = { code: e.code, message: e.message };
    }
  };
  const emit = async (text: string) => {
    if (!text) return;
    if (!writer) {
      writer = sink.openStream();
      firstByteUs = usNow() - t0;
    }
    await writer.write(text);
  };
  const restorer = run.output ? streamRestorer(run.output) : undefined;
  const translate = (events: StreamEvent[]) => {
    let out = '';
    for (const e of restorer ? restorer(events) : events) out += (encoder as StreamEncoder).push(e.type === 'message_start' ? withIdentity(e, run) : e);
    return out;
  };
  const meter = run.cap && (encoder || cutter) && base.route ? outputMeter(run.cap.maxOutputTokens(base.route)) : undefined;
  /**
   * The end of a stream cut at its cap: what was streamed is its usage, and it ended at the length
   * limit (every choice of it: the encoders and cutters skip the finish of a choice that finished).
   */
  const cutEnd = (): StreamEvent[] => [
    { type: 'usage', usage: { outputTokens: (meter as OutputMeter).tokens(), ...(usage === undefined && run.cap?.inputTokens !== undefined ? { inputTokens: run.cap.inputTokens } : {}) } },
    { type: 'finish', finishReason: 'length' },
    ...Array.from({ length: (run.request.choices ?? 1) - 1 }, (_, i): StreamEvent => ({ type: 'finish', finishReason: 'length', choice: i + 1 })),
  ];
  /**
   * Forwards the messages of a metered pass-through stream as they came while they fit under the
   * cap; the message that passes it is written by the cutter, cut to what fits, with the end of
   * the stream. True once cut.
   */
  const forwardMetered = async (messages: PassthroughMessage[], cut: StreamCutter, metering: OutputMeter): Promise<boolean> => {
    let out = '';
    for (const m of messages) {
      const events = metering.admit(m.events);
      observe(events);
      if (!metering.cut) {
        cut.forwarded(m);
        out += m.forward;
        continue;
      }
      const end = cutEnd();
      observe(end);
      await emit(out + cut.cut([...events, ...end]));
      return true;
    }
    await emit(out);
    return false;
  };
  try {
    for await (const chunk of res.body) {
      if (forwardParser && cutter && meter) {
        if (await forwardMetered(forwardParser.pushEach(chunk as Buffer), cutter, meter)) break; // leaving the loop stops the provider
      } else if (forwardParser) {
        const { events, forward } = forwardParser.push(chunk as Buffer);
        observe(events);
        await emit(forward);
      } else {
        const parsed = (translateParser as NonNullable<typeof translateParser>).push(chunk as Buffer);
        const events = meter ? meter.admit(parsed) : parsed;
        observe(events);
        if (meter?.cut) {
          const end = cutEnd();
          observe(end);
          await emit(translate([...events, ...end]) + (encoder as StreamEncoder).end());
          break; // leaving the loop destroys the upstream body: the provider stops generating
        }
        await emit(translate(events));
      }
    }
    if (forwardParser && cutter && meter) {
      if (!meter.cut) await forwardMetered(forwardParser.endEach(), cutter, meter);
    } else if (forwardParser) {
      const { events, forward } = forwardParser.end();
      observe(events);
      await emit(forward);
    } else if (!meter?.cut) {
      const events = (translateParser as NonNullable<typeof translateParser>).end();
      observe(events);
      const flushed = restorer ? translate([...events, { type: 'text_delta', text: '' }]) : translate(events);
      await emit(flushed + (encoder as StreamEncoder).end());
    }
  } catch (err) {
    const upstreamUs = usNow() - t0;
    const pe = err instanceof ProviderError ? err : toProviderError(err, base.route?.provider ?? 'unknown', run.signal);
    if (!writer) throw pe; // nothing sent yet: the next deployment may still serve it
    if (!run.signal.aborted) await Promise.resolve(writer.write(streamErrorFrame(run.inbound, pe.code, 'the upstream stream broke; the answer is incomplete'))).catch(() => undefined);
    writer.end();
    throw new CommittedFailure({ ...base, status: 200, usage, finishReason, upstreamUs, firstByteUs, partial: true, error: pe });
  }
  const upstreamUs = usNow() - t0;
  if (run.signal.aborted) {
    // The provider finished, but the client left before the whole answer reached it.
    writer?.end();
    throw new CommittedFailure({ ...base, status: 200, usage, finishReason, upstreamUs, firstByteUs, partial: true, error: toProviderError(new Error('client closed'), base.route?.provider ?? 'unknown', run.signal) });
  }
  if (!writer) {
    // An empty but successful stream: still answer with a well-formed (empty) stream.
    writer = sink.openStream();
  }
  writer.end();
  const error = streamError
    ? new ProviderError({ code: 'TOTRA_PROVIDER_UNAVAILABLE', provider: base.route?.provider ?? 'unknown', status: 0, retryable: false, fallbackable: false, message: streamError.message })
    : undefined;
  return { ...base, status: 200, usage, ...(uncounted ? { uncountedUsage: true as const } : {}), finishReason, upstreamUs, firstByteUs, partial: error !== undefined, error };
}

async function demoAttempt(run: ChatRun, sink: ResponseSink, base: Base): Promise<ChatOutcome> {
  const id = answerId(run);
  if (!run.request.stream) {
    const res = demoResponse(run.request, id);
    sink.json(200, encodeResponse(run.inbound, res, run.alias, run.request));
    return { ...base, status: 200, usage: res.usage, finishReason: res.finishReason, upstreamUs: 0, firstByteUs: undefined };
  }
  const encoder = createStreamEncoder(run.inbound, { model: run.alias, includeUsage: run.request.includeUsage === true, legacyFunctions: run.request.legacyFunctions });
  const writer = sink.openStream();
  let usage: Usage | undefined;
  for (const e of demoStream(run.request, id)) {
    if (e.type === 'usage') usage = mergeUsage(usage, e.usage);
    await writer.write(encoder.push(e));
  }
  await writer.write(encoder.end());
  writer.end();
  return { ...base, status: 200, usage, finishReason: 'stop', upstreamUs: 0, firstByteUs: 0 };
}

/**
 * A provider's usage as the gateway records and bills it: undefined (the request is then
 * estimated, as when no usage came) when a count is not a token count. A negative count would
 * credit a budget, and one past 2^53 would break the event that records the request.
 */
function counted(usage: Usage | undefined): { usage: Usage | undefined; uncountedUsage?: true } {
  return !usage || isCountedUsage(usage) ? { usage } : { usage: undefined, uncountedUsage: true };
}

/** Restores the caller's values in a whole answer (text and tool-call arguments of every choice). */
function restoreResponse<T extends { text: string; toolCalls: Pick<ToolCall, 'arguments' | 'item'>[]; moreChoices?: ChatChoice[] | undefined }>(res: T, output: OutputTransform | undefined): T {
  if (!output) return res;
  const restore = <C extends { text: string; toolCalls: Pick<ToolCall, 'arguments' | 'item'>[] }>(c: C): C => ({
    ...c,
    text: output.text(c.text),
    toolCalls: c.toolCalls.map((t) => ({ ...t, arguments: t.item ? restoreJson(t.arguments, output) : output.text(t.arguments) })),
  });
  const restored = restore(res);
  if (res.moreChoices) restored.moreChoices = res.moreChoices.map(restore);
  return restored;
}

/**
 * Restores the caller's values in each string of a JSON text (a local tool's call, ADR 0038,
 * whose members the client's SDK reads as JSON): a value with a quote or a backslash stays valid
 * JSON. A text that is not JSON is restored as text.
 */
function restoreJson(json: string, output: OutputTransform): string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return output.text(json);
  }
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return output.text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return JSON.stringify(walk(value));
}

/**
 * Restores the caller's values in a stream of events. Text and each tool call's arguments get
 * their own incremental restorer (per choice), which holds back a possible partial placeholder;
 * what is held is released before the choice's finish event (or at the end, through an empty
 * text delta, for every choice).
 */
function streamRestorer(output: OutputTransform): (events: StreamEvent[]) => StreamEvent[] {
  type Restorer = ReturnType<OutputTransform['stream']>;
  /** Per choice: its text's restorer and its tool calls'. */
  const choices = new Map<number, { text: Restorer; tools: Map<number, Restorer>; local: Set<number> }>();
  const of = (n: number) => {
    let c = choices.get(n);
    if (!c) {
      c = { text: output.stream(), tools: new Map(), local: new Set() };
      choices.set(n, c);
    }
    return c;
  };
  const which = (n: number) => (n > 0 ? { choice: n } : {});
  const flush = (n: number, into: StreamEvent[]) => {
    const c = choices.get(n);
    if (!c) return;
    const rest = c.text.flush();
    if (rest) into.push({ type: 'text_delta', text: rest, ...which(n) });
    for (const [index, r] of c.tools) {
      const args = r.flush();
      if (args) into.push({ type: 'tool_call_delta', index, argumentsDelta: args, ...which(n) });
    }
    // A flushed restorer takes no more input: fresh ones for anything that follows.
    choices.delete(n);
  };
  return (events) => {
    const out: StreamEvent[] = [];
    for (const e of events) {
      if (e.type === 'text_delta') {
        if (e.text === '') {
          for (const n of [...choices.keys()]) flush(n, out);
          continue;
        }
        const t = of(e.choice ?? 0).text.push(e.text);
        if (t) out.push({ ...e, text: t });
      } else if (e.type === 'tool_call_start' && e.item) {
        // A local tool's call comes whole, in one delta (the provider's finished item).
        of(e.choice ?? 0).local.add(e.index);
        out.push(e);
      } else if (e.type === 'tool_call_delta' && choices.get(e.choice ?? 0)?.local.has(e.index)) {
        out.push({ ...e, argumentsDelta: restoreJson(e.argumentsDelta, output) });
      } else if (e.type === 'tool_call_delta') {
        const tools = of(e.choice ?? 0).tools;
        let r = tools.get(e.index);
        if (!r) {
          r = output.stream();
          tools.set(e.index, r);
        }
        const a = r.push(e.argumentsDelta);
        if (a) out.push({ ...e, argumentsDelta: a });
      } else if (e.type === 'finish') {
        flush(e.choice ?? 0, out);
        out.push(e);
      } else out.push(e);
    }
    return out;
  };
}
