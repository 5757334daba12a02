import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { BudgetId, MicroUsd, PeriodKey, TokenAmount } from './quota-fields.js';

/** The spend of a budget period reached one of its alert thresholds (once per budget, period and threshold). */
export const BudgetThresholdCrossed = defineEvent({
  type: 'BudgetThresholdCrossed',
  v: 1,
  description: 'The spend of a budget in one period reached an alert threshold (percent of its limit).',
  data: z
    .object({
      budgetId: BudgetId,
      threshold: z.int().min(1).max(1000),
      periodKey: PeriodKey,
      spentMicroUsd: MicroUsd,
      limitMicroUsd: MicroUsd.optional(),
      spentTokens: TokenAmount.optional(),
      limitTokens: TokenAmount.optional(),
    })
    .strict(),
});
