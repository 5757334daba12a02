import { setTimeout as sleep } from 'node:timers/promises';
import { type Command } from 'commander';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { streamState, type StreamOptions } from '@totra/eventlog';
import { EventRegistry } from '@totra/events';
import { projectionStatus, rebuildProjection, type ProjectionStatus, type RebuildReport } from '@totra/projection';
import { reportingProjections } from '@totra/projection-reporting';
import { hotIdentityLayout } from '@totra/identity';
import { quotaHotControlSubject, quotaHotProjection, resetQuotaHotState, startQuotaHotProjection, type QuotaHotControlReply } from '@totra/projection-quota-hot';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { type LogOptions, logOptions, withNats } from '../log-context.js';
import { Progress } from '../progress.js';
import { readUrls, stateDir } from '../state.js';
import { type PgOptions, pgUrlOption, resolvePgUrl, withPgDb } from './report.command.js';

/** Options of commands that also reach the hot state in Redis. */
export interface RedisOptions extends LogOptions {
  redis?: string;
  redisPrefix: string;
}

/** Adds `--redis` and `--redis-prefix` to a command. */
export function redisOptions(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'Redis URL (default: TOTRA_REDIS_URL, then .totra/urls.json, then redis://127.0.0.1:6379)')
    .option('--redis-prefix <prefix>', 'prefix of every Redis key', process.env['TOTRA_REDIS_PREFIX'] ?? 'totra:');
}

/** Redis URL: flag, then TOTRA_REDIS_URL, then `.totra/urls.json`, then the default port. */
export function resolveRedisUrl(flag: string | undefined, dir: string): string {
  return flag ?? process.env['TOTRA_REDIS_URL'] ?? readUrls(dir)?.redis ?? 'redis://127.0.0.1:6379';
}

async function withRedis<T>(o: RedisOptions, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const url = resolveRedisUrl(o.redis, stateDir(o.stateDir));
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported by the failing command
  try {
    await redis.connect();
  } catch (err) {
    throw new CliError('TOTRA_CLI_REDIS_UNREACHABLE', `cannot connect to Redis at ${url}: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** The read models in Postgres (the projector runs them when it has TOTRA_PG_URL). */
const pgProjections = () => reportingProjections(new EventRegistry());

/** Projections `totra projections` knows: quota-hot in Redis, then the read models in Postgres. */
const PROJECTIONS = [quotaHotProjection.name, ...pgProjections().map((p) => p.name)];

function known(name: string): void {
  if (!PROJECTIONS.includes(name)) throw new CliError('TOTRA_CLI_USAGE', `unknown projection "${name}" (known: ${PROJECTIONS.join(', ')})`);
}

/** Whether a Postgres URL is configured (flag, TOTRA_PG_URL or `.totra/urls.json`). */
function hasPg(o: PgOptions): boolean {
  try {
    resolvePgUrl(o);
    return true;
  } catch {
    return false;
  }
}

function pgStatusLine(s: ProjectionStatus): string {
  const stored = s.storedVersion === undefined ? 'never run' : `v${s.storedVersion}${s.storedVersion === s.version ? '' : ` (code v${s.version}: rebuild pending)`}`;
  return `${s.projection.padEnd(12)} ${stored}  at ${s.streamSeq}  lag ${s.messagesBehind ?? '?'}  ${s.active ? 'active' : 'no runner active'}  dead letters ${s.deadLetters}\n`;
}

/** Replays the log into a shadow copy of a Postgres read model and swaps it in (see @totra/projection's rebuild). */
async function rebuildPg(o: LogOptions & PgOptions, name: string, progress: (done: number, total: number) => void): Promise<RebuildReport> {
  const projection = pgProjections().find((p) => p.name === name);
  if (!projection) throw new CliError('TOTRA_CLI_USAGE', `unknown projection "${name}"`);
  return withNats(o, (nc, stream) => withPgDb(o, (db, pgUrl) => rebuildProjection({ nc, stream, db, pgUrl, projection, onProgress: progress })));
}

/** Asks the projector that runs quota-hot; undefined when none answers. */
async function askProjector(nc: NatsConnection, stream: StreamOptions, command: 'rebuild' | 'status', timeoutMs: number): Promise<QuotaHotControlReply | undefined> {
  try {
    const msg = await nc.request(quotaHotControlSubject(stream, command), '', { timeout: timeoutMs });
    return JSON.parse(msg.string()) as QuotaHotControlReply;
  } catch (err) {
    const e = err as { name?: string; code?: unknown; message?: string };
    if (e.name === 'NoRespondersError' || e.code === '503' || /no responders/i.test(e.message ?? '')) return undefined;
    if (e.name === 'TimeoutError' || /timeout/i.test(e.message ?? '')) return undefined;
    throw err;
  }
}

/** Status of the quota-hot projection: its checkpoint in Redis against the log. */
export interface QuotaHotStatus {
  projection: string;
  version: number;
  position: number;
  lastSeq: number;
  lag: number;
  /** Whether a running projector answered. */
  projectorRunning: boolean;
}

async function quotaHotStatus(nc: NatsConnection, stream: StreamOptions, redis: Redis, prefix: string): Promise<QuotaHotStatus> {
  const [{ lastSeq }, cp, reply] = await Promise.all([
    streamState(nc, stream),
    redis.get(hotIdentityLayout(prefix).checkpoint),
    askProjector(nc, stream, 'status', 1000),
  ]);
  const position = Number(cp ?? '0');
  return { projection: quotaHotProjection.name, version: quotaHotProjection.version, position, lastSeq, lag: Math.max(0, lastSeq - position), projectorRunning: reply?.ok === true };
}

/** What a rebuild did. */
export interface RebuildResult {
  projection: string;
  /** `projector`: the running projector rebuilt; `cli`: no projector answered, this process replayed. */
  by: 'projector' | 'cli';
  /** Stream sequence the replay reached (the end of the log when the rebuild started). */
  position: number;
  seconds: number;
}

/**
 * Rebuilds quota-hot: when a projector runs it, it is asked to (it pauses, drops its keys and
 * replays; two writers would overwrite each other); otherwise this process deletes the keys
 * (SCAN by prefix) and replays the log to its end with the same durable consumer.
 */
async function rebuildQuotaHot(nc: NatsConnection, stream: StreamOptions, redis: Redis, prefix: string, progress: (done: number, total: number) => void): Promise<RebuildResult> {
  const started = Date.now();
  const { lastSeq } = await streamState(nc, stream);
  const checkpoint = hotIdentityLayout(prefix).checkpoint;
  const reply = await askProjector(nc, stream, 'rebuild', 60_000);
  if (reply && !reply.ok) throw new CliError('TOTRA_CLI_REBUILD_FAILED', `the projector could not rebuild quota-hot: ${reply.error ?? 'unknown error'}`, EXIT.failed);
  if (reply) {
    for (;;) {
      const position = Number((await redis.get(checkpoint)) ?? '0');
      progress(Math.min(position, lastSeq), lastSeq);
      if (position >= lastSeq) break;
      await sleep(100);
    }
    return { projection: quotaHotProjection.name, by: 'projector', position: lastSeq, seconds: (Date.now() - started) / 1000 };
  }
  await resetQuotaHotState(redis, prefix);
  const projection = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName: quotaHotProjection.name });
  try {
    await projection.rebuild();
    const done = projection.caughtUp();
    let finished = false;
    void done.then(() => (finished = true), () => (finished = true));
    while (!finished) {
      progress(Math.min(projection.position, lastSeq), lastSeq);
      await Promise.race([done.catch(() => undefined), sleep(100)]);
    }
    await done;
    progress(lastSeq, lastSeq);
    return { projection: quotaHotProjection.name, by: 'cli', position: projection.position, seconds: (Date.now() - started) / 1000 };
  } finally {
    await projection.stop();
  }
}

/** `totra projections list`, `totra projections status` and `totra projections rebuild <name>`. */
export const projectionsCommands: CommandGroup = (program, io) => {
  const group = program.command('projections').description('show and rebuild the projections (read models derived from the log)');

  group
    .command('list')
    .description('every projection, where it keeps its read model and what it reads')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const rows = [
        { projection: quotaHotProjection.name, version: quotaHotProjection.version, store: 'redis' },
        ...pgProjections().map((p) => ({ projection: p.name, version: p.version, store: 'postgres', handles: p.handles })),
      ];
      if (o.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else for (const r of rows) io.stdout(`${r.projection.padEnd(12)} v${r.version}  ${r.store.padEnd(8)}  ${'handles' in r ? r.handles.join(', ') : 'quota and identity events'}\n`);
    });

  pgUrlOption(redisOptions(logOptions(group.command('status').description('where each projection is in the log').option('--json', 'machine-readable output')))).action(
    async (o: RedisOptions & PgOptions & { json?: boolean }) => {
      const s = await withNats(o, (nc, stream) => withRedis(o, (redis) => quotaHotStatus(nc, stream, redis, o.redisPrefix)));
      // The Postgres read models too, when a Postgres URL is configured.
      const pg = hasPg(o) ? await withPgDb(o, (db) => projectionStatus(db, pgProjections(), s.lastSeq)) : [];
      if (o.json) io.stdout(`${JSON.stringify([s, ...pg], null, 2)}\n`);
      else {
        io.stdout(`${s.projection.padEnd(12)} v${s.version}  at ${s.position}/${s.lastSeq}  lag ${s.lag}  ${s.projectorRunning ? 'projector running' : 'no projector answering'}\n`);
        for (const p of pg) io.stdout(pgStatusLine(p));
      }
    },
  );

  pgUrlOption(
    redisOptions(
      logOptions(
        group
          .command('rebuild <projection>')
          .description('drop what the projection wrote and replay the whole log (quota-hot: its Redis keys, reservations in flight are kept; a Postgres read model: replayed into a shadow copy, then swapped in)')
          .option('--json', 'machine-readable output'),
      ),
    ),
  ).action(async (name: string, o: RedisOptions & PgOptions & { json?: boolean }) => {
    known(name);
    const bar = new Progress(`rebuilding ${name}`);
    if (name !== quotaHotProjection.name) {
      const r = await rebuildPg(o, name, (d, t) => bar.update(d, t));
      bar.done();
      if (o.json) io.stdout(`${JSON.stringify(r)}\n`);
      else io.stdout(`${r.projection} rebuilt: replayed ${r.events} events up to ${r.streamSeq} in ${(r.ms / 1000).toFixed(1)} s${r.deadLetters ? ` (${r.deadLetters} dead letters)` : ''}\n`);
      return;
    }
    const r = await withNats(o, (nc, stream) => withRedis(o, (redis) => rebuildQuotaHot(nc, stream, redis, o.redisPrefix, (d, t) => bar.update(d, t))));
    bar.done();
    if (o.json) io.stdout(`${JSON.stringify(r)}\n`);
    else io.stdout(`${r.projection} rebuilt ${r.by === 'projector' ? 'by the running projector' : 'here (no projector answered)'}: replayed the log up to ${r.position} in ${r.seconds.toFixed(1)} s\n`);
  });
};
