import { describe, expect, it } from 'vitest';
import { createScanner } from './scanner.js';

// Pathological inputs of 1 MB. Each must finish (generous timeout, no timing assertion) and give
// the right answer: the scanner has no backtracking regex over unbounded input.
const MB = 1 << 20;
const scanner = createScanner();
const repeat = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

describe('adversarial 1 MB inputs', { timeout: 60_000 }, () => {
  it('one long digit run', () => {
    expect(scanner.scan(repeat('1'))).toEqual([]);
  });

  it('digits separated by single spaces, dashes and dots', () => {
    expect(scanner.scan(repeat('1 '))).toEqual([]);
    expect(scanner.scan(repeat('12-'))).toEqual([]);
    expect(scanner.scan(repeat('4.'))).toEqual([]);
  });

  it('long runs of separators and parentheses', () => {
    expect(scanner.scan(repeat(' '))).toEqual([]);
    expect(scanner.scan(repeat('-'))).toEqual([]);
    expect(scanner.scan(repeat('(1) '))).toEqual([]);
  });

  it('at-signs everywhere', () => {
    expect(scanner.scan(repeat('a'))).toEqual([]);
    expect(scanner.scan(`${repeat('a').slice(0, MB - 10)}@aaaa`)).toEqual([]);
    expect(scanner.scan(repeat('aaaa@'))).toEqual([]);
    expect(scanner.scan(repeat('a.'))).toEqual([]);
    const text = repeat('a@b.co ');
    const emails = scanner.scan(text);
    expect(emails.length).toBe(text.split('a@b.co').length - 1);
    expect(emails.every((s) => s.type === 'EMAIL')).toBe(true);
  });

  it('secret prefixes that never complete', () => {
    expect(scanner.scan(repeat('eyJ'))).toEqual([]);
    expect(scanner.scan(repeat('eyJa-'))).toEqual([]);
    expect(scanner.scan(repeat('sk-a '))).toEqual([]);
    expect(scanner.scan(repeat('-----BEGIN '))).toEqual([]);
    expect(scanner.scan(repeat('ghp_'))).toEqual([]);
  });

  it('name triggers without names', () => {
    expect(scanner.scan(repeat('my name is '))).toEqual([]);
    expect(scanner.scan(repeat('名'))).toEqual([]);
    expect(scanner.scan(repeat('nam'))).toEqual([]);
  });

  it('full-width and Arabic-Indic digit runs', () => {
    expect(scanner.scan(repeat('１'))).toEqual([]);
    expect(scanner.scan(repeat('١ '))).toEqual([]);
  });

  it('many real values in a row', () => {
    const text = repeat('SSN 123-45-6789. ');
    const spans = scanner.scan(text);
    expect(spans.length).toBe(text.split('123-45-6789').length - 1);
    expect(spans.every((s) => s.type === 'US_SSN')).toBe(true);
  });

  it('alternating letters and digits', () => {
    expect(scanner.scan(repeat('A 1 '))).toEqual([]);
    expect(scanner.scan(repeat('a1'))).toEqual([]);
  });
});
