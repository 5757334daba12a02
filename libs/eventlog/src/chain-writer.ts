import { hostname } from 'node:os';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { hashAndSerialize } from '@totra/chain';
import {
  ChainOpened,
  EventRegistry,
  GENESIS_PREV,
  newEventId,
  type Envelope,
  type EventInput,
  type Sealed,
  type UnhashedEnvelope,
} from '@totra/events';
import { ChainConflictError, SpoolError, WriterClosedError } from './errors.js';
import { Spool, listSpools, spoolPath } from './spool.js';
import { chainSubject, type StreamOptions } from './stream.js';

/** JetStream error code: the subject's last sequence is not the expected one. */
const WRONG_LAST_SEQUENCE = 10071;

export interface ChainWriterOptions {
  nc: NatsConnection;
  stream: StreamOptions;
  /** Writer role, the first part of the chain id: `gateway`, `admin`, `notary`, ... */
  role: string;
  /** Folder of the local spool files (used when NATS is unreachable). */
  spoolDir: string;
  /** Host name in the chain id; the machine's by default. */
  host?: string;
  /** Boot id in the chain id; a new UUIDv7 by default. */
  bootId?: string;
  /** Software version recorded in `ChainOpened`. */
  writerVersion?: string;
  /** Tenant recorded on the writer's own events (`ChainOpened`). */
  systemTenant?: string;
  registry?: EventRegistry;
  /** A batch is published after this many events... */
  batchMaxEvents?: number;
  /** ...or this many bytes... */
  batchMaxBytes?: number;
  /** ...or this long after its first event. */
  batchDelayMs?: number;
  /** How long to wait for a JetStream ack before treating NATS as unreachable. */
  publishTimeoutMs?: number;
  /** Longest pause between attempts to drain the spool while NATS is away. */
  maxRetryDelayMs?: number;
  clock?: () => Date;
  /** Told about trouble that the writer handles itself (spooling, retries). */
  onWarning?: (message: string, err?: unknown) => void;
}

/** Counters of a writer, for metrics and tests. */
export interface ChainWriterStats {
  chainId: string;
  /** Last seq handed out by `append`. */
  appendedSeq: number;
  /** Last seq acknowledged by JetStream. */
  streamSeq: number;
  /** Last seq that is durable: in JetStream or in the local spool. */
  durableSeq: number;
  batchesPublished: number;
  eventsSpooled: number;
  mode: 'direct' | 'spooling' | 'closed' | 'failed';
}

interface Batch {
  first: number;
  last: number;
  lastHash: string;
  lines: string[];
  /** The event types of the lines (the `Totra-Types` header), when known without parsing them. */
  types?: string;
}

/**
 * Header of every published batch: the distinct event types of its events, sorted, comma
 * separated. Readers that want a few rare types (the gateway's catalog and policies) read
 * headers only and fetch the bodies of the batches that have them.
 */
export const TYPES_HEADER = 'Totra-Types';

/** The `Totra-Types` value of a batch with these event types. */
const typesHeaderValue = (types: Iterable<string>): string => [...new Set(types)].sort().join(',');

/** The `Totra-Types` value of some stored lines (parsed: for the paths that only have lines). */
export function typesOfLines(lines: readonly string[]): string {
  return typesHeaderValue(lines.map((line) => (JSON.parse(line) as { type?: unknown }).type).filter((t): t is string => typeof t === 'string'));
}

interface Waiter {
  seq: number;
  kind: 'durable' | 'stream';
  resolve: () => void;
  reject: (err: Error) => void;
}

function sanitizeToken(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 63);
  return t || 'host';
}

/**
 * An envelope with its members in canonical (RFC 8785) order: hashing it then takes the
 * serialiser's fast path (the data's own members are in whatever order its producer chose).
 */
function envelopeInCanonicalOrder(
  chain: string,
  data: Record<string, unknown>,
  id: string,
  prev: string,
  sealed: Sealed | undefined,
  seq: number,
  subject: string | undefined,
  tenant: string,
  time: string,
  type: string,
  v: number,
): UnhashedEnvelope {
  if (sealed === undefined) {
    return subject === undefined ? { chain, data, id, prev, seq, tenant, time, type, v } : { chain, data, id, prev, seq, subject, tenant, time, type, v };
  }
  return subject === undefined ? { chain, data, id, prev, sealed, seq, tenant, time, type, v } : { chain, data, id, prev, sealed, seq, subject, tenant, time, type, v };
}

/**
 * Appends events to one hash chain (one per process start, so a chain has exactly one writer
 * by construction) and publishes them to JetStream in batches, one message per batch, with
 * `Nats-Expected-Last-Subject-Sequence` (the server refuses a fork) and `Nats-Msg-Id` (a
 * re-sent batch is deduplicated). When NATS is unreachable, batches go to a local
 * append-only spool file, replayed in order when NATS is back: nothing is lost and the chain
 * has no gap.
 */
export class ChainWriter {
  readonly chainId: string;
  readonly subject: string;
  readonly #o: Required<Omit<ChainWriterOptions, 'onWarning' | 'registry' | 'host' | 'bootId'>> & {
    onWarning: (message: string, err?: unknown) => void;
  };
  readonly #registry: EventRegistry;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #spool: Spool;

  #seq = 0;
  #lastHash = GENESIS_PREV;
  #pending: string[] = [];
  readonly #pendingTypes = new Set<string>();
  #pendingBytes = 0;
  #pendingFirst = 1;
  #timer: NodeJS.Timeout | undefined;
  #queue: Batch[] = [];
  #pumping = false;
  #mode: ChainWriterStats['mode'] = 'direct';
  /** Stream sequence of the last message on this writer's subject. */
  readonly #own = { lastSubjectSeq: 0 };
  #streamSeq = 0;
  #durableSeq = 0;
  #spoolOffset = 0;
  #spoolLastSeq = 0;
  #batchesPublished = 0;
  #eventsSpooled = 0;
  #waiters: Waiter[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = 50;
  #replaying = false;
  #failure: Error | undefined;
  #orphans: Promise<number> = Promise.resolve(0);
  #orphanReplaying = false;
  #statuses: { stop?: () => void } | undefined;

  private constructor(o: ChainWriterOptions, js: JetStreamClient, jsm: JetStreamManager) {
    const host = sanitizeToken(o.host ?? hostname());
    const bootId = sanitizeToken(o.bootId ?? newEventId().replaceAll('-', ''));
    this.chainId = `${o.role}.${host}.${bootId}`;
    this.subject = chainSubject(o.stream, this.chainId);
    this.#registry = o.registry ?? new EventRegistry();
    this.#o = {
      nc: o.nc,
      stream: o.stream,
      role: o.role,
      spoolDir: o.spoolDir,
      writerVersion: o.writerVersion ?? '0.1.0',
      systemTenant: o.systemTenant ?? 'system',
      batchMaxEvents: o.batchMaxEvents ?? 500,
      batchMaxBytes: o.batchMaxBytes ?? 256 * 1024,
      batchDelayMs: o.batchDelayMs ?? 5,
      publishTimeoutMs: o.publishTimeoutMs ?? 3000,
      maxRetryDelayMs: o.maxRetryDelayMs ?? 2000,
      clock: o.clock ?? (() => new Date()),
      onWarning: o.onWarning ?? (() => undefined),
    };
    this.#js = js;
    this.#jsm = jsm;
    this.#spool = new Spool(spoolPath(o.spoolDir, this.chainId));
    this.#pendingFirst = 1;
  }

  /**
   * Opens a new chain: appends its `ChainOpened` event, and starts replaying spool files
   * that earlier processes left behind in the same spool folder.
   */
  static async open(options: ChainWriterOptions): Promise<ChainWriter> {
    const js = jetstream(options.nc, { timeout: options.publishTimeoutMs ?? 3000 });
    const jsm = await jetstreamManager(options.nc, { timeout: options.publishTimeoutMs ?? 3000, checkAPI: false });
    const w = new ChainWriter(options, js, jsm);
    const [, host, bootId] = w.chainId.split('.') as [string, string, string];
    w.append({
      type: ChainOpened.type,
      tenant: w.#o.systemTenant,
      data: { role: options.role, host, bootId, writer: w.#o.writerVersion, format: 'totra-chain/1' },
    });
    w.#watchStatus();
    w.#orphans = w.#replayOrphans();
    return w;
  }

  /**
   * Resolves when the first attempt to replay spool files of earlier processes is over, with
   * the number of events it published (attempts go on at each reconnect while any remain).
   */
  orphansReplayed(): Promise<number> {
    return this.#orphans;
  }

  /** Last seq and hash of the chain. */
  get head(): { seq: number; hash: string } {
    return { seq: this.#seq, hash: this.#lastHash };
  }

  stats(): ChainWriterStats {
    return {
      chainId: this.chainId,
      appendedSeq: this.#seq,
      streamSeq: this.#streamSeq,
      durableSeq: this.#durableSeq,
      batchesPublished: this.#batchesPublished,
      eventsSpooled: this.#eventsSpooled,
      mode: this.#mode,
    };
  }

  /**
   * Validates the event, gives it its place in the chain (seq, prev, hash) and queues it.
   * Returns the envelope as it will be stored. Synchronous: the hot path never waits on NATS.
   * Valid data is taken as given, not copied (ADR 0017): the event is hashed and serialised
   * here, but the returned envelope shares `input.data`, so leave it unchanged.
   */
  append(input: EventInput): Envelope {
    if (this.#mode === 'closed' || this.#mode === 'failed') throw new WriterClosedError(undefined, { cause: this.#failure });
    const { v, data } = this.#registry.validateInput(input);
    const unhashed = envelopeInCanonicalOrder(
      this.chainId,
      data,
      input.id ?? newEventId(),
      this.#lastHash,
      input.sealed,
      this.#seq + 1,
      input.subject,
      input.tenant,
      input.time ?? this.#o.clock().toISOString(),
      input.type,
      v,
    );
    // Stored in canonical form (JCS with the hash spliced in), which verifies fastest.
    const { hash, line } = hashAndSerialize(unhashed);
    const envelope: Envelope = { ...unhashed, hash };
    this.#seq = unhashed.seq;
    this.#lastHash = hash;
    if (!this.#pending.length) this.#pendingFirst = envelope.seq;
    this.#pending.push(line);
    this.#pendingTypes.add(input.type);
    this.#pendingBytes += line.length + 1;
    if (this.#pending.length >= this.#o.batchMaxEvents || this.#pendingBytes >= this.#o.batchMaxBytes) {
      this.#cut();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#cut(), this.#o.batchDelayMs);
    }
    return envelope;
  }

  /** Resolves when every event appended so far is durable: in JetStream or in the local spool. */
  flush(): Promise<void> {
    this.#cut();
    return this.#wait(this.#seq, 'durable');
  }

  /** Resolves when every event appended so far is acknowledged by JetStream. */
  drain(): Promise<void> {
    this.#cut();
    return this.#wait(this.#seq, 'stream');
  }

  /**
   * Stops the writer: publishes what it can within `timeoutMs`; whatever is not in JetStream
   * by then is left durable in the spool, which the next process replays.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.#mode === 'closed') return;
    this.#cut();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#wait(this.#seq, 'stream').catch(() => undefined), timeout]);
    clearTimeout(timer);
    if (this.#streamSeq < this.#seq && this.#mode === 'direct') {
      // Still not acknowledged: make it durable locally for the next start to replay.
      this.#toSpool(this.#queue.splice(0));
    }
    this.#mode = 'closed';
    this.#statuses?.stop?.();
    clearTimeout(this.#retryTimer);
    this.#spool.close();
    for (const w of this.#waiters.splice(0)) {
      if (w.kind === 'durable' && this.#durableSeq >= w.seq) w.resolve();
      else w.reject(new WriterClosedError('the chain writer closed before the event reached JetStream'));
    }
  }

  #wait(seq: number, kind: Waiter['kind']): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if ((kind === 'durable' ? this.#durableSeq : this.#streamSeq) >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ seq, kind, resolve, reject }));
  }

  #notify(): void {
    if (!this.#waiters.length) return;
    this.#waiters = this.#waiters.filter((w) => {
      const reached = (w.kind === 'durable' ? this.#durableSeq : this.#streamSeq) >= w.seq;
      if (reached) w.resolve();
      return !reached;
    });
  }

  #cut(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#pending.length) return;
    const batch: Batch = { first: this.#pendingFirst, last: this.#seq, lastHash: this.#lastHash, lines: this.#pending, types: typesHeaderValue(this.#pendingTypes) };
    this.#pending = [];
    this.#pendingTypes.clear();
    this.#pendingBytes = 0;
    if (this.#mode === 'spooling') {
      this.#toSpool([batch]);
      return;
    }
    this.#queue.push(batch);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length && this.#mode === 'direct') {
        const batch = this.#queue[0] as Batch;
        try {
          await this.#publish(this.subject, batch.lines, batch.first, batch.last, this.#own, batch.types);
        } catch (err) {
          if (this.#mode !== 'direct') break;
          if (err instanceof ChainConflictError) {
            this.#fail(err);
            break;
          }
          this.#o.onWarning(`NATS unreachable (${(err as Error).message}); spooling events locally`, err);
          this.#enterSpooling();
          break;
        }
        this.#queue.shift();
        this.#streamSeq = batch.last;
        if (this.#durableSeq < batch.last) this.#durableSeq = batch.last;
        this.#notify();
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Publishes lines of one chain as one message. When JetStream reports that the subject
   * moved on, it finds out whether these events are already stored (a re-send after a lost
   * ack) and publishes only what is missing; anything else is a fork attempt.
   */
  async #publish(subject: string, lines: string[], first: number, last: number, state: { lastSubjectSeq: number } = this.#own, types?: string): Promise<void> {
    const msgID = `${subject}:${first}-${last}`;
    const h = headers();
    h.set(TYPES_HEADER, types ?? typesOfLines(lines));
    try {
      const ack = await this.#js.publish(subject, lines.join('\n'), {
        headers: h,
        msgID,
        expect: { lastSubjectSequence: state.lastSubjectSeq },
        timeout: this.#o.publishTimeoutMs,
      });
      state.lastSubjectSeq = ack.seq;
      if (!ack.duplicate) this.#batchesPublished++;
      return;
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== WRONG_LAST_SEQUENCE) throw err;
      const stored = await this.#lastStored(subject);
      if (!stored || stored.lastSeq < first - 1) {
        throw new ChainConflictError(`JetStream refused ${subject} seq ${first}-${last}: the subject is not where this writer left it`, { cause: err });
      }
      state.lastSubjectSeq = stored.streamSeq;
      const lastLine = lines[lines.length - 1] as string;
      if (stored.lastSeq >= last) {
        // Already stored (the ack was lost). It must be exactly our event, or it is a fork.
        if (stored.lastSeq === last && stored.lastHash !== hashOfLine(lastLine)) {
          throw new ChainConflictError(`${subject} seq ${last} holds a different event: fork refused`, { cause: err });
        }
        return;
      }
      const rest = lines.slice(stored.lastSeq - first + 1);
      await this.#publish(subject, rest, stored.lastSeq + 1, last, state);
    }
  }

  async #lastStored(subject: string): Promise<{ streamSeq: number; lastSeq: number; lastHash: string } | undefined> {
    const msg = await this.#jsm.streams.getMessage(this.#o.stream.name, { last_by_subj: subject });
    if (!msg) return undefined;
    const text = msg.string();
    const lastLine = text.slice(text.lastIndexOf('\n') + 1);
    const env = JSON.parse(lastLine) as { seq: number; hash: string };
    return { streamSeq: msg.seq, lastSeq: env.seq, lastHash: env.hash };
  }

  #toSpool(batches: Batch[]): void {
    if (!batches.length) return;
    const lines = batches.flatMap((b) => b.lines);
    try {
      this.#spool.append(lines);
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    const last = (batches[batches.length - 1] as Batch).last;
    this.#eventsSpooled += lines.length;
    this.#spoolLastSeq = last;
    if (this.#durableSeq < last) this.#durableSeq = last;
    this.#notify();
  }

  #enterSpooling(): void {
    this.#mode = 'spooling';
    this.#spoolOffset = this.#spool.exists() ? this.#spool.size : 0;
    this.#toSpool(this.#queue.splice(0));
    this.#retryDelay = 50;
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#mode !== 'spooling' || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#replayOwnSpool();
    }, this.#retryDelay);
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#o.maxRetryDelayMs);
  }

  /** Publishes the spool, in order, from where the last attempt stopped; back to direct at its end. */
  async #replayOwnSpool(): Promise<void> {
    if (this.#replaying || this.#mode !== 'spooling') return;
    this.#replaying = true;
    try {
      for (;;) {
        const { lines, next } = this.#spool.read(this.#spoolOffset, this.#o.batchMaxBytes);
        if (!lines.length) {
          // Everything spooled is in the stream (this check and the switch are one synchronous step).
          this.#spool.remove();
          this.#spoolOffset = 0;
          this.#mode = 'direct';
          this.#retryDelay = 50;
          void this.#pump();
          return;
        }
        const chunk = lines.slice(0, this.#o.batchMaxEvents);
        const first = seqOfLine(chunk[0] as string);
        const last = seqOfLine(chunk[chunk.length - 1] as string);
        await this.#publish(this.subject, chunk, first, last);
        this.#spoolOffset = chunk.length === lines.length ? next : this.#spoolOffset + byteLength(chunk);
        this.#streamSeq = last;
        this.#notify();
      }
    } catch (err) {
      if (err instanceof ChainConflictError) this.#fail(err);
      else this.#scheduleRetry();
    } finally {
      this.#replaying = false;
    }
  }

  /** Replays spool files of earlier processes (other chains) found in the spool folder. */
  async #replayOrphans(): Promise<number> {
    this.#orphanReplaying = true;
    try {
      return await this.#replayOrphanFiles();
    } finally {
      this.#orphanReplaying = false;
    }
  }

  async #replayOrphanFiles(): Promise<number> {
    let published = 0;
    for (const chainId of listSpools(this.#o.spoolDir)) {
      if (chainId === this.chainId) continue;
      const spool = new Spool(spoolPath(this.#o.spoolDir, chainId));
      const subject = chainSubject(this.#o.stream, chainId);
      try {
        const stored = await this.#lastStored(subject).catch((err: unknown) => {
          if (err instanceof JetStreamApiError && err.code === 10037) return undefined;
          throw err;
        });
        const state = { lastSubjectSeq: stored?.streamSeq ?? 0 };
        let storedSeq = stored?.lastSeq ?? 0;
        let offset = 0;
        for (;;) {
          const { lines, next } = spool.read(offset, this.#o.batchMaxBytes);
          if (!lines.length) break;
          offset = next;
          const todo = lines.filter((l) => seqOfLine(l) > storedSeq);
          for (let i = 0; i < todo.length; i += this.#o.batchMaxEvents) {
            const chunk = todo.slice(i, i + this.#o.batchMaxEvents);
            const first = seqOfLine(chunk[0] as string);
            const last = seqOfLine(chunk[chunk.length - 1] as string);
            await this.#publish(subject, chunk, first, last, state);
            storedSeq = last;
            published += chunk.length;
          }
        }
        spool.remove();
        this.#o.onWarning(`replayed the spool of an earlier process (chain ${chainId})`);
      } catch (err) {
        spool.close();
        this.#o.onWarning(`could not replay the spool of chain ${chainId} yet: ${(err as Error).message}`, err);
      }
    }
    return published;
  }

  #watchStatus(): void {
    // The iterator has a stop() at run time, though the type does not say so.
    const statuses = this.#o.nc.status() as AsyncIterable<{ type: string }> & { stop?: () => void };
    this.#statuses = statuses;
    void (async () => {
      for await (const s of statuses) {
        if (this.#mode === 'closed') break;
        if (s.type !== 'reconnect') continue;
        if (this.#mode === 'spooling') {
          clearTimeout(this.#retryTimer);
          this.#retryTimer = undefined;
          this.#retryDelay = 50;
          void this.#replayOwnSpool();
        }
        if (!this.#orphanReplaying && listSpools(this.#o.spoolDir).some((c) => c !== this.chainId)) {
          this.#orphans = this.#replayOrphans();
        }
      }
    })().catch(() => undefined);
  }

  #fail(err: Error): void {
    this.#failure = err;
    this.#mode = 'failed';
    this.#o.onWarning(`chain writer ${this.chainId} stopped: ${err.message}`, err);
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }
}

/**
 * The envelope seq of a stored line without parsing it. Lines are canonical JSON, where `seq`
 * follows `data`; nothing after it (subject, tenant, time, type, v) can hold a `"seq":` member,
 * so the last occurrence is the envelope's.
 */
function seqOfLine(line: string): number {
  const at = line.lastIndexOf('"seq":');
  const seq = at < 0 ? NaN : Number.parseInt(line.slice(at + 6, at + 26), 10);
  if (!Number.isSafeInteger(seq)) throw new SpoolError('a spool line has no seq: the spool file is corrupt');
  return seq;
}

function hashOfLine(line: string): string {
  return (JSON.parse(line) as { hash: string }).hash;
}

function byteLength(lines: string[]): number {
  let n = 0;
  for (const l of lines) n += Buffer.byteLength(l, 'utf8') + 1;
  return n;
}
