/** A one-line progress display on stderr, shown only when stderr is a terminal. */
export class Progress {
  readonly #label: string;
  readonly #enabled: boolean;
  #last = 0;

  constructor(label: string, enabled = process.stderr.isTTY === true) {
    this.#label = label;
    this.#enabled = enabled;
  }

  update(done: number, total: number): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#last < 100 && done < total) return;
    this.#last = now;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(`\r${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% (${done}/${total})`);
  }

  done(): void {
    if (this.#enabled) process.stderr.write('\n');
  }
}
