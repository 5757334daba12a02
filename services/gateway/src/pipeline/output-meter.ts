import { type StreamEvent } from '@totra/providers';

/** Characters a token is taken to be when the provider has not reported its count. */
const CHARS_PER_TOKEN = 4;

export interface OutputMeter {
  /** True once the output reached the cap: nothing more passes. */
  readonly cut: boolean;
  /** Output tokens passed so far (the provider's count when it reported one, else estimated). */
  tokens(): number;
  /** The events that fit under the cap; the delta that passes it is cut to what fits. */
  admit(events: StreamEvent[]): StreamEvent[];
}

/**
 * Counts a stream's output as it goes: the provider's running count when it sends usage
 * mid-stream, else about 4 characters a token of the text, reasoning and tool-argument deltas.
 * Usage only moves the count; the cut happens at the next delta, so a final usage report after
 * the last delta never turns a finished answer into a cut one.
 */
export function outputMeter(maxOutputTokens: number): OutputMeter {
  let chars = 0;
  let reported = 0;
  let charsSinceReport = 0;
  let finished = false;
  let cut = false;
  // A reported count covers the deltas before it; what came since is estimated on top.
  const tokens = (extra = 0) => Math.max(Math.ceil((chars + extra) / CHARS_PER_TOKEN), reported + Math.ceil((charsSinceReport + extra) / CHARS_PER_TOKEN));
  return {
    get cut() {
      return cut;
    },
    tokens: () => tokens(),
    admit(events) {
      if (cut) return [];
      const out: StreamEvent[] = [];
      for (const e of events) {
        if (e.type === 'finish') finished = true;
        else if (e.type === 'usage' && e.usage.outputTokens !== undefined) {
          reported = e.usage.outputTokens;
          charsSinceReport = 0;
        }
        const piece = e.type === 'text_delta' || e.type === 'reasoning_delta' ? e.text : e.type === 'tool_call_delta' ? e.argumentsDelta : '';
        if (finished || piece.length === 0 || tokens(piece.length) <= maxOutputTokens) {
          chars += piece.length;
          charsSinceReport += piece.length;
          out.push(e);
          continue;
        }
        let room = Math.max(0, Math.min(maxOutputTokens * CHARS_PER_TOKEN - chars, (maxOutputTokens - reported) * CHARS_PER_TOKEN - charsSinceReport));
        const code = piece.charCodeAt(room - 1);
        if (room > 0 && code >= 0xd800 && code <= 0xdbff) room--; // never split a surrogate pair
        if (room > 0) {
          chars += room;
          charsSinceReport += room;
          if (e.type === 'tool_call_delta') out.push({ ...e, argumentsDelta: piece.slice(0, room) });
          else if (e.type === 'text_delta' || e.type === 'reasoning_delta') out.push({ ...e, text: piece.slice(0, room) });
        }
        cut = true;
        break;
      }
      return out;
    },
  };
}
