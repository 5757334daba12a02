import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PiiPolicyId, PiiPolicyScope } from './pii-fields.js';

/** A PII policy was removed; its scope falls back to less specific policies (or the default). */
export const PiiPolicyRemoved = defineEvent({
  type: 'PiiPolicyRemoved',
  v: 1,
  description: 'A PII policy was removed; requests of its scope fall back to less specific policies or the default.',
  data: z
    .object({
      policyId: PiiPolicyId,
      /** The scope the policy had, so the event reads on its own. */
      scope: PiiPolicyScope,
      reason: z.string().min(1).max(500).optional(),
    })
    .strict(),
});
