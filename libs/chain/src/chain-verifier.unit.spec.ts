import { createHash } from 'node:crypto';
import { type Envelope, GENESIS_PREV } from '@totra/events';
import { describe, expect, it } from 'vitest';
import {
  ChainFindingCode,
  ChainVerifier,
  type ChainVerifierOptions,
  type VerifyReport,
  VerifierOptionsError,
  VerifierStateError,
  hashEvent,
  sealEnvelope,
  serializeEvent,
} from './index.js';

const A = 'gateway.host-a.boot1';
const B = 'admin.host-b.boot2';
const C = 'notary.host-c.boot3';

let idCounter = 0;
/** Deterministic UUIDv7-shaped ids. */
function nextId(): string {
  idCounter++;
  return `0190a000-0000-7000-8000-${idCounter.toString(16).padStart(12, '0')}`;
}

function genesis(chain: string): Envelope {
  const [role, host, bootId] = chain.split('.') as [string, string, string];
  return sealEnvelope({
    v: 1,
    id: nextId(),
    type: 'ChainOpened',
    time: '2026-01-31T12:00:00.000Z',
    chain,
    seq: 1,
    prev: GENESIS_PREV,
    tenant: 'system',
    data: { role, host, bootId, writer: '0.1.0', format: 'totra-chain/1' },
  });
}

function nextEvent(prev: Envelope, data: Record<string, unknown> = { n: prev.seq + 1 }): Envelope {
  return sealEnvelope({
    v: 2,
    id: nextId(),
    type: 'TestEventRecorded',
    time: `2026-01-31T12:00:${String(prev.seq % 60).padStart(2, '0')}.000Z`,
    chain: prev.chain,
    seq: prev.seq + 1,
    prev: prev.hash,
    tenant: 'acme',
    data: { label: `event ${prev.seq + 1}`, amountMicroUsd: 1500, ...data },
  });
}

function buildChain(chain: string, length: number): Envelope[] {
  const events = [genesis(chain)];
  while (events.length < length) events.push(nextEvent(events[events.length - 1]!));
  return events;
}

/** Round-robin interleaving of chains of different lengths. */
function interleave(...chains: Envelope[][]): Envelope[] {
  const out: Envelope[] = [];
  for (let i = 0; chains.some((c) => i < c.length); i++) for (const c of chains) if (i < c.length) out.push(c[i]!);
  return out;
}

const chainA = buildChain(A, 12);
const chainB = buildChain(B, 9);
const chainC = buildChain(C, 7);
const LOG = interleave(chainA, chainB, chainC);

/** Where an event sits in a stream (1-based, as a line number). */
function lineOf(stream: readonly unknown[], chain: string, seq: number, nth = 0): number {
  const hits = stream.flatMap((e, i) => (typeof e === 'object' && e !== null && (e as Envelope).chain === chain && (e as Envelope).seq === seq ? [i + 1] : []));
  const line = hits[nth];
  if (line === undefined) throw new Error(`no ${chain}#${seq} in the stream`);
  return line;
}

type Mode = 'canonical lines' | 'plain JSON lines' | 'parsed objects';
const MODES: Mode[] = ['canonical lines', 'plain JSON lines', 'parsed objects'];

/** Items as each mode pushes them: canonical lines take the fast path, plain lines and objects the other. */
function encode(item: Envelope | string, mode: Mode): unknown {
  if (typeof item === 'string') return item;
  if (mode === 'canonical lines') return serializeEvent(item);
  if (mode === 'plain JSON lines') return JSON.stringify(item);
  return structuredClone(item);
}

function verify(stream: readonly (Envelope | string)[], mode: Mode, options?: ChainVerifierOptions): VerifyReport {
  const verifier = new ChainVerifier(options);
  stream.forEach((item, i) => verifier.push(encode(item, mode), i + 1));
  return verifier.finish();
}

/** Findings as [code, chain, seq, location], the part a test pins down. */
function found(report: VerifyReport): [string, string | null, number | null, unknown][] {
  return report.findings.map((f) => [f.code, f.chain, f.seq, f.location]);
}

function replace(stream: Envelope[], target: Envelope, ...by: (Envelope | string)[]): (Envelope | string)[] {
  const i = stream.indexOf(target);
  if (i < 0) throw new Error('target not in stream');
  return [...stream.slice(0, i), ...by, ...stream.slice(i + 1)];
}

describe.each(MODES)('ChainVerifier (%s)', (mode) => {
  it('verifies an untouched multi-chain log with zero findings', () => {
    const report = verify(LOG, mode);
    expect(found(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, events: 28, chains: 3, valid: 28, findingsTotal: 0, findingsOmitted: 0 });
    expect(report.heads).toEqual([
      { chain: B, seq: 9, hash: chainB[8]!.hash, events: 9 },
      { chain: A, seq: 12, hash: chainA[11]!.hash, events: 12 },
      { chain: C, seq: 7, hash: chainC[6]!.hash, events: 7 },
    ]);
  });

  it('names a modified event (content changed, stored hash kept): HASH_MISMATCH', () => {
    const target = chainB[4]!;
    const modified = { ...target, data: { ...target.data, amountMicroUsd: 1 } };
    const stream = replace(LOG, target, modified);
    const report = verify(stream, mode);
    expect(found(report)).toEqual([[ChainFindingCode.HashMismatch, B, 5, lineOf(stream, B, 5)]]);
    expect(report.findings[0]!.message).toContain(target.hash);
    expect(report.valid).toBe(27);
  });

  it('names a modified and re-hashed event at its successor: PREV_MISMATCH', () => {
    const target = chainB[4]!;
    const forged = sealEnvelope({ ...target, data: { ...target.data, amountMicroUsd: 1 } });
    const stream = replace(LOG, target, forged);
    expect(found(verify(stream, mode))).toEqual([[ChainFindingCode.PrevMismatch, B, 6, lineOf(stream, B, 6)]]);
  });

  it('names a deleted event: SEQ_GAP at the next event, saying which seq is missing', () => {
    const stream = LOG.filter((e) => e !== chainA[5]);
    const report = verify(stream, mode);
    expect(found(report)).toEqual([[ChainFindingCode.SeqGap, A, 7, lineOf(stream, A, 7)]]);
    expect(report.findings[0]!.message).toContain('seq 6 is missing');
    expect(report.findings[0]!.message).toContain('events were deleted');
  });

  it('names a run of deleted events as one gap', () => {
    const stream = LOG.filter((e) => !chainA.slice(3, 6).includes(e));
    const report = verify(stream, mode);
    expect(found(report)).toEqual([[ChainFindingCode.SeqGap, A, 7, lineOf(stream, A, 7)]]);
    expect(report.findings[0]!.message).toContain('seqs 4..6 (3 events) are missing');
  });

  it('names a deleted genesis: BAD_GENESIS', () => {
    const stream = LOG.filter((e) => e !== chainC[0]);
    expect(found(verify(stream, mode))).toEqual([[ChainFindingCode.BadGenesis, C, 2, lineOf(stream, C, 2)]]);
  });

  it('names two swapped events of a chain: OUT_OF_ORDER on the late one, nothing else', () => {
    const [e5, e6] = [chainA[4]!, chainA[5]!];
    const stream = LOG.map((e) => (e === e5 ? e6 : e === e6 ? e5 : e));
    const report = verify(stream, mode);
    expect(found(report)).toEqual([[ChainFindingCode.OutOfOrder, A, 5, lineOf(stream, A, 5)]]);
    expect(report.heads.find((h) => h.chain === A)).toMatchObject({ seq: 12, hash: chainA[11]!.hash });
  });

  it('accepts events of different chains in any relative order', () => {
    const stream = [...chainC, ...chainA, ...chainB];
    expect(verify(stream, mode).ok).toBe(true);
  });

  it('names an inserted event that takes a taken seq and links correctly: FORK', () => {
    const inserted = nextEvent(chainA[4]!, { label: 'inserted' });
    const stream = replace(LOG, chainA[5]!, inserted, chainA[5]!);
    const report = verify(stream, mode);
    expect(inserted.seq).toBe(6);
    expect(found(report)).toEqual([[ChainFindingCode.Fork, A, 6, lineOf(stream, A, 6, 1)]]);
    expect(report.findings[0]!.message).toContain(inserted.hash);
  });

  it('names an inserted self-consistent event with a broken link: PREV_MISMATCH, then FORK', () => {
    const inserted = sealEnvelope({ ...nextEvent(chainA[4]!), prev: 'c'.repeat(64) });
    expect(hashEvent(inserted)).toBe(inserted.hash);
    const stream = replace(LOG, chainA[5]!, inserted, chainA[5]!);
    expect(found(verify(stream, mode))).toEqual([
      [ChainFindingCode.PrevMismatch, A, 6, lineOf(stream, A, 6, 0)],
      [ChainFindingCode.Fork, A, 6, lineOf(stream, A, 6, 1)],
    ]);
  });

  it('names an event appended after the head with a forged link: PREV_MISMATCH', () => {
    const appended = sealEnvelope({ ...nextEvent(chainA[11]!), prev: chainA[10]!.hash });
    const stream = [...LOG, appended];
    expect(found(verify(stream, mode))).toEqual([[ChainFindingCode.PrevMismatch, A, 13, stream.length]]);
  });

  it('names a chain that appears without a genesis: BAD_GENESIS', () => {
    const stray = sealEnvelope({ ...nextEvent(chainA[3]!), chain: 'gateway.host-x.boot9' });
    const stream = [...LOG.slice(0, 10), stray, ...LOG.slice(10)];
    const report = verify(stream, mode);
    expect(found(report)).toEqual([[ChainFindingCode.BadGenesis, 'gateway.host-x.boot9', 5, 11]]);
    expect(report.chains).toBe(4);
  });

  it('names two events claiming the same position: FORK', () => {
    const fork = nextEvent(chainA[10]!, { label: 'the other branch' });
    const stream = [...LOG, fork];
    const report = verify(stream, mode);
    expect(found(report)).toEqual([[ChainFindingCode.Fork, A, 12, stream.length]]);
    expect(report.findings[0]!.message).toContain(`read at ${lineOf(stream, A, 12)}`);
  });

  it('names a duplicated event: DUPLICATE', () => {
    const stream = [...LOG.slice(0, 20), chainA[2]!, ...LOG.slice(20)];
    expect(found(verify(stream, mode))).toEqual([[ChainFindingCode.Duplicate, A, 3, 21]]);
    const twice = replace(LOG, chainB[1]!, chainB[1]!, chainB[1]!);
    expect(found(verify(twice, mode))).toEqual([[ChainFindingCode.Duplicate, B, 2, lineOf(twice, B, 2, 1)]]);
  });

  it('names a genesis with the wrong type or prev: BAD_GENESIS', () => {
    const wrongType = sealEnvelope({ ...chainC[0]!, type: 'TestEventRecorded' });
    const wrongPrev = sealEnvelope({ ...chainB[0]!, prev: 'd'.repeat(64) });
    const stream = replace(replace(LOG, chainC[0]!, wrongType) as Envelope[], chainB[0]!, wrongPrev);
    const report = verify(stream, mode);
    // Their successors link to the stored (re-hashed) events, hence the PREV_MISMATCHes.
    expect(found(report)).toEqual([
      [ChainFindingCode.BadGenesis, B, 1, 2],
      [ChainFindingCode.BadGenesis, C, 1, 3],
      [ChainFindingCode.PrevMismatch, B, 2, 5],
      [ChainFindingCode.PrevMismatch, C, 2, 6],
    ]);
    expect(report.findings[0]!.message).toContain('prev is dddd');
    expect(report.findings[1]!.message).toContain('type is TestEventRecorded, not ChainOpened');
  });

  it('names an envelope that breaks the schema, and keeps its place in the chain', () => {
    const { tenant: _tenant, ...withoutTenant } = chainA[3]!;
    const stream = replace(LOG, chainA[3]!, withoutTenant as Envelope);
    const report = verify(stream, mode);
    expect(found(report)).toEqual([[ChainFindingCode.InvalidEnvelope, A, 4, lineOf(stream, A, 4)]]);
    expect(report.findings[0]!.message).toContain('tenant');
  });

  it('verifies a continuation from known heads, and catches a wrong one', () => {
    const rest = interleave(chainA.slice(6), chainB.slice(4));
    const heads = [
      { chain: A, seq: 6, hash: chainA[5]!.hash },
      { chain: B, seq: 4, hash: chainB[3]!.hash },
    ];
    expect(found(verify(rest, mode, { initialHeads: heads }))).toEqual([]);
    const wrong = [{ ...heads[0]!, hash: chainA[4]!.hash }, heads[1]!];
    expect(found(verify(rest, mode, { initialHeads: wrong }))).toEqual([[ChainFindingCode.PrevMismatch, A, 7, 1]]);
  });
});

describe('ChainVerifier: raw lines', () => {
  const lines = LOG.map(serializeEvent);

  it('reports unparsable and non-object lines as MALFORMED instead of throwing', () => {
    const target = lines.indexOf(serializeEvent(chainB[2]!));
    const stream = [...lines];
    stream[target] = stream[target]!.slice(0, 100);
    stream.splice(4, 0, '[1,2]', 'null', '"just a string"');
    const verifier = new ChainVerifier();
    stream.forEach((l, i) => verifier.push(l, i + 1));
    const report = verifier.finish();
    expect(found(report)).toEqual([
      [ChainFindingCode.Malformed, null, null, 5],
      [ChainFindingCode.Malformed, null, null, 6],
      [ChainFindingCode.Malformed, null, null, 7],
      [ChainFindingCode.Malformed, null, null, target + 4],
      // The truncated line was B#3, so B#4 follows a gap.
      [ChainFindingCode.SeqGap, B, 4, stream.indexOf(serializeEvent(chainB[3]!)) + 1],
    ]);
    expect(report.events).toBe(31);
  });

  it('reports a value JCS cannot represent as MALFORMED', () => {
    const target = lines.indexOf(serializeEvent(chainA[1]!));
    const stream = [...lines];
    stream[target] = stream[target]!.replace('"label":"event 2"', '"label":"\\ud800"');
    const report = verify(stream, 'canonical lines');
    expect(found(report)).toEqual([[ChainFindingCode.Malformed, A, 2, target + 1]]);
  });

  it('hashes by the definition, not the spelling: a non-canonical line hashed as written is a HASH_MISMATCH', () => {
    const target = lines.indexOf(serializeEvent(chainA[4]!));
    const line = lines[target]!;
    const hash = chainA[4]!.hash;
    /** The line as a forger would store it: `hash` set to SHA-256(0x00 || the line as written, minus its hash member). */
    const selfHashed = (spelled: string): string => {
      const member = `,"hash":"${hash}"`;
      const bytes = Buffer.concat([Buffer.from([0]), Buffer.from(spelled.replace(member, ''), 'utf8')]);
      return spelled.replace(hash, createHash('sha256').update(bytes).digest('hex'));
    };
    // Each spelling parses to exactly the content of the canonical line.
    const spellings = {
      whitespace: line.replace(`"chain":"${A}",`, `"chain":"${A}", `),
      number: line.replace(/"v":2}$/, '"v":2.0}'),
      memberOrder: line.replace('"amountMicroUsd":1500,"label":"event 5"', '"label":"event 5","amountMicroUsd":1500'),
      escape: line.replace('"label":"event 5"', '"label":"\\u0065vent 5"'),
      duplicate: line.replace('"n":5}', '"n":4,"n":5}'),
      duplicateTop: line.replace(/"v":2}$/, '"v":1,"v":2}'),
      nestedWhitespace: line.replace('"n":5}', '"n": 5}'),
      trailingWhitespace: `${line} `,
    };
    for (const [name, spelled] of Object.entries(spellings)) {
      expect(spelled, name).not.toBe(line);
      expect(JSON.parse(spelled), name).toEqual(JSON.parse(line));
      const stream = [...lines];
      stream[target] = selfHashed(spelled);
      const report = verify(stream, 'canonical lines');
      // The content hashes to the original hash, so the successor still links to it.
      expect(found(report), name).toEqual([[ChainFindingCode.HashMismatch, A, 5, target + 1]]);
      expect(report.findings[0]!.message, name).toContain(`content hashes to ${hash}`);
      // Stored as written with the right hash, the same spelling verifies.
      stream[target] = spelled;
      expect(verify(stream, 'canonical lines').ok, name).toBe(true);
    }
  });

  it('verifies canonical lines whose strings need escaping (by the general path), and finds a change in them', () => {
    const odd = nextEvent(chainA[1]!, { label: 'say "hi"\\ \n \u0001 \u2028 é 😀', nested: { b: [1, 'x"'], a: null } });
    const tenantQuoted = sealEnvelope({ ...odd, id: nextId(), tenant: 'a"b\\c' });
    for (const event of [odd, tenantQuoted]) {
      const stream = [chainA[0]!, chainA[1]!].map(serializeEvent);
      expect(verify([...stream, serializeEvent(event)], 'canonical lines').findingsTotal).toBe(0);
      const tampered = serializeEvent(event).replace('\\"hi\\"', '\\"ho\\"');
      expect(found(verify([...stream, tampered], 'canonical lines'))).toEqual([[ChainFindingCode.HashMismatch, A, 3, 3]]);
    }
  });

  it('finds every single-character change anywhere in a line', () => {
    const target = lines.indexOf(serializeEvent(chainA[4]!));
    const line = lines[target]!;
    const misses: number[] = [];
    const noisy: number[] = [];
    for (let i = 0; i < line.length; i++) {
      const changed = line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ 1) + line.slice(i + 1);
      const stream = [...lines];
      stream[target] = changed;
      const report = verify(stream, 'canonical lines');
      if (report.ok) misses.push(i);
      if (report.findingsTotal > 2) noisy.push(i);
    }
    expect(misses).toEqual([]);
    // One change, at most two findings (e.g. a changed seq: the event itself, then a gap).
    expect(noisy).toEqual([]);
  });

  it('skips blank lines and numbers events by push when no location is given', () => {
    const verifier = new ChainVerifier();
    verifier.push(lines[0]);
    verifier.push('');
    verifier.push('   ');
    verifier.push('{oops');
    const report = verifier.finish();
    expect(report.events).toBe(2);
    expect(found(report)).toEqual([[ChainFindingCode.Malformed, null, null, 2]]);
  });

  it('reports a parsed object holding a non-JSON value as MALFORMED', () => {
    const verifier = new ChainVerifier();
    verifier.push({ ...chainA[0]!, data: { ...chainA[0]!.data, weight: Number.NaN } }, 'stream seq 1');
    expect(found(verifier.finish())).toEqual([[ChainFindingCode.Malformed, A, 1, 'stream seq 1']]);
  });
});

describe('ChainVerifier: bounds and state', () => {
  it('caps the findings list and counts the rest', () => {
    const verifier = new ChainVerifier({ maxFindings: 5 });
    for (let i = 0; i < 20; i++) verifier.push(`garbage ${i}`);
    const report = verifier.finish();
    expect(report.findings).toHaveLength(5);
    expect(report).toMatchObject({ ok: false, events: 20, valid: 0, findingsTotal: 20, findingsOmitted: 15 });
    expect(report.findingsByCode).toEqual({ [ChainFindingCode.Malformed]: 20 });
  });

  it('reports gaps at once when too many are open', () => {
    const sparse = chainA.filter((_, i) => i % 2 === 0);
    const report = verify(sparse, 'canonical lines', { maxPendingGaps: 2 });
    expect(report.findingsByCode).toEqual({ [ChainFindingCode.SeqGap]: 5 });
    expect(found(report).map(([, , seq]) => seq)).toEqual([7, 9, 11, 3, 5]);
  });

  it('tells a repeat beyond the window from a duplicate: SEQ_REUSED', () => {
    const stream = [...chainA, chainA[1]!, chainA[10]!];
    const report = verify(stream, 'canonical lines', { window: 4 });
    expect(found(report)).toEqual([
      [ChainFindingCode.SeqReused, A, 2, 13],
      [ChainFindingCode.Duplicate, A, 11, 14],
    ]);
  });

  it('reports a long-delayed event as out of order even beyond the window', () => {
    const stream = [...chainA.filter((e) => e.seq !== 3), chainA[2]!];
    const report = verify(stream, 'canonical lines', { window: 4 });
    expect(found(report)).toEqual([[ChainFindingCode.OutOfOrder, A, 3, 12]]);
  });

  it('verifies a large interleaved log', () => {
    const chains = Array.from({ length: 10 }, (_, i) => buildChain(`gateway.h${i}.b${i}`, 150));
    const report = verify(interleave(...chains), 'canonical lines');
    expect(report).toMatchObject({ ok: true, events: 1500, chains: 10, valid: 1500 });
  });

  it('tells skipped seq numbers (prev still links) from deleted events', () => {
    const skipped = sealEnvelope({ ...nextEvent(chainA[2]!), seq: 5 });
    const report = verify([...chainA.slice(0, 3), skipped], 'canonical lines');
    expect(found(report)).toEqual([[ChainFindingCode.SeqGap, A, 5, 4]]);
    expect(report.findings[0]!.message).toContain('the writer skipped seq numbers');
  });

  it('rejects options out of range with a coded error', () => {
    expect(() => new ChainVerifier({ window: 0 })).toThrow(VerifierOptionsError);
    expect(() => new ChainVerifier({ maxFindings: -1 })).toThrow(VerifierOptionsError);
    expect(() => new ChainVerifier({ initialHeads: [{ chain: A, seq: 0, hash: GENESIS_PREV }] })).toThrow(/initial head/);
  });

  it('bounds the chains it tracks', () => {
    const report = verify(LOG, 'canonical lines', { maxChains: 2 });
    expect(found(report)).toEqual([[ChainFindingCode.TooManyChains, C, 1, 3]]);
    expect(report.chains).toBe(2);
    expect(report.heads.map((h) => h.chain)).toEqual([B, A]);
  });

  it('refuses to be used after finish()', () => {
    const verifier = new ChainVerifier();
    verifier.finish();
    expect(() => verifier.push('{}')).toThrow(VerifierStateError);
    expect(() => verifier.finish()).toThrow(VerifierStateError);
  });
});
