import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import {
  NOTE_ALG_COSIGNATURE_V1,
  bytesToHex,
  merkleRoot,
  formatCheckpoint,
  formatSignedNote,
  generateNoteSigner,
  hashEvent,
  signNoteText,
  checkpointTextHash,
  type NoteSigner,
} from '@totra/chain';
import { type Envelope } from '@totra/events';
import { ChainWriter, LocalKeyProvider, Notary, connectNats, ensureStream, httpWitness, streamState, type StreamOptions } from '@totra/eventlog';
import { natsUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { runCli } from './cli.js';
import { startWitnessServer, type RunningWitness } from './commands/witness.command.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const ORIGIN = 'totra.test/log';

describe('checkpoints, witness and the full audit', () => {
  let nc: NatsConnection;
  let dir: string;
  let stream: StreamOptions;
  let streamArgs: string[];
  let lines: string[];
  let notaryKey: NoteSigner;
  let witnessKey: NoteSigner;
  let witness: RunningWitness;
  let keyArgs: string[];

  beforeAll(async () => {
    const url = await natsUrl();
    nc = await connectNats(url, { name: 'cli-audit' });
    stream = { name: uniqueStreamName('AUDIT'), subjectPrefix: uniquePrefix('audit') };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-audit-'));
    notaryKey = generateNoteSigner(ORIGIN);
    witnessKey = generateNoteSigner('witness.test/w1', NOTE_ALG_COSIGNATURE_V1);
    writeFileSync(join(dir, 'notary.pub'), `${notaryKey.vkey}\n`);
    witness = await startWitnessServer({ stateDir: join(dir, 'witness'), cosigner: witnessKey, logKeys: [notaryKey] });
    const notary = await Notary.start({
      nc,
      stream,
      spoolDir: join(dir, 'spool'),
      keys: new LocalKeyProvider(notaryKey),
      origin: ORIGIN,
      intervalMs: 3_600_000,
      maxEvents: 1_000_000,
      witnesses: [httpWitness(witness.url)],
    });
    const writers = await Promise.all(['a', 'b'].map((host) => ChainWriter.open({ nc, stream, role: 'gateway', host, spoolDir: join(dir, 'spool'), batchMaxEvents: 7 })));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) (writers[i % 2] as ChainWriter).append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: i, label: `request ${round}-${i}`, amountMicroUsd: 1000 + i } });
      await Promise.all(writers.map((w) => w.drain()));
      await notary.waitFor((await streamState(nc, stream)).lastSeq);
      expect(await notary.checkpoint()).not.toBeNull();
    }
    await Promise.all(writers.map((w) => w.close()));
    await notary.close();
    streamArgs = ['--nats', url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix];
    keyArgs = ['--trust-key', join(dir, 'notary.pub'), '--witness-key', witnessKey.vkey];
    expect((await cli('export', ...streamArgs, '--out', join(dir, 'export.ndjson'))).code).toBe(0);
    lines = readFileSync(join(dir, 'export.ndjson'), 'utf8').trimEnd().split('\n');
  });

  afterAll(async () => {
    await witness.close();
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, ls: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, `${ls.join('\n')}\n`);
    return file;
  };
  const parse = (l: string) => JSON.parse(l) as Envelope;
  const idx = (pred: (e: Envelope) => boolean, nth = 0) => lines.map((l, i) => [parse(l), i] as const).filter(([e]) => pred(e))[nth]![1];
  const isB = (seq: number) => (e: Envelope) => e.chain.startsWith('gateway.b.') && e.seq === seq;

  it('verifies the untouched log, live and exported, with signatures, roots and cosignatures', async () => {
    for (const source of [streamArgs, ['--file', write('clean.ndjson', lines)]]) {
      const r = await cli('verify', ...source, ...keyArgs, '--json');
      expect(r.err).toBe('');
      const report = JSON.parse(r.out) as { ok: boolean; checkpoints: { accepted: number; witnessed: number; rootsRecomputed: boolean; signaturesChecked: boolean }; findings: unknown[] };
      expect(report.findings).toEqual([]);
      expect(r.code).toBe(0);
      expect(report.checkpoints).toMatchObject({ accepted: 3, witnessed: 3, rootsRecomputed: true, signaturesChecked: true });
    }
    const human = await cli('verify', ...streamArgs, ...keyArgs, '--save-checkpoint', join(dir, 'trusted.note'));
    expect(human.out).toMatch(/^OK: /);
    expect(human.out).toContain('checkpoints: 3 of totra.test/log');
    expect(readFileSync(join(dir, 'trusted.note'), 'utf8')).toContain('\u2014 witness.test/w1 ');
  });

  /** Rewrites chain b from `seq` on with new content, re-hashing the chain and re-signing every checkpoint with `signer`. */
  function rewrite(seq: number, signer: NoteSigner): string[] {
    const out: string[] = [];
    const newHash = new Map<string, string>();
    const replaced = new Map<string, string>();
    const tree: string[] = [];
    const heads = new Map<string, { seq: number; hash: string }>();
    let prevText: string | null = null;
    const pending = new Map<string, Map<number, string>>();
    for (const line of lines) {
      let e = parse(line);
      if (replaced.has(e.chain) && e.prev === replaced.get(e.chain)) e = { ...e, prev: newHash.get(e.chain)! };
      if (isB(seq)(e)) e = { ...e, data: { ...e.data, amountMicroUsd: 1 } };
      if (e.type === 'CheckpointSigned') {
        const pieces: { chain: string; seq: number; hash: string }[] = [];
        const cpHeads = [...pending.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
        for (const [chain, m] of cpHeads) {
          const from = (heads.get(chain)?.seq ?? 0) + 1;
          let s = from;
          while (m.has(s)) {
            tree.push(m.get(s)!);
            s++;
          }
          if (s > from) heads.set(chain, { seq: s - 1, hash: m.get(s - 1)! });
        }
        for (const h of heads) pieces.push({ chain: h[0], ...h[1] });
        const root = bytesToHex(merkleRoot(tree));
        const text = formatCheckpoint({ origin: ORIGIN, size: tree.length, root, time: '2026-01-01T00:00:00.000Z', prev: prevText ? checkpointTextHash(prevText) : null, heads: pieces });
        prevText = text;
        e = { ...e, data: { origin: ORIGIN, size: tree.length, root, note: formatSignedNote(text, [signNoteText(text, signer)]) } };
      }
      const { hash: old, ...rest } = e;
      const sealed = { ...rest, hash: hashEvent(rest) } as Envelope;
      if (sealed.hash !== old) {
        replaced.set(e.chain, old);
        newHash.set(e.chain, sealed.hash);
      } else {
        replaced.delete(e.chain);
      }
      if (!pending.has(e.chain)) pending.set(e.chain, new Map());
      pending.get(e.chain)!.set(e.seq, sealed.hash);
      out.push(JSON.stringify(sealed));
    }
    return out;
  }

  const cases: [string, () => string[], string, string[]?][] = [
    ['a modified event', () => lines.map((l, i) => (i === idx(isB(10)) ? l.replace(/"amountMicroUsd":(\d+)/, '"amountMicroUsd":7') : l)), 'TOTRA_CHAIN_HASH_MISMATCH'],
    ['a deleted event', () => lines.filter((_l, i) => i !== idx(isB(12))), 'TOTRA_CHAIN_SEQ_GAP'],
    [
      'swapped events',
      () => {
        const ls = [...lines];
        const [i, j] = [idx(isB(14)), idx(isB(15))];
        [ls[i], ls[j]] = [ls[j]!, ls[i]!];
        return ls;
      },
      'TOTRA_CHAIN_OUT_OF_ORDER',
    ],
    ['a cut chain tail', () => lines.filter((l) => !(parse(l).chain.startsWith('gateway.b.') && parse(l).seq > 50)), 'TOTRA_AUDIT_CHAIN_TRUNCATED'],
    ['a removed chain', () => lines.filter((l) => !parse(l).chain.startsWith('gateway.b.')), 'TOTRA_AUDIT_CHAIN_MISSING'],
    [
      'a forged checkpoint (root changed, signature kept)',
      () => {
        const i = idx((e) => e.type === 'CheckpointSigned', 1);
        const e = parse(lines[i]!);
        const data = e.data as { note: string; root: string };
        const forgedRoot = 'ab'.repeat(32);
        const noteLines = data.note.split('\n');
        noteLines[2] = Buffer.from(forgedRoot, 'hex').toString('base64');
        const { hash: _h, ...rest } = { ...e, data: { ...data, root: forgedRoot, note: noteLines.join('\n') } };
        const ls = [...lines];
        ls[i] = JSON.stringify({ ...rest, hash: hashEvent(rest) });
        return ls;
      },
      'TOTRA_AUDIT_CHECKPOINT_BAD_SIGNATURE',
    ],
    ['a checkpoint signed by a wrong key', () => rewrite(10, generateNoteSigner(ORIGIN)), 'TOTRA_AUDIT_CHECKPOINT_UNTRUSTED_KEY'],
    ['a rewritten history re-signed with the leaked notary key (witness)', () => rewrite(10, notaryKey), 'TOTRA_AUDIT_UNWITNESSED'],
  ];

  it.each(cases)('detects %s in the export with a specific finding', async (name, mutate, code) => {
    const file = write(`${name.replace(/\W+/g, '-')}.ndjson`, mutate());
    const r = await cli('verify', '--file', file, ...keyArgs, '--json');
    const report = JSON.parse(r.out) as { ok: boolean; findings: { code: string; message: string }[] };
    expect(r.code).toBe(1);
    expect(report.findings.map((f) => f.code)).toContain(code);
  });

  it('catches a rewritten history re-signed with the leaked key against a saved checkpoint', async () => {
    const file = write('rewritten.ndjson', rewrite(10, notaryKey));
    const r = await cli('verify', '--file', file, '--trust-key', notaryKey.vkey, '--last-trusted', join(dir, 'trusted.note'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('TOTRA_AUDIT_LAST_TRUSTED_MISMATCH');
    expect(r.out).toContain('history was rewritten');
  });

  it('detects a split view: a second checkpoint of the same size with another root', async () => {
    const first = parse(lines[idx((e) => e.type === 'CheckpointSigned', 0)]!);
    const data = first.data as { size: number; note: string };
    const text = formatCheckpoint({ origin: ORIGIN, size: data.size, root: 'cd'.repeat(32), time: '2026-01-01T00:00:00.000Z', prev: null, heads: [] });
    const forgedChain = 'notary.evil.boot1';
    const genesis = { v: 1, id: '0193b5a0-7c3e-7abc-8def-000000000001', type: 'ChainOpened', time: '2026-01-01T00:00:00.000Z', chain: forgedChain, seq: 1, prev: '0'.repeat(64), tenant: 'system', data: { role: 'notary', host: 'evil', bootId: 'boot1', writer: '0.1.0', format: 'totra-chain/1' } };
    const g = { ...genesis, hash: hashEvent(genesis as never) };
    const cp = { v: 1, id: '0193b5a0-7c3e-7abc-8def-000000000002', type: 'CheckpointSigned', time: '2026-01-01T00:00:00.000Z', chain: forgedChain, seq: 2, prev: g.hash, tenant: 'system', data: { origin: ORIGIN, size: data.size, root: 'cd'.repeat(32), note: formatSignedNote(text, [signNoteText(text, notaryKey)]) } };
    const file = write('split.ndjson', [...lines, JSON.stringify(g), JSON.stringify({ ...cp, hash: hashEvent(cp as never) })]);
    const r = await cli('verify', '--file', file, '--trust-key', notaryKey.vkey, '--json');
    expect(r.code).toBe(1);
    expect((JSON.parse(r.out) as { findings: { code: string }[] }).findings.map((f) => f.code)).toContain('TOTRA_AUDIT_SPLIT_VIEW');
  });

  it('proves inclusion of random events and refuses altered proofs', async () => {
    const candidates = lines.map(parse).filter((e) => e.type === 'TestEventRecorded');
    for (let k = 0; k < 4; k++) {
      const target = candidates[Math.floor(Math.random() * candidates.length)]!;
      const r = await cli('verify', 'prove', target.id, ...streamArgs, ...keyArgs);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const proof = JSON.parse(r.out) as { leafHash: string; path: string[]; leafIndex: number };
      expect(proof.leafHash).toBe(target.hash);
      const file = write(`proof-${k}.json`, [r.out]);
      const ok = await cli('verify', 'check-proof', file, '--trust-key', notaryKey.vkey, '--witness-key', witnessKey.vkey);
      expect(ok.out).toMatch(/^OK: leaf \d+ is in totra.test\/log/);
      expect(ok.code).toBe(0);
      const altered = [
        { ...proof, leafIndex: proof.leafIndex + 1 },
        { ...proof, path: proof.path.map((p, i) => (i === 0 ? `${p.slice(0, -1)}${p.endsWith('0') ? '1' : '0'}` : p)) },
      ];
      for (const bad of altered) {
        const badFile = write(`bad-proof-${k}.json`, [JSON.stringify(bad)]);
        const res = await cli('verify', 'check-proof', badFile, '--trust-key', notaryKey.vkey);
        expect(res.code).toBe(1);
        expect(res.out).toMatch(/^PROOF INVALID/);
      }
      const wrongKey = await cli('verify', 'check-proof', file, '--trust-key', generateNoteSigner(ORIGIN).vkey);
      expect(wrongKey.code).toBe(1);
    }
  });
});
