import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { ErasureReceipt } from './gdpr-fields.js';

/** A signed receipt of an executed erasure (ids only), for the data subject or a supervisory authority. */
export const ErasureReceiptIssued = defineEvent({
  type: 'ErasureReceiptIssued',
  v: 1,
  description: 'A signed (Ed25519) receipt that the keys of a subject were destroyed.',
  requiresSubject: true,
  data: z
    .object({
      receipt: ErasureReceipt,
      alg: z.literal('Ed25519'),
      publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
      signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
    })
    .strict(),
});
