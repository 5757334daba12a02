import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { EventTime } from '../envelope.js';
import { PseudonymousId } from './identity-fields.js';
import { GdprReason } from './gdpr-fields.js';

/** A data subject asked to be erased (GDPR Art. 17); `dueAt` is one month after the request (Art. 12(3)). */
export const SubjectErasureRequested = defineEvent({
  type: 'SubjectErasureRequested',
  v: 1,
  description: 'Erasure of a data subject was requested (Art. 17), with who recorded it, the legal basis and the due date (request + 1 month).',
  requiresSubject: true,
  data: z
    .object({
      requestedBy: PseudonymousId,
      legalBasis: GdprReason,
      dueAt: EventTime,
    })
    .strict(),
});
