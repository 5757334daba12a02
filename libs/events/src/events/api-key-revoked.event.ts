import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { ApiKeyId } from './identity-fields.js';

/** A gateway API key was revoked: from now on the gateway refuses it. */
export const ApiKeyRevoked = defineEvent({
  type: 'ApiKeyRevoked',
  v: 1,
  description: 'A gateway API key was revoked; the gateway refuses it from then on.',
  data: z
    .object({
      keyId: ApiKeyId,
      /** Why, in an admin's words (e.g. "leaked in a CI log"). */
      reason: z.string().min(1).max(500).optional(),
    })
    .strict(),
});
