import { OutputHeldTooLongError, StreamClosedError } from '../errors.js';
import { type PiiScanner } from '../scanner/scanner.js';
import { type PiiVault } from '../transform/vault.js';
import { applyPolicy, mergeCounts, type PiiCount, type PolicySpan } from './apply-policy.js';
import { type EffectivePolicy } from './resolve-policy.js';

/** Applies the output policy to streamed model output (see {@link createOutputStreamScanner}). */
export interface OutputStreamScanner {
  /** Text that is safe to release now, with the policy applied; the last part of the input is held back. */
  push(chunk: string): string;
  /** Everything still held back, with the policy applied. The scanner cannot be used afterwards. */
  flush(): string;
  /** Findings so far (of the text released), per type, action and policy. */
  readonly counts: readonly PiiCount[];
}

export interface OutputStreamOptions {
  /**
   * Characters held back at the end of the input (default {@link OUTPUT_HOLD_BACK}). A value that
   * ends at most this many characters before the end of the text seen so far is complete and has
   * all its right context, so it is found as in the whole text.
   */
  readonly holdBack?: number;
}

/**
 * Default hold-back: longer than any value the chain detectors take (34 normalised characters,
 * about 45 written), an email in practice, or a name trigger with its name, plus the 24
 * characters of context after a value the detectors read.
 */
export const OUTPUT_HOLD_BACK = 128;
/**
 * Released text kept as left context for the next scan: the detectors' window before a value
 * (48 characters) and a name trigger before its anchor (32) fit in it.
 */
const LEFT_CONTEXT = 64;
/**
 * Most text held back for one unfinished finding (a PEM block whose END line has not come):
 * beyond it the stream fails closed with {@link OutputHeldTooLongError}.
 */
export const OUTPUT_MAX_HELD = 256 * 1024;

/**
 * Scans model output that arrives in chunks (an SSE stream) with the same result as scanning the
 * whole text: each push scans the text not yet released plus some released text as left context,
 * releases all but the last `holdBack` characters (never cutting a finding in two), and applies
 * the policy in the response direction to what it releases, as {@link applyPolicy} does for a
 * whole answer (masking actions redact). A push scans at most the chunk plus a constant, or, while
 * a finding that has not ended holds everything back, only once the held text grew by a quarter,
 * so a stream costs time linear in its length. Pure apart from the vault.
 */
export function createOutputStreamScanner(
  scanner: PiiScanner,
  effective: EffectivePolicy,
  vault: PiiVault,
  options: OutputStreamOptions = {},
): OutputStreamScanner {
  const hold = Math.max(0, Math.floor(options.holdBack ?? OUTPUT_HOLD_BACK));
  /** Released left context, then the text held back. */
  let buf = '';
  /** Length of the released left context at the start of `buf`. */
  let released = 0;
  let counts: readonly PiiCount[] = [];
  let closed = false;
  /** While an unfinished finding holds everything back: the length `buf` must reach before the next scan. */
  let nextScanAt = 0;

  /** Releases `buf[released, cut)` with the policy applied to the findings inside it. */
  const release = (spans: readonly PolicySpan[], cut: number): string => {
    const own: PolicySpan[] = [];
    // Findings starting in released text were decided when it was released (with its right context).
    for (const s of spans) if (s.start >= released && s.end <= cut) own.push({ ...s, start: s.start - released, end: s.end - released });
    const segment = buf.slice(released, cut);
    if (own.length === 0) return segment;
    const outcome = applyPolicy(segment, own, effective, vault, { direction: 'response' });
    counts = mergeCounts(counts, outcome.counts);
    return outcome.text;
  };

  return {
    push(chunk: string): string {
      if (closed) throw new StreamClosedError();
      buf += chunk;
      if (buf.length - released <= hold || buf.length < nextScanAt) return '';
      const spans = scanner.scan(buf);
      let cut = buf.length - hold;
      // Spans are sorted and disjoint: hold back a finding that the cut would split.
      for (const s of spans) {
        if (s.start >= cut) break;
        if (s.end > cut && s.start >= released) {
          cut = s.start;
          break;
        }
      }
      // Never release half of a surrogate pair.
      const last = buf.charCodeAt(cut - 1);
      if (last >= 0xd800 && last <= 0xdbff) cut--;
      if (cut <= released) {
        if (buf.length - released > OUTPUT_MAX_HELD) throw new OutputHeldTooLongError(OUTPUT_MAX_HELD);
        nextScanAt = buf.length + Math.max(hold, (buf.length - released) >> 2);
        return '';
      }
      nextScanAt = 0;
      const out = release(spans, cut);
      const keepFrom = Math.max(0, cut - LEFT_CONTEXT);
      buf = buf.slice(keepFrom);
      released = cut - keepFrom;
      return out;
    },
    flush(): string {
      if (closed) throw new StreamClosedError();
      closed = true;
      const out = buf.length > released ? release(scanner.scan(buf), buf.length) : '';
      buf = '';
      released = 0;
      return out;
    },
    get counts() {
      return counts;
    },
  };
}
