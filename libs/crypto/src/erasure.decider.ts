import { type EventInput } from '@totra/events';
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

export interface ErasureRequestView {
  readonly eventId: string;
  readonly requestedAt: string;
  readonly dueAt: string;
  readonly requestedBy: string;
  readonly legalBasis: string;
  approvedAt?: string;
  shreddedAt?: string;
  journalEntryId?: string;
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
]);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Folds erasure, shred and hold events (others are ignored) in log order. */
export function foldErasure(events: Iterable<ErasureFact>): ErasureState {
  const subjects = new Map<string, SubjectErasureView>();
  const of = (e: ErasureFact): SubjectErasureView | undefined => {
    if (!e.subject) return undefined;
    let s = subjects.get(e.subject);
    if (!s) {
      s = { subject: e.subject, tenant: e.tenant, requests: [], holds: new Map(), journalEntries: [] };
      subjects.set(e.subject, s);
    }
    return s;
  };
  for (const e of events) {
    if (!ERASURE_EVENT_TYPES.has(e.type)) continue;
    const s = of(e);
    if (!s) continue;
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

/**
 * Approves and lets the shred go ahead, or defers it while a retention hold stands (the request
 * stays open and its status says why).
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
