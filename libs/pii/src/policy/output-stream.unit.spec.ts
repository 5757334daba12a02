import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../corpus/corpus.js';
import { Rng } from '../corpus/prng.js';
import { OutputHeldTooLongError, StreamClosedError } from '../errors.js';
import { createScanner, type PiiScanner } from '../scanner/scanner.js';
import { createVault } from '../transform/vault.js';
import { applyPolicy } from './apply-policy.js';
import { createOutputStreamScanner, OUTPUT_MAX_HELD } from './output-stream.js';
import { type PiiPolicy } from './policy.js';
import { resolvePolicy } from './resolve-policy.js';

const scanner = createScanner();
const ctx = { tenant: 'acme', teamId: 'eng' };
const policy = (rules: PiiPolicy['rules']) => resolvePolicy([{ policyId: 'p-out', scope: { team: 'eng' }, rules, scanOutput: true }], ctx);

/** Streams `text` in the given chunk sizes (cycled) and returns what the caller receives. */
function stream(text: string, sizes: readonly number[], rules: PiiPolicy['rules'] = { '*': 'redact' }) {
  const s = createOutputStreamScanner(scanner, policy(rules), createVault());
  let out = '';
  for (let at = 0, k = 0; at < text.length; k++) {
    const n = sizes[k % sizes.length]!;
    out += s.push(text.slice(at, at + n));
    at += n;
  }
  out += s.flush();
  return { text: out, counts: s.counts };
}

function whole(text: string, rules: PiiPolicy['rules'] = { '*': 'redact' }) {
  return applyPolicy(text, scanner.scan(text), policy(rules), createVault(), { direction: 'response' });
}

describe('createOutputStreamScanner', () => {
  const iban = 'DE89 3704 0044 0532 0130 00';
  const email = 'jane.doe@example.com';
  const answer = `Sure. Wire the money to IBAN ${iban} and send the receipt to ${email} when done.`;

  it('redacts an IBAN and an email split across chunks, as in the whole text', () => {
    for (const sizes of [[1], [3], [7, 2, 11], [40]]) {
      const out = stream(answer, sizes);
      expect(out.text).toBe('Sure. Wire the money to IBAN [IBAN] and send the receipt to [EMAIL] when done.');
      expect(out.counts).toEqual([
        { type: 'EMAIL', group: 'universal', action: 'redact', policyId: 'p-out', count: 1 },
        { type: 'IBAN', group: 'universal', action: 'redact', policyId: 'p-out', count: 1 },
      ]);
    }
  });

  it('gives the same text and counts as scanning the whole answer, over the labelled corpus in random chunks', () => {
    const rng = new Rng(99);
    const docs = generateCorpus({ seed: 17, docsPerType: 3, cleanDocs: 60 }).map((d) => d.text);
    // Answers of several documents, so values meet chunk edges, the hold-back and the left context.
    for (let i = 0; i < docs.length; i += 4) {
      const text = docs.slice(i, i + 4).join(i % 8 === 0 ? '\n' : ' ');
      const sizes = Array.from({ length: 5 }, () => rng.int(1, 24));
      const expected = whole(text);
      const got = stream(text, sizes);
      expect(got.text, `document group ${i}, chunk sizes ${sizes.join(',')}`).toBe(expected.text);
      expect(got.counts).toEqual(expected.counts);
    }
  });

  it('masks with redact whatever the masking action, leaves logged values, and holds back at most the window', () => {
    const out = stream(answer, [5], { IBAN: 'block', EMAIL: 'log' });
    expect(out.text).toBe(`Sure. Wire the money to IBAN [IBAN] and send the receipt to ${email} when done.`);
    const s = createOutputStreamScanner(scanner, policy({ '*': 'redact' }), createVault(), { holdBack: 16 });
    const long = `${'word '.repeat(20)}${email}`;
    const first = s.push(long);
    // Everything up to the last 16 characters is out, except that the email is never cut.
    expect(first).toBe('word '.repeat(20));
    expect(s.flush()).toBe('[EMAIL]');
  });

  it('never releases half of a surrogate pair', () => {
    const s = createOutputStreamScanner(scanner, policy({ '*': 'redact' }), createVault(), { holdBack: 2 });
    const text = 'ab😀cd';
    const parts = [s.push(text.slice(0, 4))];
    expect(parts[0]).toBe('ab');
    parts.push(s.push(text.slice(4)), s.flush());
    expect(parts.join('')).toBe(text);
  });

  it('holds a private key block back until its END line, scanning a growing block only now and then', () => {
    let scanned = 0;
    const counting: PiiScanner = { types: scanner.types, scan: (t) => ((scanned += t.length), scanner.scan(t)) };
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'.repeat(40);
    const text = `Here is the key:\n-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\nKeep it safe.`;
    const s = createOutputStreamScanner(counting, policy({ '*': 'redact' }), createVault());
    let out = '';
    for (let at = 0; at < text.length; at += 3) out += s.push(text.slice(at, at + 3));
    out += s.flush();
    expect(out).toBe('Here is the key:\n[PRIVATE_KEY]\nKeep it safe.');
    // Rescanning the whole held block on every 3-character push would read ~700 times the text.
    expect(scanned).toBeLessThan(20 * text.length);
  });

  it('fails closed when a finding that never ends holds back too much', () => {
    const s = createOutputStreamScanner(scanner, policy({ '*': 'redact' }), createVault());
    let released = s.push('Key: -----BEGIN PRIVATE KEY-----\n');
    const line = `${'A'.repeat(63)}\n`;
    expect(() => {
      for (let n = 0; n <= OUTPUT_MAX_HELD / line.length + 1000; n++) released += s.push(line);
    }).toThrow(OutputHeldTooLongError);
    expect(released).not.toContain('AAAA');
  });

  it('refuses input after flush', () => {
    const s = createOutputStreamScanner(scanner, policy({ '*': 'redact' }), createVault());
    s.push('hello');
    expect(s.flush()).toBe('hello');
    expect(() => s.push('more')).toThrow(StreamClosedError);
    expect(() => s.flush()).toThrow(StreamClosedError);
  });
});
