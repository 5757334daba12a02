import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { jetstreamManager } from '@nats-io/jetstream';
import { LocalKeyProvider, Notary, connectNats, ensureStream, fileSink, httpWitness } from '@totra/eventlog';
import { startQuotaHotProjection, type QuotaHotProjection } from '@totra/projection-quota-hot';
import { gdprLog } from '@totra/projection-reporting';
import { loadAlertTargets } from './alerts/alert-targets.js';
import { BudgetAlertNotifier } from './alerts/budget-alert.notifier.js';
import { type ProjectorConfig } from './config.js';
import { ErasureWatcher, type SubjectDataPurger } from './gdpr/erasure-watcher.js';
import { NotaryLeader, NotaryLease } from './notary-leader.js';
import { serveProjectorControl } from './control.js';
import { startReadModels, type ReadModels } from './read-models.js';

export interface RunningProjector {
  quotaHot: QuotaHotProjection;
  /**
   * The notary, when a key file is configured: it signs checkpoints while this projector holds
   * the notary lease (`notary.current`), and stands by while another projector does.
   */
  notary: NotaryLeader | null;
  /** Turns budget threshold crossings into events and delivers them to the alert webhooks. */
  alerts: BudgetAlertNotifier;
  /** Alerts overdue GDPR erasure requests (through `alerts`' outbox) and runs the purgers of erased subjects. */
  erasures: ErasureWatcher;
  /** The Postgres read models, when `pgUrl` is configured. */
  readModels: ReadModels | null;
  close(): Promise<void>;
}

/**
 * Starts every projection this service runs (quota-hot; with `pgUrl`, the reporting read models
 * in Postgres too, and the announcing of new anomalies) and keeps them consuming; with
 * `notaryKeyFile` it also runs the notary, which signs checkpoints of the whole log
 * (docs/adr/0003-checkpoints.md). It always watches GDPR erasure requests: overdue ones are
 * alerted once through the alert outbox, and erased subjects are purged by `extras.purgers`
 * (docs/gdpr.md).
 */
export async function startProjector(
  config: ProjectorConfig,
  onWarning: (m: string) => void = () => undefined,
  /** Stores of data derived from subjects' content (e.g. a response cache), purged on erasure. */
  extras: { purgers?: readonly SubjectDataPurger[] } = {},
): Promise<RunningProjector> {
  const nc = await connectNats(config.natsUrl, { name: 'totra-projector', waitOnFirstConnect: true });
  const stream = { name: config.streamName, subjectPrefix: config.subjectPrefix };
  await ensureStream(await jetstreamManager(nc, { checkAPI: false }), stream);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (err: Error) => onWarning(`redis: ${err.message}`));
  const alerts = new BudgetAlertNotifier({
    nc,
    stream,
    redis,
    keyPrefix: config.redisPrefix,
    spoolDir: config.spoolDir,
    targets: loadAlertTargets(config.alertWebhooks),
    pollIntervalMs: config.alertPollMs,
    onWarning,
  });
  let quotaHot: QuotaHotProjection | undefined;
  let notary: NotaryLeader | null = null;
  let readModels: ReadModels | null = null;
  try {
    quotaHot = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: config.redisPrefix, consumerName: 'quota-hot', onWarning });
    if (config.pgUrl) readModels = await startReadModels({ nc, stream, pgUrl: config.pgUrl, spoolDir: config.spoolDir, anomalyPollMs: config.alertPollMs, onWarning });
    if (config.notaryKeyFile) {
      const keys = LocalKeyProvider.fromFile(config.notaryKeyFile);
      const leader = new NotaryLeader({
        lease: new NotaryLease(redis, `${config.redisPrefix}notary:lease:${stream.name}`, config.notaryLeaseMs),
        onWarning,
        start: async (mayCheckpoint) => {
          const started = await Notary.start({
            nc,
            stream,
            spoolDir: config.spoolDir,
            keys,
            origin: config.notaryOrigin ?? keys.verifier.name,
            intervalMs: config.notaryIntervalMs,
            maxEvents: config.notaryMaxEvents,
            firstCheckpointAfterMs: config.notaryFirstCheckpointMs,
            sinks: config.checkpointFile ? [fileSink(config.checkpointFile)] : [],
            witnesses: config.notaryWitnesses.map((url) => httpWitness(url)),
            host: hostname(),
            mayCheckpoint,
            onWarning: (m) => onWarning(`notary: ${m}`),
          });
          const { from, messagesRead, reason } = started.startup;
          if (from === 'stream' && messagesRead > 0 && reason !== 'no saved state') {
            onWarning(`notary: rebuilt its tree from the whole stream (${messagesRead} messages): ${reason ?? 'no usable state'}`);
          }
          return started;
        },
      });
      await leader.start();
      notary = leader;
    }
  } catch (err) {
    await quotaHot?.stop().catch(() => undefined);
    await readModels?.stop().catch(() => undefined);
    redis.disconnect();
    await nc.close().catch(() => undefined);
    throw err;
  }
  const running = quotaHot;
  alerts.start();
  const models = readModels;
  const erasures = new ErasureWatcher({
    nc,
    stream,
    redis,
    keyPrefix: config.redisPrefix,
    notifier: alerts,
    spoolDir: config.spoolDir,
    purgers: extras.purgers ?? [],
    pollIntervalMs: config.alertPollMs,
    // With Postgres, its first pass starts from the gdpr_log read model, not from the first message.
    ...(models ? { log: { name: gdprLog.name, read: () => gdprLog.read(models.db) } } : {}),
    onWarning,
  });
  erasures.start();
  const control = serveProjectorControl(nc, stream, running, onWarning);
  return {
    quotaHot: running,
    notary,
    alerts,
    erasures,
    readModels,
    async close() {
      for (const sub of control) sub.unsubscribe();
      await erasures.stop();
      await alerts.stop();
      // The lease holder anchors what arrived since its last checkpoint (a clean stop leaves no
      // unanchored tail), then gives the lease up.
      await notary?.close();
      await running.stop();
      await readModels?.stop();
      redis.disconnect();
      await nc.drain().catch(() => undefined);
    },
  };
}
