import { type NatsConnection } from '@nats-io/nats-core';
import { type Kysely } from 'kysely';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, migrateProjection, migrateToLatest } from '@totra/db';
import { type StreamOptions } from '@totra/eventlog';
import { EventRegistry } from '@totra/events';
import { migrateRunnerTables, startProjection, type ProjectionRunner } from '@totra/projection';
import { reportingProjections } from '@totra/projection-reporting';
import { AnomalyAlertEmitter } from './alerts/anomaly-alert.emitter.js';

/** The Postgres read models this service keeps up to date. */
export interface ReadModels {
  readonly runners: readonly ProjectionRunner[];
  readonly db: Kysely<unknown>;
  /** Appends `SpendAnomalyDetected` for new rows of the `anomaly` read model. */
  readonly anomalyAlerts: AnomalyAlertEmitter;
  stop(): Promise<void>;
}

/**
 * Brings Postgres to the latest core and read-model migrations, then starts a runner for each
 * reporting projection (cost, audit_index, directory, forecast, anomaly, settings_log, keys_log, quota_log, gdpr_log), and the emitter that
 * announces new anomalies. Every runner waits for its leader lock: with several projector
 * instances, one is active per projection and the others stand by.
 */
export async function startReadModels(o: {
  nc: NatsConnection;
  stream: StreamOptions;
  pgUrl: string;
  /** Spool folder of the anomaly emitter's chain writer. */
  spoolDir: string;
  anomalyPollMs?: number;
  onWarning: (m: string) => void;
}): Promise<ReadModels> {
  const db = createDb<unknown>(o.pgUrl);
  const runners: ProjectionRunner[] = [];
  try {
    await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
    await migrateRunnerTables(db);
    const projections = reportingProjections(new EventRegistry());
    for (const p of projections) await migrateProjection(db, p.migrations);
    for (const projection of projections) {
      runners.push(startProjection({ nc: o.nc, stream: o.stream, db, pgUrl: o.pgUrl, projection, onWarning: (m) => o.onWarning(m) }));
    }
  } catch (err) {
    for (const r of runners) await r.stop().catch(() => undefined);
    await db.destroy();
    throw err;
  }
  const anomalyRunner = runners.find((r) => r.name === 'anomaly');
  if (!anomalyRunner) throw new Error('the anomaly projection is missing from the reporting projections');
  const anomalyAlerts = new AnomalyAlertEmitter({
    nc: o.nc,
    stream: o.stream,
    db,
    runner: anomalyRunner,
    spoolDir: o.spoolDir,
    ...(o.anomalyPollMs === undefined ? {} : { pollIntervalMs: o.anomalyPollMs }),
    onWarning: (m) => o.onWarning(m),
  });
  anomalyAlerts.start();
  return {
    runners,
    db,
    anomalyAlerts,
    async stop() {
      await anomalyAlerts.stop();
      for (const r of runners) await r.stop().catch((e: unknown) => o.onWarning(`projection ${r.name}: stop failed: ${(e as Error).message}`));
      await db.destroy();
    },
  };
}
