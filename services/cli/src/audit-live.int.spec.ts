import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { formatCheckpoint, formatSignedNote, generateNoteSigner, parseSignedNote, sealEnvelope, serializeEvent, signNoteText, type NoteSigner } from '@totra/chain';
import { type Envelope } from '@totra/events';
import { ChainWriter, LocalKeyProvider, Notary, connectNats, ensureStream, readStream, streamState, type StreamOptions } from '@totra/eventlog';
import { natsUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { cli } from './cli.test-kit.js';

// Tampering with a LIVE stream: the stream denies delete and purge, so an attacker with
// publish rights can only add messages. Each case adds some to a clean, checkpointed log and
// `totra verify` on the stream must name it with its specific code.

const ORIGIN = 'totra.test/live';

interface Log {
  stream: StreamOptions;
  args: string[];
  writers: ChainWriter[];
  /** Appends `n` test events per writer, waits until JetStream has them, and signs a checkpoint. */
  round(n: number): Promise<void>;
  lines(): Promise<Envelope[]>;
  close(): Promise<void>;
}

describe('totra verify on a live stream tampered by a rogue writer', () => {
  let url: string;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;
  let notaryKey: NoteSigner;
  let keyFile: string;
  const streams: string[] = [];

  beforeAll(async () => {
    url = await natsUrl();
    nc = await connectNats(url, { name: 'cli-audit-live' });
    jsm = await jetstreamManager(nc);
    dir = mkdtempSync(join(tmpdir(), 'totra-audit-live-'));
    notaryKey = generateNoteSigner(ORIGIN);
    keyFile = join(dir, 'notary.pub');
    writeFileSync(keyFile, `${notaryKey.vkey}\n`);
  });

  afterAll(async () => {
    for (const name of streams) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A clean log: two gateway chains and a notary that checkpointed two rounds of events. */
  async function cleanLog(): Promise<Log> {
    const stream = { name: uniqueStreamName('LIVE'), subjectPrefix: uniquePrefix('live') };
    await ensureStream(jsm, stream);
    streams.push(stream.name);
    const spoolDir = join(dir, 'spool');
    const notary = await Notary.start({ nc, stream, spoolDir, keys: new LocalKeyProvider(notaryKey), origin: ORIGIN, intervalMs: 3_600_000, maxEvents: 1_000_000 });
    const writers = await Promise.all(['a', 'b'].map((host) => ChainWriter.open({ nc, stream, role: 'gateway', host, spoolDir, batchMaxEvents: 5 })));
    let n = 0;
    const log: Log = {
      stream,
      args: ['--nats', url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix],
      writers,
      async round(count) {
        for (let i = 0; i < count; i++) for (const w of writers) w.append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: n++, label: `request ${n}`, amountMicroUsd: 1000 + n } });
        await Promise.all(writers.map((w) => w.drain()));
        await notary.waitFor((await streamState(nc, stream)).lastSeq);
        expect(await notary.checkpoint()).not.toBeNull();
      },
      async lines() {
        const out: Envelope[] = [];
        for await (const b of readStream(nc, stream)) for (const l of b.lines) out.push(JSON.parse(l) as Envelope);
        return out;
      },
      async close() {
        await Promise.all(writers.map((w) => w.close()));
        await notary.close();
      },
    };
    await log.round(12);
    await log.round(12);
    return log;
  }

  async function verify(log: Log): Promise<{ code: number; codes: string[] }> {
    const r = await cli('verify', ...log.args, '--trust-key', keyFile, '--json');
    expect(r.err).toBe('');
    return { code: r.code, codes: (JSON.parse(r.out) as { findings: { code: string }[] }).findings.map((f) => f.code) };
  }

  /** Publishes events as a rogue writer would: raw, to a new subject, claiming any chain. */
  async function rogueRaw(log: Log, events: Envelope[]): Promise<void> {
    await jetstream(nc).publish(`${log.stream.subjectPrefix}.chain.rogue-${Date.now()}`, events.map(serializeEvent).join('\n'));
  }

  /** Appends a `CheckpointSigned` on a well-formed chain of its own (role notary), as a rogue notary would. */
  async function rogueCheckpoint(log: Log, note: string): Promise<void> {
    const text = parseSignedNote(note).text;
    const [, size, root] = text.split('\n') as [string, string, string];
    const writer = await ChainWriter.open({ nc, stream: log.stream, role: 'notary', host: 'rogue', spoolDir: join(dir, 'spool') });
    writer.append({ type: 'CheckpointSigned', tenant: 'system', data: { origin: ORIGIN, size: Number(size), root: Buffer.from(root, 'base64').toString('hex'), note } });
    await writer.drain();
    await writer.close();
  }

  const checkpointsOf = (events: Envelope[]) => events.filter((e) => e.type === 'CheckpointSigned').map((e) => e.data as { size: number; root: string; note: string });

  it('verifies the clean live log (the baseline every case starts from)', async () => {
    const log = await cleanLog();
    await log.close();
    expect(await verify(log)).toEqual({ code: 0, codes: [] });
  });

  it('detects a forged checkpoint (another root under the real signature) published live', async () => {
    const log = await cleanLog();
    await log.close();
    const last = checkpointsOf(await log.lines()).at(-1)!;
    const noteLines = last.note.split('\n');
    noteLines[2] = Buffer.from('ab'.repeat(32), 'hex').toString('base64');
    await rogueCheckpoint(log, noteLines.join('\n'));
    const r = await verify(log);
    expect(r.code).toBe(1);
    expect(r.codes).toContain('TOTRA_AUDIT_CHECKPOINT_BAD_SIGNATURE');
  });

  it('detects a checkpoint signed by a wrong key (same name, other key) published live', async () => {
    const log = await cleanLog();
    await log.close();
    const last = checkpointsOf(await log.lines()).at(-1)!;
    const text = parseSignedNote(last.note).text;
    await rogueCheckpoint(log, formatSignedNote(text, [signNoteText(text, generateNoteSigner(ORIGIN))]));
    const r = await verify(log);
    expect(r.code).toBe(1);
    expect(r.codes).toContain('TOTRA_AUDIT_CHECKPOINT_UNTRUSTED_KEY');
  });

  it('detects a split view: a second checkpoint of the same size with another root, signed with the real key', async () => {
    const log = await cleanLog();
    await log.close();
    const [first, last] = [checkpointsOf(await log.lines())[0]!, checkpointsOf(await log.lines()).at(-1)!];
    const text = formatCheckpoint({ origin: ORIGIN, size: last.size, root: 'cd'.repeat(32), time: new Date().toISOString(), prev: null, heads: [] });
    await rogueCheckpoint(log, formatSignedNote(text, [signNoteText(text, notaryKey)]));
    expect(first.size).toBeLessThan(last.size);
    const r = await verify(log);
    expect(r.code).toBe(1);
    expect(r.codes).toContain('TOTRA_AUDIT_SPLIT_VIEW');
  });

  it('detects a forked chain: another event at an anchored position, published raw to a new subject', async () => {
    const log = await cleanLog();
    await log.close();
    const target = (await log.lines()).find((e) => e.chain.startsWith('gateway.b.') && e.seq === 5)!;
    const { hash: _h, ...rest } = target;
    await rogueRaw(log, [sealEnvelope({ ...rest, data: { ...target.data, amountMicroUsd: 1 } })]);
    const r = await verify(log);
    expect(r.code).toBe(1);
    expect(r.codes).toContain('TOTRA_CHAIN_FORK');
  });

  it('detects an event inserted into a live chain (right prev, next seq) once its writer goes on', async () => {
    const log = await cleanLog();
    const chainA = log.writers[0]!.chainId;
    const head = (await log.lines()).filter((e) => e.chain === chainA).at(-1)!;
    const { hash: _h, ...rest } = head;
    await rogueRaw(log, [sealEnvelope({ ...rest, id: '0193b5a0-7c3e-7abc-8def-0000000000aa', type: 'TestEventRecorded', seq: head.seq + 1, prev: head.hash, data: { n: -1, label: 'inserted', amountMicroUsd: 1 } })]);
    await log.round(3);
    await log.close();
    const r = await verify(log);
    expect(r.code).toBe(1);
    expect(r.codes).toContain('TOTRA_CHAIN_FORK');
  });

  it('detects an event inserted with a forged link (wrong prev) after a chain head', async () => {
    const log = await cleanLog();
    await log.close();
    const chainB = log.writers[1]!.chainId;
    const head = (await log.lines()).filter((e) => e.chain === chainB).at(-1)!;
    const { hash: _h, ...rest } = head;
    await rogueRaw(log, [sealEnvelope({ ...rest, id: '0193b5a0-7c3e-7abc-8def-0000000000bb', type: 'TestEventRecorded', seq: head.seq + 1, prev: 'ee'.repeat(32), data: { n: -2, label: 'inserted', amountMicroUsd: 1 } })]);
    const r = await verify(log);
    expect(r.code).toBe(1);
    expect(r.codes).toContain('TOTRA_CHAIN_PREV_MISMATCH');
  });
});
