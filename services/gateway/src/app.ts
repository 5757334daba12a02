import { setTimeout as delay } from 'node:timers/promises';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { newEventId } from '@totra/events';
import { clientAddress, compileCidrs } from '@totra/identity';
import { ProviderError, toAnthropicErrorResponse, toOpenAIErrorResponse } from '@totra/providers';
import { type GatewayContext } from './context.js';
import { GatewayError, errorBody, isApiPath, notServed, speaksAnthropic } from './errors.js';
import { reasonForStatus, rejectedEvent, type EventSink } from './events/request-events.js';
import { identityOf, type CallerIdentity } from './identity.js';
import { GatewayMetrics } from './metrics.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth.js';
import { DEFAULT_RETRY, type RetryPolicy } from './pipeline/chat-executor.js';
import { AfterResponse } from './pipeline/after-response.js';
import { registerApiRoutes } from './routes/api.routes.js';
import { type CredentialResolver, type ModelDirectory } from './routing/directory.js';
import { Router } from './routing/router.js';
import { Upstream } from './upstream/upstream.js';
import { type PiiStage } from './pii/pii-stage.js';
import { type QuotaStage } from './quota/quota-stage.js';
import { type RequestPrivacy } from './gdpr/request-privacy.js';

/** A dependency the gateway needs to serve traffic; `/readyz` reports each one. */
export interface ReadinessCheck {
  name: string;
  /** Resolves with a problem description, or undefined when ready. */
  check: () => Promise<string | undefined> | string | undefined;
}

export interface GatewayDeps {
  readiness: readonly ReadinessCheck[];
  /** Served models. Without it, only health routes exist. */
  directory?: ModelDirectory;
  resolveCredentials?: CredentialResolver;
  /** Where terminal request events go. */
  events?: EventSink;
  /** Fastify plugin that authenticates `/v1/*` requests and sets `request.identity`. */
  auth?: FastifyPluginAsync;
  modelAllowed?: (who: CallerIdentity, alias: string) => boolean;
  /** The PII stage; without it no request is scanned. */
  pii?: PiiStage;
  /** Budgets and rate limits; without it nothing is reserved or accounted. */
  quota?: QuotaStage;
  /** Sealing of client address and user agent, and content logging; without it neither is recorded. */
  privacy?: RequestPrivacy;
  /** Proxies whose `X-Forwarded-For` is believed when finding the client's address. */
  trustedProxies?: readonly string[];
  upstream?: Upstream;
  router?: Router;
  retry?: Partial<RetryPolicy>;
  bodyLimitBytes?: number;
  logLevel?: string;
  version?: string;
  metrics?: GatewayMetrics;
  /** What `/metrics` serves, when not this app's own registry (worker processes: all workers' sum). */
  metricsText?: () => Promise<string>;
  /** Where bookkeeping after the answer runs (one per app by default; pass one to wait on it). */
  after?: AfterResponse;
  /**
   * On close, how long to wait for request handlers and their bookkeeping to finish (default
   * 10 s); past it the close goes on and says how many were left.
   */
  closeGraceMs?: number;
}

const noCredentials: CredentialResolver = (route) => {
  throw new GatewayError({ code: 'TOTRA_PROVIDER_NOT_CONFIGURED', status: 400, reason: 'provider_not_configured', message: `no credentials are configured for ${route.provider}` });
};

function shapeFor(request: FastifyRequest): 'openai' | 'anthropic' {
  return speaksAnthropic(request) ? 'anthropic' : 'openai';
}

interface Tracked {
  totraRecorded?: boolean;
  totraError?: GatewayError;
  totraModel?: string;
  rawBody?: Buffer;
}

/**
 * Builds the gateway's fastify app (not listening). Tests use `app.inject()` or listen on port
 * 0; `startGateway` wires the real dependencies. Every `/v1/*` request ends in exactly one
 * terminal event: `RequestCompleted`, `RequestFailed` (from the routes) or `RequestRejected`
 * (here, for anything refused before a provider was contacted).
 */
export function buildGateway(deps: GatewayDeps): FastifyInstance {
  const app = Fastify({
    logger: deps.logLevel && deps.logLevel !== 'silent' ? { level: deps.logLevel } : false,
    bodyLimit: deps.bodyLimitBytes ?? 8 * 1024 * 1024,
    // Per-request log lines would carry client addresses (personal data): off.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    genReqId: () => newEventId(),
    forceCloseConnections: true,
    // A path fastify cannot decode (a malformed %-escape) gets the API's own error body, not
    // fastify's, and on an API path its terminal event (no route, so no hook, runs for it).
    frameworkErrors: (error, request, res) => {
      const reply = res as FastifyReply;
      const err = new GatewayError({
        code: 'TOTRA_INVALID_REQUEST',
        status: 400,
        reason: 'invalid_request',
        message: error.code === 'FST_ERR_BAD_URL' ? `the request path ${request.url.split('?')[0]} is not valid: a % must begin an escape of two hex digits` : error.message,
      });
      (request as FastifyRequest & Tracked).totraError = err;
      void reply.code(400).header('x-request-id', request.id).send(errorBody(err, shapeFor(request)));
      if (isApiPath(request.url)) recordRefusal(request, reply).catch((e: unknown) => app.log.error({ err: e, requestId: request.id }, 'the refusal of a request with an invalid path could not be recorded'));
    },
  });
  const metrics = deps.metrics ?? new GatewayMetrics();
  const upstream = deps.upstream ?? new Upstream();
  const trusted = compileCidrs(deps.trustedProxies ?? []);
  const privacy = deps.privacy;
  const after = deps.after ?? new AfterResponse();
  const ctx: GatewayContext = {
    after,
    directory: deps.directory ?? { deploymentsFor: () => [], aliases: () => [] },
    resolveCredentials: deps.resolveCredentials ?? noCredentials,
    router: deps.router ?? new Router(),
    upstream,
    retry: { ...DEFAULT_RETRY, ...deps.retry },
    metrics,
    modelAllowed: deps.modelAllowed,
    events: deps.events,
    pii: deps.pii,
    quota: deps.quota,
    privacy,
    personalOf(request) {
      // Not even read when nothing can seal it.
      if (!privacy?.sealing) return {};
      const ua = request.headers['user-agent'];
      return { clientIp: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trusted), userAgent: typeof ua === 'string' ? ua : undefined };
    },
    async record(event, outcome, api, status, personal) {
      metrics.requests.inc({ api: api ?? 'none', status: String(status), outcome });
      deps.events?.append(personal && privacy?.sealing ? await privacy.seal(event, personal) : event);
    },
  };

  // JSON bodies only (fastify's text/plain parser would let a string body through: 415 instead);
  // keep the raw bytes (forwarded untouched to a provider of the same format).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json'], { parseAs: 'buffer' }, (request, raw, done) => {
    (request as FastifyRequest & Tracked).rawBody = raw as Buffer;
    if ((raw as Buffer).length === 0) {
      done(new GatewayError({ code: 'TOTRA_INVALID_JSON', status: 400, reason: 'invalid_request', message: 'the request body is empty; send a JSON object' }), undefined);
      return;
    }
    if (nestedDeeperThan(raw as Buffer, MAX_JSON_DEPTH)) {
      done(new GatewayError({ code: 'TOTRA_INVALID_JSON', status: 400, reason: 'invalid_request', message: `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` }), undefined);
      return;
    }
    try {
      done(null, JSON.parse((raw as Buffer).toString('utf8')));
    } catch (err) {
      done(new GatewayError({ code: 'TOTRA_INVALID_JSON', status: 400, reason: 'invalid_request', message: `the request body is not valid JSON: ${(err as Error).message}` }), undefined);
    }
  });

  /** Responses whose connection closed before they were complete (their client left). */
  const closedEarly = new WeakSet<object>();
  function requestDone(this: { writableFinished: boolean }): void {
    metrics.inflight.dec();
    if (!this.writableFinished) closedEarly.add(this);
  }
  // Callback-style hooks where there is nothing to wait for: no promise and no extra microtask
  // per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    if (isApiPath(request.url)) {
      // Bookkeeping of earlier answers waits while requests arrive.
      after.busy();
      metrics.inflight.inc();
      // Counted down when the connection is done with the response: sent, or closed before it was
      // (onResponse runs only for a response that was sent).
      reply.raw.on('close', requestDone);
      // Every API response names its request (and terminal event), whichever path answers it.
      void reply.header('x-request-id', request.id);
    }
    done();
  });

  if (deps.auth) {
    const auth = deps.auth;
    void app.register(async (scoped) => {
      // Let the auth plugin's hooks reach the API routes of this scope (what fastify-plugin
      // does), while health routes outside it stay unauthenticated.
      (auth as FastifyPluginAsync & Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
      await scoped.register(auth);
      registerApiRoutes(scoped, ctx);
    });
  } else {
    registerApiRoutes(app, ctx);
  }

  app.get('/healthz', async () => ({ status: 'ok', version: deps.version ?? '0.1.0' }));

  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(
      deps.readiness.map(async (c) => {
        try {
          return { name: c.name, problem: await c.check() };
        } catch (err) {
          return { name: c.name, problem: (err as Error).message };
        }
      }),
    );
    const failing = results.filter((r) => r.problem !== undefined);
    const checks = Object.fromEntries(results.map((r) => [r.name, r.problem ?? 'ok']));
    if (failing.length) return reply.code(503).send({ status: 'not ready', checks });
    return { status: 'ready', checks };
  });

  const metricsText = deps.metricsText ?? (() => metrics.registry.metrics());
  app.get('/metrics', async (_req, reply) => {
    try {
      const text = await metricsText();
      reply.header('content-type', metrics.registry.contentType);
      return text;
    } catch (err) {
      const unavailable = new GatewayError({ code: 'TOTRA_METRICS_UNAVAILABLE', status: 503, message: (err as Error).message });
      return reply.code(503).send(errorBody(unavailable, 'openai'));
    }
  });

  /** The refusal of a request no route takes. */
  const noRoute = (request: FastifyRequest): GatewayError => {
    const why = notServed(request.url);
    return new GatewayError({ code: 'TOTRA_NOT_FOUND', status: 404, reason: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}${why ? `: ${why}` : ''}` });
  };

  app.setNotFoundHandler((request, reply) => {
    const err = noRoute(request);
    (request as FastifyRequest & Tracked).totraError = err;
    void reply.code(404).send(errorBody(err, shapeFor(request)));
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const shape = shapeFor(request);
    // No route takes the request: that is the answer, whatever its body was (fastify reads the
    // body of a request to no route too, and an empty JSON body would be refused first).
    if (request.is404 && !(error instanceof ProviderError)) error = noRoute(request);
    if (error instanceof ProviderError) {
      const mapped = shape === 'anthropic' ? toAnthropicErrorResponse(error) : toOpenAIErrorResponse(error);
      if (mapped.retryAfterSeconds !== undefined) void reply.header('retry-after', String(mapped.retryAfterSeconds));
      return reply.code(mapped.status).send(mapped.body);
    }
    let gw: GatewayError;
    if (error instanceof GatewayError) gw = error;
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      gw = new GatewayError({ code: 'TOTRA_BODY_TOO_LARGE', status: 413, reason: 'body_too_large', message: `the request body is larger than the limit of ${deps.bodyLimitBytes ?? 8 * 1024 * 1024} bytes` });
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      gw = new GatewayError({ code: 'TOTRA_UNSUPPORTED_MEDIA_TYPE', status: 415, reason: 'invalid_request', message: `unsupported content type ${String(request.headers['content-type'] ?? '(none)')}: send application/json` });
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      gw = new GatewayError({ code: 'TOTRA_INVALID_REQUEST', status: error.statusCode, reason: 'invalid_request', message: error.message });
    } else {
      app.log.error({ err: error }, 'unhandled error');
      gw = new GatewayError({ code: 'TOTRA_INTERNAL', status: 500, message: `internal error (request ${request.id})` });
    }
    const t = request as FastifyRequest & Tracked;
    t.totraError = gw;
    if (gw.retryAfterSeconds !== undefined) void reply.header('retry-after', String(gw.retryAfterSeconds));
    void reply.code(gw.status);
    // Refused after its client left (say, once an admission wait ran out): the response is never
    // sent, so onResponse never runs; the refusal is recorded here instead.
    if (isApiPath(request.url) && !t.totraRecorded && closedEarly.has(reply.raw)) {
      t.totraRecorded = true;
      recordRefusal(request, reply).catch((err: unknown) => app.log.error({ err, requestId: request.id }, 'the refusal of a request whose client left could not be recorded'));
    }
    return reply.header('x-request-id', request.id).send(errorBody(gw, shape));
  });

  // Anything on an API path that no route recorded was refused by the gateway itself.
  app.addHook('onResponse', (request, reply, done) => {
    if (!isApiPath(request.url)) return done();
    if ((request as FastifyRequest & Tracked).totraRecorded) return done();
    recordRefusal(request, reply).then(() => done(), done);
  });

  async function recordRefusal(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const t = request as FastifyRequest & Tracked;
    const routeApi = (request.routeOptions.config as { api?: string } | undefined)?.api ?? null;
    // The models routes answer either API; the client's decides which one is recorded.
    const api = routeApi === 'openai.models' && speaksAnthropic(request) ? 'anthropic.models' : routeApi;
    const status = reply.statusCode;
    const who = identityOf(request);
    // Read now: once the connection is gone, the socket no longer knows its peer.
    const personal = ctx.personalOf(request);
    // A 5xx the gateway chose itself (a dependency it needs was unavailable: fail closed) is a
    // rejection, not a failed request: no provider was contacted.
    if (status >= 500 && who && t.totraError?.reason !== 'unavailable') {
      await after.run(() => ctx.record(
        {
          type: 'RequestFailed',
          id: request.id,
          tenant: who.tenant,
          subject: who.userId,
          data: {
            requestId: request.id,
            api: api ?? 'openai.chat',
            keyId: who.keyId,
            userId: who.userId,
            teamId: who.teamId,
            modelRequested: t.totraModel ?? 'unknown',
            provider: null,
            deploymentId: null,
            attempts: 0,
            status,
            stream: false,
            partial: false,
            errorCode: t.totraError?.code ?? 'TOTRA_INTERNAL',
            tokens: { input: 0, output: 0, cachedInput: 0, reasoning: 0, estimated: true },
            latency: { overheadUs: Math.round(reply.elapsedTime * 1000), upstreamUs: 0, totalUs: Math.round(reply.elapsedTime * 1000) },
          },
        },
        'failed',
        api,
        status,
        personal,
      ));
      return;
    }
    const code = t.totraError?.code ?? (status === 401 ? 'TOTRA_AUTH_INVALID_KEY' : status === 403 ? 'TOTRA_FORBIDDEN' : 'TOTRA_REJECTED');
    const reason = t.totraError?.reason ?? (status >= 500 ? 'unavailable' : reasonForStatus(status));
    await after.run(() => ctx.record(
      rejectedEvent(request.id, api as Parameters<typeof rejectedEvent>[1], who, t.totraModel ?? null, status >= 400 ? status : 400, reason, code),
      'rejected',
      api,
      status,
      personal,
    ));
  }

  app.addHook('onClose', async () => {
    // Requests whose clients have their answers may still be recording them; bounded, so that a
    // handler stuck on a dependency cannot keep the process from stopping.
    const grace = deps.closeGraceMs ?? 10_000;
    const drained = await Promise.race([after.drain().then(() => true), delay(grace, false, { ref: false })]);
    if (!drained) app.log.warn({ unfinished: after.open }, `closing with ${after.open} request(s) still recording after ${grace} ms`);
    if (!deps.upstream) await upstream.close();
  });

  return app;
}
