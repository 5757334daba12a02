import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';
import { GdprReason } from './gdpr-fields.js';

/** A retention (legal) hold was placed on a subject: erasure is deferred while it stands (Art. 17(3)). */
export const RetentionHoldPlaced = defineEvent({
  type: 'RetentionHoldPlaced',
  v: 1,
  description: 'A retention hold defers the erasure of a subject (e.g. litigation, Art. 17(3)(e)).',
  requiresSubject: true,
  data: z.object({ holdId: z.string().min(1).max(100), reason: GdprReason, placedBy: PseudonymousId }).strict(),
});
