import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { EventTime } from '../envelope.js';

/**
 * An erasure request passed its due date (request + 1 month) without being executed. Recorded
 * once per request (its id is derived from the request's), and delivered to the alert targets.
 */
export const SubjectErasureOverdue = defineEvent({
  type: 'SubjectErasureOverdue',
  v: 1,
  description: 'An erasure request passed its due date unexecuted (open or deferred by a hold); recorded once per request and sent to the alert targets.',
  requiresSubject: true,
  data: z
    .object({
      /** The `SubjectErasureRequested` event that is overdue. */
      requestEventId: z.string().min(1).max(100),
      dueAt: EventTime,
      /** `open` (not executed) or `deferred` (a retention hold stands). */
      state: z.enum(['open', 'deferred']),
    })
    .strict(),
});
