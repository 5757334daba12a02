import { z } from 'zod';
import { EventTime } from '../envelope.js';

/** A free-text reason or legal basis; say what, never whom (no personal data). */
export const GdprReason = z.string().min(1).max(500);

/** Id of a key-encryption or data key (`dk_` + random, never derived from the subject). */
export const KeyId = z.string().min(1).max(200);

/** A retention period of period keys: a calendar month `YYYY-MM` (UTC). */
export const RetentionPeriod = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM');

/** What an erasure receipt attests: ids and times only, never personal data. */
export const ErasureReceipt = z
  .object({
    receiptId: z.string().min(1).max(100),
    subject: z.string().min(1).max(128),
    /** Id of the `SubjectErasureRequested` event. */
    requestEventId: z.string().min(1).max(100),
    /** Id of the erasure journal entry (also carried by the `SubjectKeyShredded` event). */
    journalEntryId: z.string().min(1).max(100),
    /** Data key ids destroyed. */
    kids: z.array(KeyId).max(10_000),
    requestedAt: EventTime,
    shreddedAt: EventTime,
    tenant: z.string().min(1).max(128),
  })
  .strict();
export type ErasureReceipt = z.infer<typeof ErasureReceipt>;
