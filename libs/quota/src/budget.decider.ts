import {
  type BudgetRemoved,
  type BudgetSet,
  type EventData,
  type QuotaIncreaseApproved,
  type QuotaIncreaseRejected,
  type QuotaIncreaseRequested,
  type RateLimitSet,
  type Sealed,
} from '@totra/events';
import { BudgetNotFoundError, InvalidQuotaCommandError, QuotaRequestDecidedError, QuotaRequestNotFoundError } from './errors.js';
import { type HotBudget, type HotQuotaLayout } from './hot-quota-layout.js';
import { canonicalTimeZone, type BudgetPeriod } from './period.js';

export type BudgetSetData = EventData<typeof BudgetSet>;
export type BudgetScope = BudgetSetData['scope'];

/** Set (or replace) a budget. */
export interface SetBudget {
  budgetId: string;
  tenant: string;
  scope: BudgetScope;
  model?: string;
  limit: { microUsd?: number; tokens?: number };
  period?: BudgetPeriod;
  /** IANA zone; default UTC. */
  timeZone?: string;
  /** Percent of the limit; default [50, 80, 100]. */
  thresholds?: readonly number[];
  at: Date;
}

export interface RemoveBudget {
  budgetId: string;
  at: Date;
}

/** Set the rate limits of a key (absent = unlimited). */
export interface SetRateLimit {
  keyId: string;
  tenant: string;
  rpm?: number;
  tpm?: number;
  at: Date;
}

export interface RequestQuotaIncrease {
  quotaRequestId: string;
  tenant: string;
  budgetId?: string;
  requestedBy?: string;
  amountMicroUsd: number;
  /**
   * The reason, already checked with {@link quotaReason} and sealed by the caller under the
   * requester's data key for the event id it will append (the reason is personal free text, never
   * in clear data). Needs `requestedBy`: the requester is the event's subject.
   */
  sealedReason?: { eventId: string; sealed: Sealed };
  at: Date;
}

export interface DecideQuotaIncrease {
  quotaRequestId: string;
  at: Date;
}

interface Emitted<TType extends string, TData> {
  type: TType;
  tenant: string;
  time: string;
  data: TData;
  /** Set when the event carries a sealed part (its id and subject bind the seal). */
  id?: string;
  subject?: string;
  sealed?: Sealed;
}

/** What the quota deciders emit: each is an `EventInput` a chain writer appends as it is. */
export type QuotaEvent =
  | Emitted<'BudgetSet', BudgetSetData>
  | Emitted<'BudgetRemoved', EventData<typeof BudgetRemoved>>
  | Emitted<'RateLimitSet', EventData<typeof RateLimitSet>>
  | Emitted<'QuotaIncreaseRequested', EventData<typeof QuotaIncreaseRequested>>
  | Emitted<'QuotaIncreaseApproved', EventData<typeof QuotaIncreaseApproved>>
  | Emitted<'QuotaIncreaseRejected', EventData<typeof QuotaIncreaseRejected>>;

export interface BudgetView extends BudgetSetData {
  tenant: string;
  setAt: string;
}

export interface QuotaRequestView {
  quotaRequestId: string;
  tenant: string;
  budgetId?: string;
  requestedBy?: string;
  amountMicroUsd: number;
  /** The sealed reason and what opens it (its event id and subject): readers with the key store open it. */
  sealedReason?: { eventId: string; subject: string; sealed: Sealed };
  requestedAt: string;
  status: 'pending' | 'approved' | 'rejected';
  decidedAt?: string;
}

/** Budgets, rate limits and quota requests, as the deciders need them. */
export interface QuotaState {
  budgets: ReadonlyMap<string, BudgetView>;
  rateLimits: ReadonlyMap<string, { tenant: string; rpm?: number; tpm?: number }>;
  requests: ReadonlyMap<string, QuotaRequestView>;
}

export const initialQuotaState: QuotaState = { budgets: new Map(), rateLimits: new Map(), requests: new Map() };

/** An event as the fold sees it (data validated already); other types are ignored. */
export interface FoldableQuotaEvent {
  type: string;
  tenant: string;
  time: string;
  data: Readonly<Record<string, unknown>>;
  id?: string | undefined;
  subject?: string | undefined;
  sealed?: Sealed | undefined;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const KEY_ID = /^key_[0-9a-f]{32}$/;
const QR_ID = /^qr_[0-9a-f]{32}$/;
export const DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 100];
export const MAX_REASON_LENGTH = 200;

function time(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new InvalidQuotaCommandError('at is not a valid date');
  return d.toISOString();
}

function tenantOf(t: string): string {
  if (!t.length || t.length > 128) throw new InvalidQuotaCommandError('tenant must be 1 to 128 characters');
  return t;
}

function amount(n: number | undefined, field: string, min = 0): number | undefined {
  if (n === undefined) return undefined;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidQuotaCommandError(`${field} must be an integer >= ${min}, got ${String(n)}`);
  return n;
}

/**
 * Decides `SetBudget`: one `BudgetSet`. Validates ids, the time zone (canonical spelling
 * kept) and thresholds (sorted, unique). @throws InvalidQuotaCommandError, UnknownTimeZoneError
 */
export function setBudget(c: SetBudget, state: QuotaState): QuotaEvent[] {
  const at = time(c.at);
  if (!ID.test(c.budgetId)) throw new InvalidQuotaCommandError(`budget id "${c.budgetId}" must be [A-Za-z0-9_.-], at most 128 characters`);
  const tenant = tenantOf(c.tenant);
  const existing = state.budgets.get(c.budgetId);
  if (existing && existing.tenant !== tenant) throw new InvalidQuotaCommandError(`budget "${c.budgetId}" belongs to another tenant`);
  if (c.scope.kind === 'key' && !KEY_ID.test(c.scope.id)) throw new InvalidQuotaCommandError(`"${c.scope.id}" is not a key id (key_ + 32 hex)`);
  if ((c.scope.kind === 'user' || c.scope.kind === 'team') && !ID.test(c.scope.id)) {
    throw new InvalidQuotaCommandError(`${c.scope.kind} "${c.scope.id}" is not a pseudonymous id`);
  }
  const microUsd = amount(c.limit.microUsd, 'limit.microUsd');
  const tokens = amount(c.limit.tokens, 'limit.tokens');
  if (microUsd === undefined && tokens === undefined) throw new InvalidQuotaCommandError('a budget needs a limit in micro-USD or tokens');
  const thresholds = [...new Set(c.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
  if (thresholds.length > 10 || thresholds.some((t) => !Number.isInteger(t) || t < 1 || t > 1000)) {
    throw new InvalidQuotaCommandError('thresholds are at most 10 whole percentages from 1 to 1000');
  }
  if (c.model !== undefined && (!c.model.length || c.model.length > 200)) throw new InvalidQuotaCommandError('model must be 1 to 200 characters');
  const data: BudgetSetData = {
    budgetId: c.budgetId,
    scope: c.scope,
    limit: { ...(microUsd !== undefined ? { microUsd } : {}), ...(tokens !== undefined ? { tokens } : {}) },
    period: c.period ?? 'monthly',
    timeZone: canonicalTimeZone(c.timeZone ?? 'UTC'),
    thresholds,
  };
  if (c.model !== undefined) data.model = c.model;
  return [{ type: 'BudgetSet', tenant, time: at, data }];
}

/** Decides `RemoveBudget`. @throws BudgetNotFoundError */
export function removeBudget(c: RemoveBudget, state: QuotaState): QuotaEvent[] {
  const at = time(c.at);
  const b = state.budgets.get(c.budgetId);
  if (!b) throw new BudgetNotFoundError(c.budgetId);
  return [{ type: 'BudgetRemoved', tenant: b.tenant, time: at, data: { budgetId: c.budgetId } }];
}

/** Decides `SetRateLimit`. @throws InvalidQuotaCommandError */
export function setRateLimit(c: SetRateLimit): QuotaEvent[] {
  const at = time(c.at);
  if (!KEY_ID.test(c.keyId)) throw new InvalidQuotaCommandError(`"${c.keyId}" is not a key id (key_ + 32 hex)`);
  const rpm = amount(c.rpm, 'rpm', 1);
  const tpm = amount(c.tpm, 'tpm', 1);
  return [{ type: 'RateLimitSet', tenant: tenantOf(c.tenant), time: at, data: { keyId: c.keyId, ...(rpm !== undefined ? { rpm } : {}), ...(tpm !== undefined ? { tpm } : {}) } }];
}

/**
 * Checks the free-text reason of a quota request before it is sealed: trimmed, not empty, at most
 * {@link MAX_REASON_LENGTH} characters. @throws InvalidQuotaCommandError
 */
export function quotaReason(text: string): string {
  const reason = text.trim();
  if (!reason) throw new InvalidQuotaCommandError('the reason is empty');
  if (reason.length > MAX_REASON_LENGTH) throw new InvalidQuotaCommandError(`the reason is at most ${MAX_REASON_LENGTH} characters`);
  return reason;
}

/**
 * Decides `RequestQuotaIncrease`. A reason comes sealed (see {@link quotaReason}): the event then
 * names the requester as its subject. @throws InvalidQuotaCommandError, BudgetNotFoundError
 */
export function requestQuotaIncrease(c: RequestQuotaIncrease, state: QuotaState): QuotaEvent[] {
  const at = time(c.at);
  if (!QR_ID.test(c.quotaRequestId)) throw new InvalidQuotaCommandError(`"${c.quotaRequestId}" is not a quota request id (qr_ + 32 hex)`);
  if (state.requests.has(c.quotaRequestId)) throw new InvalidQuotaCommandError(`quota request "${c.quotaRequestId}" exists already`);
  const amountMicroUsd = amount(c.amountMicroUsd, 'amount', 1) as number;
  if (c.budgetId !== undefined && !state.budgets.has(c.budgetId)) throw new BudgetNotFoundError(c.budgetId);
  if (c.requestedBy !== undefined && !ID.test(c.requestedBy)) throw new InvalidQuotaCommandError(`"${c.requestedBy}" is not a pseudonymous id`);
  if (c.sealedReason && c.requestedBy === undefined) throw new InvalidQuotaCommandError('a reason needs the requester (it is sealed under their data key)');
  return [
    {
      type: 'QuotaIncreaseRequested',
      tenant: tenantOf(c.tenant),
      time: at,
      ...(c.sealedReason ? { id: c.sealedReason.eventId, subject: c.requestedBy, sealed: c.sealedReason.sealed } : {}),
      data: {
        quotaRequestId: c.quotaRequestId,
        ...(c.budgetId !== undefined ? { budgetId: c.budgetId } : {}),
        ...(c.requestedBy !== undefined ? { requestedBy: c.requestedBy } : {}),
        amountMicroUsd,
      },
    },
  ];
}

function pendingRequest(id: string, state: QuotaState): QuotaRequestView {
  const r = state.requests.get(id);
  if (!r) throw new QuotaRequestNotFoundError(id);
  if (r.status !== 'pending') throw new QuotaRequestDecidedError(id, r.status);
  return r;
}

/**
 * Decides the approval of a pending quota request: `QuotaIncreaseApproved`, then, when it
 * names a budget with a micro-USD limit that still exists, a `BudgetSet` raising that limit by
 * the amount. @throws QuotaRequestNotFoundError, QuotaRequestDecidedError
 */
export function approveQuotaIncrease(c: DecideQuotaIncrease, state: QuotaState): QuotaEvent[] {
  const at = time(c.at);
  const r = pendingRequest(c.quotaRequestId, state);
  const events: QuotaEvent[] = [
    { type: 'QuotaIncreaseApproved', tenant: r.tenant, time: at, data: { quotaRequestId: r.quotaRequestId, ...(r.budgetId !== undefined ? { budgetId: r.budgetId } : {}), amountMicroUsd: r.amountMicroUsd } },
  ];
  const b = r.budgetId !== undefined ? state.budgets.get(r.budgetId) : undefined;
  if (b && b.limit.microUsd !== undefined) {
    const { tenant: _t, setAt: _s, ...data } = b;
    events.push({ type: 'BudgetSet', tenant: b.tenant, time: at, data: { ...data, limit: { ...b.limit, microUsd: b.limit.microUsd + r.amountMicroUsd } } });
  }
  return events;
}

/** Decides the rejection of a pending quota request. @throws QuotaRequestNotFoundError, QuotaRequestDecidedError */
export function rejectQuotaIncrease(c: DecideQuotaIncrease, state: QuotaState): QuotaEvent[] {
  const at = time(c.at);
  const r = pendingRequest(c.quotaRequestId, state);
  return [{ type: 'QuotaIncreaseRejected', tenant: r.tenant, time: at, data: { quotaRequestId: r.quotaRequestId } }];
}

/** Applies one event to the state (a new state; events of other types change nothing). */
export function evolveQuota(state: QuotaState, e: FoldableQuotaEvent): QuotaState {
  switch (e.type) {
    case 'BudgetSet': {
      const d = e.data as BudgetSetData;
      return { ...state, budgets: new Map(state.budgets).set(d.budgetId, { ...d, tenant: e.tenant, setAt: e.time }) };
    }
    case 'BudgetRemoved': {
      const budgets = new Map(state.budgets);
      budgets.delete((e.data as { budgetId: string }).budgetId);
      return { ...state, budgets };
    }
    case 'RateLimitSet': {
      const d = e.data as EventData<typeof RateLimitSet>;
      return { ...state, rateLimits: new Map(state.rateLimits).set(d.keyId, { tenant: e.tenant, ...(d.rpm !== undefined ? { rpm: d.rpm } : {}), ...(d.tpm !== undefined ? { tpm: d.tpm } : {}) }) };
    }
    case 'QuotaIncreaseRequested': {
      const d = e.data as EventData<typeof QuotaIncreaseRequested>;
      const sealedReason = e.sealed && e.id && e.subject ? { sealedReason: { eventId: e.id, subject: e.subject, sealed: e.sealed } } : {};
      return { ...state, requests: new Map(state.requests).set(d.quotaRequestId, { ...d, ...sealedReason, tenant: e.tenant, requestedAt: e.time, status: 'pending' }) };
    }
    case 'QuotaIncreaseApproved':
    case 'QuotaIncreaseRejected': {
      const id = (e.data as { quotaRequestId: string }).quotaRequestId;
      const r = state.requests.get(id);
      if (!r) return state;
      const status = e.type === 'QuotaIncreaseApproved' ? 'approved' : 'rejected';
      return { ...state, requests: new Map(state.requests).set(id, { ...r, status, decidedAt: e.time }) };
    }
    default:
      return state;
  }
}

/** Folds events (in log order) into the quota state. */
export function foldQuota(events: Iterable<FoldableQuotaEvent>, state: QuotaState = initialQuotaState): QuotaState {
  let s = state;
  for (const e of events) s = evolveQuota(s, e);
  return s;
}

/** The record the admission script reads for a budget (see {@link HotBudget}). */
export function hotBudgetOf(tenant: string, d: BudgetSetData, layout: HotQuotaLayout): HotBudget {
  const id = d.scope.kind === 'tenant' ? '*' : d.scope.id;
  return {
    id: d.budgetId,
    k: d.scope.kind,
    s: id,
    ...(d.model !== undefined ? { m: d.model } : {}),
    ...(d.limit.microUsd !== undefined ? { u: d.limit.microUsd } : {}),
    ...(d.limit.tokens !== undefined ? { t: d.limit.tokens } : {}),
    p: d.period,
    z: d.timeZone,
    th: [...d.thresholds],
    ix: layout.scopeBudgets(tenant, d.scope.kind, id),
  };
}

/**
 * Parses a dollar amount ("12", "12.5", "0.000001") into integer micro-USD without floating
 * point. @throws InvalidQuotaCommandError
 */
export function usdToMicroUsd(text: string): number {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!m) throw new InvalidQuotaCommandError(`"${text}" is not a USD amount (at most 6 decimals, e.g. 12.50)`);
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** Formats micro-USD as dollars with up to 6 decimals (`12.5` -> "12.50"). */
export function formatMicroUsd(microUsd: number): string {
  const whole = Math.floor(microUsd / 1_000_000);
  const frac = String(microUsd % 1_000_000).padStart(6, '0').replace(/0{1,4}$/, '');
  return `${whole}.${frac.length < 2 ? frac.padEnd(2, '0') : frac}`;
}
