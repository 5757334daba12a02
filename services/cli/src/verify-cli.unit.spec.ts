import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_PREV, type UnhashedEnvelope } from '@totra/events';
import { hashAndSerialize } from '@totra/chain';
import { runCli } from './cli.js';
import { runVerifyCli } from './verify-cli.js';

/*
 * `totra verify` runs through a verify-only program (fewer modules to load). It must behave
 * exactly as the full CLI: the same output and exit codes, for a good log, a tampered log, a
 * usage error and help. The file reader must take a CRLF line ending, a blank line (skipped but
 * counted), a last line without a newline and non-ASCII lines.
 */

const dir = mkdtempSync(join(tmpdir(), 'totra-verify-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chainLines(): string[] {
  const chain = 'cli.host-a.0190a0000000700080000000000000aa';
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= 4; seq++) {
    const envelope: UnhashedEnvelope = {
      v: 1,
      id: `0190a000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
      type: seq === 1 ? 'ChainOpened' : 'TestEventRecorded',
      time: '2026-01-31T12:00:00.000Z',
      chain,
      seq,
      prev,
      tenant: seq === 1 ? 'system' : 'acme',
      data: seq === 1 ? { role: 'cli', host: 'host-a', bootId: '0190a0000000700080000000000000aa', writer: '0.1.0', format: 'totra-chain/1' } : { label: `café ${seq} \u2014 ok`, n: seq },
    };
    const { hash, line } = hashAndSerialize(envelope);
    lines.push(line);
    prev = hash;
  }
  return lines;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function both(args: string[]): Promise<{ code: number; out: string; err: string }[]> {
  const runs = [];
  for (const run of [runCli, runVerifyCli]) {
    let out = '';
    let err = '';
    const code = await run(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    runs.push({ code, out, err });
  }
  return runs;
}

describe('totra verify through the verify-only program', () => {
  const lines = chainLines();

  it('verifies a good export, read line by line whatever the line endings', async () => {
    const path = file('good.ndjson', `${lines[0]}\r\n${lines[1]}\n\n${lines[2]}\n${lines[3]}`);
    const [full, lean] = await both(['verify', '--file', path, '--json']);
    expect(lean).toEqual(full);
    expect(lean!.code).toBe(0);
    expect(JSON.parse(lean!.out)).toMatchObject({ ok: true, events: 4, valid: 4 });
  });

  it('finds a tampered line and names it by line number, as the full CLI does', async () => {
    const path = file('tampered.ndjson', `${[lines[0], lines[1], lines[2]!.replace('café 3', 'cafe 3'), lines[3]].join('\n')}\n`);
    const [full, lean] = await both(['verify', '--file', path, '--json']);
    expect(lean).toEqual(full);
    expect(lean!.code).toBe(1);
    const report = JSON.parse(lean!.out) as { findings: { code: string; location: string }[] };
    expect(report.findings.map((f) => [f.code, f.location])).toEqual([['TOTRA_CHAIN_HASH_MISMATCH', 'line 3']]);
  });

  it('answers usage errors and help the same way', async () => {
    for (const args of [['verify', '--bogus'], ['verify', '--file', join(dir, 'missing.ndjson')], ['verify', '--help']]) {
      const [full, lean] = await both(args);
      expect(lean, args.join(' ')).toEqual(full);
    }
    expect((await both(['verify', '--bogus']))[1]!.code).toBe(2);
  });
});
