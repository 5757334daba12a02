import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';

/**
 * A team's data settings changed: whether prompt and response bodies are logged (sealed), and
 * how many months that content is kept before its period keys are shredded. Absent fields keep
 * their previous value.
 */
export const TeamSettingsChanged = defineEvent({
  type: 'TeamSettingsChanged',
  v: 1,
  description: "A team's content logging switch and content retention (months) were set.",
  data: z
    .object({
      teamId: PseudonymousId,
      contentLogging: z.boolean().optional(),
      /** Content (prompts, responses) is readable for this many whole months after the month it was logged in. */
      contentRetentionMonths: z.number().int().min(1).max(120).optional(),
    })
    .strict(),
});
