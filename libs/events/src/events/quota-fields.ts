import { z } from 'zod';
import { PseudonymousId } from './identity-fields.js';

/** An amount of money in integer micro-USD (1 USD = 1,000,000). */
export const MicroUsd = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A token count. */
export const TokenAmount = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Id of a budget, chosen by whoever sets it; no `:`, `/` or `{}` so it composes into Redis keys. */
export const BudgetId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a budget id ([A-Za-z0-9_.-], at most 128 characters)');

/** What a budget counts: one key, one user, one team or the whole tenant. */
export const BudgetScope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('key'), id: z.string().regex(/^key_[0-9a-f]{32}$/, 'a key id "key_<32 hex>"') }).strict(),
  z.object({ kind: z.literal('user'), id: PseudonymousId }).strict(),
  z.object({ kind: z.literal('team'), id: PseudonymousId }).strict(),
  z.object({ kind: z.literal('tenant') }).strict(),
]);

/** When a budget's spend starts again from zero (calendar periods in the budget's time zone). */
export const BudgetPeriod = z.enum(['daily', 'weekly', 'monthly', 'total']);

/** A budget period instance, e.g. `d:2026-12-31`, `w:2026-W53`, `m:2026-12`, `t`. */
export const PeriodKey = z.string().regex(/^(d:\d{4}-\d{2}-\d{2}|w:\d{4}-W\d{2}|m:\d{4}-\d{2}|t)$/, 'a period key (d:YYYY-MM-DD, w:YYYY-Www, m:YYYY-MM or t)');

/** A budget in one period: `<budgetId>/<periodKey>`, what a reservation and its spend count against. */
export const BudgetPeriodRef = z.string().max(200).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\/(d:\d{4}-\d{2}-\d{2}|w:\d{4}-W\d{2}|m:\d{4}-\d{2}|t)$/, 'a budget period "<budgetId>/<periodKey>"');

/** Id of a quota increase request. */
export const QuotaRequestId = z.string().regex(/^qr_[0-9a-f]{32}$/, 'a quota request id "qr_<32 hex>"');
