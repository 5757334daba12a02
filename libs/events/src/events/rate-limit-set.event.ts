import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { ApiKeyId } from './identity-fields.js';

/** Rate limits of one API key were set (replacing earlier ones); an absent limit means none. */
export const RateLimitSet = defineEvent({
  type: 'RateLimitSet',
  v: 1,
  description: 'Rate limits of an API key were set: requests per minute and (estimated) tokens per minute; absent means unlimited.',
  data: z
    .object({
      keyId: ApiKeyId,
      rpm: z.int().min(1).max(10_000_000).optional(),
      tpm: z.int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    })
    .strict(),
});
