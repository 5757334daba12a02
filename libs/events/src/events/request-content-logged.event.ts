import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';
import { RetentionPeriod } from './gdpr-fields.js';

/**
 * The prompt and response of a request, logged because the team's content logging is on. The
 * bodies are sealed under the subject's content key of `period`, so they become unreadable when
 * that period's key is shredded by retention, while the accounting events stay.
 */
export const RequestContentLogged = defineEvent({
  type: 'RequestContentLogged',
  v: 1,
  description: 'Prompt and response of a request, sealed under the subject content key of the month (content logging on).',
  requiresSubject: true,
  sealedFields: ['prompt', 'response'],
  data: z
    .object({
      requestId: z.string().min(1).max(100),
      userId: PseudonymousId,
      teamId: PseudonymousId,
      period: RetentionPeriod,
    })
    .strict(),
});
