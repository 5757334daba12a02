import { describe, expect, it } from 'vitest';
import { InvalidSpanError, StreamClosedError } from '../errors.js';
import { createScanner } from '../scanner/scanner.js';
import { createStreamRestorer, pseudonymize, restore } from './pseudonymize.js';
import { redact } from './redact.js';
import { createVault } from './vault.js';

const scanner = createScanner();
const text = 'Mail anna@example.com or bob@example.org; anna@example.com again. SSN 123-45-6789.';

describe('redact', () => {
  it('replaces each span with its type label', () => {
    expect(redact(text, scanner.scan(text))).toBe('Mail [EMAIL] or [EMAIL]; [EMAIL] again. SSN [US_SSN].');
  });

  it('returns the text unchanged without spans, and merges overlapping spans', () => {
    expect(redact('abc', [])).toBe('abc');
    expect(redact('0123456789', [{ start: 2, end: 6, type: 'EMAIL' }, { start: 4, end: 8, type: 'US_SSN' }])).toBe('01[EMAIL]89');
  });

  it('rejects spans outside the text', () => {
    expect(() => redact('abc', [{ start: 2, end: 5, type: 'EMAIL' }])).toThrow(InvalidSpanError);
    expect(() => redact('abc', [{ start: 2, end: 1, type: 'EMAIL' }])).toThrow(InvalidSpanError);
  });
});

describe('pseudonymize / restore', () => {
  it('gives the same value the same placeholder and numbers different values', () => {
    const vault = createVault();
    const out = pseudonymize(text, scanner.scan(text), vault);
    expect(out).toBe('Mail <EMAIL_1> or <EMAIL_2>; <EMAIL_1> again. SSN <US_SSN_1>.');
    expect(vault.size).toBe(3);
    expect(restore(out, vault)).toBe(text);
  });

  it('keeps placeholders stable across calls with the same vault', () => {
    const vault = createVault();
    pseudonymize(text, scanner.scan(text), vault);
    const second = 'Reply to bob@example.org';
    expect(pseudonymize(second, scanner.scan(second), vault)).toBe('Reply to <EMAIL_2>');
  });

  it('leaves placeholders of other vaults and look-alikes alone', () => {
    const vault = createVault();
    vault.placeholderFor('EMAIL', 'a@b.co');
    expect(restore('x <EMAIL_1> <EMAIL_9> <b>bold</b> a < b > c <EMAIL_1', vault)).toBe('x a@b.co <EMAIL_9> <b>bold</b> a < b > c <EMAIL_1');
  });
});

describe('createStreamRestorer', () => {
  const vault = createVault();
  const original = 'Dear anna@example.com, your SSN 123-45-6789 and bob@example.org are on file.';
  const masked = pseudonymize(original, scanner.scan(original), vault);

  it('restores placeholders split at every possible position', () => {
    for (let cut = 0; cut <= masked.length; cut++) {
      const r = createStreamRestorer(vault);
      const out = r.push(masked.slice(0, cut)) + r.push(masked.slice(cut)) + r.flush();
      expect(out, `cut at ${cut}`).toBe(original);
    }
  });

  it('restores a stream delivered one character at a time, holding back only a partial placeholder', () => {
    const r = createStreamRestorer(vault);
    let out = '';
    let maxHeld = 0;
    let fed = 0;
    for (const ch of masked) {
      out += r.push(ch);
      fed++;
      const restoredSoFar = restore(masked.slice(0, fed), vault);
      maxHeld = Math.max(maxHeld, restoredSoFar.length - out.length);
    }
    out += r.flush();
    expect(out).toBe(original);
    expect(maxHeld).toBeLessThanOrEqual('<US_SSN_1'.length);
  });

  it('emits text without placeholders immediately and flushes a dangling "<"', () => {
    const r = createStreamRestorer(vault);
    expect(r.push('a < b and ')).toBe('a < b and ');
    expect(r.push('x <EMA')).toBe('x ');
    expect(r.flush()).toBe('<EMA');
    expect(() => r.push('more')).toThrow(StreamClosedError);
  });
});
