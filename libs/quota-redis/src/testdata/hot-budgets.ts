import { type Redis } from 'ioredis';
import { hotBudgetOf, type BudgetSetData, type HotQuotaLayout } from '@totra/quota';
import { type AdmitRequest } from '../quota-gate.js';

/** Stores a budget as the quota-hot projection does (its 'budget' op): monthly, UTC, 50/80/100 % unless given. */
export async function storeBudget(redis: Redis, layout: HotQuotaLayout, tenant: string, d: Omit<BudgetSetData, 'thresholds' | 'timeZone' | 'period'> & Partial<BudgetSetData>): Promise<void> {
  const full: BudgetSetData = { period: 'monthly', timeZone: 'UTC', thresholds: [50, 80, 100], ...d };
  const b = hotBudgetOf(tenant, full, layout);
  await redis.hset(layout.budgets(tenant), full.budgetId, JSON.stringify(b));
  await redis.hset(b.ix, full.budgetId, JSON.stringify(b));
}

/** Admission requests of one caller (user u_1 of team t_1, model gpt-4o), each with a new request id. */
export function requestsOf(tenant: string, keyId: string, now: () => number, estimate = { microUsd: 10_000, tokens: 1_000 }): (over?: Partial<AdmitRequest>) => AdmitRequest {
  return (over = {}) => ({
    requestId: `r-${Math.random().toString(36).slice(2)}`,
    tenant,
    keyId,
    userId: 'u_1',
    teamId: 't_1',
    model: 'gpt-4o',
    estimate,
    now: now(),
    ...over,
  });
}
