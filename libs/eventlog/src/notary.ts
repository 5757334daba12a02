import { appendFileSync } from 'node:fs';
import { type NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import {
  AuditVerifier,
  bytesToHex,
  checkpointTextHash,
  formatCheckpoint,
  formatSignedNote,
  parseCheckpoint,
  parseSignatureLine,
  toBase64,
  type Checkpoint,
  type LeafLedger,
  type MerkleTree,
} from '@totra/chain';
import { CheckpointSigned, CheckpointWitnessed } from '@totra/events';
import { ChainWriter } from './chain-writer.js';
import { NotaryError } from './errors.js';
import { type NotaryKeyProvider } from './notary-keys.js';
import { readStream, streamState } from './reader.js';
import { type StreamOptions } from './stream.js';

/** Where signed checkpoints are copied, besides the notary's own chain. */
export interface CheckpointSink {
  readonly name: string;
  write(note: string, checkpoint: Checkpoint): Promise<void>;
}

/** Appends one JSON line `{origin,size,root,note}` per checkpoint to a file (created if absent). */
export function fileSink(path: string): CheckpointSink {
  return {
    name: `file ${path}`,
    write(note, cp) {
      appendFileSync(path, `${JSON.stringify({ origin: cp.origin, size: cp.size, root: cp.root, note })}\n`, { flag: 'a' });
      return Promise.resolve();
    },
  };
}

/** POSTs each checkpoint note (text/plain) to a URL; a non-2xx answer is an error. */
export function httpSink(url: string, timeoutMs = 5000): CheckpointSink {
  return {
    name: `POST ${url}`,
    async write(note) {
      const res = await fetch(url, { method: 'POST', body: note, headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new NotaryError(`checkpoint sink ${url} answered ${res.status}`);
    },
  };
}

/** A witness that cosigns checkpoints (C2SP tlog-witness `add-checkpoint`). */
export interface WitnessClient {
  readonly url: string;
  /**
   * Sends a checkpoint with a consistency proof from `oldSize`; returns the cosignature lines,
   * or `{ conflict: size }` when the witness has another size for the log.
   */
  addCheckpoint(oldSize: number, proof: readonly Uint8Array[], note: string): Promise<string[] | { conflict: number }>;
}

/** The HTTP client of a `totra witness serve` (or any tlog-witness) endpoint. */
export function httpWitness(baseUrl: string, timeoutMs = 5000): WitnessClient {
  const url = `${baseUrl.replace(/\/+$/, '')}/add-checkpoint`;
  return {
    url: baseUrl,
    async addCheckpoint(oldSize, proof, note) {
      const body = `old ${oldSize}\n${proof.map((p) => `${toBase64(p)}\n`).join('')}\n${note}`;
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      if (res.status === 409) {
        const size = Number(text.trim());
        if (Number.isSafeInteger(size) && size >= 0) return { conflict: size };
      }
      if (!res.ok) throw new NotaryError(`witness ${baseUrl} refused the checkpoint: ${res.status} ${text.trim().slice(0, 200)}`);
      return text.split('\n').filter((l) => l.length > 0);
    },
  };
}

export interface NotaryOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  spoolDir: string;
  keys: NotaryKeyProvider;
  /** The log's name in every checkpoint (C2SP origin line), e.g. `totra.example.com/log`. */
  origin: string;
  /** A checkpoint at least this often while new events arrive. Default 10 s. */
  intervalMs?: number;
  /** ...or as soon as this many events wait. Default 10000. */
  maxEvents?: number;
  sinks?: readonly CheckpointSink[];
  witnesses?: readonly WitnessClient[];
  host?: string;
  bootId?: string;
  writerVersion?: string;
  clock?: () => Date;
  onWarning?: (message: string, err?: unknown) => void;
}

/**
 * The notary: follows every chain of the stream, and every `intervalMs` or `maxEvents` signs a
 * checkpoint of one growing RFC 6962 tree over every event seen (docs/adr/0003-checkpoints.md),
 * appends it to its own chain as `CheckpointSigned`, copies it to the sinks, and asks the
 * witnesses to cosign it (`CheckpointWitnessed`). On start it replays the stream to rebuild the
 * tree from the checkpoints already there, so a restarted notary continues the same log.
 */
export class Notary {
  readonly #o: NotaryOptions;
  readonly #writer: ChainWriter;
  readonly #tree: MerkleTree;
  readonly #ledger: LeafLedger;
  readonly #witnessSizes = new Map<string, number>();
  #last: Checkpoint | null;
  #waiting = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Checkpoint | null> = Promise.resolve(null);
  #stopFollow: (() => Promise<void>) | undefined;
  #closed = false;

  private constructor(o: NotaryOptions, writer: ChainWriter, tree: MerkleTree, ledger: LeafLedger, last: Checkpoint | null) {
    this.#o = o;
    this.#writer = writer;
    this.#tree = tree;
    this.#ledger = ledger;
    this.#last = last;
  }

  static async start(o: NotaryOptions): Promise<Notary> {
    const { lastSeq } = await streamState(o.nc, o.stream);
    // Rebuild the tree from the stream: signatures are not checked (a rotated key signed the
    // older checkpoints), the structure is.
    const replay = new AuditVerifier({ keepTree: true, origin: o.origin });
    for await (const batch of readStream(o.nc, o.stream, { untilStreamSeq: lastSeq })) {
      for (const line of batch.lines) replay.push(line);
    }
    const report = replay.finish();
    if (!report.checkpoints.rootsRecomputed) {
      throw new NotaryError('the checkpoints already in the stream do not match its events; run `totra verify` before starting the notary');
    }
    const accepted = replay.checkpoints();
    const last = accepted[accepted.length - 1]?.checkpoint ?? null;
    const writer = await ChainWriter.open({
      nc: o.nc,
      stream: o.stream,
      role: 'notary',
      spoolDir: o.spoolDir,
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.bootId !== undefined ? { bootId: o.bootId } : {}),
      ...(o.writerVersion !== undefined ? { writerVersion: o.writerVersion } : {}),
      ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    });
    const notary = new Notary(o, writer, replay.tree()!, replay.ledger(), last);
    await notary.#follow(lastSeq);
    notary.#timer = setInterval(() => void notary.checkpoint().catch((e: unknown) => notary.#warn('checkpoint failed', e)), o.intervalMs ?? 10_000);
    return notary;
  }

  /** The notary's chain id. */
  get chainId(): string {
    return this.#writer.chainId;
  }

  /** The last checkpoint signed (or found in the stream at start). */
  get last(): Checkpoint | null {
    return this.#last;
  }

  /** Stream sequence up to which events were taken into account; use `waitFor` in tests. */
  #seen = 0;

  /** Resolves once the notary has read the stream up to `streamSeq`. */
  async waitFor(streamSeq: number, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#seen < streamSeq) {
      if (Date.now() > until) throw new NotaryError(`the notary did not reach stream seq ${streamSeq} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Signs a checkpoint over every event seen and not anchored yet, unless the only new events
   * are the notary's own. Calls are serialised. Resolves with the checkpoint, or null.
   */
  checkpoint(): Promise<Checkpoint | null> {
    const run = this.#running.catch(() => null).then(() => this.#sign());
    this.#running = run;
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running.catch(() => undefined);
    await this.#stopFollow?.();
    await this.#writer.close();
  }

  async #sign(): Promise<Checkpoint | null> {
    if (this.#closed) return null;
    const next = this.#ledger.nextHeads();
    if (!next) return null;
    const own = this.#writer.chainId;
    const before = new Map(this.#ledger.heads().map((h) => [h.chain, h.seq]));
    const foreign = next.heads.some((h) => h.chain !== own && h.seq > (before.get(h.chain) ?? 0));
    if (!foreign) return null;
    const { leaves, problems } = this.#ledger.collect(next.heads);
    if (problems.length > 0) throw new NotaryError(`cannot anchor: ${problems[0]!.message}`);
    const oldSize = this.#tree.size;
    for (const leaf of leaves) this.#tree.append(leaf.hash);
    this.#ledger.commit(next.heads);
    this.#waiting = 0;
    const text = formatCheckpoint({
      origin: this.#o.origin,
      size: this.#tree.size,
      root: bytesToHex(this.#tree.root()),
      time: (this.#o.clock?.() ?? new Date()).toISOString(),
      prev: this.#last ? checkpointTextHash(this.#last.text) : null,
      heads: next.heads,
    });
    const note = formatSignedNote(text, [await this.#o.keys.signNoteText(text)]);
    const cp = parseCheckpoint(text);
    this.#last = cp;
    this.#writer.append({ type: CheckpointSigned.type, tenant: 'system', data: { origin: cp.origin, size: cp.size, root: cp.root, note } });
    await this.#writer.drain();
    for (const sink of this.#o.sinks ?? []) {
      await sink.write(note, cp).catch((e: unknown) => this.#warn(`checkpoint sink ${sink.name} failed`, e));
    }
    await this.#witness(cp, note, oldSize);
    return cp;
  }

  async #witness(cp: Checkpoint, note: string, oldSize: number): Promise<void> {
    const witnesses = this.#o.witnesses ?? [];
    if (witnesses.length === 0) return;
    const lines: string[] = [];
    const names: string[] = [];
    for (const w of witnesses) {
      try {
        let from = this.#witnessSizes.get(w.url) ?? oldSize;
        let answer = await w.addCheckpoint(from, from > 0 && from <= cp.size ? this.#tree.consistencyProof(from, cp.size) : [], note);
        if (!Array.isArray(answer)) {
          from = answer.conflict;
          if (from > cp.size) throw new NotaryError(`witness ${w.url} has seen a larger tree (${from}) than ours (${cp.size})`);
          answer = await w.addCheckpoint(from, from > 0 ? this.#tree.consistencyProof(from, cp.size) : [], note);
          if (!Array.isArray(answer)) throw new NotaryError(`witness ${w.url} keeps answering with a conflict`);
        }
        this.#witnessSizes.set(w.url, cp.size);
        for (const line of answer) {
          const sig = parseSignatureLine(line);
          lines.push(sig.line);
          if (!names.includes(sig.name)) names.push(sig.name);
        }
      } catch (e) {
        this.#warn(`witness ${w.url} did not cosign checkpoint ${cp.size}`, e);
      }
    }
    if (lines.length === 0) return;
    const cosigned = `${note}${lines.map((l) => `${l}\n`).join('')}`;
    this.#writer.append({ type: CheckpointWitnessed.type, tenant: 'system', data: { origin: cp.origin, size: cp.size, root: cp.root, note: cosigned, witnesses: names } });
    await this.#writer.drain();
  }

  async #follow(afterStreamSeq: number): Promise<void> {
    this.#seen = afterStreamSeq;
    const consumer = await jetstream(this.#o.nc).consumers.get(this.#o.stream.name, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterStreamSeq + 1,
      filter_subjects: `${this.#o.stream.subjectPrefix}.chain.>`,
    });
    const messages = await consumer.consume({ max_bytes: 4 * 1024 * 1024 });
    const done = (async () => {
      for await (const m of messages) {
        for (const line of m.string().split('\n')) {
          if (line.length === 0) continue;
          try {
            const e = JSON.parse(line) as { chain?: unknown; seq?: unknown; hash?: unknown };
            if (typeof e.chain === 'string' && typeof e.seq === 'number' && typeof e.hash === 'string') {
              this.#ledger.record(e.chain, e.seq, e.hash);
              this.#waiting++;
            }
          } catch (err) {
            this.#warn(`unreadable event at stream seq ${m.seq}`, err);
          }
        }
        this.#seen = m.seq;
        if (this.#waiting >= (this.#o.maxEvents ?? 10_000)) {
          this.#waiting = 0;
          void this.checkpoint().catch((e: unknown) => this.#warn('checkpoint failed', e));
        }
      }
    })();
    this.#stopFollow = async () => {
      messages.stop();
      await done.catch(() => undefined);
      await consumer.delete().catch(() => undefined);
    };
  }

  #warn(message: string, err?: unknown): void {
    this.#o.onWarning?.(`${message}${err instanceof Error ? `: ${err.message}` : ''}`, err);
  }
}
