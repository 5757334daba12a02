import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { BudgetId, BudgetPeriod, BudgetScope, MicroUsd, TokenAmount } from './quota-fields.js';

/**
 * A budget was set (or replaced: same id). A request is admitted only while, for every budget
 * that applies to it, `spent + pending + reserved + estimate <= limit`, in micro-USD and/or tokens.
 */
export const BudgetSet = defineEvent({
  type: 'BudgetSet',
  v: 1,
  description:
    'A budget was set or replaced: a scope (key, user, team or tenant), optionally one model alias, a limit in micro-USD and/or tokens, a calendar period in an IANA time zone, and alert thresholds in percent.',
  data: z
    .object({
      budgetId: BudgetId,
      scope: BudgetScope,
      /** Only requests for this model alias count; absent: every model. */
      model: z.string().min(1).max(200).optional(),
      limit: z
        .object({ microUsd: MicroUsd.optional(), tokens: TokenAmount.optional() })
        .strict()
        .refine((l) => l.microUsd !== undefined || l.tokens !== undefined, 'a limit in microUsd or tokens (or both)'),
      period: BudgetPeriod,
      /** IANA time zone whose calendar resets the period (the tenant's), e.g. `Europe/Berlin`. */
      timeZone: z.string().min(1).max(64),
      /** Percentages of the limit at which an alert is raised, ascending, e.g. [50, 80, 100]. */
      thresholds: z.array(z.int().min(1).max(1000)).max(10),
    })
    .strict(),
});
