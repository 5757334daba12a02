import { ChunkDecoder, LineSplitter } from './line-splitter.js';

/** Incremental newline-delimited JSON splitter: returns the non-empty complete lines. */
export class NdjsonDecoder {
  private readonly text = new ChunkDecoder();
  private readonly lines = new LineSplitter();

  push(chunk: string | Uint8Array): string[] {
    return this.lines.push(this.text.decode(chunk)).filter((l) => l.trim().length > 0);
  }

  end(): string[] {
    const out = this.lines.push(this.text.end()).filter((l) => l.trim().length > 0);
    const last = this.lines.end();
    if (last !== undefined && last.trim().length > 0) out.push(last);
    return out;
  }
}
