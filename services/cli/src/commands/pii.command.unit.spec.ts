import { describe, expect, it } from 'vitest';
import { EventRegistry } from '@totra/events';
import { applyPolicyToTexts, createScanner, createVault, emptyPiiPolicies, piiEventsFor, removePiiPolicy, resolvePolicy, setPiiPolicy, foldPiiPolicies } from '@totra/pii';
import { runCli } from '../cli.js';
import { parseActionArgs, parseScopeArgs } from './pii.command.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(stdin: string, ...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), stdin: () => Promise.resolve(stdin) });
  return { code, out, err };
}

const jsonLines = (s: string): unknown[] => s.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);

describe('totra pii scan --jsonl', () => {
  const input = [
    JSON.stringify({ id: 'a', text: 'Mail anna@example.com now' }),
    JSON.stringify({ id: 2, text: 'SSN 123-45-6789, IBAN DE89 3704 0044 0532 0130 00' }),
    '',
    JSON.stringify({ id: 'c', text: 'nothing to see here, order #12345' }),
    JSON.stringify({ id: 'd', text: '電話 ０９０－１２３４－５６７８ です' }),
  ].join('\n');

  it('prints one line per input line with the spans in JavaScript string offsets', async () => {
    const r = await cli(input, 'pii', 'scan', '--jsonl');
    expect(r.code).toBe(0);
    expect(jsonLines(r.out)).toEqual([
      { id: 'a', spans: [{ start: 5, end: 21, type: 'EMAIL' }] },
      {
        id: 2,
        spans: [
          { start: 4, end: 15, type: 'US_SSN' },
          { start: 22, end: 49, type: 'IBAN' },
        ],
      },
      { id: 'c', spans: [] },
      { id: 'd', spans: [{ start: 3, end: 16, type: 'JP_PHONE' }] },
    ]);
    expect(r.out).not.toContain('anna@example.com');
    expect(r.out).not.toContain('123-45-6789');
  });

  it('restricts to --groups and --min-confidence, and shows values only with --show-values', async () => {
    const en = await cli(input, 'pii', 'scan', '--jsonl', '--groups', 'en');
    expect((jsonLines(en.out) as { spans: { type: string }[] }[]).flatMap((l) => l.spans.map((s) => s.type))).toEqual(['US_SSN']);
    const strict = await cli(input, 'pii', 'scan', '--jsonl', '--min-confidence', '1');
    expect((jsonLines(strict.out) as { spans: unknown[] }[]).every((l) => l.spans.length === 0)).toBe(true);
    const shown = await cli(input, 'pii', 'scan', '--jsonl', '--show-values');
    expect(jsonLines(shown.out)[0]).toEqual({ id: 'a', spans: [{ start: 5, end: 21, type: 'EMAIL', text: 'anna@example.com' }] });
  });

  it('exits 2 naming the line of bad JSON, without printing results or the line itself', async () => {
    const bad = [JSON.stringify({ id: 1, text: 'ok' }), '{"id": 2, "text": "bob@example.org"', JSON.stringify({ id: 3, text: 'x' })].join('\n');
    const r = await cli(bad, 'pii', 'scan', '--jsonl');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 2: not valid JSON/);
    expect(r.err).not.toContain('bob@example.org');
    expect(r.out).toBe('');
    const noText = await cli(`${JSON.stringify({ id: 1, text: 'ok' })}\n\n${JSON.stringify({ id: 3, body: 'x' })}\n`, 'pii', 'scan', '--jsonl');
    expect(noText.code).toBe(2);
    expect(noText.err).toMatch(/line 3: expected an object/);
  });

  it('exits 2 for an unknown group or a confidence out of range', async () => {
    const group = await cli('x', 'pii', 'scan', '--groups', 'en,klingon');
    expect(group.code).toBe(2);
    expect(group.err).toMatch(/unknown group "klingon"/);
    const conf = await cli('x', 'pii', 'scan', '--min-confidence', '2');
    expect(conf.code).toBe(2);
    expect(conf.err).toMatch(/--min-confidence: "2"/);
  });
});

describe('totra pii scan (plain text)', () => {
  it('prints every span of the whole input as a JSON line with group and confidence', async () => {
    const text = 'Dear team,\nmy email is anna@example.com\nand my key is AKIAIOSFODNN7EXAMPLE.\n';
    const r = await cli(text, 'pii', 'scan');
    expect(r.code).toBe(0);
    const spans = jsonLines(r.out) as { start: number; end: number; type: string; group: string; confidence: number }[];
    expect(spans.map(({ type, group }) => ({ type, group }))).toEqual([
      { type: 'EMAIL', group: 'universal' },
      { type: 'AWS_ACCESS_KEY_ID', group: 'secrets' },
    ]);
    expect(text.slice(spans[0]!.start, spans[0]!.end)).toBe('anna@example.com');
    expect(Object.keys(spans[0]!).sort()).toEqual(['confidence', 'end', 'group', 'start', 'type']);
    expect(spans[1]!.confidence).toBeGreaterThan(0.9);
    expect(r.out).not.toContain('AKIA');
  });

  it('prints nothing for clean text', async () => {
    expect(await cli('version 1.2.3 shipped on 2024-05-01', 'pii', 'scan')).toEqual({ code: 0, out: '', err: '' });
  });
});

describe('policy arguments', () => {
  it('reads scopes, alone or combined', () => {
    expect(parseScopeArgs(['team:eng', 'model:gpt-4o:mini'])).toEqual({ team: 'eng', model: 'gpt-4o:mini' });
    expect(parseScopeArgs(['tenant:acme+key:key_1'])).toEqual({ tenant: 'acme', key: 'key_1' });
    expect(() => parseScopeArgs(['user:u1'])).toThrow(/not tenant:<id>/);
    expect(() => parseScopeArgs(['team:a', 'team:b'])).toThrow(/team given twice/);
    expect(() => parseScopeArgs([])).toThrow(/required/);
  });

  it('reads actions per group or type, in either case', () => {
    expect(parseActionArgs(['secrets=block', 'email=Redact', 'EU-DE=log', '*=allow'])).toEqual({ secrets: 'block', EMAIL: 'redact', 'eu-de': 'log', '*': 'allow' });
    expect(() => parseActionArgs(['klingon=block'])).toThrow(/not a PII group or type/);
    expect(() => parseActionArgs(['EMAIL=shred'])).toThrow(/not an action/);
    expect(() => parseActionArgs(['EMAIL'])).toThrow(/<group-or-type>=<action>/);
  });

  it('refuses bad policy input before connecting anywhere', async () => {
    const r = await cli('', 'pii', 'policy', 'set', '--scope', 'team:eng', '--action', 'EMAIL=shred', '--nats', 'nats://127.0.0.1:1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"shred" is not an action/);
    expect(r.err).not.toMatch(/cannot connect/);
  });
});

describe('the events the PII engine builds validate against the event registry', () => {
  const registry = new EventRegistry();
  const time = '2026-03-01T10:00:00.000Z';

  it('PiiPolicySet and PiiPolicyRemoved', () => {
    const set = setPiiPolicy(
      { time, policy: { policyId: 'pol-1', scope: { team: 'eng', model: 'gpt-4o' }, rules: { secrets: 'block', EMAIL: 'redact', '*': 'log' }, scanOutput: true, minConfidence: 0.8 } },
      emptyPiiPolicies(),
    );
    const removed = removePiiPolicy({ time, policyId: 'pol-1', reason: 'test' }, foldPiiPolicies(set));
    for (const e of [...set, ...removed]) expect(registry.validateInput(e).data).toEqual(e.data);
  });

  it('PiiRedacted and PiiBlocked', () => {
    const texts = ['anna@example.com', 'SSN 123-45-6789 and token ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'];
    const effective = resolvePolicy([{ policyId: 'pol-1', scope: { tenant: 'acme' }, rules: { en: 'log' } }], { tenant: 'acme' });
    const redacted = piiEventsFor('req-1', 'request', applyPolicyToTexts(texts, createScanner(), effective, createVault()));
    expect(redacted.map((e) => e.type)).toEqual(['PiiRedacted', 'PiiRedacted']);
    const blocking = resolvePolicy([{ policyId: 'pol-2', scope: { tenant: 'acme' }, rules: { secrets: 'block' } }], { tenant: 'acme' });
    const blocked = piiEventsFor('req-2', 'request', applyPolicyToTexts(texts, createScanner(), blocking, createVault()));
    expect(blocked.map((e) => e.type)).toEqual(['PiiBlocked']);
    for (const e of [...redacted, ...blocked]) expect(registry.validateInput({ ...e, tenant: 'acme' }).data).toEqual(e.data);
  });
});
