/**
 * Incremental line splitter over text chunks cut at arbitrary points (`\n`, `\r\n` or `\r`).
 * The unfinished line is kept as a list of pieces and joined once, when its end arrives, so a
 * stream fed byte by byte costs O(n), not O(n^2).
 */
export class LineSplitter {
  private pieces: string[] = [];
  private skipLeadingLf = false;

  /** Returns the lines completed by this chunk, without their terminators. */
  push(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    const len = text.length;
    if (this.skipLeadingLf && len > 0) {
      this.skipLeadingLf = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    for (let i = start; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const part = text.slice(start, i);
      if (this.pieces.length > 0) {
        this.pieces.push(part);
        lines.push(this.pieces.join(''));
        this.pieces = [];
      } else {
        lines.push(part);
      }
      if (c === 13) {
        if (i + 1 < len) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    if (start < len) this.pieces.push(start === 0 ? text : text.slice(start));
    return lines;
  }

  /** The last line if the input did not end with a line break. */
  end(): string | undefined {
    if (this.pieces.length === 0) return undefined;
    const line = this.pieces.join('');
    this.pieces = [];
    return line;
  }
}

/** Decodes UTF-8 byte chunks (a code point may be split across chunks) or passes strings through. */
export class ChunkDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  decode(chunk: string | Uint8Array): string {
    return typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
  }
  end(): string {
    return this.decoder.decode();
  }
}
