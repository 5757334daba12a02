import { EventStreamCodec } from '@smithy/core/event-streams';
import type { Message } from '@smithy/core/event-streams';

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Smallest valid message: 12-byte prelude + 4-byte message CRC. */
const MIN_MESSAGE = 16;

/**
 * Incremental framer for the AWS event-stream binary format (`application/vnd.amazon.eventstream`):
 * collects bytes across arbitrary chunk splits and hands complete messages to the AWS codec, which
 * verifies both CRCs and decodes the headers.
 */
export class AwsEventStreamDecoder {
  private readonly codec = new EventStreamCodec((bytes) => utf8Decoder.decode(bytes), (text) => utf8Encoder.encode(text));
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  push(chunk: Uint8Array): Message[] {
    if (chunk.byteLength === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const messages: Message[] = [];
    while (this.buffered >= 4) {
      const total = this.peekLength();
      if (total < MIN_MESSAGE) throw new RangeError(`event-stream message length ${total} is invalid`);
      if (this.buffered < total) break;
      messages.push(this.codec.decode(this.take(total)));
    }
    return messages;
  }

  /** Bytes left that do not form a complete message (a truncated stream when non-zero at the end). */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peekLength(): number {
    const head = new Uint8Array(4);
    let filled = 0;
    for (const c of this.chunks) {
      const n = Math.min(4 - filled, c.byteLength);
      head.set(c.subarray(0, n), filled);
      filled += n;
      if (filled === 4) break;
    }
    return new DataView(head.buffer).getUint32(0, false);
  }

  private take(length: number): Uint8Array {
    const first = this.chunks[0] as Uint8Array;
    let out: Uint8Array;
    if (first.byteLength >= length) {
      // Common case: the whole message is in the first chunk, no copy.
      out = first.subarray(0, length);
      if (first.byteLength === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
    } else {
      out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const c = this.chunks[0] as Uint8Array;
        const n = Math.min(length - filled, c.byteLength);
        out.set(c.subarray(0, n), filled);
        filled += n;
        if (n === c.byteLength) this.chunks.shift();
        else this.chunks[0] = c.subarray(n);
      }
    }
    this.buffered -= length;
    return out;
  }
}

/** Encodes one event-stream message (used to build test transcripts). */
export function encodeAwsEventStreamMessage(message: Message): Uint8Array {
  return new EventStreamCodec((bytes) => utf8Decoder.decode(bytes), (text) => utf8Encoder.encode(text)).encode(message);
}
