import { z } from 'zod';
import { defineEvent } from '../define-event.js';

/** Witness cosignatures the notary received for one of its checkpoints (C2SP tlog-cosignature/v1). */
export const CheckpointWitnessed = defineEvent({
  type: 'CheckpointWitnessed',
  v: 1,
  description: 'Cosignatures by external witnesses on a signed checkpoint.',
  data: z
    .object({
      origin: z.string().min(1).max(256),
      size: z.number().int().min(0),
      root: z.string().regex(/^[0-9a-f]{64}$/),
      /** The checkpoint note with the notary's signature and every cosignature received. */
      note: z.string().min(1),
      /** Names of the witnesses that cosigned. */
      witnesses: z.array(z.string().min(1).max(256)),
    })
    .strict(),
});
