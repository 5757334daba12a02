import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { Caller } from './request-shared.js';
import { BudgetPeriodRef, MicroUsd, TokenAmount } from './quota-fields.js';

/**
 * What one request cost, and which budget periods it counts against (those it reserved
 * under). The quota-hot projection moves the request's pending spend to spent, once per request id.
 */
export const SpendRecorded = defineEvent({
  type: 'SpendRecorded',
  v: 1,
  description:
    'The cost of one request in integer micro-USD with its tokens, price version and the budget periods (<budgetId>/<periodKey>) it counts against.',
  data: z
    .object({
      requestId: z.string().min(1).max(100),
      scopes: z.array(BudgetPeriodRef).max(64),
      tokens: z
        .object({
          input: TokenAmount,
          output: TokenAmount,
          cachedInput: TokenAmount,
          reasoning: TokenAmount,
          /** Prompt-cache writes (part of input), billed at their own rate; absent when none. */
          cacheWrite: TokenAmount.optional(),
          /** The part of cacheWrite written for an hour; absent when none. */
          cacheWrite1h: TokenAmount.optional(),
        })
        .strict(),
      microUsd: MicroUsd,
      priceVersion: z.string().min(1).max(300),
      /** The processing tier priced apart that served the request (OpenAI's priority or flex); absent for the standard tier. */
      serviceTier: z.enum(['priority', 'flex']).optional(),
      /** Set when that tier has no price of its own: the request was charged at the standard price. */
      serviceTierUnpriced: z.literal(true).optional(),
      model: z.string().min(1).max(200),
      provider: z.string().min(1).max(50),
      deploymentId: z.string().min(1).max(200),
      ...Caller,
    })
    .strict(),
});
