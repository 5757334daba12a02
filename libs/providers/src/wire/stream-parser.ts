import type { StreamEvent } from '../canonical/stream-event.js';
import type { PassthroughMessage, PassthroughStreamParser, StreamParser } from '../adapters/adapter.js';
import { formatSse, SseDecoder, type SseMessage } from './sse.js';
import { NdjsonDecoder } from './ndjson.js';

/** Parses SSE `data` JSON; a malformed payload becomes an error event instead of a throw. */
export function parseEventJson(data: string, out: StreamEvent[]): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    out.push({ type: 'error', code: 'TOTRA_PROVIDER_INVALID_RESPONSE', message: `malformed stream payload: ${data.slice(0, 200)}` });
    return undefined;
  }
}

/** A {@link StreamParser} over SSE framing; `handle` turns one message into canonical events. */
export function createSseStreamParser(
  handle: (message: SseMessage, out: StreamEvent[]) => void,
  onEnd?: (out: StreamEvent[]) => void,
): StreamParser {
  const sse = new SseDecoder();
  return {
    push(chunk) {
      const out: StreamEvent[] = [];
      for (const m of sse.push(chunk)) handle(m, out);
      return out;
    },
    end() {
      const out: StreamEvent[] = [];
      for (const m of sse.end()) handle(m, out);
      onEnd?.(out);
      return out;
    },
  };
}

/** The framing under a pass-through stream: bytes in, the SSE messages they complete out. */
export interface MessageFramer {
  push(chunk: string | Uint8Array): SseMessage[];
  end(): SseMessage[];
}

/**
 * A {@link PassthroughStreamParser} over SSE: `handle` returns false to drop a message from what
 * is forwarded. Forwarded text is re-framed per complete message (fields kept, no JSON work).
 * Message by message (`pushEach`), `handle` is also given the entry it fills, to note the content
 * block the message opens or closes. `framer` reads another framing into the same messages
 * (Bedrock's event stream of Anthropic events); SSE by default.
 */
export function createSsePassthroughParser(
  handle: (message: SseMessage, out: StreamEvent[], entry?: PassthroughMessage) => boolean,
  onEnd?: (out: StreamEvent[]) => void,
  framer: MessageFramer = new SseDecoder(),
): PassthroughStreamParser {
  const run = (messages: SseMessage[], out: StreamEvent[]): string => {
    let forward = '';
    for (const m of messages) if (handle(m, out)) forward += formatSse(m.data, m.event);
    return forward;
  };
  const each = (messages: SseMessage[]): PassthroughMessage[] =>
    messages.map((m) => {
      const entry: PassthroughMessage = { events: [], forward: '' };
      if (handle(m, entry.events, entry)) entry.forward = formatSse(m.data, m.event);
      return entry;
    });
  return {
    push(chunk) {
      const events: StreamEvent[] = [];
      return { forward: run(framer.push(chunk), events), events };
    },
    end() {
      const events: StreamEvent[] = [];
      const forward = run(framer.end(), events);
      onEnd?.(events);
      return { forward, events };
    },
    pushEach: (chunk) => each(framer.push(chunk)),
    endEach() {
      const out = each(framer.end());
      const events: StreamEvent[] = [];
      onEnd?.(events);
      if (events.length) out.push({ events, forward: '' });
      return out;
    },
  };
}

/** A {@link StreamParser} over newline-delimited JSON (Ollama). */
export function createNdjsonStreamParser(
  handle: (value: unknown, out: StreamEvent[]) => void,
  onEnd?: (out: StreamEvent[]) => void,
): StreamParser {
  const nd = new NdjsonDecoder();
  const run = (lines: string[], out: StreamEvent[]) => {
    for (const line of lines) {
      const value = parseEventJson(line, out);
      if (value !== undefined) handle(value, out);
    }
  };
  return {
    push(chunk) {
      const out: StreamEvent[] = [];
      run(nd.push(chunk), out);
      return out;
    },
    end() {
      const out: StreamEvent[] = [];
      run(nd.end(), out);
      onEnd?.(out);
      return out;
    },
  };
}
