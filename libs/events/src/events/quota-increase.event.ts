import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';
import { BudgetId, MicroUsd, QuotaRequestId } from './quota-fields.js';

/**
 * Someone asked for more quota. The reason is free text that may be personal: it is never in
 * clear `data`, only in `sealed` (field `reason`, at most 200 characters), under the data key of
 * the requester, who is then the event's subject (erasable like any personal data).
 */
export const QuotaIncreaseRequested = defineEvent({
  type: 'QuotaIncreaseRequested',
  v: 2,
  description: 'A quota increase was requested for a budget (or in general), by a pseudonymous user, with an amount in micro-USD; the reason, if any, is sealed under the requester\'s data key.',
  sealedFields: ['reason'],
  data: z
    .object({
      quotaRequestId: QuotaRequestId,
      budgetId: BudgetId.optional(),
      requestedBy: PseudonymousId.optional(),
      amountMicroUsd: MicroUsd.refine((n) => n > 0, 'a positive amount'),
    })
    .strict(),
  upcasters: [
    // v1 kept the reason in clear data: it is not carried forward (only sealed reasons are read).
    { from: 1, up: ({ reason: _reason, ...rest }) => rest },
  ],
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
