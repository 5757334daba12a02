import { randomBytes } from 'node:crypto';
import { UnexpectedGateReplyError } from './errors.js';

/** Budget leases (ADR 0013): how much of a budget's room one gateway process holds, and for how long. */
export interface LeaseOptions {
  /** How long a lease holds in Redis without renewal (a crashed gateway's is purged after it). Default 60 s. */
  ttlMs?: number;
  /** Share of a budget period's free room one grant may take, in (0, 1]. Default 0.25. */
  share?: number;
  /** How many requests' worth (of the estimate that started it) a new lease asks for. Default 32. */
  initialRequests?: number;
  /**
   * A lease with nothing in flight that admitted nothing for this long is given back. Default
   * 30 s: an admission refused because of the room leases hold makes them go back at once.
   */
  idleMs?: number;
}

/** What `QuotaLeases` needs from the gate: one lease script call per tenant. */
export type LeaseRunner = (tenant: string, items: LeaseItem[]) => Promise<unknown[]>;

export interface LeaseItem {
  ref: string;
  op: 'open' | 'grow' | 'release';
  addUsd: number;
  addTok: number;
  minUsd: number;
  minTok: number;
}

/** One unit (micro-USD or tokens) of a lease. */
interface Unit {
  /** False when the budget does not limit this unit: it is not leased, and not counted. */
  limited: boolean;
  /** What the lease holds in Redis, as far as this process knows (grants received, debits confirmed). */
  amount: number;
  /** Estimates of the requests admitted on it and not settled, and debits sent and not confirmed. */
  inUse: number;
  /** How much free room the lease tries to keep. */
  want: number;
}

type LeaseState = 'acquiring' | 'active' | 'draining' | 'gone';

class Lease {
  readonly usd: Unit = { limited: true, amount: 0, inUse: 0, want: 0 };
  readonly tok: Unit = { limited: true, amount: 0, inUse: 0, want: 0 };
  state: LeaseState = 'acquiring';
  /** Local time until which it may admit (its Redis expiry, less a margin for clock skew). */
  validUntil = 0;
  sizing = false;
  lastUsed = 0;
  /** The estimate of the request that last asked for room: what a grant must at least fit. */
  lastEstimate = { usd: 0, tok: 0 };

  constructor(
    readonly tenant: string,
    readonly ref: string,
  ) {}

  free(u: Unit): number {
    return u.amount - u.inUse;
  }

  fits(usd: number, tok: number): boolean {
    return (!this.usd.limited || this.free(this.usd) >= usd) && (!this.tok.limited || this.free(this.tok) >= tok);
  }

  idle(): boolean {
    return this.usd.inUse <= 0 && this.tok.inUse <= 0;
  }
}

/** What a leased admission holds: its leases and its estimate, to give back or debit on settlement. */
export interface LeaseHold {
  readonly owner: string;
  readonly leases: readonly Lease[];
  readonly usd: number;
  readonly tok: number;
}

/** What a settlement of a leased request sends, and what to do with the reply. */
export interface LeaseDebit {
  owner: string;
  usd: number;
  tok: number;
  /** Call when the settlement is over (applied or not: the lease keeps nothing of it for reuse either way). */
  done(): void;
}

/** Most callers whose budget periods are kept; beyond it they are all dropped and relearnt. */
const MAX_CALLERS = 100_000;

const leaseKey = (tenant: string, ref: string): string => `${tenant}\n${ref}`;

/** How long closing waits for Redis to take the leases back. */
const CLOSE_WAIT_MS = 2_000;

/** How long a budget period told `low`, or pressed for its room, gets no new lease of this process. */
const COOLDOWN_MS = 2_000;

/**
 * The leases of one gateway process (ADR 0013): each is a slice of one budget period's room,
 * reserved in Redis under this process's owner id, from which requests are admitted without a
 * round trip. A request is admitted locally only when every budget period that applies to its
 * caller (learnt from the caller's last per-request admission, for the same period keys) has
 * an active lease with room for its estimate; otherwise it goes to the per-request script as
 * before. Leases grow when their free room falls below half of what they want, want twice
 * what is in use when a request did not fit, are renewed before they expire, stop admitting when Redis
 * says the budget is nearly used (`low`) or when the tenant's limits change, and are given back
 * when idle or drained.
 */
export class QuotaLeases {
  readonly owner = randomBytes(9).toString('base64url');
  readonly #run: LeaseRunner;
  readonly #ttl: number;
  readonly #share: number;
  readonly #initial: number;
  readonly #idle: number;
  readonly #leases = new Map<string, Lease>();
  /** tenant -> caller -> the budget periods it counts against, for the period keys they were learnt with. */
  readonly #callers = new Map<string, Map<string, { refs: readonly string[]; periods: string }>>();
  #callerCount = 0;
  /** Budget periods recently refused a lease (`low`): no new lease until then (ms). */
  readonly #cooldown = new Map<string, number>();
  /** What leases given back for being idle wanted: a new lease of the same budget period starts there. */
  readonly #wanted = new Map<string, { usd: number; tok: number }>();
  readonly #timer: NodeJS.Timeout;
  readonly #now: () => number;
  #closed = false;

  constructor(run: LeaseRunner, o: LeaseOptions = {}, now: () => number = Date.now) {
    this.#run = run;
    this.#ttl = o.ttlMs ?? 60_000;
    this.#share = Math.min(1, Math.max(0.001, o.share ?? 0.25));
    this.#initial = Math.max(1, o.initialRequests ?? 32);
    this.#idle = o.idleMs ?? 30_000;
    this.#now = now;
    this.#timer = setInterval(() => this.#tick(), Math.max(50, Math.min(this.#idle, this.#ttl / 4, COOLDOWN_MS)));
    this.#timer.unref();
  }

  get ttlMs(): number {
    return this.#ttl;
  }
  get sharePerMille(): number {
    return Math.round(this.#share * 1000);
  }

  /** Admits a request on this process's leases, or says it cannot (undefined: ask Redis). */
  admit(tenant: string, caller: string, periods: string, usd: number, tok: number): LeaseHold | undefined {
    if (this.#closed) return undefined;
    const c = this.#callers.get(tenant)?.get(caller);
    if (!c || c.periods !== periods || c.refs.length === 0) return undefined;
    const now = this.#now();
    const leases: Lease[] = [];
    let fits = true;
    for (const ref of c.refs) {
      const lease = this.#leases.get(leaseKey(tenant, ref));
      if (!lease || lease.state !== 'active' || lease.validUntil <= now) {
        if (!lease) this.#acquire(tenant, ref, usd, tok);
        return undefined;
      }
      leases.push(lease);
      if (!lease.fits(usd, tok)) fits = false;
    }
    if (!fits) {
      // Too small for what comes: keep twice what is in use with this request free.
      for (const lease of leases) {
        if (!lease.fits(usd, tok)) {
          lease.usd.want = Math.max(lease.usd.want, 2 * (lease.usd.inUse + usd));
          lease.tok.want = Math.max(lease.tok.want, 2 * (lease.tok.inUse + tok));
          this.#grow(lease, usd, tok);
        }
      }
      return undefined;
    }
    for (const lease of leases) {
      if (lease.usd.limited) lease.usd.inUse += usd;
      if (lease.tok.limited) lease.tok.inUse += tok;
      lease.lastUsed = now;
      if ((lease.usd.limited && lease.free(lease.usd) < lease.usd.want / 2) || (lease.tok.limited && lease.free(lease.tok) < lease.tok.want / 2)) this.#grow(lease, usd, tok);
    }
    return { owner: this.owner, leases, usd, tok };
  }

  /**
   * Remembers the budget periods a caller counts against (from a per-request admission that
   * reserved, with no rate limit counting it), so that its next requests may use leases, and
   * starts a lease for each period that has none.
   */
  learn(tenant: string, caller: string, periods: string, refs: readonly string[], usd: number, tok: number): void {
    if (this.#closed || refs.length === 0) return;
    if (this.#callerCount >= MAX_CALLERS) {
      this.#callers.clear();
      this.#callerCount = 0;
    }
    let byCaller = this.#callers.get(tenant);
    if (!byCaller) this.#callers.set(tenant, (byCaller = new Map()));
    if (!byCaller.has(caller)) this.#callerCount++;
    byCaller.set(caller, { refs: [...refs], periods });
    for (const ref of refs) if (!this.#leases.has(leaseKey(tenant, ref))) this.#acquire(tenant, ref, usd, tok);
  }

  /** Gives a leased request's estimate back to its leases (nothing was charged). */
  release(hold: LeaseHold): void {
    for (const lease of hold.leases) {
      if (lease.usd.limited) lease.usd.inUse -= hold.usd;
      if (lease.tok.limited) lease.tok.inUse -= hold.tok;
      this.#settled(lease);
    }
  }

  /**
   * Starts the settlement of a leased request: its estimate leaves the leases, and what it cost
   * (at most its estimate) stays in use until Redis confirms the debit.
   */
  debit(hold: LeaseHold, actualUsd: number, actualTok: number): LeaseDebit {
    const usd = Math.min(actualUsd, hold.usd);
    const tok = Math.min(actualTok, hold.tok);
    for (const lease of hold.leases) {
      if (lease.usd.limited) lease.usd.inUse += usd - hold.usd;
      if (lease.tok.limited) lease.tok.inUse += tok - hold.tok;
    }
    return {
      owner: hold.owner,
      usd,
      tok,
      done: () => {
        // Whether or not Redis applied it: a debit that failed leaves the cost in the lease as
        // well as (once projected) in spent, which counts it twice but never lets it be reused.
        for (const lease of hold.leases) {
          if (lease.usd.limited) {
            lease.usd.inUse -= usd;
            lease.usd.amount -= usd;
          }
          if (lease.tok.limited) {
            lease.tok.inUse -= tok;
            lease.tok.amount -= tok;
          }
          this.#settled(lease);
        }
      },
    };
  }

  /** A tenant's budgets or rate limits changed: its leases stop admitting and go back, its callers are relearnt. */
  tenantChanged(tenant: string): void {
    for (const key of this.#wanted.keys()) if (key.startsWith(`${tenant}\n`)) this.#wanted.delete(key);
    for (const key of this.#cooldown.keys()) if (key.startsWith(`${tenant}\n`)) this.#cooldown.delete(key);
    const gone = this.#callers.get(tenant);
    if (gone) {
      this.#callerCount -= gone.size;
      this.#callers.delete(tenant);
    }
    for (const lease of this.#leases.values()) if (lease.tenant === tenant) this.#drain(lease);
  }

  /**
   * An admission of the tenant (`tag` is its hash tag) was refused only by reservations in flight:
   * its leases stop admitting and go back once their requests are settled, so that the room they
   * hold goes where it is wanted. They may be granted again, smaller or `low`, on the next use.
   */
  pressure(tag: (tenant: string) => string, pressed: string): void {
    for (const lease of this.#leases.values()) {
      if (tag(lease.tenant) !== pressed) continue;
      const key = leaseKey(lease.tenant, lease.ref);
      this.#wanted.delete(key);
      this.#cooldown.set(key, this.#now() + COOLDOWN_MS);
      this.#drain(lease);
    }
  }

  /** Announcements may have been missed: every lease stops admitting and goes back. */
  forgetAll(): void {
    this.#callers.clear();
    this.#callerCount = 0;
    for (const lease of this.#leases.values()) this.#drain(lease);
  }

  /** Stops admitting and gives every lease back (requests still in flight settle as pending). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#callers.clear();
    const byTenant = new Map<string, LeaseItem[]>();
    for (const lease of this.#leases.values()) {
      if (lease.state === 'gone') continue;
      lease.state = 'gone';
      let items = byTenant.get(lease.tenant);
      if (!items) byTenant.set(lease.tenant, (items = []));
      items.push({ ref: lease.ref, op: 'release', addUsd: 0, addTok: 0, minUsd: 0, minTok: 0 });
    }
    this.#leases.clear();
    // Bounded: with Redis unreachable, the leases expire with their TTL instead.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...byTenant].map(([tenant, items]) => this.#run(tenant, items).catch(() => undefined))),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** For tests and metrics: the leases held, by `tenant\nref`. */
  snapshot(): Map<string, { state: LeaseState; usd: number; tok: number; inUseUsd: number; inUseTok: number }> {
    const out = new Map<string, { state: LeaseState; usd: number; tok: number; inUseUsd: number; inUseTok: number }>();
    // -1: the budget does not limit that unit.
    for (const [k, l] of this.#leases) out.set(k, { state: l.state, usd: l.usd.limited ? l.usd.amount : -1, tok: l.tok.limited ? l.tok.amount : -1, inUseUsd: l.usd.inUse, inUseTok: l.tok.inUse });
    return out;
  }

  #acquire(tenant: string, ref: string, usd: number, tok: number): void {
    const key = leaseKey(tenant, ref);
    const until = this.#cooldown.get(key);
    if (until !== undefined) {
      if (until > this.#now()) return;
      this.#cooldown.delete(key);
    }
    const lease = new Lease(tenant, ref);
    const before = this.#wanted.get(key);
    this.#wanted.delete(key);
    lease.usd.want = Math.max(this.#initial * usd, before?.usd ?? 0);
    lease.tok.want = Math.max(this.#initial * tok, before?.tok ?? 0);
    this.#leases.set(key, lease);
    this.#grow(lease, usd, tok);
  }

  /** Asks Redis for more room (or only a renewal), at most one call in flight per lease. */
  #grow(lease: Lease, usd: number, tok: number): void {
    if (usd > lease.lastEstimate.usd || tok > lease.lastEstimate.tok || lease.lastEstimate.usd + lease.lastEstimate.tok === 0) lease.lastEstimate = { usd, tok };
    if (lease.sizing || lease.state === 'draining' || lease.state === 'gone' || this.#closed) return;
    lease.sizing = true;
    const sentAt = this.#now();
    const add = (u: Unit) => (u.limited ? Math.max(0, Math.ceil(u.want - lease.free(u))) : 0);
    const item: LeaseItem = { ref: lease.ref, op: lease.state === 'acquiring' ? 'open' : 'grow', addUsd: add(lease.usd), addTok: add(lease.tok), minUsd: lease.lastEstimate.usd, minTok: lease.lastEstimate.tok };
    this.#run(lease.tenant, [item]).then(
      ([reply]) => {
        lease.sizing = false;
        if (!Array.isArray(reply)) throw new UnexpectedGateReplyError(reply);
        const [kind, gu, gt] = reply.map(String) as [string, string, string];
        if (kind === 'gone') return this.#gone(lease);
        if ((kind !== 'ok' && kind !== 'low') || !Number.isSafeInteger(Number(gu)) || !Number.isSafeInteger(Number(gt))) throw new UnexpectedGateReplyError(reply);
        const grant = (u: Unit, g: number) => {
          if (g < 0) {
            u.limited = false;
            u.amount = 0;
            u.inUse = 0;
          } else if (u.limited) u.amount += g;
        };
        grant(lease.usd, Number(gu));
        grant(lease.tok, Number(gt));
        // Its expiry in Redis is sentAt + ttl by this clock; a quarter of the TTL is left for skew.
        lease.validUntil = sentAt + (this.#ttl * 3) / 4;
        if (kind === 'low') {
          this.#cooldown.set(leaseKey(lease.tenant, lease.ref), this.#now() + COOLDOWN_MS);
          this.#drain(lease);
        } else if (lease.state === 'acquiring') lease.state = 'active';
        else this.#settled(lease); // drained while the call was out
      },
      () => {
        // Redis did not answer: the lease admits until its validity runs out, then requests go per request.
        lease.sizing = false;
        if (lease.state === 'acquiring') this.#forget(lease);
      },
    ).catch(() => {
      this.#drain(lease);
    });
  }

  #drain(lease: Lease): void {
    if (lease.state === 'gone') return;
    if (lease.state === 'acquiring' && !lease.sizing) return this.#forget(lease);
    lease.state = 'draining';
    this.#settled(lease);
  }

  #gone(lease: Lease): void {
    lease.state = 'gone';
    this.#forget(lease);
  }

  #forget(lease: Lease): void {
    const key = leaseKey(lease.tenant, lease.ref);
    if (this.#leases.get(key) === lease) this.#leases.delete(key);
  }

  /** After a request left a lease: a draining lease with nothing in flight is given back. */
  #settled(lease: Lease): void {
    if (lease.state !== 'draining' || !lease.idle() || lease.sizing) return;
    lease.state = 'gone';
    this.#forget(lease);
    // Best effort: one not given back expires with its TTL.
    this.#run(lease.tenant, [{ ref: lease.ref, op: 'release', addUsd: 0, addTok: 0, minUsd: 0, minTok: 0 }]).catch(() => undefined);
  }

  #tick(): void {
    const now = this.#now();
    for (const [key, until] of this.#cooldown) if (until <= now) this.#cooldown.delete(key);
    for (const lease of this.#leases.values()) {
      if (lease.state === 'draining') this.#settled(lease);
      if (lease.state !== 'active') continue;
      if (lease.idle() && now - lease.lastUsed >= this.#idle) {
        if (this.#wanted.size >= MAX_CALLERS) this.#wanted.clear();
        this.#wanted.set(leaseKey(lease.tenant, lease.ref), { usd: lease.usd.want, tok: lease.tok.want });
        this.#drain(lease);
      }
      else if (lease.validUntil - now < this.#ttl / 2) this.#grow(lease, lease.lastEstimate.usd, lease.lastEstimate.tok);
    }
  }
}
