import { describe, expect, it } from 'vitest';
import { approveQuotaIncrease, foldQuota, formatMicroUsd, initialQuotaState, quotaReason, rejectQuotaIncrease, removeBudget, requestQuotaIncrease, setBudget, usdToMicroUsd } from './budget.decider.js';

const at = new Date('2026-12-04T10:00:00.000Z');
const QR = `qr_${'1'.repeat(32)}`;

describe('budget and quota deciders', () => {
  it('given no budget, when one is set, then BudgetSet carries the canonical zone and sorted thresholds', () => {
    const events = setBudget({ budgetId: 'b1', tenant: 'acme', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 5_000_000 }, period: 'daily', timeZone: 'europe/berlin', thresholds: [100, 50, 50], at }, initialQuotaState);
    expect(events).toEqual([
      { type: 'BudgetSet', tenant: 'acme', time: at.toISOString(), data: { budgetId: 'b1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 5_000_000 }, period: 'daily', timeZone: 'Europe/Berlin', thresholds: [50, 100] } },
    ]);
    expect(foldQuota(events).budgets.get('b1')).toMatchObject({ tenant: 'acme', period: 'daily' });
  });

  it('refuses budgets without a limit, with a bad zone, or of another tenant', () => {
    const base = { budgetId: 'b1', tenant: 'acme', scope: { kind: 'tenant' as const }, at };
    expect(() => setBudget({ ...base, limit: {} }, initialQuotaState)).toThrow(expect.objectContaining({ code: 'TOTRA_QUOTA_INVALID' }));
    expect(() => setBudget({ ...base, limit: { tokens: 1 }, timeZone: 'Nowhere/X' }, initialQuotaState)).toThrow(expect.objectContaining({ code: 'TOTRA_QUOTA_TIME_ZONE' }));
    const state = foldQuota(setBudget({ ...base, limit: { tokens: 1 } }, initialQuotaState));
    expect(() => setBudget({ ...base, tenant: 'other', limit: { tokens: 1 } }, state)).toThrow(/another tenant/);
    expect(() => removeBudget({ budgetId: 'nope', at }, state)).toThrow(expect.objectContaining({ code: 'TOTRA_BUDGET_NOT_FOUND' }));
  });

  it('given a pending request for a budget, approving raises its limit by the amount; deciding twice is refused', () => {
    let s = foldQuota(setBudget({ budgetId: 'b1', tenant: 'acme', scope: { kind: 'user', id: 'u_1' }, limit: { microUsd: 1_000_000, tokens: 10 }, at }, initialQuotaState));
    const sealed = { kid: 'dk_1', alg: 'A256GCM' as const, iv: 'aaaa', ct: 'bbbb' };
    const requested = requestQuotaIncrease({ quotaRequestId: QR, tenant: 'acme', budgetId: 'b1', requestedBy: 'u_1', amountMicroUsd: 500_000, sealedReason: { eventId: 'e1', sealed }, at }, s);
    // The reason travels sealed, under the requester as subject, never in clear data.
    expect(requested[0]).toMatchObject({ id: 'e1', subject: 'u_1', sealed });
    expect(requested[0]?.data).not.toHaveProperty('reason');
    s = foldQuota(requested, s);
    expect(s.requests.get(QR)).toMatchObject({ status: 'pending', sealedReason: { eventId: 'e1', subject: 'u_1', sealed } });
    const approved = approveQuotaIncrease({ quotaRequestId: QR, at }, s);
    expect(approved.map((e) => e.type)).toEqual(['QuotaIncreaseApproved', 'BudgetSet']);
    expect(approved[1]?.data).toMatchObject({ budgetId: 'b1', limit: { microUsd: 1_500_000, tokens: 10 } });
    s = foldQuota(approved, s);
    expect(s.requests.get(QR)?.status).toBe('approved');
    expect(() => rejectQuotaIncrease({ quotaRequestId: QR, at }, s)).toThrow(expect.objectContaining({ code: 'TOTRA_QUOTA_REQUEST_DECIDED' }));
    expect(quotaReason('  month-end run  ')).toBe('month-end run');
    expect(() => quotaReason('x'.repeat(201))).toThrow(/at most 200/);
    expect(() => quotaReason('   ')).toThrow(/empty/);
    expect(() => requestQuotaIncrease({ quotaRequestId: `qr_${'2'.repeat(32)}`, tenant: 'acme', amountMicroUsd: 1, sealedReason: { eventId: 'e2', sealed }, at }, s)).toThrow(/needs the requester/);
  });

  it('converts USD text to micro-USD exactly and back', () => {
    expect(usdToMicroUsd('12.5')).toBe(12_500_000);
    expect(usdToMicroUsd('0.000001')).toBe(1);
    expect(() => usdToMicroUsd('1.0000001')).toThrow(expect.objectContaining({ code: 'TOTRA_QUOTA_INVALID' }));
    expect(() => usdToMicroUsd('-1')).toThrow();
    expect([formatMicroUsd(12_500_000), formatMicroUsd(1), formatMicroUsd(300_500_000)]).toEqual(['12.50', '0.000001', '300.50']);
  });
});
