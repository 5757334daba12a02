import { createHash } from 'node:crypto';
import { type DecodedEvent, type EventInput } from '@totra/events';
import { ErasureRefusedError } from './errors.js';

/** The fields of a stored event the erasure fold reads. */
export interface ErasureFact {
  readonly id: string;
  readonly type: string;
  readonly tenant: string;
  readonly time: string;
  readonly subject?: string | undefined;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The erasure fact of a decoded event (as replayed from the log or an event-log read model). */
export function erasureFactOf(e: DecodedEvent): ErasureFact {
  return { id: e.envelope.id, type: e.type, tenant: e.envelope.tenant, time: e.envelope.time, subject: e.envelope.subject, data: e.data };
}

export interface ErasureRequestView {
  readonly eventId: string;
  readonly requestedAt: string;
  readonly dueAt: string;
  readonly requestedBy: string;
  readonly legalBasis: string;
  approvedAt?: string;
  shreddedAt?: string;
  journalEntryId?: string;
  /** When the overdue alert was recorded (`SubjectErasureOverdue`), if it was. */
  overdueAlertedAt?: string;
}

export interface RetentionHoldView {
  readonly holdId: string;
  readonly reason: string;
  readonly placedAt: string;
}

export interface SubjectErasureView {
  readonly subject: string;
  readonly tenant: string;
  readonly requests: ErasureRequestView[];
  readonly holds: Map<string, RetentionHoldView>;
  /** Journal entries of erasures executed for this subject. */
  readonly journalEntries: string[];
  /** API keys issued to the subject (as user), by key id, and whether they were revoked. */
  readonly apiKeys: Map<string, { revoked: boolean }>;
}

/** Erasure state of every subject, folded from the log. */
export interface ErasureState {
  readonly subjects: ReadonlyMap<string, SubjectErasureView>;
}

export const ERASURE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'SubjectErasureRequested',
  'SubjectErasureApproved',
  'SubjectKeyShredded',
  'RetentionHoldPlaced',
  'RetentionHoldReleased',
  'SubjectErasureOverdue',
  'ApiKeyIssued',
  'ApiKeyRevoked',
]);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Folds erasure, shred and hold events (others are ignored) in log order. */
export function foldErasure(events: Iterable<ErasureFact>): ErasureState {
  const subjects = new Map<string, SubjectErasureView>();
  /** key id -> subject, to find the owner of a revoked key. */
  const keyOwner = new Map<string, string>();
  const view = (subject: string, tenant: string): SubjectErasureView => {
    let s = subjects.get(subject);
    if (!s) {
      s = { subject, tenant, requests: [], holds: new Map(), journalEntries: [], apiKeys: new Map() };
      subjects.set(subject, s);
    }
    return s;
  };
  for (const e of events) {
    if (!ERASURE_EVENT_TYPES.has(e.type)) continue;
    // Keys name their user in data (the user id is the data subject).
    if (e.type === 'ApiKeyIssued') {
      const user = str(e.data['userId']);
      const keyId = str(e.data['keyId']);
      if (user && keyId) {
        view(user, e.tenant).apiKeys.set(keyId, { revoked: false });
        keyOwner.set(keyId, user);
      }
      continue;
    }
    if (e.type === 'ApiKeyRevoked') {
      const owner = keyOwner.get(str(e.data['keyId']));
      const k = owner === undefined ? undefined : subjects.get(owner)?.apiKeys.get(str(e.data['keyId']));
      if (k) k.revoked = true;
      continue;
    }
    if (!e.subject) continue;
    const s = view(e.subject, e.tenant);
    switch (e.type) {
      case 'SubjectErasureRequested':
        s.requests.push({ eventId: e.id, requestedAt: e.time, dueAt: str(e.data['dueAt']), requestedBy: str(e.data['requestedBy']), legalBasis: str(e.data['legalBasis']) });
        break;
      case 'SubjectErasureApproved': {
        const r = s.requests.find((q) => q.eventId === e.data['requestEventId']);
        if (r) r.approvedAt = e.time;
        break;
      }
      case 'SubjectKeyShredded': {
        if (e.data['reason'] !== 'erasure') break;
        s.journalEntries.push(str(e.data['journalEntryId']));
        const r = s.requests.find((q) => q.eventId === e.data['requestEventId']);
        if (r) {
          r.shreddedAt = e.time;
          r.journalEntryId = str(e.data['journalEntryId']);
        }
        break;
      }
      case 'RetentionHoldPlaced':
        s.holds.set(str(e.data['holdId']), { holdId: str(e.data['holdId']), reason: str(e.data['reason']), placedAt: e.time });
        break;
      case 'RetentionHoldReleased':
        s.holds.delete(str(e.data['holdId']));
        break;
      case 'SubjectErasureOverdue': {
        const r = s.requests.find((q) => q.eventId === e.data['requestEventId']);
        if (r) r.overdueAlertedAt ??= e.time;
        break;
      }
    }
  }
  return { subjects };
}

/** One calendar month later (Art. 12(3)); the day is clamped to the end of a shorter month (Jan 31 -> Feb 28/29). */
export function addOneMonth(at: Date): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const lastDay = new Date(Date.UTC(y, m + 2, 0)).getUTCDate();
  const d = new Date(at.getTime());
  d.setUTCDate(1);
  d.setUTCMonth(m + 1);
  d.setUTCDate(Math.min(at.getUTCDate(), lastDay));
  return d;
}

export interface RequestErasureCommand {
  readonly subject: string;
  readonly tenant: string;
  readonly requestedBy: string;
  readonly legalBasis: string;
  readonly at: Date;
  /** Id for the `SubjectErasureRequested` event (UUIDv7), so later events can name it. */
  readonly eventId: string;
}

/** Records an erasure request; refused when the subject was already erased. */
export function requestErasure(cmd: RequestErasureCommand, state: ErasureState): EventInput[] {
  const s = state.subjects.get(cmd.subject);
  if (s && s.journalEntries.length > 0) throw new ErasureRefusedError(`subject ${cmd.subject} is already erased (journal entry ${s.journalEntries[0] ?? ''})`);
  return [
    {
      type: 'SubjectErasureRequested',
      id: cmd.eventId,
      tenant: cmd.tenant,
      subject: cmd.subject,
      time: cmd.at.toISOString(),
      data: { requestedBy: cmd.requestedBy, legalBasis: cmd.legalBasis, dueAt: addOneMonth(cmd.at).toISOString() },
    },
  ];
}

export type ExecutionDecision =
  | { readonly kind: 'execute'; readonly events: EventInput[] }
  | { readonly kind: 'deferred'; readonly holds: RetentionHoldView[] };

/** Reason recorded on the `ApiKeyRevoked` events of an erasure. */
export const ERASURE_REVOKE_REASON = 'data subject erased (GDPR Art. 17)';

/**
 * Approves and lets the shred go ahead, or defers it while a retention hold stands (the request
 * stays open and its status says why). Going ahead also revokes every API key of the subject that
 * is still active (`ApiKeyRevoked`, each once): an erased user's keys stop working.
 */
export function decideExecution(
  cmd: { subject: string; requestEventId: string; approvedBy: string; at: Date },
  state: ErasureState,
): ExecutionDecision {
  const s = state.subjects.get(cmd.subject);
  const req = s?.requests.find((r) => r.eventId === cmd.requestEventId);
  if (!s || !req) throw new ErasureRefusedError(`no erasure request ${cmd.requestEventId} for subject ${cmd.subject}`);
  if (req.shreddedAt) throw new ErasureRefusedError(`erasure request ${cmd.requestEventId} was executed at ${req.shreddedAt}`);
  if (s.holds.size > 0) return { kind: 'deferred', holds: [...s.holds.values()] };
  const events: EventInput[] = req.approvedAt
    ? []
    : [{ type: 'SubjectErasureApproved', tenant: s.tenant, subject: s.subject, time: cmd.at.toISOString(), data: { requestEventId: req.eventId, approvedBy: cmd.approvedBy } }];
  for (const [keyId, k] of [...s.apiKeys.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (!k.revoked) events.push({ type: 'ApiKeyRevoked', tenant: s.tenant, time: cmd.at.toISOString(), data: { keyId, reason: ERASURE_REVOKE_REASON } });
  }
  return { kind: 'execute', events };
}

/** The fact recorded after the keys were destroyed and journaled. */
export function keyShredded(cmd: { subject: string; tenant: string; kids: readonly string[]; journalEntryId: string; requestEventId: string; at: Date }): EventInput {
  return {
    type: 'SubjectKeyShredded',
    id: cmd.journalEntryId,
    tenant: cmd.tenant,
    subject: cmd.subject,
    time: cmd.at.toISOString(),
    data: { kids: [...cmd.kids], journalEntryId: cmd.journalEntryId, reason: 'erasure', requestEventId: cmd.requestEventId },
  };
}

export interface ErasureStatusRow {
  readonly subject: string;
  readonly tenant: string;
  readonly requestEventId: string;
  readonly requestedAt: string;
  readonly dueAt: string;
  readonly state: 'open' | 'deferred' | 'done';
  readonly overdue: boolean;
  /** When the overdue alert was recorded (and queued for the alert targets). */
  readonly overdueAlertedAt?: string;
  /** Why it is not done (holds), or when it was. */
  readonly detail: string;
}

/** Every erasure request with its deadline; open or deferred past `dueAt` is overdue. */
export function erasureStatus(state: ErasureState, now: Date): ErasureStatusRow[] {
  const rows: ErasureStatusRow[] = [];
  for (const s of state.subjects.values()) {
    for (const r of s.requests) {
      const holds = [...s.holds.values()];
      const st: ErasureStatusRow['state'] = r.shreddedAt ? 'done' : holds.length ? 'deferred' : 'open';
      rows.push({
        subject: s.subject,
        tenant: s.tenant,
        requestEventId: r.eventId,
        requestedAt: r.requestedAt,
        dueAt: r.dueAt,
        state: st,
        overdue: st !== 'done' && Date.parse(r.dueAt) < now.getTime(),
        ...(r.overdueAlertedAt !== undefined ? { overdueAlertedAt: r.overdueAlertedAt } : {}),
        detail:
          st === 'done'
            ? `keys shredded at ${r.shreddedAt ?? ''} (journal ${r.journalEntryId ?? ''})`
            : st === 'deferred'
              ? `retention hold: ${holds.map((h) => `${h.reason} (${h.holdId})`).join('; ')}`
              : r.approvedAt
                ? 'approved, shred pending'
                : 'awaiting execution',
      });
    }
  }
  return rows.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
}

/**
 * The id of the overdue alert of an erasure request: UUIDv7-shaped, derived from the request's
 * event id, so the same request always gets the same alert id (a second notifier, or a retry,
 * can see that the log holds it already).
 */
export function erasureOverdueEventId(requestEventId: string): string {
  const b = createHash('sha256').update(`SubjectErasureOverdue\u0000${requestEventId}`).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * `SubjectErasureOverdue` for every request that is past its due date at `now`, not executed,
 * and not alerted yet: at most one per request, ever.
 */
export function decideOverdueAlerts(state: ErasureState, now: Date): EventInput[] {
  const out: EventInput[] = [];
  for (const row of erasureStatus(state, now)) {
    if (!row.overdue || row.overdueAlertedAt !== undefined || row.state === 'done') continue;
    out.push({
      type: 'SubjectErasureOverdue',
      id: erasureOverdueEventId(row.requestEventId),
      tenant: row.tenant,
      subject: row.subject,
      time: now.toISOString(),
      data: { requestEventId: row.requestEventId, dueAt: row.dueAt, state: row.state },
    });
  }
  return out;
}
