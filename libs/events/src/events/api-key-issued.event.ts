import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { EventTime, HashHex } from '../envelope.js';
import { ApiKeyId, NetworkAllowlist, PseudonymousId } from './identity-fields.js';

/**
 * A gateway API key was issued. Only the SHA-256 of the key is recorded, never the key; the
 * prefix (`tt-` and five characters) is safe to show.
 */
export const ApiKeyIssued = defineEvent({
  type: 'ApiKeyIssued',
  v: 1,
  description:
    'A gateway API key was issued to a (pseudonymous) user and team. Only the SHA-256 of the key is recorded; the prefix is safe to display.',
  data: z
    .object({
      keyId: ApiKeyId,
      /** SHA-256 (lowercase hex) of the full key: what the gateway looks a presented key up by. */
      keyHash: HashHex,
      /** First characters of the key (`tt-` + 5), for people to recognise it. */
      prefix: z.string().regex(/^tt-[0-9A-Za-z]{5}$/, 'a key prefix "tt-" + 5 base62 characters'),
      userId: PseudonymousId,
      teamId: PseudonymousId,
      /** Free text chosen by an admin to tell keys apart (e.g. "billing batch job"). */
      name: z.string().min(1).max(200).optional(),
      /** Networks the key may be used from; none means any network (the team's list still applies). */
      cidrs: NetworkAllowlist.optional(),
      /** When the key stops working (exclusive). */
      expiresAt: EventTime.optional(),
    })
    .strict(),
});
