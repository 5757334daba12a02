import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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
  LeafLedger,
  MerkleTree,
  type Checkpoint,
  type LedgerLeaf,
} from '@totra/chain';
import { CheckpointSigned, CheckpointWitnessed } from '@totra/events';
import { ChainWriter } from './chain-writer.js';
import { NotaryError } from './errors.js';
import { type NotaryKeyProvider } from './notary-keys.js';
import { messageHolds, readStream, streamState } from './reader.js';
import { type StreamOptions } from './stream.js';
import { FileNodeStore } from './tree-files.js';

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
  /**
   * Where the notary keeps its tree (one file per level) and its state (ADR 0022); by default
   * `<spoolDir>/notary/<stream name>`. Lost or stale, they are rebuilt from the stream.
   */
  treeDir?: string;
  keys: NotaryKeyProvider;
  /** The log's name in every checkpoint (C2SP origin line), e.g. `totra.example.com/log`. */
  origin: string;
  /** A checkpoint at least this often while new events arrive. Default 10 s. */
  intervalMs?: number;
  /** ...or as soon as this many events wait. Default 10000. */
  maxEvents?: number;
  /**
   * While the log has no checkpoint at all, one this long after events of other chains arrive,
   * without waiting for `intervalMs`: a new log can be verified against the notary's key at once
   * (before its first checkpoint, a pinned-key verification finds none). Default: the interval.
   */
  firstCheckpointAfterMs?: number;
  sinks?: readonly CheckpointSink[];
  witnesses?: readonly WitnessClient[];
  /**
   * Asked before each checkpoint, before anything is changed (e.g. whether this notary still
   * holds the deployment's notary lease, so that two notaries never sign the same log); false:
   * no checkpoint this time.
   */
  mayCheckpoint?: () => Promise<boolean>;
  host?: string;
  bootId?: string;
  writerVersion?: string;
  clock?: () => Date;
  onWarning?: (message: string, err?: unknown) => void;
}

/** How a notary came up: from its saved state and the stream past it, or by reading the whole stream. */
export interface NotaryStart {
  readonly from: 'state' | 'stream';
  /** Stream messages read before following the stream. */
  readonly messagesRead: number;
  /** Why the saved state was not used (`from: 'stream'`). */
  readonly reason?: string;
}

/**
 * What the notary saves after each checkpoint (and after it starts), next to its tree files: the
 * last checkpoint, the anchored head of every chain (a checkpoint lists only the chains that
 * moved, ADR 0023), the stream sequence up to which it had read the stream when it took it, the
 * id of the last event of that message (to tell the stream is the same), and the events read and
 * not anchored then. A restart reads only the stream past `streamSeq`.
 */
interface NotaryState {
  readonly v: 1;
  readonly stream: string;
  readonly origin: string;
  readonly streamSeq: number;
  readonly lastEventId: string | null;
  /** The last checkpoint's text (null: none yet, the tree is empty). */
  readonly checkpoint: string | null;
  /** The anchored head of every chain. */
  readonly heads: readonly (readonly [chain: string, seq: number, hash: string])[];
  readonly pending: readonly (readonly [chain: string, seq: number, hash: string])[];
}

const STATE_FILE = 'state.json';

function readState(dir: string): NotaryState | string {
  let text: string;
  try {
    text = readFileSync(join(dir, STATE_FILE), 'utf8');
  } catch {
    return 'no saved state';
  }
  try {
    const s = JSON.parse(text) as NotaryState;
    if (s.v !== 1 || typeof s.streamSeq !== 'number' || !Array.isArray(s.heads) || !Array.isArray(s.pending)) return 'the saved state is of another version';
    return s;
  } catch {
    return 'the saved state cannot be read';
  }
}

/** Writes the state to a temporary file, to the disk, then over the old one: never half written. */
function writeState(dir: string, state: NotaryState): void {
  const tmp = join(dir, `${STATE_FILE}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, STATE_FILE));
}

interface Resumed {
  tree: MerkleTree;
  ledger: LeafLedger;
  last: Checkpoint | null;
  lastEventId: string | null;
  start: NotaryStart;
}

/** Whether a line is an event the tree takes (chain, seq, hash), and its id and checkpoint data. */
function readLine(line: string): { chain: string; seq: number; hash: string; id: string | null; type: unknown; data: unknown } | null {
  const e = JSON.parse(line) as { chain?: unknown; seq?: unknown; hash?: unknown; id?: unknown; type?: unknown; data?: unknown };
  if (typeof e.chain !== 'string' || typeof e.seq !== 'number' || typeof e.hash !== 'string') return null;
  return { chain: e.chain, seq: e.seq, hash: e.hash, id: typeof e.id === 'string' ? e.id : null, type: e.type, data: e.data };
}

/**
 * Resumes from the saved state: the tree files cut back to the last checkpoint's size (and their
 * root checked against it), the ledger from the saved heads and unanchored events, then the
 * stream read past the saved sequence. A reason string when the state cannot be used.
 */
async function resume(o: NotaryOptions, store: FileNodeStore, dir: string, lastSeq: number): Promise<Resumed | string> {
  const state = readState(dir);
  if (typeof state === 'string') return state;
  if (state.stream !== o.stream.name || state.origin !== o.origin) return `the saved state is of stream ${state.stream}, origin ${state.origin}`;
  if (state.streamSeq > lastSeq) return `the saved state is at stream seq ${state.streamSeq}, past the stream's end (${lastSeq})`;
  if (state.streamSeq > 0 && (state.lastEventId === null || !(await messageHolds(o.nc, o.stream, state.streamSeq, state.lastEventId)))) {
    return `stream seq ${state.streamSeq} does not hold the event the saved state names: another stream`;
  }
  const cp = state.checkpoint === null ? null : parseCheckpoint(state.checkpoint);
  const size = cp?.size ?? 0;
  if (!store.truncate(size)) return `the tree files hold fewer than the ${size} leaves of the saved checkpoint`;
  let tree: MerkleTree;
  try {
    tree = new MerkleTree(store);
  } catch (err) {
    return `the tree files do not agree with each other (${(err as Error).message})`;
  }
  if (cp && bytesToHex(tree.root()) !== cp.root) return `the tree files' root is not the saved checkpoint's (size ${size})`;
  const ledger = new LeafLedger();
  ledger.commit(state.heads.map(([chain, seq, hash]) => ({ chain, seq, hash })));
  for (const [chain, seq, hash] of state.pending) ledger.record(chain, seq, hash);
  let lastEventId = state.lastEventId;
  let messagesRead = 0;
  for await (const batch of readStream(o.nc, o.stream, { fromStreamSeq: state.streamSeq + 1, untilStreamSeq: lastSeq })) {
    messagesRead++;
    for (const line of batch.lines) {
      if (line.length === 0) continue;
      const e = readLine(line);
      if (!e) continue;
      if (e.type === CheckpointSigned.type) {
        const d = e.data as { size?: unknown; root?: unknown };
        if (d.size !== size || d.root !== cp?.root) return `the stream holds a checkpoint of size ${String(d.size)} after the saved one (${size}): the state is stale`;
      }
      ledger.record(e.chain, e.seq, e.hash);
      if (e.id !== null) lastEventId = e.id;
    }
  }
  return { tree, ledger, last: cp, lastEventId, start: { from: 'state', messagesRead } };
}

/** Rebuilds the tree (into emptied tree files) and the ledger from the whole stream, as `totra verify` reads it. */
async function replayStream(o: NotaryOptions, store: FileNodeStore, lastSeq: number, reason: string): Promise<Resumed> {
  store.truncate(0);
  // Signatures are not checked (a rotated key signed the older checkpoints), the structure is.
  const replay = new AuditVerifier({ keepTree: true, tree: new MerkleTree(store), origin: o.origin });
  let lastEventId: string | null = null;
  let messagesRead = 0;
  for await (const batch of readStream(o.nc, o.stream, { untilStreamSeq: lastSeq })) {
    messagesRead++;
    for (const line of batch.lines) replay.push(line);
    const tail = batch.lines.findLast((l) => l.length > 0);
    if (tail) lastEventId = (JSON.parse(tail) as { id?: string }).id ?? lastEventId;
  }
  const report = replay.finish();
  if (!report.checkpoints.rootsRecomputed) {
    throw new NotaryError('the checkpoints already in the stream do not match its events; run `totra verify` before starting the notary');
  }
  const accepted = replay.checkpoints();
  return { tree: replay.tree()!, ledger: replay.ledger(), last: accepted[accepted.length - 1]?.checkpoint ?? null, lastEventId, start: { from: 'stream', messagesRead, reason } };
}

/**
 * The notary: follows every chain of the stream, and every `intervalMs` or `maxEvents` signs a
 * checkpoint of one growing RFC 6962 tree over every event seen (docs/adr/0003-checkpoints.md),
 * appends it to its own chain as `CheckpointSigned`, copies it to the sinks, and asks the
 * witnesses to cosign it (`CheckpointWitnessed`). Its tree is kept in files and its state saved
 * after each checkpoint (ADR 0022): a restarted notary reads only the stream past that state and
 * continues the same log; without a usable state it rebuilds both from the whole stream.
 */
export class Notary {
  readonly #o: NotaryOptions;
  readonly #writer: ChainWriter;
  readonly #tree: MerkleTree;
  readonly #store: FileNodeStore;
  readonly #dir: string;
  readonly #ledger: LeafLedger;
  /** How this notary came up. */
  readonly startup: NotaryStart;
  /** Id of the last event of the last message read (message `#seen`). */
  #lastEventId: string | null;
  readonly #witnessSizes = new Map<string, number>();
  #last: Checkpoint | null;
  #waiting = 0;
  /** The early first checkpoint, while it is due (`firstCheckpointAfterMs`). */
  #firstTimer: ReturnType<typeof setTimeout> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Checkpoint | null> = Promise.resolve(null);
  #stopFollow: (() => Promise<void>) | undefined;
  #closed = false;

  private constructor(o: NotaryOptions, writer: ChainWriter, store: FileNodeStore, dir: string, r: Resumed) {
    this.#o = o;
    this.#writer = writer;
    this.#store = store;
    this.#dir = dir;
    this.#tree = r.tree;
    this.#ledger = r.ledger;
    this.#last = r.last;
    this.#lastEventId = r.lastEventId;
    this.startup = r.start;
  }

  static async start(o: NotaryOptions): Promise<Notary> {
    const { lastSeq } = await streamState(o.nc, o.stream);
    const dir = o.treeDir ?? join(o.spoolDir, 'notary', o.stream.name);
    const store = FileNodeStore.open(dir);
    let writer: ChainWriter | undefined;
    try {
      const resumed = await resume(o, store, dir, lastSeq);
      const r = typeof resumed === 'string' ? await replayStream(o, store, lastSeq, resumed) : resumed;
      writer = await ChainWriter.open({
        nc: o.nc,
        stream: o.stream,
        role: 'notary',
        spoolDir: o.spoolDir,
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.bootId !== undefined ? { bootId: o.bootId } : {}),
        ...(o.writerVersion !== undefined ? { writerVersion: o.writerVersion } : {}),
        ...(o.onWarning ? { onWarning: o.onWarning } : {}),
      });
      const notary = new Notary(o, writer, store, dir, r);
      notary.#seen = lastSeq;
      // Saved at once: the next start reads the stream from here even if no checkpoint comes first.
      notary.#save(lastSeq, r.lastEventId, r.last?.text ?? null, r.ledger.heads(), r.ledger.pending());
      await notary.#follow(lastSeq);
      notary.#timer = setInterval(() => void notary.checkpoint().catch((e: unknown) => notary.#warn('checkpoint failed', e)), o.intervalMs ?? 10_000);
      return notary;
    } catch (err) {
      await writer?.close().catch(() => undefined);
      store.close();
      throw err;
    }
  }

  /** Writes the tree files and the state to disk; a failure only costs the next start a full read. */
  #save(streamSeq: number, lastEventId: string | null, checkpoint: string | null, heads: readonly LedgerLeaf[], pending: readonly LedgerLeaf[]): void {
    try {
      this.#store.flush();
      writeState(this.#dir, {
        v: 1,
        stream: this.#o.stream.name,
        origin: this.#o.origin,
        streamSeq,
        lastEventId,
        checkpoint,
        heads: heads.map((h) => [h.chain, h.seq, h.hash] as const),
        pending: pending.map((p) => [p.chain, p.seq, p.hash] as const),
      });
    } catch (err) {
      this.#warn(`cannot save the notary's state in ${this.#dir} (the next start reads the whole stream)`, err);
    }
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
    clearTimeout(this.#firstTimer);
    await this.#running.catch(() => undefined);
    await this.#stopFollow?.();
    await this.#writer.close();
    this.#store.close();
  }

  async #sign(): Promise<Checkpoint | null> {
    if (this.#closed) return null;
    if (this.#o.mayCheckpoint && !(await this.#o.mayCheckpoint())) return null;
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
    // What the state will say once the checkpoint is in the stream: read up to here, these left over.
    const seen = this.#seen;
    const lastEventId = this.#lastEventId;
    const anchored = this.#ledger.heads();
    const pending = this.#ledger.pending();
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
    this.#save(seen, lastEventId, text, anchored, pending);
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
            const e = readLine(line);
            if (e) {
              this.#ledger.record(e.chain, e.seq, e.hash);
              this.#waiting++;
              if (e.id !== null) this.#lastEventId = e.id;
            }
          } catch (err) {
            this.#warn(`unreadable event at stream seq ${m.seq}`, err);
          }
        }
        this.#seen = m.seq;
        this.#earlyFirstCheckpoint();
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

  /** Schedules the log's first checkpoint soon after events arrive, while it has none. */
  #earlyFirstCheckpoint(): void {
    const after = this.#o.firstCheckpointAfterMs;
    if (after === undefined || this.#last || this.#firstTimer || this.#closed || this.#waiting === 0) return;
    this.#firstTimer = setTimeout(() => {
      this.#firstTimer = undefined;
      // Nothing of other chains to anchor yet leaves it unsigned: the next events schedule it again.
      void this.checkpoint().catch((e: unknown) => this.#warn('checkpoint failed', e));
    }, after);
  }

  #warn(message: string, err?: unknown): void {
    this.#o.onWarning?.(`${message}${err instanceof Error ? `: ${err.message}` : ''}`, err);
  }
}
