import { ChunkDecoder, LineSplitter } from './line-splitter.js';

/** One server-sent event. `event` is absent when the server sent only `data:` lines. */
export interface SseMessage {
  event?: string;
  data: string;
  id?: string;
}

/**
 * Incremental `text/event-stream` decoder (WHATWG HTML "server-sent events" parsing rules):
 * bytes or text in, complete messages out, whatever the chunk boundaries.
 */
export class SseDecoder {
  private readonly text = new ChunkDecoder();
  private readonly lines = new LineSplitter();
  private event: string | undefined;
  private id: string | undefined;
  private data: string[] = [];
  private first = true;

  push(chunk: string | Uint8Array): SseMessage[] {
    let text = this.text.decode(chunk);
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: SseMessage[] = [];
    for (const line of this.lines.push(text)) this.line(line, out);
    return out;
  }

  /** Flushes a final message that was not followed by a blank line. */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    const rest = this.text.end();
    if (rest.length > 0) for (const line of this.lines.push(rest)) this.line(line, out);
    const last = this.lines.end();
    if (last !== undefined) this.line(last, out);
    this.dispatch(out);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* : comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        this.id = value;
        break;
      default:
        break; // `retry` and unknown fields do not matter to a proxy
    }
  }

  private dispatch(out: SseMessage[]): void {
    if (this.data.length === 0) {
      this.event = undefined;
      return;
    }
    const message: SseMessage = { data: this.data.length === 1 ? (this.data[0] as string) : this.data.join('\n') };
    if (this.event !== undefined) message.event = this.event;
    if (this.id !== undefined) message.id = this.id;
    out.push(message);
    this.data = [];
    this.event = undefined;
  }
}

/** Serialises one SSE message (`event:` line only when named). */
export function formatSse(data: string, event?: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}
