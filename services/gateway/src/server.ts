import { readFileSync } from 'node:fs';
import { type FastifyInstance } from 'fastify';
import { type Kysely } from 'kysely';
import { kmsFromKeyring, parseKeyring } from '@totra/crypto';
import { createDb } from '@totra/db';
import { settingsLog } from '@totra/projection-reporting';
import { KeyStore } from '@totra/keystore';
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { type NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { buildGateway } from './app.js';
import { createAuthPlugin } from './auth/auth.plugin.js';
import { KeyResolver } from './auth/key-cache.js';
import { startCatalog, type RunningCatalog } from './catalog/catalog-directory.js';
import { GatewayConfigError, type GatewayConfig } from './config.js';
import { RequestPrivacy, TEAM_SETTINGS_TYPES, TeamSettingsView } from './gdpr/request-privacy.js';
import { PII_POLICY_TYPES, PiiStage } from './pii/pii-stage.js';
import { PRICE_TYPES, Prices, QuotaStage } from './quota/quota-stage.js';
import { QuotaGate } from '@totra/quota-redis';
import { type ModelDirectory } from './routing/directory.js';
import { Router } from './routing/router.js';
import { Upstream } from './upstream/upstream.js';
import { AfterResponse } from './pipeline/after-response.js';
import { GatewayMetrics } from './metrics.js';
import { clusterMetricsSource, workerSpoolDir } from './cluster.js';
import { SubjectKeyShredded } from '@totra/events';

/** Longest wait at start for the catalog seed to reach JetStream (it is in the spool anyway). */
const SEED_FLUSH_WAIT_MS = 5_000;

/** The enabled deployments whose requests the quota stage would refuse for want of a price, named `alias (provider model)`. */
function unpricedDeployments(directory: Pick<ModelDirectory, 'aliases' | 'deploymentsFor'>, quota: QuotaStage): string[] {
  const out: string[] = [];
  for (const alias of directory.aliases()) {
    for (const route of directory.deploymentsFor(alias)) {
      if (route.provider === 'demo') continue;
      try {
        quota.price(route);
      } catch {
        out.push(`${alias} (${route.provider} ${route.model})`);
      }
    }
  }
  return out;
}

/** A running gateway with the connections it owns. */
export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  writer: ChainWriter;
  nc: NatsConnection;
  catalog: RunningCatalog;
  /** The key store (per-subject data keys), when `pgUrl` and `keyringFile` are configured. */
  keyStore: KeyStore | undefined;
  /** Sealing and content logging (and the team settings it follows). */
  privacy: RequestPrivacy;
  /**
   * Resolves when every request answered so far has recorded its events (terminal event,
   * settlement) and they are in JetStream.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the key store when configured; says at startup what is not recorded when it is not.
 */
async function openKeyStore(config: GatewayConfig, warn: (m: string) => void): Promise<{ store: KeyStore; db: Kysely<unknown> } | undefined> {
  if (!config.pgUrl || !config.keyringFile) {
    warn(
      `no key store (${config.pgUrl ? 'TOTRA_KEYRING' : 'TOTRA_PG_URL'} is not set): client addresses and user agents are not recorded, ` +
        'and requests of teams with content logging on are refused (503 TOTRA_CONTENT_LOGGING_UNAVAILABLE)',
    );
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(config.keyringFile, 'utf8');
  } catch (err) {
    throw new GatewayConfigError(`TOTRA_KEYRING: cannot read ${config.keyringFile}: ${(err as Error).message}`);
  }
  let kms;
  try {
    kms = kmsFromKeyring(parseKeyring(text));
  } catch (err) {
    throw new GatewayConfigError(`TOTRA_KEYRING: ${config.keyringFile}: ${(err as Error).message}`);
  }
  const db = createDb<unknown>(config.pgUrl, { applicationName: 'totra-gateway', maxConnections: 4 });
  try {
    return { store: await KeyStore.open({ db, kms, cacheTtlMs: config.keyCacheTtlMs }), db };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** The log's word that a subject's data keys were destroyed. */
const KEY_SHREDDED = SubjectKeyShredded.type;

/**
 * Starts a gateway: connects to NATS and Redis, makes sure the stream exists, opens the
 * gateway's chain, loads and seeds the model catalog, and listens. `close()` stops taking
 * requests, flushes the chain and disconnects.
 */
export async function startGateway(
  config: GatewayConfig,
  opts: {
    version?: string;
    onWarning?: (m: string) => void;
    /** Told what the gateway did at start (how it loaded its settings). */
    onInfo?: (m: string) => void;
    env?: NodeJS.ProcessEnv;
    /** This process's index when it is one of the gateway's worker processes (see cluster.ts). */
    worker?: number;
  } = {},
): Promise<RunningGateway> {
  const warn = opts.onWarning ?? (() => undefined);
  const worker = opts.worker;
  const spoolDir = worker === undefined ? config.spoolDir : workerSpoolDir(config.spoolDir, worker);
  const nc = await connectNats(config.natsUrl, { name: worker === undefined ? 'totra-gateway' : `totra-gateway-${worker}`, waitOnFirstConnect: true });
  const stream: StreamOptions = { name: config.streamName, subjectPrefix: config.subjectPrefix, replicas: config.streamReplicas };
  await ensureStream(await jetstreamManager(nc, { checkAPI: false }), stream);
  const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir, writerVersion: opts.version ?? '0.1.0', onWarning: warn });
  // No auto-pipelining: the quota gate batches its scripts itself, without waiting for the previous
  // batch's replies (see ScriptBatcher); key lookups are cache misses, rare.
  const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  const subscriber = redis.duplicate();
  redis.on('error', (err: Error) => warn(`redis: ${err.message}`));
  subscriber.on('error', (err: Error) => warn(`redis subscriber: ${err.message}`));
  const resolver = new KeyResolver({ redis, subscriber, keyPrefix: config.redisPrefix, onWarning: warn });
  // Subscribe to revocations: only then does the resolver serve keys from its in-process cache.
  await resolver.start();
  const pii = new PiiStage();
  const prices = new Prices();
  const keys = await openKeyStore(config, warn);
  const teams = new TeamSettingsView();
  const privacy = new RequestPrivacy({ store: keys?.store, teams, onWarning: warn });
  // The settings events up to a recent point come from the settings_log read model, when there is
  // one: the stream is read only past it (ADR 0018).
  const ownSettingsDb = config.pgUrl && !keys ? createDb<unknown>(config.pgUrl, { applicationName: 'totra-gateway', maxConnections: 1 }) : undefined;
  const settingsDb = keys?.db ?? ownSettingsDb;
  const catalog = await startCatalog({
    ...(settingsDb ? { settingsLog: () => settingsLog.read(settingsDb) } : {}),
    onLoaded: (how) =>
      opts.onInfo?.(
        how.fromReadModel
          ? `settings: ${how.fromReadModel.events} events from the settings_log read model (up to stream sequence ${how.fromReadModel.upTo}), then ${how.streamMessages} stream messages`
          : `settings: ${how.streamMessages} stream messages read from the start of the stream`,
      ),
    also: {
      types: new Set([...PII_POLICY_TYPES, ...TEAM_SETTINGS_TYPES, ...PRICE_TYPES, KEY_SHREDDED]),
      apply: (e) => {
        // A subject's keys destroyed elsewhere (erasure, retention): this process forgets its
        // cached copies at once instead of when they expire.
        if (e.type === KEY_SHREDDED) {
          if (e.envelope.subject) keys?.store.purge(e.envelope.subject);
        } else if (TEAM_SETTINGS_TYPES.has(e.type)) teams.apply(e);
        else if (PRICE_TYPES.has(e.type)) {
          try {
            prices.apply(e.type, e.data, e.envelope.id);
          } catch (err) {
            warn(`prices: ${(err as Error).message}`);
          }
        } else pii.apply(e);
      },
    },
    nc,
    stream,
    append: (e) => writer.append(e),
    env: opts.env ?? process.env,
    catalogFile: config.catalogFile,
    onError: (e) => warn(`catalog: ${(e as Error).message}`),
  }).finally(() => ownSettingsDb?.destroy());
  if (catalog.synced > 0) {
    // Seeded: in the log before this gateway says it is ready, so that gateways started next
    // (worker processes, replicas) find the seed and do not append it again.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, SEED_FLUSH_WAIT_MS)));
    await Promise.race([writer.drain(), timeout]);
    clearTimeout(timer);
  }
  const metrics = new GatewayMetrics();

  const after = new AfterResponse();
  const upstream = new Upstream({ headersTimeoutMs: config.upstreamTimeoutMs, bodyTimeoutMs: config.upstreamTimeoutMs });
  const gate = new QuotaGate({
    redis,
    subscriber,
    keyPrefix: config.redisPrefix,
    reservationTtlMs: config.quotaReservationTtlMs,
    heldWaitMs: config.quotaWaitMs,
    untrackedCacheMs: config.quotaUntrackedCacheMs,
    leases: config.quotaLeaseTtlMs > 0 && { ttlMs: config.quotaLeaseTtlMs },
  });
  const counted = { lease: 0, script: 0, cached: 0 };
  new Counter({
    name: 'totra_quota_admissions_total',
    help: 'Quota admissions by how they were decided: lease (on this process\'s budget leases, no round trip), script (one Redis round trip), cached (nothing limits the caller).',
    labelNames: ['path'] as const,
    registers: [metrics.registry],
    collect() {
      for (const path of ['lease', 'script', 'cached'] as const) {
        const now = gate.admissions[path];
        if (now > counted[path]) this.inc({ path }, now - counted[path]);
        counted[path] = now;
      }
    },
  });
  const quota = new QuotaStage({ gate, prices, unpriced: config.unpriced, defaultMaxOutputTokens: config.defaultMaxOutputTokens });
  // Say at start which deployments will refuse every request for want of a price (fail closed),
  // rather than leave it to the first caller's 400 (worker 0 only: the workers share the log).
  if (config.unpriced === 'reject' && !worker) {
    const unpriced = unpricedDeployments(catalog.directory, quota);
    if (unpriced.length) {
      warn(`no price is known for ${unpriced.join(', ')}: their requests are refused until an admin sets one (totra prices set) or TOTRA_UNPRICED=allow serves them at cost 0`);
    }
  }
  const app = buildGateway({
    bodyLimitBytes: config.bodyLimitBytes,
    logLevel: config.logLevel,
    ...(opts.version ? { version: opts.version } : {}),
    directory: catalog.directory,
    resolveCredentials: (route) => catalog.directory.resolve(route),
    modelAllowed: (who, alias) => catalog.directory.isAllowed(who, alias),
    events: writer,
    pii,
    quota,
    auth: createAuthPlugin({ resolver, trustedProxies: config.trustedProxies }),
    privacy,
    trustedProxies: config.trustedProxies,
    router: new Router({ failureThreshold: config.breakerFailures, openMs: config.breakerOpenMs, maxOpenMs: Math.max(config.breakerOpenMs, 120_000) }),
    upstream,
    after,
    metrics,
    ...(worker === undefined ? {} : { metricsText: clusterMetricsSource(metrics.registry) }),
    closeGraceMs: config.closeGraceMs,
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
    keyStore: keys?.store,
    privacy,
    async drain() {
      await after.drain();
      await writer.drain();
    },
    async close() {
      await app.close();
      await upstream.close();
      await catalog.stop();
      await writer.close();
      await resolver.close();
      // What this process still holds of the budgets goes back to the other replicas.
      await gate.close();
      redis.disconnect();
      subscriber.disconnect();
      await keys?.db.destroy();
      await nc.drain().catch(() => undefined);
    },
  };
}
