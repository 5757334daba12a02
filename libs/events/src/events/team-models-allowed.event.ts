import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';
import { ModelAlias } from './model-deployment-configured.event.js';

/**
 * The model aliases a team's keys may use were set. `aliases` replaces the previous list;
 * `null` lifts the restriction (every alias of the catalog).
 */
export const TeamModelsAllowed = defineEvent({
  type: 'TeamModelsAllowed',
  v: 1,
  description: "A team's model allowlist was set (null: every model).",
  data: z
    .object({
      teamId: PseudonymousId,
      aliases: z.array(ModelAlias).max(1000).nullable(),
    })
    .strict(),
});
