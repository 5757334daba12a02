import { type NatsConnection } from '@nats-io/nats-core';
import { type Redis } from 'ioredis';
import { type ChainWriter, readStream, type StreamOptions } from '@totra/eventlog';
import {
  alertDelivered,
  alertRetryDelayMs,
  alertTargetAccepts,
  alertTargetName,
  budgetAlertEventId,
  budgetAlertNotice,
  noticeRequest,
  type AlertNotice,
  type AlertTarget,
  type BudgetAlert,
} from '@totra/quota';
import { readQuotaAlerts, type QuotaAlert } from '@totra/quota-redis';
import { PollLoop, RELEASE_LOCK } from '../poll-loop.js';
import { LazyChainWriter } from './lazy-writer.js';

/** The only type the notifier looks for in the log. */
const CROSSING_TYPES: ReadonlySet<string> = new Set(['BudgetThresholdCrossed']);

export interface BudgetAlertNotifierOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** Connection for the notifier's reads and writes (not a subscriber connection). */
  redis: Redis;
  /** Prefix of every Redis key, the same as the quota-hot projection's. */
  keyPrefix: string;
  /** Folder of the spool of the notifier's chain writer (opened when the first crossing is recorded). */
  spoolDir: string;
  targets: readonly AlertTarget[];
  /** How often the alerts stream and the outbox are looked at. Default 1 s. */
  pollIntervalMs?: number;
  /** Delivery attempts per alert and target before it is dead-lettered. Default 10. */
  maxAttempts?: number;
  /** First retry delay (doubling, capped at `retryMaxMs`). Default 1 s, cap 5 min. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Timeout of one webhook call. Default 10 s. */
  requestTimeoutMs?: number;
  /** Opens the chain writer the events are appended with (tests may pass their own). */
  openWriter?: () => Promise<ChainWriter>;
  writerVersion?: string;
  clock?: () => number;
  onWarning?: (message: string, err?: unknown) => void;
}

/** What one outbox entry holds: an alert for one target (a budget crossing, or any other notice). */
interface OutboxItem {
  alert?: BudgetAlert;
  notice?: AlertNotice;
  target: string;
  attempts: number;
  lastError?: string;
}

/** Result of one pass over the alerts stream. */
export interface AlertPollResult {
  /** Crossings appended to the log as `BudgetThresholdCrossed`. */
  recorded: number;
  /** Crossings the log held already (re-recorded by a rebuild). */
  skipped: number;
}

/** Result of one pass over the outbox. */
export interface AlertDeliveryResult {
  delivered: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Failed for the last time: moved to the dead-letter list. */
  dead: number;
}

/** Redis names of the notifier (not projection-owned: a quota-hot rebuild keeps them). */
export function alertNotifierKeys(prefix: string) {
  return {
    /** last entry id of `<p>quota:alerts` handled */
    cursor: `${prefix}alerts:cursor`,
    /** set of ids of the `BudgetThresholdCrossed` events in the log */
    emitted: `${prefix}alerts:emitted`,
    /** stream sequence up to which the log was searched for such events */
    logSeq: `${prefix}alerts:logseq`,
    /** sorted set of outbox entries by when they are due (ms) */
    outbox: `${prefix}alerts:outbox`,
    /** hash outbox entry -> JSON {@link OutboxItem} */
    items: `${prefix}alerts:outbox:items`,
    /** list of deliveries that failed for good */
    dead: `${prefix}alerts:dead`,
    /** held while one notifier turns crossings into events (several projectors may run) */
    lock: `${prefix}alerts:lock`,
  };
}

/**
 * Turns the threshold crossings the quota-hot projection records in `<p>quota:alerts` into
 * `BudgetThresholdCrossed` events, once per budget, period and threshold: the event id is
 * derived from the crossing, and ids already in the log are skipped (the log is searched for
 * them from where the last search stopped, so Redis losing the marker set costs one re-read).
 * Each new event is then delivered to every configured target through a Redis outbox, retried
 * with exponential backoff until `maxAttempts`, then dead-lettered.
 */
export class BudgetAlertNotifier {
  readonly #o: BudgetAlertNotifierOptions;
  readonly #k: ReturnType<typeof alertNotifierKeys>;
  readonly #targets: Map<string, AlertTarget>;
  readonly #clock: () => number;
  readonly #warn: (message: string, err?: unknown) => void;
  readonly #writer: LazyChainWriter;
  readonly #loop: PollLoop;
  #polling: Promise<unknown> = Promise.resolve();

  constructor(o: BudgetAlertNotifierOptions) {
    this.#o = o;
    this.#k = alertNotifierKeys(o.keyPrefix);
    this.#targets = new Map(o.targets.map((t, i) => [alertTargetName(t, i), t]));
    this.#clock = o.clock ?? Date.now;
    this.#warn = o.onWarning ?? (() => undefined);
    this.#writer = new LazyChainWriter({ nc: o.nc, stream: o.stream, role: 'notifier', spoolDir: o.spoolDir, writerVersion: o.writerVersion, open: o.openWriter, label: 'alerts writer', onWarning: this.#warn });
    this.#loop = new PollLoop(
      async () => {
        await this.pollOnce();
        await this.deliverDue();
      },
      o.pollIntervalMs ?? 1000,
      (err) => this.#warn(`alerts: ${(err as Error).message}`, err),
    );
  }

  /** Starts polling in the background. */
  start(): void {
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
    await this.#writer.close();
  }

  /** Learns which crossings the log holds, from where the last search stopped. */
  async #learnFromLog(): Promise<void> {
    const from = Number((await this.#o.redis.get(this.#k.logSeq)) ?? '0') + 1;
    let last = from - 1;
    const ids: string[] = [];
    for await (const batch of readStream(this.#o.nc, this.#o.stream, { fromStreamSeq: from, types: CROSSING_TYPES })) {
      for (const line of batch.lines) {
        if (!line.includes('"BudgetThresholdCrossed"')) continue;
        const e = JSON.parse(line) as { type?: unknown; id?: unknown };
        if (e.type === 'BudgetThresholdCrossed' && typeof e.id === 'string') ids.push(e.id);
      }
      last = batch.streamSeq;
    }
    const m = this.#o.redis.multi();
    if (ids.length) m.sadd(this.#k.emitted, ...ids);
    if (last >= from) m.set(this.#k.logSeq, String(last));
    await m.exec();
  }

  /**
   * Reads new crossings, appends the ones the log lacks, and queues their deliveries. Calls in
   * one process run one after the other; across processes a Redis lock lets one at a time
   * (a notifier that finds it taken does nothing this time).
   */
  pollOnce(): Promise<AlertPollResult> {
    const run = this.#polling.then(() => this.#pollLocked());
    this.#polling = run.catch(() => undefined);
    return run;
  }

  async #pollLocked(): Promise<AlertPollResult> {
    const token = `${process.pid}:${Math.random()}`;
    const ttl = Math.max(30_000, (this.#o.requestTimeoutMs ?? 10_000) * 3);
    if ((await this.#o.redis.set(this.#k.lock, token, 'PX', ttl, 'NX')) !== 'OK') return { recorded: 0, skipped: 0 };
    try {
      return await this.#poll();
    } finally {
      await this.#o.redis.eval(RELEASE_LOCK, 1, this.#k.lock, token);
    }
  }

  async #poll(): Promise<AlertPollResult> {
    const redis = this.#o.redis;
    const result: AlertPollResult = { recorded: 0, skipped: 0 };
    let cursor = (await redis.get(this.#k.cursor)) ?? '0';
    let learned = false;
    for (;;) {
      const alerts = await readQuotaAlerts(redis, this.#o.keyPrefix, cursor, 100);
      if (!alerts.length) return result;
      if (!learned) {
        await this.#learnFromLog();
        learned = true;
      }
      const fresh: BudgetAlert[] = [];
      const seen = new Set<string>();
      for (const a of alerts) {
        const eventId = budgetAlertEventId(a);
        if (seen.has(eventId) || (await redis.sismember(this.#k.emitted, eventId)) === 1) {
          result.skipped++;
          continue;
        }
        seen.add(eventId);
        fresh.push(toBudgetAlert(a, eventId, new Date(this.#clock()).toISOString()));
      }
      const appended: BudgetAlert[] = [];
      if (fresh.length) {
        const writer = await this.#writer.get();
        for (const a of fresh) {
          try {
            writer.append({ type: 'BudgetThresholdCrossed', tenant: a.tenant, id: a.eventId, time: a.time, data: eventData(a) });
            appended.push(a);
          } catch (err) {
            this.#warn(`alerts: crossing ${a.budgetId}/${a.periodKey}/${a.threshold}% cannot be recorded (${(err as Error).message}); skipped`, err);
          }
        }
        // Durable in the log before it counts as emitted: a crash here re-reads the crossings.
        await writer.flush();
      }
      cursor = alerts[alerts.length - 1]?.id ?? cursor;
      const now = this.#clock();
      const m = redis.multi();
      if (appended.length) m.sadd(this.#k.emitted, ...appended.map((a) => a.eventId));
      for (const a of appended) {
        for (const [name, target] of this.#targets) {
          if (!alertTargetAccepts(target, a.tenant)) continue;
          const member = `${a.eventId}|${name}`;
          const item: OutboxItem = { alert: a, target: name, attempts: 0 };
          m.hset(this.#k.items, member, JSON.stringify(item));
          m.zadd(this.#k.outbox, now, member);
        }
      }
      m.set(this.#k.cursor, cursor);
      await m.exec();
      result.recorded += appended.length;
    }
  }

  /** Delivers every due outbox entry once; failures are rescheduled or dead-lettered. */
  async deliverDue(): Promise<AlertDeliveryResult> {
    const redis = this.#o.redis;
    const result: AlertDeliveryResult = { delivered: 0, retrying: 0, dead: 0 };
    await this.#requeueOrphans();
    const due = await redis.zrangebyscore(this.#k.outbox, '-inf', this.#clock(), 'LIMIT', 0, 100);
    await Promise.all(
      due.map(async (member) => {
        // Whoever removes the entry delivers it (several projectors may run).
        if ((await redis.zrem(this.#k.outbox, member)) !== 1) return;
        const raw = await redis.hget(this.#k.items, member);
        if (!raw) return;
        const item = JSON.parse(raw) as OutboxItem;
        const target = this.#targets.get(item.target);
        if (!target) {
          await redis.multi().hdel(this.#k.items, member).lpush(this.#k.dead, JSON.stringify({ ...item, lastError: 'target no longer configured' })).exec();
          result.dead++;
          return;
        }
        const notice = item.notice ?? (item.alert ? budgetAlertNotice(item.alert) : undefined);
        if (!notice) {
          await redis.hdel(this.#k.items, member);
          return;
        }
        const error = await this.#send(target, notice);
        if (error === undefined) {
          await redis.hdel(this.#k.items, member);
          result.delivered++;
          return;
        }
        item.attempts++;
        item.lastError = error;
        if (item.attempts >= (this.#o.maxAttempts ?? 10)) {
          const what = item.alert ? `${item.alert.budgetId} ${item.alert.threshold}%` : (item.notice?.eventId ?? '?');
          this.#warn(`alerts: giving up on ${item.target} for ${what} after ${item.attempts} attempts (${error})`);
          await redis.multi().hdel(this.#k.items, member).lpush(this.#k.dead, JSON.stringify(item)).exec();
          result.dead++;
        } else {
          const delay = alertRetryDelayMs(item.attempts, this.#o.retryBaseMs ?? 1000, this.#o.retryMaxMs ?? 5 * 60_000);
          await redis.multi().hset(this.#k.items, member, JSON.stringify(item)).zadd(this.#k.outbox, this.#clock() + delay, member).exec();
          result.retrying++;
        }
      }),
    );
    return result;
  }

  /**
   * Queues a notice (an event already durable in the log) for every target that accepts its
   * tenant; an entry already waiting for the same event and target is not queued twice. Returns
   * the number of deliveries queued. Used for alerts other than budget crossings (overdue GDPR
   * erasure requests).
   */
  async enqueue(notice: AlertNotice): Promise<number> {
    let queued = 0;
    for (const [name, target] of this.#targets) {
      if (!alertTargetAccepts(target, notice.tenant)) continue;
      const member = `${notice.eventId}|${name}`;
      const item: OutboxItem = { notice, target: name, attempts: 0 };
      if ((await this.#o.redis.hsetnx(this.#k.items, member, JSON.stringify(item))) !== 1) continue;
      await this.#o.redis.zadd(this.#k.outbox, this.#clock(), member);
      queued++;
    }
    if (queued) this.#loop.wake();
    return queued;
  }

  /** Number of deliveries waiting (due or not). */
  async pending(): Promise<number> {
    return this.#o.redis.hlen(this.#k.items);
  }

  /** An entry claimed by a projector that died before rescheduling it is queued again. */
  async #requeueOrphans(): Promise<void> {
    const redis = this.#o.redis;
    const members = await redis.hkeys(this.#k.items);
    if (!members.length) return;
    const scores = await Promise.all(members.map((m) => redis.zscore(this.#k.outbox, m)));
    const orphans = members.filter((_m, i) => scores[i] === null);
    // Entries being delivered right now are not in the set either: only ones still missing a
    // moment later are orphans (a delivery either finishes or is rescheduled within its timeout).
    if (!orphans.length) return;
    const grace = this.#clock() + (this.#o.requestTimeoutMs ?? 10_000) * 2;
    for (const m of orphans) await redis.zadd(this.#k.outbox, 'NX', grace, m);
  }

  async #send(target: AlertTarget, notice: AlertNotice): Promise<string | undefined> {
    const req = noticeRequest(target, notice, this.#clock());
    try {
      const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(this.#o.requestTimeoutMs ?? 10_000) });
      const text = await res.text();
      return alertDelivered(target, res.status, text) ? undefined : `HTTP ${res.status}: ${text.slice(0, 200)}`;
    } catch (err) {
      return (err as Error).message;
    }
  }
}

function toBudgetAlert(a: QuotaAlert, eventId: string, time: string): BudgetAlert {
  const out: BudgetAlert = { eventId, tenant: a.tenant, time, budgetId: a.budgetId, periodKey: a.periodKey, threshold: a.threshold, spentMicroUsd: a.spentMicroUsd };
  if (a.limitMicroUsd !== undefined) out.limitMicroUsd = a.limitMicroUsd;
  if (a.spentTokens !== undefined) out.spentTokens = a.spentTokens;
  if (a.limitTokens !== undefined) out.limitTokens = a.limitTokens;
  return out;
}

function eventData(a: BudgetAlert): Record<string, unknown> {
  const d: Record<string, unknown> = { budgetId: a.budgetId, threshold: a.threshold, periodKey: a.periodKey, spentMicroUsd: a.spentMicroUsd };
  if (a.limitMicroUsd !== undefined) d['limitMicroUsd'] = a.limitMicroUsd;
  if (a.spentTokens !== undefined) d['spentTokens'] = a.spentTokens;
  if (a.limitTokens !== undefined) d['limitTokens'] = a.limitTokens;
  return d;
}
