import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type InboundApi } from '@totra/events';
import { loadTokenCodec, loadTokenizer } from '@totra/pricing';
import {
  InboundRequestError,
  ProviderError,
  decodeAnthropicCountTokensRequest,
  decodeAnthropicRequest,
  decodeOpenAIChatRequest,
  decodeOpenAICompletionsRequest,
  decodeOpenAIEmbeddingsRequest,
  embeddingsInputHasTokens,
  decodeOpenAIResponsesRequest,
  encodeAnthropicCountTokensResponse,
  encodeAnthropicModel,
  encodeAnthropicModelPage,
  encodeOpenAIEmbeddingsResponse,
  encodeOpenAIModel,
  encodeOpenAIModelList,
  getProviderAdapter,
  isCountedUsage,
  opaqueParts,
  rewriteClientBody,
  type AnthropicModelPageQuery,
  type ChatRequest,
  type EmbeddingsResponse,
  type InboundFormat,
  type ModelListEntry,
  type PassthroughInput,
} from '@totra/providers';
import { type z } from 'zod';
import { demoEmbeddings } from '../demo/demo-provider.js';
import { GatewayError, speaksAnthropic } from '../errors.js';
import { outcomeEvent } from '../events/request-events.js';
import { identityOf, type CallerIdentity } from '../identity.js';
import { executeChat, roughTokens, toProviderError, unknownModel, type ChatExecutorDeps, type ChatOutcome, type ChatRun, type ResponseSink, type StreamWriter } from '../pipeline/chat-executor.js';
import { type GatewayContext } from '../context.js';
import { holdsReservation, tokenInput } from '../quota/quota-stage.js';
import { CONTENT_LOG_MAX_CHARS, type ContentKey } from '../gdpr/request-privacy.js';

type Api = z.infer<typeof InboundApi>;

interface ChatApi {
  url: string;
  api: Api;
  inbound: InboundFormat;
  decode: (body: unknown) => ChatRequest;
}

/**
 * Azure OpenAI's paths (`/openai/deployments/{deployment}/...?api-version=`, as the `openai`
 * SDK's `AzureOpenAI` client and Azure's REST samples call them): the same OpenAI format, the
 * model named by the path. An app on Azure OpenAI swaps its endpoint for the gateway's.
 */
const AZURE_DEPLOYMENT_PATH = '/openai/deployments/:deployment';
/** The OpenAI API's paths under `/v1`, and again under Azure OpenAI's `/openai/v1` (its v1 API). */
const OPENAI_PREFIXES = ['/v1', '/openai/v1'] as const;

const CHAT_APIS: ChatApi[] = [
  ...OPENAI_PREFIXES.flatMap((prefix): ChatApi[] => [
    { url: `${prefix}/chat/completions`, api: 'openai.chat', inbound: 'openai-chat', decode: decodeOpenAIChatRequest },
    { url: `${prefix}/responses`, api: 'openai.responses', inbound: 'openai-responses', decode: decodeOpenAIResponsesRequest },
    // The legacy Completions API (ADR 0045): a prompt answered by any chat model.
    { url: `${prefix}/completions`, api: 'openai.completions', inbound: 'openai-completions', decode: decodeOpenAICompletionsRequest },
  ]),
  { url: `${AZURE_DEPLOYMENT_PATH}/chat/completions`, api: 'openai.chat', inbound: 'openai-chat', decode: decodeOpenAIChatRequest },
  { url: `${AZURE_DEPLOYMENT_PATH}/completions`, api: 'openai.completions', inbound: 'openai-completions', decode: decodeOpenAICompletionsRequest },
  { url: '/v1/messages', api: 'anthropic.messages', inbound: 'anthropic-messages', decode: decodeAnthropicRequest },
];

const usNow = () => Number(process.hrtime.bigint() / 1000n);

function requireIdentity(request: FastifyRequest): CallerIdentity {
  const who = identityOf(request);
  if (!who) throw new GatewayError({ code: 'TOTRA_AUTH_MISSING_KEY', status: 401, reason: 'unauthenticated', message: 'no API key: send `Authorization: Bearer <key>`' });
  return who;
}

/** The JSON body as parsed by the gateway's content-type parser (raw bytes kept for passthrough). */
function body(request: FastifyRequest): { raw: Buffer; parsed: Record<string, unknown> } {
  const parsed = request.body;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GatewayError({ code: 'TOTRA_INVALID_REQUEST', status: 400, reason: 'invalid_request', message: 'the request body must be a JSON object' });
  }
  const object = parsed as Record<string, unknown>;
  const deployment = (request.params as { deployment?: string } | undefined)?.deployment;
  // On an Azure path the deployment in the path is the model, whatever the body says (Azure's
  // clients often send none): the body is the one the provider would get with that model.
  if (deployment !== undefined && object['model'] !== deployment) {
    const withModel = { ...object, model: deployment };
    return { raw: Buffer.from(JSON.stringify(withModel)), parsed: withModel };
  }
  return { raw: (request as { rawBody?: Buffer }).rawBody ?? Buffer.from(JSON.stringify(object)), parsed: object };
}

function decodeWith<T>(decode: (b: unknown) => T, parsed: unknown): T {
  try {
    return decode(parsed);
  } catch (err) {
    if (err instanceof InboundRequestError) {
      throw new GatewayError({ code: 'TOTRA_INVALID_REQUEST', status: 400, reason: 'invalid_request', param: err.param ?? null, message: err.message }, { cause: err });
    }
    throw err;
  }
}

/** Rough token estimate for events when a provider reported no usage (input: a chat request, or an embeddings body). */
function roughEstimate(input: ChatRequest | Buffer, outputChars: number) {
  return () => ({ input: Buffer.isBuffer(input) ? Math.ceil(input.length / 4) : roughTokens(input), output: Math.ceil(outputChars / 4) });
}

/**
 * The parts of a request sent unscanned: as the PII stage counted them, or all the content it
 * cannot read when no PII stage runs.
 */
function unscannedOf(pii: { unscanned: number } | undefined, chat: ChatRequest): number {
  return pii ? pii.unscanned : opaqueParts(chat).length;
}

/**
 * The client's body with the texts the PII stage rewrote, for a provider of the client's API
 * (ADR 0028); undefined when nothing was rewritten, or when a rewrite cannot be put in place (the
 * request is then translated).
 */
function rewrittenBody(inbound: InboundFormat, parsed: Record<string, unknown>, pii: { changed: boolean; rewrites?: ReadonlyMap<string, string> } | undefined): PassthroughInput | undefined {
  if (!pii?.changed || !pii.rewrites) return undefined;
  return rewriteClientBody(parsed, inbound, pii.rewrites);
}

function checkAllowed(ctx: GatewayContext, who: CallerIdentity, alias: string): void {
  // An alias the gateway does not serve is not "forbidden": it gets its 404 (or the hint naming
  // the variable to set) from the route's unknown-model check.
  if (!ctx.directory.deploymentsFor(alias).length) return;
  if (ctx.modelAllowed && !ctx.modelAllowed(who, alias)) {
    throw new GatewayError({
      code: 'TOTRA_MODEL_NOT_ALLOWED',
      status: 403,
      reason: 'model_not_allowed',
      param: 'model',
      message: `your key may not use the model \`${alias}\`; GET /v1/models lists the models you can use`,
    });
  }
}

/**
 * Redis could not be told of a settlement: the spend is recorded all the same (the event is the
 * record); the reservation expires by its TTL and quota-hot applies the event to spent.
 */
function ledgerUnreachable(request: FastifyRequest, err: unknown): void {
  request.log.error({ err, requestId: request.id }, 'the budget ledger could not be told of a settlement; the spend is recorded and applied from the event');
}

/**
 * Watches a request's client connection: `signal` aborts when it closes before the response is
 * complete (the client left), and the provider call given it stops. `stop()` ends the watch.
 */
function watchClient(reply: FastifyReply): { signal: AbortSignal; abort(): void; stop(): void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.on('close', onClose);
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    stop: () => reply.raw.off('close', onClose),
  };
}

const BETA_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * The Anthropic betas a Messages client switched on (`anthropic-beta: a,b`, or the header
 * repeated), sent on to Anthropic deployments; undefined when there are none. A value that is not
 * a list of beta names is refused, not passed to a provider.
 */
function anthropicBetas(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const names = (Array.isArray(header) ? header : [header]).flatMap((h) => h.split(',')).map((b) => b.trim()).filter(Boolean);
  const bad = names.find((b) => !BETA_NAME.test(b));
  if (bad !== undefined || names.length > 32) {
    throw new GatewayError({
      code: 'TOTRA_INVALID_REQUEST',
      status: 400,
      reason: 'invalid_request',
      message: bad !== undefined
        ? `the anthropic-beta header holds "${bad.slice(0, 100)}", which is not a beta name (letters, digits, '.', '_' and '-', comma-separated)`
        : `the anthropic-beta header names ${names.length} betas; at most 32 are accepted`,
    });
  }
  return names.length ? [...new Set(names)] : undefined;
}

/** The inbound API routes: chat (four formats), embeddings, models, count_tokens. */
export function registerApiRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const exec: ChatExecutorDeps = ctx;

  for (const def of CHAT_APIS) {
    // Tracked: closing the gateway waits for the handler to record its request, even one the
    // close cut short (its client connection is closed, the provider call aborted).
    app.post(def.url, { config: { api: def.api } }, (request, reply) => ctx.after.track(chatHandler(def, request, reply)));
  }

  async function chatHandler(def: ChatApi, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const t0 = usNow();
    const who = requireIdentity(request);
    const { raw, parsed } = body(request);
    const chat = decodeWith(def.decode, parsed);
    if (def.inbound === 'anthropic-messages') {
      const betas = anthropicBetas(request.headers['anthropic-beta']);
      if (betas) chat.betas = betas;
    }
    const alias = chat.model;
    (request as { totraModel?: string }).totraModel = alias;
    checkAllowed(ctx, who, alias);
    // Watched from here on: a client that leaves while its request waits for admission is not
    // sent to a provider once admitted (executeChat sees the abort first).
    const left = watchClient(reply);
    // Budgets and rate limits first: a refused request never reaches PII or a provider.
    const first = ctx.quota ? ctx.directory.deploymentsFor(alias).find((d) => d.kind === 'chat') : undefined;
    const admitted = ctx.quota && first ? await ctx.quota.admit(request.id, who, alias, first, chat) : undefined;
    // Admitted after a Redis round trip: the rest of its way to the provider goes before bookkeeping.
    if (admitted) ctx.after.busy();
    let pii: ReturnType<NonNullable<typeof ctx.pii>['run']> | undefined;
    let cap: ChatRun['cap'];
    let contentKey: ContentKey | undefined;
    try {
      // A stream is cut where the reservation ends (its worst case is all that was reserved),
      // at the price of the deployment that serves it; a fallback is asked for no more. A caller
      // nothing limits reserved nothing: its answer is not metered, and may be passed through.
      const quota = ctx.quota;
      if (admitted && first && quota && holdsReservation(admitted)) cap = { maxOutputTokens: (route) => quota.outputCap(admitted, route), inputTokens: admitted.inputTokens, pricedOn: first.deploymentId };
      // The team logs content: its key first (cached), or the request is refused (fail closed).
      if (ctx.privacy?.logsContent(who)) contentKey = await ctx.privacy.contentKey(who, new Date());
      pii = ctx.pii?.run(chat, who, request.id, (e) => ctx.events?.append(e));
    } catch (err) {
      if (admitted) await ctx.quota?.release(admitted);
      throw err;
    }
    const requestId = request.id;
    let outChars = 0;
    let logged = '';
    const sink: ResponseSink = {
      json(status, text) {
        outChars = text.length;
        if (contentKey) logged = text;
        void reply.code(status).header('content-type', 'application/json; charset=utf-8').header('x-request-id', requestId).send(text);
      },
      openStream(): StreamWriter {
        reply.hijack();
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-request-id': requestId,
          'x-accel-buffering': 'no',
        });
        // No flushHeaders(): the headers go out with the first chunk, in the same write (the
        // stream is opened only once that chunk is in).
        return {
          write(text) {
            outChars += text.length;
            if (contentKey && logged.length <= CONTENT_LOG_MAX_CHARS) logged += text;
            if (reply.raw.destroyed) {
              // The client is gone: stop reading from the provider.
              left.abort();
              return;
            }
            if (!reply.raw.write(text)) return new Promise<void>((resolve) => {
              const done = () => {
                reply.raw.off('drain', done);
                reply.raw.off('close', done);
                resolve();
              };
              reply.raw.once('drain', done);
              reply.raw.once('close', done);
            });
            return undefined;
          },
          end() {
            if (!reply.raw.destroyed) reply.raw.end();
          },
        };
      },
    };
    let outcome: ChatOutcome;
    // From here on this route records the terminal event itself (the response may finish
    // before executeChat returns, and the generic onResponse hook must not record it too).
    const tracked = request as { totraRecorded?: boolean };
    tracked.totraRecorded = true;
    try {
      outcome = await executeChat(
        exec,
        { inbound: def.inbound, alias, request: pii?.request ?? chat, raw, parsed, requestId, signal: left.signal, allowPassthrough: !pii?.changed, rewritten: rewrittenBody(def.inbound, parsed, pii), output: pii?.output, cap },
        sink,
      );
    } catch (err) {
      if (err instanceof ProviderError) {
        const failed: ChatOutcome = { route: undefined, attempts: 1, status: err.status, usage: undefined, finishReason: null, upstreamUs: 0, firstByteUs: undefined, partial: false, error: err };
        await ctx.record(outcomeEvent(requestId, def.api, who, alias, chat.stream, failed, { totalUs: usNow() - t0, upstreamUs: 0 }, roughEstimate(chat, 0), unscannedOf(pii, chat)), 'failed', def.api, err.status, ctx.personalOf(request));
      } else {
        // Refused by the gateway itself (unknown model, context too long...): onResponse records it.
        tracked.totraRecorded = false;
      }
      if (admitted) await ctx.quota?.release(admitted);
      throw err;
    } finally {
      left.stop();
    }
    const totalUs = usNow() - t0;
    // Read now: once the connection is gone, the socket no longer knows its peer.
    const personal = ctx.personalOf(request);
    // The budget gets its room back at once: a request that fits only once this one is settled
    // may be waiting for it, or be refused without it. Only the settlement's script is queued now
    // (a few microseconds); its event, like the rest, waits for a quiet turn (ADR 0012).
    const quota = ctx.quota;
    const charged = admitted && quota && outcome.route && (outcome.usage || !outcome.error || outcome.partial) ? quota.settle(admitted, who, outcome.route, outcome.usage, outChars) : undefined;
    charged?.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    const released = admitted && quota && !charged ? quota.release(admitted) : undefined;
    // The client has its answer: the rest (terminal event, spend event, metrics) takes its turn
    // after the I/O the event loop has ready, such as other clients' answers and new requests.
    await ctx.after.run(async () => {
      const event = outcomeEvent(requestId, def.api, who, alias, chat.stream, outcome, { totalUs, upstreamUs: outcome.upstreamUs, firstByteUs: outcome.firstByteUs }, roughEstimate(chat, outChars), unscannedOf(pii, chat));
      await ctx.record(event, event.type === 'RequestCompleted' ? 'completed' : 'failed', def.api, outcome.status, personal);
      // What was sent to the provider (after PII redaction) and what the client received.
      if (contentKey && ctx.privacy && outcome.route) ctx.events?.append(ctx.privacy.contentLogged(contentKey, requestId, who, JSON.stringify((pii?.request ?? chat).messages), logged));
      // Charged when a provider answered (in full or in part); given back otherwise.
      if (charged) {
        const { spend, ledgerError } = await charged;
        ctx.events?.append(spend);
        if (ledgerError !== undefined) ledgerUnreachable(request, ledgerError);
      } else await released;
      ctx.metrics.overhead.observe(Math.max(0, totalUs - outcome.upstreamUs) / 1e6);
      if (outcome.route) ctx.metrics.upstream.observe({ provider: outcome.route.provider }, outcome.upstreamUs / 1e6);
      if (outcome.usage) {
        ctx.metrics.tokens.inc({ direction: 'input', model: alias }, outcome.usage.inputTokens);
        ctx.metrics.tokens.inc({ direction: 'output', model: alias }, outcome.usage.outputTokens);
      }
      if (outcome.uncountedUsage) {
        request.log.warn({ requestId, deploymentId: outcome.route?.deploymentId }, 'the provider reported token usage that is not a count (negative, fractional or past 2^53); the request was recorded and charged with estimated tokens');
      }
    });
    return reply;
  }

  for (const url of [...OPENAI_PREFIXES.map((prefix) => `${prefix}/embeddings`), `${AZURE_DEPLOYMENT_PATH}/embeddings`]) {
    app.post(url, { config: { api: 'openai.embeddings' } }, (request, reply) => ctx.after.track(embeddingsHandler(request, reply)));
  }

  async function embeddingsHandler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const t0 = usNow();
    const who = requireIdentity(request);
    const { raw, parsed } = body(request);
    // Token arrays (LangChain's default) are read as cl100k_base, the encoding of OpenAI's embedding
    // models and the one tiktoken's clients fall back to for other names (ADR 0032).
    const codec = embeddingsInputHasTokens(parsed) ? await loadTokenCodec('cl100k_base') : undefined;
    const req = decodeWith((b) => decodeOpenAIEmbeddingsRequest(b, codec), parsed);
    (request as { totraModel?: string }).totraModel = req.model;
    const tokenCount = req.tokens?.arrays.reduce((n, ids) => n + ids.length, 0);
    const estimate = tokenCount === undefined ? roughEstimate(raw, 0) : () => ({ input: tokenCount, output: 0 });
    checkAllowed(ctx, who, req.model);
    const routes = ctx.router.order(ctx.directory.deploymentsFor(req.model).filter((d) => d.kind === 'embeddings'), 0, Date.now());
    if (!routes.length) throw unknownModel(ctx.directory, req.model, false, 'embeddings');
    // Budgets first, as for chat: the input tokens at the input price (embeddings have no output).
    const quota = ctx.quota;
    const admitted = quota ? await quota.admitEmbeddings(request.id, who, req.model, routes[0] as (typeof routes)[number], req.input) : undefined;
    if (admitted) ctx.after.busy();
    const giveBack = async () => {
      if (admitted) await quota?.release(admitted);
    };
    // Embedding inputs leave the network too: the same PII policy applies to them.
    if (ctx.pii) {
      try {
        const scanned = ctx.pii.runTexts(req.input, who, req.model, request.id, (e) => ctx.events?.append(e));
        if (scanned.changed) {
          // Token arrays whose text was rewritten are encoded again: the provider gets no original.
          const { tokens } = req;
          if (tokens && codec) req.tokens = { encoding: tokens.encoding, arrays: tokens.arrays.map((ids, i) => (scanned.texts[i] === req.input[i] ? ids : codec.encode(scanned.texts[i] ?? ''))) };
          req.input = [...scanned.texts];
        }
      } catch (err) {
        await giveBack();
        throw err;
      }
    }
    // A client that leaves aborts the provider call, as for chat; timeouts are the upstream agent's.
    const left = watchClient(reply);
    let lastError: unknown;
    let attempts = 0;
    for (const route of routes) {
      attempts++;
      const t1 = usNow();
      let res: EmbeddingsResponse;
      try {
        if (route.provider === 'demo') res = demoEmbeddings(req);
        else {
          const adapter = getProviderAdapter(route.provider);
          if (!adapter.embeddings) continue;
          const httpReq = adapter.embeddings.buildRequest(req, ctx.resolveCredentials(route));
          const up = await ctx.upstream.sendBuffered(httpReq, left.signal);
          const text = up.text;
          if (up.statusCode >= 300) throw adapter.mapError(up.statusCode, text, up.headers as Record<string, string>, Date.now());
          res = adapter.embeddings.parseResponse(up.statusCode, text);
        }
      } catch (err) {
        // Undici's connection errors and timeouts become provider errors (502 / 504), not a 500.
        const pe = toProviderError(err, route.provider, left.signal);
        if (pe instanceof GatewayError && left.signal.aborted) {
          // The client is gone: nothing to answer; the request ends at the deployment it reached.
          left.stop();
          (request as { totraRecorded?: boolean }).totraRecorded = true;
          await ctx.record(
            outcomeEvent(request.id, 'openai.embeddings', who, req.model, false, { route, attempts, status: pe.status, usage: undefined, finishReason: null, partial: false, error: pe }, { totalUs: usNow() - t0, upstreamUs: usNow() - t1 }, estimate),
            'failed',
            'openai.embeddings',
            pe.status,
            ctx.personalOf(request),
          );
          await giveBack();
          return reply;
        }
        lastError = pe;
        if (pe instanceof ProviderError && !pe.fallbackable) break;
        continue;
      }
      left.stop();
      const upstreamUs = usNow() - t1;
      const out = encodeOpenAIEmbeddingsResponse(res, { model: req.model, ...(req.encodingFormat ? { encodingFormat: req.encodingFormat } : {}) });
      // A count that is none (negative, fractional, past 2^53) is not billed or recorded: estimated instead.
      const usage = res.usage && isCountedUsage({ inputTokens: res.usage.inputTokens }) ? { inputTokens: res.usage.inputTokens, outputTokens: 0, totalTokens: res.usage.inputTokens } : undefined;
      (request as { totraRecorded?: boolean }).totraRecorded = true;
      await ctx.record(
        outcomeEvent(request.id, 'openai.embeddings', who, req.model, false, { route, attempts, status: 200, usage, finishReason: null, partial: false, error: undefined }, { totalUs: usNow() - t0, upstreamUs }, estimate),
        'completed',
        'openai.embeddings',
        200,
        ctx.personalOf(request),
      );
      if (admitted && quota) {
        const { spend, ledgerError } = await quota.settle(admitted, who, route, usage, 0);
        ctx.events?.append(spend);
        if (ledgerError !== undefined) ledgerUnreachable(request, ledgerError);
      }
      return reply.header('x-request-id', request.id).send(out);
    }
    left.stop();
    if (lastError instanceof ProviderError) {
      await ctx.record(
        outcomeEvent(request.id, 'openai.embeddings', who, req.model, false, { route: undefined, attempts, status: lastError.status, usage: undefined, finishReason: null, partial: false, error: lastError }, { totalUs: usNow() - t0, upstreamUs: 0 }, estimate),
        'failed',
        'openai.embeddings',
        lastError.status,
        ctx.personalOf(request),
      );
      (request as { totraRecorded?: boolean }).totraRecorded = true;
    }
    await giveBack();
    throw lastError ?? unknownModel(ctx.directory, req.model);
  }

  /** The models this key may use, in alias order, each with the time it was first offered. */
  const modelsOf = (who: CallerIdentity): ModelListEntry[] =>
    ctx.directory
      .aliases()
      .filter((a) => !ctx.modelAllowed || ctx.modelAllowed(who, a))
      .map((id) => {
        const since = ctx.directory.offeredSince?.(id);
        return { id, ownedBy: ctx.directory.deploymentsFor(id)[0]?.provider ?? 'totra', ...(since !== undefined ? { created: since } : {}) };
      });

  // The models routes answer in OpenAI's format, or in Anthropic's Models API format when the
  // client sends `anthropic-version` (the Anthropic SDKs' `models.list()` / `models.retrieve()`).
  for (const prefix of OPENAI_PREFIXES) {
    app.get(`${prefix}/models`, { config: { api: 'openai.models' } }, async (request, reply) => {
      const who = requireIdentity(request);
      const models = modelsOf(who);
      const page = speaksAnthropic(request) ? modelPageQuery(request.query as Record<string, unknown>) : undefined;
      // Models are metadata, not LLM requests: no terminal event when they are answered (a refusal
      // such as a bad key or a bad query is recorded as any other).
      (request as { totraRecorded?: boolean }).totraRecorded = true;
      return reply.send(page ? encodeAnthropicModelPage(models, page) : encodeOpenAIModelList(models));
    });

    app.get(`${prefix}/models/*`, { config: { api: 'openai.models' } }, async (request, reply) => {
      const who = requireIdentity(request);
      // Aliases may hold a slash (`meta-llama/Llama-3.3-70B`): the rest of the path is the id.
      const id = (request.params as { '*': string })['*'];
      const model = modelsOf(who).find((m) => m.id === id);
      if (!model) throw unknownModel(ctx.directory, id, true);
      (request as { totraRecorded?: boolean }).totraRecorded = true;
      return reply.send(speaksAnthropic(request) ? encodeAnthropicModel(model) : encodeOpenAIModel(model));
    });
  }

  app.post('/v1/messages/count_tokens', { config: { api: 'anthropic.count_tokens' } }, async (request, reply) => {
    const who = requireIdentity(request);
    const { parsed } = body(request);
    const req = decodeWith(decodeAnthropicCountTokensRequest, parsed);
    (request as { totraModel?: string }).totraModel = req.model;
    // The same model checks as for the request counted: a model this key may not use, or one
    // the gateway does not serve (as a chat model), is refused, not counted.
    checkAllowed(ctx, who, req.model);
    if (!ctx.directory.deploymentsFor(req.model).some((d) => d.kind === 'chat')) throw unknownModel(ctx.directory, req.model, false, 'chat');
    // Counting tokens is local and contacts no provider: no terminal event when it succeeds.
    (request as { totraRecorded?: boolean }).totraRecorded = true;
    const tokenizer = await loadTokenizer(req.model);
    const estimate = tokenizer.estimateChatInput(tokenInput(req));
    return reply.send(encodeAnthropicCountTokensResponse(estimate.inputTokens));
  });
}

/** The query of an Anthropic Models API list: `limit` (1-1000, default 20), `after_id`, `before_id`. */
function modelPageQuery(query: Record<string, unknown>): AnthropicModelPageQuery {
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalidQuery(name, `${name} must be given once`);
    return v;
  };
  const rawLimit = one('limit');
  const limit = rawLimit === undefined ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || (rawLimit !== undefined && !/^\d+$/.test(rawLimit))) {
    throw invalidQuery('limit', `limit must be a whole number from 1 to 1000, not ${JSON.stringify(rawLimit)}`);
  }
  const afterId = one('after_id');
  const beforeId = one('before_id');
  if (afterId !== undefined && beforeId !== undefined) throw invalidQuery('before_id', 'give after_id or before_id, not both');
  return { limit, ...(afterId !== undefined ? { afterId } : {}), ...(beforeId !== undefined ? { beforeId } : {}) };
}

function invalidQuery(param: string, message: string): GatewayError {
  return new GatewayError({ code: 'TOTRA_INVALID_REQUEST', status: 400, reason: 'invalid_request', param, message });
}
