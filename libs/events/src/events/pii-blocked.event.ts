import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PiiPolicyId, PiiTypeCounts } from './pii-fields.js';

/**
 * A request was refused (422) because it held PII a policy blocks; nothing reached a provider.
 * One event per blocking policy. Types and counts only, never the values.
 */
export const PiiBlocked = defineEvent({
  type: 'PiiBlocked',
  v: 1,
  description: 'A request was refused because it held PII types a policy blocks: the blocked types with counts and the policy, never the values.',
  data: z
    .object({
      requestId: z.string().min(1).max(100),
      types: PiiTypeCounts,
      policyId: PiiPolicyId,
    })
    .strict(),
});
