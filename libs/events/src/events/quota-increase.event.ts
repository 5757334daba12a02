import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';
import { BudgetId, MicroUsd, QuotaRequestId } from './quota-fields.js';

/**
 * Someone asked for more quota. The reason is short free text that may be personal: it is
 * limited to 200 characters, and goes into `sealed` instead of `data` once the writer holds the
 * subject's data key.
 */
export const QuotaIncreaseRequested = defineEvent({
  type: 'QuotaIncreaseRequested',
  v: 1,
  description: 'A quota increase was requested for a budget (or in general), by a pseudonymous user, with an amount in micro-USD.',
  sealedFields: ['reason'],
  data: z
    .object({
      quotaRequestId: QuotaRequestId,
      budgetId: BudgetId.optional(),
      requestedBy: PseudonymousId.optional(),
      amountMicroUsd: MicroUsd.refine((n) => n > 0, 'a positive amount'),
      /** Short reason; personal-ish, so kept short (and sealed where a data key exists). */
      reason: z.string().min(1).max(200).optional(),
    })
    .strict(),
});

/** A quota increase request was approved; when it names a budget, a `BudgetSet` with the raised limit follows. */
export const QuotaIncreaseApproved = defineEvent({
  type: 'QuotaIncreaseApproved',
  v: 1,
  description: 'A quota increase request was approved, with the amount granted in micro-USD.',
  data: z
    .object({
      quotaRequestId: QuotaRequestId,
      budgetId: BudgetId.optional(),
      amountMicroUsd: MicroUsd,
    })
    .strict(),
});

/** A quota increase request was rejected. */
export const QuotaIncreaseRejected = defineEvent({
  type: 'QuotaIncreaseRejected',
  v: 1,
  description: 'A quota increase request was rejected.',
  data: z.object({ quotaRequestId: QuotaRequestId }).strict(),
});
