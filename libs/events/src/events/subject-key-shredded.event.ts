import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { KeyId, RetentionPeriod } from './gdpr-fields.js';

/**
 * Data keys of a subject were destroyed: everything sealed under them is unreadable for good.
 * `erasure` destroys every key of the subject; `retention` the keys of expired periods.
 */
export const SubjectKeyShredded = defineEvent({
  type: 'SubjectKeyShredded',
  v: 1,
  description: 'Data keys of a subject were destroyed (erasure or retention); the erasure journal entry id lets a restored key store be re-shredded.',
  requiresSubject: true,
  data: z
    .object({
      kids: z.array(KeyId).max(10_000),
      journalEntryId: z.string().min(1).max(100),
      reason: z.enum(['erasure', 'retention']),
      /** The erasure request this executes (reason `erasure`). */
      requestEventId: z.string().min(1).max(100).optional(),
      /** Category and last period shredded (reason `retention`). */
      category: z.string().min(1).max(50).optional(),
      through: RetentionPeriod.optional(),
    })
    .strict(),
});
