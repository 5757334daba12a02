import { parseCheckpoint } from './checkpoint.js';
import { hexToBytes } from './hash.js';
import { verifyConsistency } from './merkle.js';
import { cosignNoteText, fromBase64, parseSignedNote, verifyNoteSignature, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** What a witness remembers of one log: the largest consistent checkpoint it cosigned. */
export interface WitnessLogState {
  readonly origin: string;
  readonly size: number;
  /** Root hash, lowercase hex. */
  readonly root: string;
  /** The checkpoint note as received. */
  readonly note: string;
}

/** The answer to an `add-checkpoint` request (C2SP tlog-witness), and the state to persist on 200. */
export interface WitnessAnswer {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422;
  readonly body: string;
  readonly contentType: string;
  readonly newState?: WitnessLogState;
}

const plain = 'text/plain; charset=utf-8';

/**
 * Handles one `add-checkpoint` body: `old <size>`, the consistency proof (one base64 hash a line),
 * a blank line, then the checkpoint note. Cosigns only a checkpoint signed by a known log key
 * that is consistent with the last one this witness cosigned for that origin. Pure: the caller
 * reads and writes the state (and must serialise requests per origin).
 */
export function witnessAddCheckpoint(
  request: string,
  ctx: { logKeys: readonly NoteVerifier[]; cosigner: NoteSigner; state: (origin: string) => WitnessLogState | undefined; now: () => number },
): WitnessAnswer {
  const bad = (status: WitnessAnswer['status'], message: string): WitnessAnswer => ({ status, body: `${message}\n`, contentType: plain });
  const blank = request.indexOf('\n\n');
  if (blank < 0) return bad(400, 'no blank line after the proof');
  const head = request.slice(0, blank).split('\n');
  const noteText = request.slice(blank + 2);
  const oldMatch = /^old (0|[1-9][0-9]*)$/.exec(head[0] ?? '');
  if (!oldMatch) return bad(400, 'the first line must be "old <size>"');
  const oldSize = Number(oldMatch[1]);
  let proof: Uint8Array[];
  let note;
  let cp;
  try {
    proof = head.slice(1).map((l) => fromBase64(l));
    note = parseSignedNote(noteText);
    cp = parseCheckpoint(note.text);
  } catch (e) {
    return bad(400, `malformed request: ${(e as Error).message}`);
  }
  const keys = ctx.logKeys.filter((k) => note.signatures.some((s) => s.name === k.name));
  if (keys.length === 0) return bad(404, `unknown log: no known key signs origin ${cp.origin}`);
  if (!note.signatures.some((s) => keys.some((k) => verifyNoteSignature(note.text, s, k)))) return bad(403, 'the checkpoint signature does not verify');
  const known = ctx.state(cp.origin);
  const knownSize = known?.size ?? 0;
  if (oldSize !== knownSize) return { status: 409, body: `${knownSize}\n`, contentType: 'text/x.tlog.size' };
  if (cp.size < knownSize) return bad(400, `the checkpoint (size ${cp.size}) is older than the one cosigned before (size ${knownSize})`);
  if (known && !verifyConsistency(knownSize, cp.size, hexToBytes(known.root), hexToBytes(cp.root), proof)) {
    return bad(422, `the checkpoint of size ${cp.size} is not consistent with the one of size ${knownSize} cosigned before`);
  }
  const line = cosignNoteText(note.text, ctx.cosigner, Math.floor(ctx.now() / 1000));
  return { status: 200, body: `${line}\n`, contentType: plain, newState: { origin: cp.origin, size: cp.size, root: cp.root, note: noteText } };
}
