import Fastify, { LogController, type FastifyInstance } from 'fastify';

/** A dependency the gateway needs to serve traffic; `/readyz` reports each one. */
export interface ReadinessCheck {
  name: string;
  /** Resolves with a problem description, or undefined when ready. */
  check: () => Promise<string | undefined> | string | undefined;
}

export interface GatewayDeps {
  readiness: readonly ReadinessCheck[];
  bodyLimitBytes?: number;
  logLevel?: string;
  version?: string;
}

/**
 * Builds the gateway's fastify app (not listening). Tests use `app.inject()`; `totra up`
 * and the service's main call `listen`.
 */
export function buildGateway(deps: GatewayDeps): FastifyInstance {
  const app = Fastify({
    logger: deps.logLevel && deps.logLevel !== 'silent' ? { level: deps.logLevel } : false,
    bodyLimit: deps.bodyLimitBytes ?? 8 * 1024 * 1024,
    // Per-request log lines would carry client addresses (personal data): off.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });

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

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({
      error: { message: `no route for ${req.method} ${req.url}`, type: 'invalid_request_error', code: 'not_found', param: null },
    });
  });

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const message = status === 500 ? 'internal error' : err.message;
    if (status === 500) app.log.error({ err }, 'unhandled error');
    reply.code(status).send({ error: { message, type: status === 500 ? 'server_error' : 'invalid_request_error', code: err.code ?? null, param: null } });
  });

  return app;
}
