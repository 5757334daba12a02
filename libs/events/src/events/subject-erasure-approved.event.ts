import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';

/** A GDPR officer approved an erasure request; the shred follows unless a retention hold defers it. */
export const SubjectErasureApproved = defineEvent({
  type: 'SubjectErasureApproved',
  v: 1,
  description: 'An erasure request was approved by a GDPR officer.',
  requiresSubject: true,
  data: z
    .object({
      requestEventId: z.string().min(1).max(100),
      approvedBy: PseudonymousId,
    })
    .strict(),
});
