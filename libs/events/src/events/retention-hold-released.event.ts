import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';
import { GdprReason } from './gdpr-fields.js';

/** A retention hold was released; a deferred erasure may now be executed. */
export const RetentionHoldReleased = defineEvent({
  type: 'RetentionHoldReleased',
  v: 1,
  description: 'A retention hold on a subject was released.',
  requiresSubject: true,
  data: z.object({ holdId: z.string().min(1).max(100), reason: GdprReason, releasedBy: PseudonymousId }).strict(),
});
