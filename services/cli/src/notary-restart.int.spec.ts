import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { AuditVerifier, NOTE_ALG_COSIGNATURE_V1, generateNoteSigner, type Checkpoint, type NoteSigner } from '@totra/chain';
import { ChainWriter, LocalKeyProvider, Notary, connectNats, ensureStream, httpWitness, readStream, streamState, type NotaryOptions, type StreamOptions } from '@totra/eventlog';
import { natsUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { startWitnessServer, type RunningWitness } from './commands/witness.command.js';

const ORIGIN = 'totra.test/restart';

describe('notary restarts from its saved state and tree files (real NATS, files and witness)', () => {
  let nc: NatsConnection;
  let dir: string;
  let stream: StreamOptions;
  let notaryKey: NoteSigner;
  let witness: RunningWitness;
  let writer: ChainWriter;
  let n = 0;

  const options = (extra: Partial<NotaryOptions> = {}): NotaryOptions => ({
    nc,
    stream,
    spoolDir: join(dir, 'spool'),
    keys: new LocalKeyProvider(notaryKey),
    origin: ORIGIN,
    intervalMs: 3_600_000,
    maxEvents: 1_000_000,
    ...extra,
  });
  const stateFile = (): string => join(dir, 'spool', 'notary', stream.name, 'state.json');
  /** The stream sequence the saved state says the notary had read up to. */
  const savedSeq = (): number => (JSON.parse(readFileSync(stateFile(), 'utf8')) as { streamSeq: number }).streamSeq;

  /** Appends `count` request-like events in messages of up to 4; returns the stream's last sequence. */
  async function traffic(count: number): Promise<number> {
    for (let i = 0; i < count; i++) {
      writer.append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: n++, label: `request ${n}`, amountMicroUsd: 1000 } });
      if (i % 4 === 3) await writer.drain();
    }
    await writer.drain();
    return (await streamState(nc, stream)).lastSeq;
  }

  async function signAfter(notary: Notary, count: number): Promise<Checkpoint> {
    await notary.waitFor(await traffic(count));
    const cp = await notary.checkpoint();
    expect(cp).not.toBeNull();
    return cp!;
  }

  /** The whole stream through the auditor's verifier: every checkpoint's root recomputed from the events. */
  async function audit(): Promise<{ accepted: number; rootsRecomputed: boolean; findings: number; sizes: number[] }> {
    const v = new AuditVerifier({ trustedKeys: [notaryKey], origin: ORIGIN });
    for await (const batch of readStream(nc, stream)) for (const line of batch.lines) v.push(line);
    const report = v.finish();
    return {
      accepted: report.checkpoints.accepted,
      rootsRecomputed: report.checkpoints.rootsRecomputed,
      findings: report.findings.length,
      sizes: v.checkpoints().map((c) => c.checkpoint.size),
    };
  }

  beforeAll(async () => {
    nc = await connectNats(await natsUrl(), { name: 'notary-restart' });
    stream = { name: uniqueStreamName('NOTARY'), subjectPrefix: uniquePrefix('notary'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-notary-'));
    notaryKey = generateNoteSigner(ORIGIN);
    witness = await startWitnessServer({ stateDir: join(dir, 'witness'), cosigner: generateNoteSigner('witness.test/w1', NOTE_ALG_COSIGNATURE_V1), logKeys: [notaryKey] });
    writer = await ChainWriter.open({ nc, stream, role: 'gateway', host: 'a', spoolDir: join(dir, 'spool') });
  });

  afterAll(async () => {
    await writer?.close();
    await witness?.close();
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads only the stream past its state, and its checkpoints extend the same tree, witnessed across restarts', async () => {
    const first = await Notary.start(options({ witnesses: [httpWitness(witness.url)] }));
    expect(first.startup).toEqual({ from: 'stream', messagesRead: 0, reason: 'no saved state' });
    const cp1 = await signAfter(first, 30);
    const atCp1 = (await streamState(nc, stream)).lastSeq; // after cp1's own two messages: signed, then witnessed
    const readAtCp1 = savedSeq();
    expect(readAtCp1).toBeLessThanOrEqual(atCp1 - 2);
    const tail = await traffic(10); // not anchored before the stop
    await first.close();

    const second = await Notary.start(options());
    // The state was saved when cp1 was signed: only what came after (cp1's two messages, the ten
    // events' three) is read, not the thirty events before.
    expect(second.startup).toEqual({ from: 'state', messagesRead: tail - readAtCp1 });
    expect(tail - readAtCp1).toBeLessThanOrEqual(tail - atCp1 + 3);
    expect(second.last?.size).toBe(cp1.size);
    // Signed without a witness: the witness stays at cp1.
    const cp2 = await signAfter(second, 7);
    // The ten unanchored events, cp1's own two events, the seven new ones, and this notary's
    // ChainOpened when it reached the stream before the checkpoint was taken.
    expect(cp2.size - cp1.size).toBeGreaterThanOrEqual(10 + 2 + 7);
    expect(cp2.size - cp1.size).toBeLessThanOrEqual(10 + 2 + 7 + 1);
    await second.close();

    const warnings: string[] = [];
    const third = await Notary.start(options({ witnesses: [httpWitness(witness.url)], onWarning: (m) => warnings.push(m) }));
    expect(third.startup.from).toBe('state');
    const cp3 = await signAfter(third, 5);
    // The witness had cp1, not cp2: it asked for a proof from cp1's size, which the tree files
    // (written before this process started) gave, and it cosigned.
    const witnessed = (await collectTypes()).filter((e) => e.type === 'CheckpointWitnessed').map((e) => (e.data as { size: number }).size);
    expect(witnessed).toEqual([cp1.size, cp3.size]);
    expect(warnings).toEqual([]);
    await third.close();
    // A checkpoint lists the chains that moved since the one before (ADR 0023): the first
    // notary's chain (its cp1 events, anchored by cp2) is in cp2, not in cp3.
    expect(cp2.heads.map((h) => h.chain)).toEqual(expect.arrayContaining([first.chainId, writer.chainId]));
    expect(cp3.heads.map((h) => h.chain)).toContain(writer.chainId);
    expect(cp3.heads.map((h) => h.chain)).not.toContain(first.chainId);

    expect(await audit()).toEqual({ accepted: 3, rootsRecomputed: true, findings: 0, sizes: [cp1.size, cp2.size, cp3.size] });
  });

  it('does not trust a stale state or torn tree files: it reads the whole stream and goes on with the same log', async () => {
    const saved = join(dir, 'state-before.json');
    copyFileSync(stateFile(), saved);
    const notary = await Notary.start(options());
    expect(notary.startup.from).toBe('state');
    const cp4 = await signAfter(notary, 3);
    await notary.close();

    // The state of before cp4 (as if the process died between signing cp4 and saving its state).
    copyFileSync(saved, stateFile());
    const streamEnd = (await streamState(nc, stream)).lastSeq;
    const afterStale = await Notary.start(options());
    expect(afterStale.startup.from).toBe('stream');
    expect(afterStale.startup.reason).toMatch(new RegExp(`holds a checkpoint of size ${cp4.size} after the saved one .*stale`));
    expect(afterStale.startup.messagesRead).toBe(streamEnd);
    expect(afterStale.last?.size).toBe(cp4.size);
    const cp5 = await signAfter(afterStale, 2);
    await afterStale.close();

    // Tree files cut short (a lost disk block): the root no longer matches, the stream rebuilds them.
    const level0 = join(dir, 'spool', 'notary', stream.name, 'level-00.bin');
    const bytes = readFileSync(level0);
    expect(bytes.length).toBe(cp5.size * 32);
    rmSync(level0);
    const afterLoss = await Notary.start(options());
    expect(afterLoss.startup.from).toBe('stream');
    expect(afterLoss.startup.reason).toMatch(/tree files/);
    const cp6 = await signAfter(afterLoss, 2);
    await afterLoss.close();
    expect(readFileSync(level0).subarray(0, bytes.length).equals(bytes)).toBe(true);

    // Events read at a start and not anchored go into the state saved at that start: a notary
    // stopped before its next checkpoint leaves them to the next one, which reads no message.
    const beforeReading = await traffic(6);
    const atCp6 = savedSeq();
    const reading = await Notary.start(options());
    // Everything past cp6's state: cp6's own message, the six events' two (and maybe the last notary's ChainOpened).
    expect(reading.startup).toEqual({ from: 'state', messagesRead: beforeReading - atCp6 });
    expect(beforeReading - atCp6).toBeGreaterThanOrEqual(3);
    await reading.close();
    const beforeIdle = (await streamState(nc, stream)).lastSeq;
    expect(savedSeq()).toBe(beforeReading);
    const idle = await Notary.start(options());
    expect(idle.startup).toEqual({ from: 'state', messagesRead: beforeIdle - beforeReading }); // the ChainOpened of `reading`
    expect(beforeIdle - beforeReading).toBe(1);
    const cp7 = await signAfter(idle, 0);
    await idle.close();
    // cp7 anchors the six events (the gateway chain's head is its last event), which no message read by `idle` held.
    const lastOfGateway = (await collectTypes()).filter((e) => e.chain === writer.chainId).at(-1)!.seq;
    expect(cp7.heads.find((h) => h.chain === writer.chainId)?.seq).toBe(lastOfGateway);
    expect(cp7.size).toBeGreaterThanOrEqual(cp6.size + 1 + 6 + 1);

    const result = await audit();
    expect(result).toMatchObject({ rootsRecomputed: true, findings: 0 });
    expect(result.sizes.slice(-4)).toEqual([cp4.size, cp5.size, cp6.size, cp7.size]);
  });

  async function collectTypes(): Promise<{ type: string; chain: string; seq: number; data: unknown }[]> {
    const out: { type: string; chain: string; seq: number; data: unknown }[] = [];
    for await (const batch of readStream(nc, stream)) for (const line of batch.lines) out.push(JSON.parse(line) as { type: string; chain: string; seq: number; data: unknown });
    return out;
  }
});
