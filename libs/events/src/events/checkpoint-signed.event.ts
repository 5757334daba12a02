import { z } from 'zod';
import { defineEvent } from '../define-event.js';

/**
 * A checkpoint of the whole log signed by the notary (docs/adr/0003-checkpoints.md): a C2SP
 * signed note whose text carries the origin, tree size, root and the heads of every chain.
 * `origin`, `size` and `root` repeat the note for queries; verifiers trust only the note.
 */
export const CheckpointSigned = defineEvent({
  type: 'CheckpointSigned',
  v: 1,
  description: 'A signed checkpoint (C2SP tlog-checkpoint note) over every event anchored so far.',
  data: z
    .object({
      origin: z.string().min(1).max(256),
      size: z.number().int().min(0),
      /** Root hash, lowercase hex. */
      root: z.string().regex(/^[0-9a-f]{64}$/),
      /** The signed note: checkpoint text, a blank line, signature lines. */
      note: z.string().min(1),
    })
    .strict(),
});
