import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { BudgetId } from './quota-fields.js';

/** A budget was removed: it no longer limits anything (its past spend stays in the log). */
export const BudgetRemoved = defineEvent({
  type: 'BudgetRemoved',
  v: 1,
  description: 'A budget was removed; requests are no longer checked against it.',
  data: z.object({ budgetId: BudgetId }).strict(),
});
