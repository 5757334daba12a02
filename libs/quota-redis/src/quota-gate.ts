import { type Redis } from 'ioredis';
import { calendarPeriodKeys, hotQuotaLayout, type HotQuotaLayout } from '@totra/quota';
import { InvalidGateArgumentError, UnexpectedGateReplyError } from './errors.js';
import { QuotaLeases, type LeaseHold, type LeaseOptions } from './quota-leases.js';
import { ADMIT_SCRIPT, LEASE_SCRIPT, RELEASE_SCRIPT, SETTLE_SCRIPT, UNTRACKED_SCRIPT } from './quota-scripts.js';
import { ScriptBatcher } from './script-batcher.js';

export interface QuotaGateOptions {
  /**
   * Connection for the gate's scripts. The gate batches the scripts of one event-loop round into
   * one pipeline itself: ioredis auto-pipelining on this connection only adds waiting.
   */
  redis: Redis;
  /** Prefix of every Redis key, the same as the quota-hot projection's (e.g. `totra:`). */
  keyPrefix: string;
  /** How long a reservation holds before it is taken back (a crashed gateway). Default 15 min. */
  reservationTtlMs?: number;
  /** How long settled spend stays pending while its `SpendRecorded` is not projected. Default 1 h. */
  pendingTtlMs?: number;
  /** Most expired reservations purged by one admission. Default 32. */
  purgeLimit?: number;
  /**
   * A connection the gate may put in subscriber mode (it can be shared: the gate only listens to
   * its own channels). Needed to wait for settlements (`heldWaitMs`).
   */
  subscriber?: Redis;
  /**
   * How long an admission that fits once the reservations in flight settle waits for them
   * before it is refused, woken by every settlement, release or expiry of the tenant. Default 0
   * (refuse at once); needs `subscriber`.
   */
  heldWaitMs?: number;
  /**
   * How long a "nothing limits this caller" verdict (no budget of the key, user, team or tenant
   * for the model, no rate limit of the key) is reused without asking Redis. Needs `subscriber`:
   * the verdicts are kept only while the gate listens to the projection's announcements of
   * budget and rate-limit changes, and a tenant's are dropped on each. Default 1000 ms; 0 asks
   * Redis every time.
   */
  untrackedCacheMs?: number;
  /**
   * Settlements and releases are collected for this long and sent as one pipeline, after the
   * admissions of the same moment: under bursts, a request's admission does not queue in Redis
   * behind the bookkeeping of the answers just sent. Until its settlement, a request holds its
   * estimate instead of its actual cost, so the delay can refuse a request near a limit that
   * would have fitted: default 5 ms with `heldWaitMs` (such a request waits for the settlement
   * instead), 0 without.
   */
  settleDelayMs?: number;
  /**
   * Budget leases (ADR 0013): this process reserves a slice of each budget period its callers
   * use and admits requests against it without a round trip, falling back to the per-request
   * script near a limit, for callers a rate limit counts, and whenever a lease does not fit.
   * Needs `subscriber` (leases are used only while the gate hears limit changes). Default off;
   * `true` for the default options.
   */
  leases?: boolean | LeaseOptions;
}

/** What a request may cost at most, before it is sent. */
export interface QuotaEstimate {
  /** Upper bound in micro-USD: `estimateMaxCost({inputTokens, maxOutputTokens}, price)`. */
  microUsd: number;
  /** Upper bound in tokens: input tokens + max output tokens. */
  tokens: number;
}

export interface AdmitRequest {
  /** The gateway's request id: the reservation is idempotent on it. */
  requestId: string;
  tenant: string;
  keyId: string;
  userId: string;
  teamId: string;
  /** The model alias the caller asked for (budgets limited to a model match it). */
  model: string;
  estimate: QuotaEstimate;
  now: Date | number;
}

/** A request's hold on its budgets, to settle or release. */
export interface Reservation {
  requestId: string;
  tenant: string;
  /** Budget periods it counts against, `<budgetId>/<periodKey>`: put them in `SpendRecorded.scopes`. */
  scopes: string[];
  estimate: QuotaEstimate;
  /** When an unsettled reservation is taken back (ms since epoch). */
  expiresAt: number;
  /**
   * `reserved` (new), `leased` (admitted on this process's budget leases: nothing was stored
   * for it, its settlement writes its pending spend), `untracked` (no budget and no rate limit
   * applies: nothing was stored, and settling or releasing it costs no round trip), or, for a
   * request id seen before, its state: `settled` or `recorded`.
   */
  state: 'reserved' | 'leased' | 'untracked' | 'settled' | 'recorded';
  /** True when this request id was admitted before (nothing new was reserved). */
  replayed: boolean;
  /** The leases a `leased` reservation holds. */
  lease?: LeaseHold;
}

/** Why a request was refused. */
export interface QuotaRefusal {
  ok: false;
  reason: 'rate_limit' | 'budget';
  /** `key:<id>`, `user:<id>`, `team:<id>` or `tenant`. */
  scope: string;
  /** The budget that refused (budget refusals). */
  budgetId?: string;
  /** What `limit` and `used` count: `microUsd`, `tokens` (budgets), `rpm` or `tpm` (rate limits). */
  unit: 'microUsd' | 'tokens' | 'rpm' | 'tpm';
  limit: number;
  /** Used before this request (spent + pending + reserved for budgets; weighted window for rates). */
  used: number;
  /** For rate limits: when a retry can pass (absent when the request can never fit). */
  retryAfterSeconds?: number;
  /**
   * Budget refusals: true when the request would fit once the reservations in flight settle
   * (`spent + pending + estimate <= limit` everywhere) but they did not settle in time.
   */
  held: boolean;
}

export type Admission = { ok: true; reservation: Reservation } | QuotaRefusal;

export type SettleResult = 'settled' | 'already_settled' | 'recorded' | 'untracked';

const int = (n: number, field: string): string => {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidGateArgumentError(`${field} must be a non-negative integer, got ${String(n)}`);
  return String(n);
};

/** Most cached "nothing limits this caller" verdicts; beyond it they are all dropped and relearnt. */
const MAX_UNTRACKED_VERDICTS = 100_000;

/** What an untracked verdict is kept under, within its tenant: the scopes and the model it was given for. */
const NO_ESTIMATE: QuotaEstimate = Object.freeze({ microUsd: 0, tokens: 0 });

const callerKey = (r: Omit<AdmitRequest, 'estimate'>): string => `${r.keyId}\n${r.userId}\n${r.teamId}\n${r.model}`;

const ms = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());

/**
 * The gateway's quota gate: one Redis round trip per admission (a Lua script doing RPM/TPM
 * for the key and `spent + pending + reserved + estimate <= limit` for every budget of the key,
 * user, team and tenant, then reserving), settlement into pending spend, and release. Budget
 * definitions, spent and rate limits come from the quota-hot projection. A caller that nothing
 * limits (the script's `untracked` verdict) is admitted without a round trip for the next
 * `untrackedCacheMs`, unless the projection announces a change to the tenant's limits first.
 */
export class QuotaGate {
  readonly #scripts: ScriptBatcher;
  /** Settlements and releases: batched over `settleDelayMs`, behind admissions. */
  readonly #bookkeeping: ScriptBatcher;
  readonly #layout: HotQuotaLayout;
  readonly #ttl: number;
  readonly #pendingTtl: number;
  readonly #purge: number;
  /** Time zones whose period keys go with every admission; grows when a budget names a new one. */
  readonly #zones = new Set<string>(['UTC']);
  readonly #subscriber: Redis | undefined;
  readonly #heldWaitMs: number;
  /** Channels subscribed to (once each), and the admissions waiting on each. */
  readonly #subscribed = new Map<string, Promise<unknown>>();
  readonly #waiting = new Map<string, Set<() => void>>();
  /** tenant -> `key\nuser\nteam\nmodel` -> until (ms): callers nothing limits (see `untrackedCacheMs`). */
  readonly #untracked = new Map<string, Map<string, number>>();
  #untrackedSize = 0;
  readonly #untrackedMs: number;
  /** True while the subscriber listens to the limits channel: only then are verdicts kept. */
  #limitsWatched = false;
  /** Bumped on every announcement and disconnection: a verdict is kept only if none came while it was asked. */
  #limitsGeneration = 0;
  readonly #leases: QuotaLeases | undefined;
  /** `tenant\ncaller` of the untracked verdicts being asked again in the background. */
  readonly #rechecking = new Set<string>();
  /** Admissions so far by how they were decided: on a lease, by the script (a round trip), or from a cached untracked verdict. */
  readonly admissions = { lease: 0, script: 0, cached: 0 };
  /** Untracked verdicts asked again in the background (ADR 0046): answered untracked (kept longer), limited (dropped), or failed. */
  readonly rechecks = { kept: 0, dropped: 0, failed: 0 };
  /** The period keys JSON of the last minute asked for (they change only on minute boundaries). */
  #periods = { minute: Number.NaN, zones: 0, json: '' };

  constructor(o: QuotaGateOptions) {
    this.#scripts = new ScriptBatcher(o.redis);
    this.#layout = hotQuotaLayout(o.keyPrefix);
    this.#ttl = o.reservationTtlMs ?? 15 * 60_000;
    this.#pendingTtl = o.pendingTtlMs ?? 60 * 60_000;
    this.#purge = o.purgeLimit ?? 32;
    this.#subscriber = o.subscriber;
    this.#heldWaitMs = o.subscriber ? (o.heldWaitMs ?? 0) : 0;
    this.#bookkeeping = new ScriptBatcher(o.redis, { delayMs: o.settleDelayMs ?? (this.#heldWaitMs > 0 ? 5 : 0) });
    this.#untrackedMs = o.subscriber ? (o.untrackedCacheMs ?? 1_000) : 0;
    if (o.subscriber && o.leases) {
      const l = this.#layout;
      this.#leases = new QuotaLeases(
        (tenant, items) => {
          const argv = [l.prefix, l.tag(tenant), String(Date.now()), String(this.#leases?.ttlMs ?? 60_000), String(this.#leases?.sharePerMille ?? 250)];
          return Promise.all(items.map((i) => this.#scripts.runGrouped(LEASE_SCRIPT, tenant, [l.expiries(tenant)], argv, [i.ref, (this.#leases as QuotaLeases).owner, i.op, String(i.addUsd), String(i.addTok), String(i.minUsd), String(i.minTok)])));
        },
        o.leases === true ? {} : o.leases,
      );
    }
    const limits = this.#layout.limitsChanged;
    const pressure = this.#layout.pressure;
    this.#subscriber?.on('message', (channel: string, message: string) => {
      if (channel === pressure) {
        this.#leases?.pressure(this.#layout.tag, message);
        return;
      }
      if (channel === limits) {
        this.#limitsGeneration++;
        this.#leases?.tenantChanged(message);
        const gone = this.#untracked.get(message);
        if (gone) {
          this.#untrackedSize -= gone.size;
          this.#untracked.delete(message);
        }
        return;
      }
      const waiters = this.#waiting.get(channel);
      if (!waiters) return;
      this.#waiting.delete(channel);
      for (const wake of waiters) wake();
    });
    if ((this.#untrackedMs > 0 || this.#leases) && this.#subscriber) {
      const subscriber = this.#subscriber;
      const forget = () => {
        this.#limitsWatched = false;
        this.#limitsGeneration++;
        this.#untracked.clear();
        this.#untrackedSize = 0;
        this.#leases?.forgetAll();
      };
      // Announcements missed while disconnected are lost: forget everything, listen again.
      subscriber.on('close', forget);
      subscriber.on('ready', () => void this.#watchLimits(subscriber));
      if (subscriber.status === 'ready') void this.#watchLimits(subscriber);
    }
  }

  async #watchLimits(subscriber: Redis): Promise<void> {
    const generation = this.#limitsGeneration;
    try {
      await subscriber.subscribe(this.#layout.limitsChanged, ...(this.#leases ? [this.#layout.pressure] : []));
      if (generation === this.#limitsGeneration && subscriber.status === 'ready') this.#limitsWatched = true;
      else if (subscriber.status === 'ready') void this.#watchLimits(subscriber);
    } catch {
      // not listening: every admission asks Redis
    }
  }

  #cachedUntracked(r: Omit<AdmitRequest, 'estimate'>, estimate: QuotaEstimate): Reservation | undefined {
    if (!this.#limitsWatched) return undefined;
    const until = this.#untracked.get(r.tenant)?.get(callerKey(r));
    if (until === undefined) return undefined;
    const now = Date.now();
    if (until <= now) return undefined;
    // In its second half the verdict is asked again in the background (ADR 0046), so that a
    // caller with steady traffic never waits for that round trip.
    if (until - now < this.#untrackedMs / 2) this.#recheckUntracked(r);
    return { requestId: r.requestId, tenant: r.tenant, scopes: [], estimate, expiresAt: ms(r.now), state: 'untracked', replayed: false };
  }

  /**
   * Asks Redis again, reading only, whether nothing limits the caller of a kept verdict: kept for
   * another `untrackedCacheMs` if so (unless an announcement came meanwhile), dropped if a limit
   * applies now (its next admission runs the script). A failed check leaves the verdict to expire.
   * One check per caller at a time.
   */
  #recheckUntracked(r: Omit<AdmitRequest, 'estimate'>): void {
    const caller = callerKey(r);
    const id = `${r.tenant}\n${caller}`;
    if (this.#rechecking.has(id)) return;
    this.#rechecking.add(id);
    const generation = this.#limitsGeneration;
    const l = this.#layout;
    this.#bookkeeping
      .run(UNTRACKED_SCRIPT, [l.expiries(r.tenant)], [l.prefix, l.tag(r.tenant), r.model, r.keyId, r.userId, r.teamId])
      .then(
        (reply) => {
          if (Number(reply) === 1) {
            this.rechecks.kept++;
            this.#keepUntracked(r, generation);
          } else {
            this.rechecks.dropped++;
            this.#dropUntracked(r.tenant, caller);
          }
        },
        () => {
          this.rechecks.failed++;
        },
      )
      .finally(() => this.#rechecking.delete(id));
  }

  #dropUntracked(tenant: string, caller: string): void {
    const byCaller = this.#untracked.get(tenant);
    if (byCaller?.delete(caller)) this.#untrackedSize--;
  }

  /**
   * Admits a caller that nothing limits from the cached verdict alone, before its request is
   * estimated: an untracked admission reserves nothing, so the estimate (counting the prompt's
   * tokens) would be work for nothing. Undefined when there is no fresh verdict for this caller
   * and model: then `admit` with the estimate. The reservation's estimate is zero.
   */
  admitKnownUntracked(r: Omit<AdmitRequest, 'estimate'>): Reservation | undefined {
    const cached = this.#cachedUntracked(r, NO_ESTIMATE);
    if (cached) this.admissions.cached++;
    return cached;
  }

  #keepUntracked(r: Omit<AdmitRequest, 'estimate'>, generation: number): void {
    if (this.#untrackedMs <= 0 || !this.#limitsWatched || generation !== this.#limitsGeneration) return;
    if (this.#untrackedSize >= MAX_UNTRACKED_VERDICTS) {
      this.#untracked.clear();
      this.#untrackedSize = 0;
    }
    let byCaller = this.#untracked.get(r.tenant);
    if (!byCaller) this.#untracked.set(r.tenant, (byCaller = new Map()));
    const k = callerKey(r);
    if (!byCaller.has(k)) this.#untrackedSize++;
    byCaller.set(k, Date.now() + this.#untrackedMs);
  }

  /**
   * Checks rate limits and budgets and reserves the estimate; refuses with the first scope that
   * does not fit. One round trip, except when only reservations in flight are in the way: then
   * it waits (up to `heldWaitMs`, woken by each settlement of the tenant) and tries again.
   */
  async admit(r: AdmitRequest): Promise<Admission> {
    const cached = this.#cachedUntracked(r, r.estimate);
    if (cached) {
      this.admissions.cached++;
      return { ok: true, reservation: cached };
    }
    const leased = this.#leased(r);
    if (leased) {
      this.admissions.lease++;
      return { ok: true, reservation: leased };
    }
    this.admissions.script++;
    const generation = this.#limitsGeneration;
    const { admission: first, periods, rateLimited } = await this.#admitOnce(r);
    if (first.ok) {
      const state = first.reservation.state;
      if (state === 'untracked') this.#keepUntracked(r, generation);
      else if (state === 'reserved' && !first.reservation.replayed && !rateLimited && this.#leases && this.#limitsWatched && generation === this.#limitsGeneration) {
        this.#leases.learn(r.tenant, callerKey(r), periods, first.reservation.scopes, r.estimate.microUsd, r.estimate.tokens);
      }
    }
    if (first.ok || !first.held || this.#heldWaitMs <= 0) return first;
    const started = Date.now();
    const deadline = started + this.#heldWaitMs;
    const channel = this.#layout.released(r.tenant);
    try {
      await this.#subscribe(channel);
    } catch {
      return first; // no announcements to wait for: refused as without a wait
    }
    for (;;) {
      // Listening before the attempt: a settlement during it wakes the wait at once.
      const wake = this.#nextRelease(channel);
      const { admission: a } = await this.#admitOnce({ ...r, now: ms(r.now) + (Date.now() - started) });
      const left = deadline - Date.now();
      if (a.ok || !a.held || left <= 0) {
        wake.cancel();
        return a;
      }
      await wake.wait(left);
    }
  }

  #subscribe(channel: string): Promise<unknown> {
    let done = this.#subscribed.get(channel);
    if (!done) {
      done = (this.#subscriber as Redis).subscribe(channel);
      this.#subscribed.set(channel, done);
      done.catch(() => this.#subscribed.delete(channel));
    }
    return done;
  }

  #nextRelease(channel: string): { wait(ms: number): Promise<void>; cancel(): void } {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let set = this.#waiting.get(channel);
    if (!set) this.#waiting.set(channel, (set = new Set()));
    set.add(wake);
    const cancel = () => {
      this.#waiting.get(channel)?.delete(wake);
      wake();
    };
    return {
      cancel,
      async wait(timeoutMs) {
        const timer = setTimeout(cancel, timeoutMs);
        await woken;
        clearTimeout(timer);
      },
    };
  }

  /** The period keys of every known time zone at `now`, as the admission script takes them. */
  #periodsAt(now: number): string {
    const minute = Math.floor(now / 60_000);
    const p = this.#periods;
    if (p.minute === minute && p.zones === this.#zones.size) return p.json;
    const zones: Record<string, Record<string, string>> = {};
    for (const z of this.#zones) zones[z] = calendarPeriodKeys(now, z);
    const json = JSON.stringify(zones);
    this.#periods = { minute, zones: this.#zones.size, json };
    return json;
  }

  /** Admits on this process's budget leases, when they cover every budget period of the caller. */
  #leased(r: AdmitRequest): Reservation | undefined {
    if (!this.#leases || !this.#limitsWatched) return undefined;
    if (!r.requestId) throw new InvalidGateArgumentError('requestId is required');
    int(r.estimate.microUsd, 'estimate.microUsd');
    int(r.estimate.tokens, 'estimate.tokens');
    const now = ms(r.now);
    const hold = this.#leases.admit(r.tenant, callerKey(r), this.#periodsAt(now), r.estimate.microUsd, r.estimate.tokens);
    if (!hold) return undefined;
    return { requestId: r.requestId, tenant: r.tenant, scopes: hold.leases.map((l) => l.ref), estimate: r.estimate, expiresAt: now + this.#leases.ttlMs, state: 'leased', replayed: false, lease: hold };
  }

  async #admitOnce(r: AdmitRequest): Promise<{ admission: Admission; periods: string; rateLimited: boolean }> {
    const l = this.#layout;
    const t = r.tenant;
    const now = ms(r.now);
    if (!r.requestId) throw new InvalidGateArgumentError('requestId is required');
    const usd = int(r.estimate.microUsd, 'estimate.microUsd');
    const tok = int(r.estimate.tokens, 'estimate.tokens');
    const item = [r.requestId, String(now), usd, tok, r.model, r.keyId, r.userId, r.teamId];
    for (let attempt = 0; attempt < 16; attempt++) {
      const periods = this.#periodsAt(now);
      // One script call admits the requests of a tenant sent in the same batch with the same period keys.
      const reply = await this.#scripts.runGrouped(ADMIT_SCRIPT, `${t}\n${periods}`, [l.expiries(t)], [l.prefix, l.tag(t), periods, String(this.#ttl), String(this.#purge)], item);
      if (!Array.isArray(reply)) throw new UnexpectedGateReplyError(reply);
      const [kind, ...rest] = reply.map(String);
      if (kind === 'tz' && rest[0]) {
        // Another admission may have learnt the zone since this one's period keys were computed.
        if (!this.#zones.has(rest[0])) {
          calendarPeriodKeys(now, rest[0]); // throws UnknownTimeZoneError for a zone this runtime lacks
          this.#zones.add(rest[0]);
        }
        continue;
      }
      if (kind === 'done') {
        return { admission: { ok: true, reservation: { requestId: r.requestId, tenant: t, scopes: [], estimate: r.estimate, expiresAt: now, state: 'recorded', replayed: true } }, periods, rateLimited: false };
      }
      if (kind === 'ok') {
        const [state, sc, x, replayed, limited] = rest as [string, string, string, string, string | undefined];
        const scopes = JSON.parse(sc) as unknown;
        const admission: Admission = {
          ok: true,
          reservation: {
            requestId: r.requestId,
            tenant: t,
            scopes: Array.isArray(scopes) ? scopes.map(String) : [],
            estimate: r.estimate,
            expiresAt: Number(x),
            state: state === 's' ? 'settled' : state === 'u' ? 'untracked' : 'reserved',
            replayed: replayed === '1',
          },
        };
        return { admission, periods, rateLimited: limited !== '0' };
      }
      if (kind === 'no') {
        const [reason, scope, budgetId, unit, limit, used, retry, held] = rest as [string, string, string, string, string, string, string, string];
        const refusal: QuotaRefusal = {
          ok: false,
          reason: reason === 'rate_limit' ? 'rate_limit' : 'budget',
          scope,
          unit: unit as QuotaRefusal['unit'],
          limit: Number(limit),
          used: Number(used),
          held: held === '1',
        };
        if (budgetId) refusal.budgetId = budgetId;
        if (Number(retry) >= 0) refusal.retryAfterSeconds = Math.max(1, Math.ceil(Number(retry) / 1000));
        return { admission: refusal, periods, rateLimited: reason === 'rate_limit' };
      }
      throw new UnexpectedGateReplyError(reply);
    }
    throw new UnexpectedGateReplyError('time zones kept changing');
  }

  /**
   * Converts the reservation into pending spend of what the request actually used (kept until
   * the quota-hot projection applies its `SpendRecorded`). Idempotent; call it before appending
   * `SpendRecorded`.
   */
  async settle(reservation: Reservation, actual: QuotaEstimate, now: Date | number = Date.now()): Promise<SettleResult> {
    // Nothing was held, and no budget counts it: its SpendRecorded is the whole record.
    if (reservation.state === 'untracked') return 'untracked';
    const l = this.#layout;
    const t = reservation.tenant;
    const item = [reservation.requestId, String(ms(now)), int(actual.microUsd, 'actual.microUsd'), int(actual.tokens, 'actual.tokens'), JSON.stringify(reservation.scopes)];
    // A leased request takes what it cost (at most its estimate) off its leases as it becomes pending.
    const debit = reservation.lease && this.#leases ? this.#leases.debit(reservation.lease, actual.microUsd, actual.tokens) : undefined;
    item.push(debit?.owner ?? '', String(debit?.usd ?? 0), String(debit?.tok ?? 0));
    let reply: unknown;
    try {
      reply = await this.#bookkeeping.runGrouped(SETTLE_SCRIPT, t, [l.expiries(t)], [l.prefix, l.tag(t), String(this.#pendingTtl)], item);
    } catch (err) {
      debit?.done();
      throw err;
    }
    debit?.done();
    if (reply === 'settled' || reply === 'already_settled' || reply === 'recorded') return reply;
    throw new UnexpectedGateReplyError(reply);
  }

  /** Gives an unsettled reservation back (the request failed before any provider charged for it). */
  async release(reservation: Reservation): Promise<boolean> {
    if (reservation.state === 'untracked') return false;
    if (reservation.lease) {
      this.#leases?.release(reservation.lease);
      return true;
    }
    const l = this.#layout;
    const t = reservation.tenant;
    const reply = await this.#bookkeeping.run(RELEASE_SCRIPT, [l.expiries(t), l.request(t, reservation.requestId)], [l.prefix, l.tag(t), reservation.requestId]);
    return reply === 1;
  }

  /** Stops leasing and gives this process's budget leases back (call when the gateway stops). */
  async close(): Promise<void> {
    await this.#leases?.close();
  }

  /** This process's budget leases, by `tenant\nref` (for tests and diagnostics). */
  leaseSnapshot(): ReturnType<QuotaLeases['snapshot']> {
    return this.#leases?.snapshot() ?? new Map();
  }
}
