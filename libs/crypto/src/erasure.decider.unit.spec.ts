import { describe, expect, it } from 'vitest';
import { EventRegistry } from '@totra/events';
import { ERASURE_REVOKE_REASON, addOneMonth, decideExecution, decideOverdueAlerts, erasureOverdueEventId, erasureStatus, foldErasure, keyShredded, requestErasure, type ErasureFact } from './erasure.decider.js';

const REQ = '0193b5a0-7c3e-7abc-8def-000000000001';
const JOURNAL = '0193b5a0-7c3e-7abc-8def-000000000002';
const at = new Date('2026-01-31T09:00:00.000Z');
const registry = new EventRegistry();

function fact(e: { type: string; id?: string; tenant: string; subject?: string; time?: string; data: Record<string, unknown> }, n: number): ErasureFact {
  registry.validateInput(e);
  return { id: e.id ?? `0193b5a0-7c3e-7abc-8def-${String(n).padStart(12, '0')}`, type: e.type, tenant: e.tenant, time: e.time ?? at.toISOString(), subject: e.subject, data: e.data };
}

describe('erasure decider', () => {
  it('adds one calendar month, clamping to the end of a shorter month', () => {
    expect(addOneMonth(new Date('2026-01-31T09:00:00.000Z')).toISOString()).toBe('2026-02-28T09:00:00.000Z');
    expect(addOneMonth(new Date('2028-01-30T00:00:00.000Z')).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(addOneMonth(new Date('2026-12-15T00:00:00.000Z')).toISOString()).toBe('2027-01-15T00:00:00.000Z');
  });

  it('given no history, when erasure is requested, then a valid SubjectErasureRequested due in one month', () => {
    const events = requestErasure({ subject: 's1', tenant: 'acme', requestedBy: 'dpo_1', legalBasis: 'Art. 17(1)(a)', at, eventId: REQ }, foldErasure([]));
    expect(events).toEqual([{ type: 'SubjectErasureRequested', id: REQ, tenant: 'acme', subject: 's1', time: at.toISOString(), data: { requestedBy: 'dpo_1', legalBasis: 'Art. 17(1)(a)', dueAt: '2026-02-28T09:00:00.000Z' } }]);
    expect(() => registry.validateInput(events[0]!)).not.toThrow();
  });

  it('given a request and a retention hold, execution is deferred and the status says why; released, it goes ahead', () => {
    const requested = requestErasure({ subject: 's1', tenant: 'acme', requestedBy: 'dpo_1', legalBasis: 'Art. 17', at, eventId: REQ }, foldErasure([]));
    const hold = { type: 'RetentionHoldPlaced', tenant: 'acme', subject: 's1', data: { holdId: 'h1', reason: 'litigation 2026-17', placedBy: 'legal_1' } };
    const history = [...requested, hold].map(fact);
    const decision = decideExecution({ subject: 's1', requestEventId: REQ, approvedBy: 'dpo_1', at }, foldErasure(history));
    expect(decision).toMatchObject({ kind: 'deferred', holds: [{ holdId: 'h1', reason: 'litigation 2026-17' }] });
    const later = new Date('2026-03-01T00:00:00.000Z');
    expect(erasureStatus(foldErasure(history), later)).toMatchObject([{ subject: 's1', state: 'deferred', overdue: true, detail: 'retention hold: litigation 2026-17 (h1)' }]);

    const released = [...history, fact({ type: 'RetentionHoldReleased', tenant: 'acme', subject: 's1', data: { holdId: 'h1', reason: 'case closed', releasedBy: 'legal_1' } }, 9)];
    const go = decideExecution({ subject: 's1', requestEventId: REQ, approvedBy: 'dpo_1', at }, foldErasure(released));
    expect(go.kind).toBe('execute');
    const approved = go.kind === 'execute' ? go.events : [];
    expect(approved).toMatchObject([{ type: 'SubjectErasureApproved', subject: 's1', data: { requestEventId: REQ, approvedBy: 'dpo_1' } }]);
    const shred = keyShredded({ subject: 's1', tenant: 'acme', kids: ['dk_1'], journalEntryId: JOURNAL, requestEventId: REQ, at: later });
    const done = foldErasure([...released, ...approved.map(fact), fact(shred, 20)]);
    expect(erasureStatus(done, later)).toMatchObject([{ state: 'done', overdue: false }]);
    expect(() => decideExecution({ subject: 's1', requestEventId: REQ, approvedBy: 'dpo_1', at }, done)).toThrow(expect.objectContaining({ code: 'TOTRA_GDPR_ERASURE_REFUSED' }));
    expect(() => requestErasure({ subject: 's1', tenant: 'acme', requestedBy: 'dpo_1', legalBasis: 'again', at, eventId: REQ }, done)).toThrow(/already erased/);
  });

  it('an open request before its due date is not overdue; an unknown request is refused', () => {
    const st = foldErasure(requestErasure({ subject: 's2', tenant: 'acme', requestedBy: 'dpo_1', legalBasis: 'Art. 17', at, eventId: REQ }, foldErasure([])).map(fact));
    expect(erasureStatus(st, new Date('2026-02-01T00:00:00.000Z'))).toMatchObject([{ state: 'open', overdue: false, dueAt: '2026-02-28T09:00:00.000Z' }]);
    expect(() => decideExecution({ subject: 's2', requestEventId: JOURNAL, approvedBy: 'x', at }, st)).toThrow(/no erasure request/);
  });

  it("going ahead revokes the subject's active API keys, each once, and no other user's", () => {
    const issued = (keyId: string, userId: string) => ({
      type: 'ApiKeyIssued',
      tenant: 'acme',
      data: { keyId, keyHash: 'a'.repeat(64), prefix: 'tt-abcde', userId, teamId: 't1' },
    });
    const requested = requestErasure({ subject: 'u1', tenant: 'acme', requestedBy: 'dpo_1', legalBasis: 'Art. 17', at, eventId: REQ }, foldErasure([]));
    const history = [
      issued('key_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'u1'),
      issued('key_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'u1'),
      issued('key_cccccccccccccccccccccccccccccccc', 'u1'),
      issued('key_dddddddddddddddddddddddddddddddd', 'u2'),
      { type: 'ApiKeyRevoked', tenant: 'acme', data: { keyId: 'key_cccccccccccccccccccccccccccccccc', reason: 'leaked' } },
      ...requested,
    ].map(fact);
    const go = decideExecution({ subject: 'u1', requestEventId: REQ, approvedBy: 'dpo_1', at }, foldErasure(history));
    const revoked = go.kind === 'execute' ? go.events.filter((e) => e.type === 'ApiKeyRevoked') : [];
    expect(revoked.map((e) => e.data['keyId'])).toEqual(['key_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'key_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb']);
    expect(revoked.every((e) => e.data['reason'] === ERASURE_REVOKE_REASON && e.tenant === 'acme')).toBe(true);
    for (const e of revoked) expect(() => registry.validateInput(e)).not.toThrow();
  });

  it('an overdue request is alerted once, with an id derived from the request; a done one never', () => {
    const requested = requestErasure({ subject: 's3', tenant: 'acme', requestedBy: 'dpo_1', legalBasis: 'Art. 17', at, eventId: REQ }, foldErasure([]));
    const history = requested.map(fact);
    expect(decideOverdueAlerts(foldErasure(history), new Date('2026-02-28T09:00:00.000Z'))).toEqual([]);
    const late = new Date('2026-02-28T09:00:00.001Z');
    const alerts = decideOverdueAlerts(foldErasure(history), late);
    expect(alerts).toEqual([
      { type: 'SubjectErasureOverdue', id: erasureOverdueEventId(REQ), tenant: 'acme', subject: 's3', time: late.toISOString(), data: { requestEventId: REQ, dueAt: '2026-02-28T09:00:00.000Z', state: 'open' } },
    ]);
    expect(() => registry.validateInput(alerts[0]!)).not.toThrow();
    expect(erasureOverdueEventId(REQ)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const alerted = foldErasure([...history, fact(alerts[0]!, 5)]);
    expect(decideOverdueAlerts(alerted, new Date('2026-06-01T00:00:00.000Z'))).toEqual([]);
    expect(erasureStatus(alerted, late)).toMatchObject([{ overdue: true, overdueAlertedAt: late.toISOString() }]);
    const shred = keyShredded({ subject: 's3', tenant: 'acme', kids: [], journalEntryId: JOURNAL, requestEventId: REQ, at: late });
    expect(decideOverdueAlerts(foldErasure([...history, fact(shred, 6)]), new Date('2026-06-01T00:00:00.000Z'))).toEqual([]);
  });
});
