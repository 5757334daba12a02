import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PiiPolicyId, PiiPolicyRules, PiiPolicyScope } from './pii-fields.js';

/**
 * A PII policy was set: the whole policy, replacing an earlier one of the same id. The most
 * specific matching policy decides each type (key > team+model > team > model > tenant); types
 * no policy mentions are pseudonymized.
 */
export const PiiPolicySet = defineEvent({
  type: 'PiiPolicySet',
  v: 1,
  description:
    'A PII policy was set (replacing one of the same id): for a scope (tenant, team, key, model or a combination), an action per PII type or group, whether model output is scanned, a minimum confidence, and whether content the scanner cannot read (documents, files, audio) may be sent unscanned.',
  data: z
    .object({
      policyId: PiiPolicyId,
      scope: PiiPolicyScope,
      rules: PiiPolicyRules,
      /** Scan model output and redact findings before they reach the caller (absent: inherited). */
      scanOutput: z.boolean().optional(),
      /** Ignore detections below this confidence (absent: inherited). */
      minConfidence: z.number().min(0).max(1).optional(),
      /**
       * Send content the scanner cannot read (a PDF document, a file, audio) to providers of its
       * own API, unscanned (absent: inherited; refused when no policy allows it).
       */
      allowUnscannable: z.boolean().optional(),
    })
    .strict(),
});
