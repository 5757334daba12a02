/**
 * Where the hot quota state lives in Redis: the contract between the quota-hot projection
 * (which writes budget definitions, spent and done markers) and the gateway's quota gate
 * (which writes reservations, pending spend and rate windows). Every key of one tenant carries
 * the same hash tag `{<tenant, URI-encoded>}`, so one admission touches one cluster slot.
 *
 * Projection-owned (dropped and replayed by a rebuild):
 * - `<p>qbdef:{t}`: hash budgetId -> budget JSON ({@link HotBudget})
 * - `<p>qb:{t}:<kind>:<id>`: hash budgetId -> budget JSON, the budgets of one scope (tenant: id `*`)
 * - `<p>qs:{t}:<budgetId>:<periodKey>`: hash `usd`, `tok`: spent (recorded) in one period
 * - `<p>qd:{t}:<requestId>`: string, marks a request whose `SpendRecorded` was applied (TTL)
 * - `<p>qrl:{t}:<keyId>`: hash `rpm`, `tpm`: rate limits of a key
 * - `<p>qa:{t}:<budgetId>:<periodKey>`: set of thresholds already alerted in that period
 * - `<p>quota-hot:...` (checkpoint, see hot-identity)
 *
 * Gateway-owned (live; a rebuild keeps them):
 * - `<p>ql:{t}:<budgetId>:<periodKey>`: hash `rusd`, `rtok` (reserved), `pusd`, `ptok` (pending)
 * - `<p>qr:{t}:<requestId>`: hash: state `s` (`r` reserved / `s` settled), `sc` (JSON budget
 *   period refs), `usd`, `tok` (amounts held), `w` (rate window key), `x` (expiry ms)
 * - `<p>qx:{t}`: sorted set requestId by expiry (ms): purged by every admission
 * - `<p>qw:{t}:<keyId>:<minute>`: hash `n`, `tok`: requests and tokens in one minute window
 * - `<p>qn:{t}`: pub/sub channel: a reservation was settled, released or expired (room may be
 *   back), for admissions waiting on reservations in flight
 *
 * - `<p>quota:pressure`: pub/sub channel, published by an admission with the tenant's tag when
 *   it was refused only by reservations in flight (gateways give their budget leases back)
 * - `<p>quota:limits`: pub/sub channel, published by the projection with the tenant whenever a
 *   budget or rate limit of the tenant is set or removed (gateways cache "nothing limits this
 *   caller" verdicts and drop them on it)
 *
 * Shared outbox: `<p>quota:alerts`: Redis stream of threshold crossings for a notifier.
 */
export interface HotQuotaLayout {
  readonly prefix: string;
  /** `{<tenant>}`: the hash tag of a tenant's keys. */
  tag(tenant: string): string;
  budgets(tenant: string): string;
  scopeBudgets(tenant: string, kind: BudgetScopeKind, id: string): string;
  spent(tenant: string, budgetId: string, periodKey: string): string;
  live(tenant: string, budgetId: string, periodKey: string): string;
  request(tenant: string, requestId: string): string;
  expiries(tenant: string): string;
  done(tenant: string, requestId: string): string;
  rateLimit(tenant: string, keyId: string): string;
  rateWindow(tenant: string, keyId: string, minute: number): string;
  alerted(tenant: string, budgetId: string, periodKey: string): string;
  /** Channel published when a tenant's reservations are settled, released or expired. */
  released(tenant: string): string;
  readonly alerts: string;
  /** Channel published with the tenant when one of its budgets or rate limits is set or removed. */
  readonly limitsChanged: string;
  /**
   * Channel published with a tenant's hash tag when an admission of the tenant is refused only
   * because of reservations in flight: gateways holding budget leases of the tenant give them
   * back (ADR 0013).
   */
  readonly pressure: string;
  /** SCAN patterns of the projection-owned keys (not the checkpoint, which hot-identity owns). */
  readonly ownedPatterns: readonly string[];
}

export type BudgetScopeKind = 'key' | 'user' | 'team' | 'tenant';

/** A budget as stored for the admission script (short field names: it is decoded per request). */
export interface HotBudget {
  /** budget id */
  id: string;
  /** scope kind and id (`*` for the tenant) */
  k: BudgetScopeKind;
  s: string;
  /** model alias it is limited to */
  m?: string;
  /** limit in micro-USD / tokens */
  u?: number;
  t?: number;
  /** period and time zone */
  p: 'daily' | 'weekly' | 'monthly' | 'total';
  z: string;
  /** thresholds in percent */
  th: number[];
  /** the scope index key it is listed in (to unlist it when it changes or goes) */
  ix: string;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The Redis names of the hot quota state under a key prefix (e.g. `totra:`). */
export function hotQuotaLayout(prefix: string): HotQuotaLayout {
  const tag = (tenant: string) => `{${encodeURIComponent(tenant)}}`;
  const glob = escapeGlob(prefix);
  return {
    prefix,
    tag,
    budgets: (t) => `${prefix}qbdef:${tag(t)}`,
    scopeBudgets: (t, kind, id) => `${prefix}qb:${tag(t)}:${kind}:${kind === 'tenant' ? '*' : id}`,
    spent: (t, b, pk) => `${prefix}qs:${tag(t)}:${b}:${pk}`,
    live: (t, b, pk) => `${prefix}ql:${tag(t)}:${b}:${pk}`,
    request: (t, r) => `${prefix}qr:${tag(t)}:${r}`,
    expiries: (t) => `${prefix}qx:${tag(t)}`,
    done: (t, r) => `${prefix}qd:${tag(t)}:${r}`,
    rateLimit: (t, k) => `${prefix}qrl:${tag(t)}:${k}`,
    rateWindow: (t, k, minute) => `${prefix}qw:${tag(t)}:${k}:${minute}`,
    alerted: (t, b, pk) => `${prefix}qa:${tag(t)}:${b}:${pk}`,
    released: (t) => `${prefix}qn:${tag(t)}`,
    alerts: `${prefix}quota:alerts`,
    limitsChanged: `${prefix}quota:limits`,
    pressure: `${prefix}quota:pressure`,
    ownedPatterns: [`${glob}qbdef:*`, `${glob}qb:*`, `${glob}qs:*`, `${glob}qd:*`, `${glob}qrl:*`, `${glob}qa:*`],
  };
}

/** `<budgetId>/<periodKey>`: what a reservation and its `SpendRecorded` count against. */
export function budgetPeriodRef(budgetId: string, periodKey: string): string {
  return `${budgetId}/${periodKey}`;
}

/** Splits a `<budgetId>/<periodKey>` ref. */
export function parseBudgetPeriodRef(ref: string): { budgetId: string; periodKey: string } {
  const i = ref.indexOf('/');
  return { budgetId: ref.slice(0, i), periodKey: ref.slice(i + 1) };
}
