// bench/projections: how fast the Postgres read models (cost, audit_index, directory, forecast,
// anomaly) follow the event log: events applied per second by each projection on its own, and the
// catch-up time of all of them together from empty read models, on a log of about 1M events. Method: bench/projections/README.md.
// Run (after `npx tsc -b tsconfig.build.json`): node bench/projections/run.mjs
// Uses TOTRA_NATS_URL / TOTRA_PG_URL when set, else starts nats-server and Postgres in a temp folder.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { createDb, CORE_MIGRATION_TABLES, coreMigrations, ensureDatabase, migrateToLatest } from '@totra/db';
import { startNats, startPostgres } from '@totra/engines';
import { ChainWriter, connectNats, ensureStream } from '@totra/eventlog';
import { EventRegistry } from '@totra/events';
import { startProjection } from '@totra/projection';
import { reportingProjections } from '@totra/projection-reporting';

const here = import.meta.dirname;
/** Requests in the generated log (each is 1-2 events): the default makes 1 000 118 events. About 10 minutes on a 2-core machine. */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 505_100);
const TEAMS = 20;
const USERS = 500;
const MODELS = [['gpt-4o', 'openai'], ['claude-sonnet', 'anthropic'], ['llama3', 'ollama']];

function* inputs() {
  for (let t = 0; t < TEAMS; t++) {
    yield { type: 'ApiKeyIssued', tenant: 'acme', data: { keyId: `key_${String(t).padStart(32, '0')}`, keyHash: 'a'.repeat(64), prefix: `tt-b${String(t).padStart(4, "0")}`, userId: `user-${t}`, teamId: `team-${t}` } };
  }
  for (let i = 0; i < REQUESTS; i++) {
    const [model, provider] = MODELS[i % MODELS.length];
    const time = `2026-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00.000Z`;
    const caller = { keyId: `key_${String(i % TEAMS).padStart(32, '0')}`, userId: `user-${i % USERS}`, teamId: `team-${i % TEAMS}` };
    const tokens = { input: 10 + (i % 50), output: 5 + (i % 7), cachedInput: 0, reasoning: 0 };
    const requestId = `req-${i}`;
    if (i % 50 === 1) {
      yield { type: 'RequestRejected', tenant: 'acme', time, data: { requestId, api: 'openai.chat', ...caller, modelRequested: model, status: 429, reason: 'quota_exceeded', code: 'TOTRA_QUOTA' } };
      continue;
    }
    yield {
      type: 'RequestCompleted',
      tenant: 'acme',
      time,
      data: { requestId, api: 'openai.chat', ...caller, modelRequested: model, modelServed: model, provider, deploymentId: `d/${provider}`, attempts: 1, status: 200, stream: false, finishReason: 'stop', tokens: { ...tokens, estimated: false }, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
    };
    yield { type: 'SpendRecorded', tenant: 'acme', time, data: { requestId, scopes: [], tokens, microUsd: 1000 + (i % 997), priceVersion: 'bench', model, provider, deploymentId: `d/${provider}`, ...caller } };
  }
}

async function measure(label, nc, stream, serverUrl, projections) {
  const dbName = `bench_proj_${label.replace(/[^a-z0-9]/g, '_')}_${Date.now().toString(36)}`;
  const pgUrl = await ensureDatabase(serverUrl, dbName);
  const db = createDb(pgUrl, { maxConnections: 8 });
  await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
  const started = performance.now();
  const runners = projections.map((projection) => startProjection({ nc, stream, db, pgUrl, projection }));
  await Promise.all(runners.map((r) => r.caughtUp()));
  const seconds = (performance.now() - started) / 1000;
  const stats = runners.map((r) => r.stats());
  for (const r of runners) await r.stop();
  await db.destroy();
  return {
    label,
    seconds: Number(seconds.toFixed(2)),
    projections: stats.map((s) => ({
      projection: s.projection,
      events: s.eventsApplied,
      messages: s.messagesApplied,
      batches: s.batches,
      eventsPerSecond: Math.round(s.eventsApplied / seconds),
      // Every request of the log passed through: what the gateway may send without this projection falling behind.
      requestsPerSecond: Math.round(REQUESTS / seconds),
      messagesPerSecond: Math.round(s.messagesApplied / seconds),
    })),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'totra-bench-projections-'));
// Postgres refuses to run as root and runs as an unprivileged user, which must be able to enter the folder.
chmodSync(dir, 0o755);
const engines = [];
const loadBefore = loadavg();
try {
  let natsUrl = process.env.TOTRA_NATS_URL;
  let serverUrl = process.env.TOTRA_PG_URL;
  if (!natsUrl) {
    const nats = await startNats({ dataDir: join(dir, 'nats') });
    engines.push(nats);
    natsUrl = nats.url;
  }
  if (!serverUrl) {
    const pg = await startPostgres({ dataDir: join(dir, 'pg') });
    engines.push(pg);
    serverUrl = pg.url;
  }
  const nc = await connectNats(natsUrl, { name: 'bench-projections' });
  const stream = { name: `BENCH_PROJ_${Date.now().toString(36).toUpperCase()}`, subjectPrefix: `benchproj${Date.now().toString(36)}` };
  await ensureStream(await jetstreamManager(nc), stream);
  mkdirSync(join(dir, 'spool'), { recursive: true });
  const writeStarted = performance.now();
  const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: join(dir, 'spool') });
  let events = 0;
  for (const input of inputs()) {
    writer.append(input);
    if (++events % 20_000 === 0) await writer.drain();
  }
  await writer.close();
  const writeSeconds = (performance.now() - writeStarted) / 1000;
  const { state } = await (await jetstreamManager(nc)).streams.info(stream.name);
  console.log(`log: ${events} events (${REQUESTS} requests) in ${state.messages} messages, ${(state.bytes / 1e6).toFixed(1)} MB, written in ${writeSeconds.toFixed(1)} s`);

  const all = reportingProjections(new EventRegistry());
  const results = [];
  for (const p of all) {
    const r = await measure(p.name, nc, stream, serverUrl, [p]);
    console.log(`${p.name.padEnd(12)} alone: ${r.seconds} s, ${r.projections[0].eventsPerSecond} events/s applied, ${r.projections[0].requestsPerSecond} requests/s, ${r.projections[0].messagesPerSecond} stream messages/s read`);
    results.push(r);
  }
  const together = await measure('all', nc, stream, serverUrl, all);
  console.log(`all ${all.length} together: caught up in ${together.seconds} s`);
  await (await jetstreamManager(nc)).streams.delete(stream.name);
  await nc.close();

  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version, loadavgBefore: loadBefore.map((l) => Number(l.toFixed(2))), loadavgAfter: loadavg().map((l) => Number(l.toFixed(2))) },
    log: { requests: REQUESTS, events, messages: state.messages, bytes: state.bytes, writeSeconds: Number(writeSeconds.toFixed(2)) },
    alone: results.map((r) => ({ projection: r.projections[0].projection, seconds: r.seconds, eventsApplied: r.projections[0].events, eventsPerSecond: r.projections[0].eventsPerSecond, requestsPerSecond: r.projections[0].requestsPerSecond, messagesPerSecond: r.projections[0].messagesPerSecond, batches: r.projections[0].batches })),
    together: { catchUpSeconds: together.seconds, projections: together.projections },
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('wrote bench/projections/results/latest.json');
} finally {
  for (const e of engines.reverse()) await e.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
