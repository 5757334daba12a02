import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PiiPolicyId, PiiTypeCounts } from './pii-fields.js';

/**
 * PII was found in one direction of a request and handled by one action of one policy (one
 * event per action and policy). Types and counts only: never the values, hashes of them, or
 * where they were.
 */
export const PiiRedacted = defineEvent({
  type: 'PiiRedacted',
  v: 1,
  description:
    'PII found in a request or a response and redacted, pseudonymized or only logged under one policy: the PII types with counts, never the values or hashes of them.',
  data: z
    .object({
      requestId: z.string().min(1).max(100),
      direction: z.enum(['request', 'response']),
      action: z.enum(['redact', 'pseudonymize', 'log']),
      types: PiiTypeCounts,
      /** The policy that decided the action (`default` when no policy did). */
      policyId: PiiPolicyId,
    })
    .strict(),
});
