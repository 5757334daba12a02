import { z } from 'zod';
import { defineEvent } from '../define-event.js';

/**
 * A synthetic event for tests, benchmarks and `totra` self-checks. It carries no business
 * meaning; projections ignore it.
 */
export const TestEventRecorded = defineEvent({
  type: 'TestEventRecorded',
  v: 2,
  description: 'A synthetic event used by tests and benchmarks.',
  data: z
    .object({
      n: z.number().int().min(0),
      label: z.string().max(200),
      /** Integer micro-USD, as every amount of money. */
      amountMicroUsd: z.number().int(),
    })
    .strict(),
  upcasters: [
    // v1 had no amount and called the label "note".
    { from: 1, up: ({ note, ...rest }) => ({ ...rest, label: note ?? '', amountMicroUsd: 0 }) },
  ],
});
