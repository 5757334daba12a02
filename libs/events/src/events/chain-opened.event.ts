import { z } from 'zod';
import { defineEvent } from '../define-event.js';

/** The first event (seq 1) of every chain: who writes it and since when. */
export const ChainOpened = defineEvent({
  type: 'ChainOpened',
  v: 1,
  description: 'The first event of a chain: the writer process that owns it.',
  data: z
    .object({
      role: z.string().regex(/^[a-z][a-z0-9-]*$/),
      host: z.string().min(1).max(128),
      bootId: z.string().min(1).max(64),
      /** Version of the software that writes the chain. */
      writer: z.string().min(1).max(64),
      /** Format of the chain (hashing and batching rules); bumped on any change. */
      format: z.literal('totra-chain/1'),
    })
    .strict(),
});
