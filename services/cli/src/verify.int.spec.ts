import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { hashEvent } from '@totra/chain';
import { type Envelope } from '@totra/events';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { natsUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { cli } from './cli.test-kit.js';


describe('totra export and totra verify', () => {
  let nc: NatsConnection;
  let url: string;
  let dir: string;
  let stream: StreamOptions;
  let lines: string[];
  let streamArgs: string[];

  beforeAll(async () => {
    url = await natsUrl();
    nc = await connectNats(url, { name: 'cli-verify' });
    stream = { name: uniqueStreamName('CLIV'), subjectPrefix: uniquePrefix('cliv') };
    await ensureStream(await jetstreamManager(nc), stream);
    dir = mkdtempSync(join(tmpdir(), 'totra-verify-'));
    const writers = await Promise.all(
      ['a', 'b', 'c'].map((host) => ChainWriter.open({ nc, stream, role: 'gateway', host, spoolDir: join(dir, 'spool'), batchMaxEvents: 7 })),
    );
    for (let i = 0; i < 300; i++) {
      (writers[i % 3] as ChainWriter).append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: i, label: `request ${i}`, amountMicroUsd: 1000 + i } });
    }
    await Promise.all(writers.map((w) => w.close()));
    streamArgs = ['--nats', url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix];
    const exported = await cli('export', ...streamArgs, '--out', join(dir, 'export.ndjson'));
    expect(exported.code).toBe(0);
    expect(exported.err).toContain('exported 303 events');
    lines = readFileSync(join(dir, 'export.ndjson'), 'utf8').trimEnd().split('\n');
  });

  afterAll(async () => {
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
  /** Index of the export line holding (chain of host b, seq). */
  const lineOf = (seq: number) => lines.findIndex((l) => parse(l).chain.startsWith('gateway.b.') && parse(l).seq === seq);

  it('exports every event, one envelope per line, and verifies the live stream and the export', async () => {
    expect(lines).toHaveLength(303);
    const live = await cli('verify', ...streamArgs);
    expect(live.code).toBe(0);
    expect(live.out).toMatch(/^OK: 303 events in 3 chains/);
    const file = await cli('verify', '--file', write('clean.ndjson', lines));
    expect(file.code).toBe(0);
    const json = await cli('verify', '--file', join(dir, 'clean.ndjson'), '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, events: 303, chains: 3, findings: [] });
  });

  const tampered: [string, () => string[], string, number][] = [
    [
      'one byte of one event changed',
      () => {
        const ls = [...lines];
        const i = lineOf(40);
        ls[i] = (ls[i] as string).replace(/"amountMicroUsd":(\d+)/, (_m, d: string) => `"amountMicroUsd":${Number(d) + 1}`);
        return ls;
      },
      'TOTRA_CHAIN_HASH_MISMATCH',
      40,
    ],
    [
      'one event deleted',
      () => lines.filter((_l, i) => i !== lineOf(50)),
      'TOTRA_CHAIN_SEQ_GAP',
      51,
    ],
    [
      'two events swapped',
      () => {
        const ls = [...lines];
        const i = lineOf(60);
        const j = lineOf(61);
        [ls[i], ls[j]] = [ls[j] as string, ls[i] as string];
        return ls;
      },
      'TOTRA_CHAIN_OUT_OF_ORDER',
      60,
    ],
    [
      'an event inserted with a valid-looking hash',
      () => {
        const ls = [...lines];
        const i = lineOf(70);
        const prev = parse(ls[i] as string);
        const forged = { ...prev, id: '0193b5a0-7c3e-7abc-8def-0123456789ab', seq: 71, prev: prev.hash, data: { n: 9999, label: 'forged', amountMicroUsd: 1 } };
        const { hash: _h, ...unhashed } = forged;
        ls.splice(i + 1, 0, JSON.stringify({ ...unhashed, hash: hashEvent(unhashed) }));
        return ls;
      },
      'TOTRA_CHAIN_FORK',
      71,
    ],
    [
      'two events claiming the same chain position (a fork)',
      () => {
        const ls = [...lines];
        const i = lineOf(80);
        const original = parse(ls[i] as string);
        const { hash: _h, ...unhashed } = { ...original, data: { ...original.data, label: 'other history' } };
        ls.push(JSON.stringify({ ...unhashed, hash: hashEvent(unhashed) }));
        return ls;
      },
      'TOTRA_CHAIN_FORK',
      80,
    ],
  ];

  it.each(tampered)('detects %s and names the chain and seq', async (name, mutate, code, seq) => {
    const file = write(`${name.replace(/\W+/g, '-')}.ndjson`, mutate());
    const human = await cli('verify', '--file', file);
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/^TAMPERING FOUND/);
    expect(human.out).toMatch(new RegExp(`${code}\\s+chain gateway\\.b\\.\\S+ seq ${seq} `));
    const json = JSON.parse((await cli('verify', '--file', file, '--json')).out) as { ok: boolean; findings: { code: string; chain: string; seq: number }[] };
    expect(json.ok).toBe(false);
    expect(json.findings).toContainEqual(expect.objectContaining({ code, seq, chain: expect.stringMatching(/^gateway\.b\./) }));
  });

  it('exits 2 with a clear message for usage and connection errors', async () => {
    const missing = await cli('verify', '--file', join(dir, 'nope.ndjson'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read .*nope\.ndjson/);
    const unreachable = await cli('verify', '--nats', 'nats://127.0.0.1:1');
    expect(unreachable.code).toBe(2);
    expect(unreachable.err).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
    const noStream = await cli('verify', '--nats', url, '--stream', 'NO_SUCH_STREAM_X');
    expect(noStream.code).toBe(2);
    expect(noStream.err).toMatch(/stream NO_SUCH_STREAM_X does not exist/);
    const badFlag = await cli('verify', '--frobnicate');
    expect(badFlag.code).toBe(2);
    expect(badFlag.err).toMatch(/unknown option '--frobnicate'/);
  });
});
