import { z } from 'zod';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { InclusionProofError } from './errors.js';
import { hashEvent, hexToBytes } from './hash.js';
import { verifyInclusion } from './merkle.js';
import { parseSignedNote, signatureIsFrom, verifyCosignature, verifyNoteSignature, type NoteVerifier } from './signed-note.js';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** A self-contained proof that one event is in the log, as `totra verify prove` prints it. */
export const InclusionProof = z
  .object({
    format: z.literal('totra-inclusion-proof/1'),
    /** What was asked for (a request id or an event id). */
    query: z.string(),
    /** The event, exactly as stored: its hash must be `leafHash`. */
    event: z.record(z.string(), z.unknown()),
    leafHash: Hex64,
    leafIndex: z.number().int().min(0),
    treeSize: z.number().int().min(1),
    /** RFC 6962 audit path, leaf first. */
    path: z.array(Hex64),
    /** The signed checkpoint note of size `treeSize` (with any witness cosignatures). */
    checkpoint: z.string(),
  })
  .strict();
export type InclusionProof = z.infer<typeof InclusionProof>;

/**
 * Verifies an inclusion proof offline: the event hashes to the leaf, the checkpoint is signed by
 * a pinned key (and cosigned by every pinned witness), and the path leads from the leaf to the
 * checkpoint's root. Throws `InclusionProofError` naming the first check that fails.
 */
export function checkInclusionProof(input: unknown, keys: { trustedKeys: readonly NoteVerifier[]; witnessKeys?: readonly NoteVerifier[] }): Checkpoint {
  const parsed = InclusionProof.safeParse(input);
  if (!parsed.success) throw new InclusionProofError(`not an inclusion proof: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const p = parsed.data;
  let computed: string;
  try {
    computed = hashEvent(p.event as Parameters<typeof hashEvent>[0]);
  } catch (cause) {
    throw new InclusionProofError('the event cannot be hashed', { cause });
  }
  if (computed !== p.leafHash) throw new InclusionProofError(`the event hashes to ${computed}, not to the leaf hash ${p.leafHash}: the event was altered`);
  if (p.event['hash'] !== p.leafHash) throw new InclusionProofError('the event\'s stored hash is not the leaf hash');
  let cp: Checkpoint;
  let text: string;
  let sigs;
  try {
    const note = parseSignedNote(p.checkpoint);
    text = note.text;
    sigs = note.signatures;
    cp = parseCheckpoint(text);
  } catch (cause) {
    throw new InclusionProofError(`the checkpoint cannot be read: ${(cause as Error).message}`, { cause });
  }
  if (keys.trustedKeys.length === 0) throw new InclusionProofError('no pinned notary key to check the checkpoint against');
  if (!sigs.some((s) => keys.trustedKeys.some((k) => verifyNoteSignature(text, s, k)))) {
    throw new InclusionProofError('the checkpoint carries no valid signature by a pinned notary key');
  }
  for (const w of keys.witnessKeys ?? []) {
    if (!sigs.some((s) => signatureIsFrom(s, w) && verifyCosignature(text, s, w) !== null)) throw new InclusionProofError(`the checkpoint carries no valid cosignature by witness ${w.name}`);
  }
  if (cp.size !== p.treeSize) throw new InclusionProofError(`the proof is for a tree of ${p.treeSize} but the checkpoint is of size ${cp.size}`);
  if (!verifyInclusion(p.leafIndex, p.treeSize, hexToBytes(p.leafHash), p.path.map(hexToBytes), hexToBytes(cp.root))) {
    throw new InclusionProofError(`the audit path does not lead from leaf ${p.leafIndex} to the checkpoint's root ${cp.root}`);
  }
  return cp;
}
