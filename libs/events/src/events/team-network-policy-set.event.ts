import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { NetworkAllowlist, PseudonymousId } from './identity-fields.js';

/**
 * The networks every key of a team may be used from was set (replacing the previous list).
 * An empty list lifts the restriction.
 */
export const TeamNetworkPolicySet = defineEvent({
  type: 'TeamNetworkPolicySet',
  v: 1,
  description:
    "The CIDR allowlist of a team's keys was set, replacing the previous one; an empty list allows every network.",
  data: z
    .object({
      teamId: PseudonymousId,
      cidrs: NetworkAllowlist,
    })
    .strict(),
});
