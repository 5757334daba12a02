import { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { type NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { buildGateway } from './app.js';
import { createAuthPlugin } from './auth/auth.plugin.js';
import { KeyResolver } from './auth/key-cache.js';
import { startCatalog, type RunningCatalog } from './catalog/catalog-directory.js';
import { type GatewayConfig } from './config.js';
import { PII_POLICY_TYPES, PiiStage } from './pii/pii-stage.js';
import { QuotaStage } from './quota/quota-stage.js';
import { QuotaGate } from '@totra/quota-redis';
import { Router } from './routing/router.js';
import { Upstream } from './upstream/upstream.js';

/** A running gateway with the connections it owns. */
export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  writer: ChainWriter;
  nc: NatsConnection;
  catalog: RunningCatalog;
  close(): Promise<void>;
}

/**
 * Starts a gateway: connects to NATS and Redis, makes sure the stream exists, opens the
 * gateway's chain, loads and seeds the model catalog, and listens. `close()` stops taking
 * requests, flushes the chain and disconnects.
 */
export async function startGateway(
  config: GatewayConfig,
  opts: { version?: string; onWarning?: (m: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningGateway> {
  const warn = opts.onWarning ?? (() => undefined);
  const nc = await connectNats(config.natsUrl, { name: 'totra-gateway', waitOnFirstConnect: true });
  const stream: StreamOptions = { name: config.streamName, subjectPrefix: config.subjectPrefix, replicas: config.streamReplicas };
  await ensureStream(await jetstreamManager(nc, { checkAPI: false }), stream);
  const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: config.spoolDir, writerVersion: opts.version ?? '0.1.0', onWarning: warn });
  const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true });
  const subscriber = redis.duplicate();
  redis.on('error', (err: Error) => warn(`redis: ${err.message}`));
  subscriber.on('error', (err: Error) => warn(`redis subscriber: ${err.message}`));
  const resolver = new KeyResolver({ redis, subscriber, keyPrefix: config.redisPrefix, onWarning: warn });
  // Subscribe to revocations: only then does the resolver serve keys from its in-process cache.
  await resolver.start();
  const pii = new PiiStage();
  const catalog = await startCatalog({
    also: { types: PII_POLICY_TYPES, apply: (e) => pii.apply(e) },
    nc,
    stream,
    append: (e) => writer.append(e),
    env: opts.env ?? process.env,
    catalogFile: config.catalogFile,
    onError: (e) => warn(`catalog: ${(e as Error).message}`),
  });

  const upstream = new Upstream({ headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs });
  const app = buildGateway({
    bodyLimitBytes: config.bodyLimitBytes,
    logLevel: config.logLevel,
    ...(opts.version ? { version: opts.version } : {}),
    directory: catalog.directory,
    resolveCredentials: (route) => catalog.directory.resolve(route),
    modelAllowed: (who, alias) => catalog.directory.isAllowed(who, alias),
    events: writer,
    pii,
    quota: new QuotaStage({ gate: new QuotaGate({ redis, keyPrefix: config.redisPrefix }), unpriced: config.unpriced, defaultMaxOutputTokens: config.defaultMaxOutputTokens }),
    auth: createAuthPlugin({ resolver, trustedProxies: config.trustedProxies }),
    router: new Router({ failureThreshold: config.breakerFailures, openMs: config.breakerOpenMs, maxOpenMs: Math.max(config.breakerOpenMs, 120_000) }),
    upstream,
    readiness: [
      { name: 'nats', check: () => (nc.isClosed() ? 'connection closed' : undefined) },
      {
        name: 'eventlog',
        check: () => {
          const mode = writer.stats().mode;
          return mode === 'failed' || mode === 'closed' ? `chain writer ${mode}` : undefined;
        },
      },
      { name: 'redis', check: () => (redis.status === 'ready' ? undefined : `redis ${redis.status}`) },
    ],
  });
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
  return {
    app,
    url,
    writer,
    nc,
    catalog,
    async close() {
      await app.close();
      await upstream.close();
      await catalog.stop();
      await writer.close();
      await resolver.close();
      redis.disconnect();
      subscriber.disconnect();
      await nc.drain().catch(() => undefined);
    },
  };
}
