import { describe, expect, it } from 'vitest';
import { InvalidSpanError } from '../errors.js';
import { createScanner } from '../scanner/scanner.js';
import { restore } from '../transform/pseudonymize.js';
import { createVault } from '../transform/vault.js';
import { applyPolicy, applyPolicyToTexts, mergeCounts } from './apply-policy.js';
import { type PiiPolicy } from './policy.js';
import { resolvePolicy } from './resolve-policy.js';
import { createScannerCache } from './scanner-cache.js';

const scanner = createScanner();
const ctx = { tenant: 'acme', teamId: 'eng' };
const withRules = (rules: PiiPolicy['rules'], extra: Partial<PiiPolicy> = {}) => resolvePolicy([{ policyId: 'p-team', scope: { team: 'eng' }, rules, ...extra }], ctx);

const text = 'Mail anna@example.com or bob@example.org; anna@example.com again. SSN 123-45-6789.';

describe('applyPolicy', () => {
  it('redacts with the type label', () => {
    const out = applyPolicy(text, scanner.scan(text), withRules({ '*': 'redact' }), createVault());
    expect(out.text).toBe('Mail [EMAIL] or [EMAIL]; [EMAIL] again. SSN [US_SSN].');
    expect(out.blocked).toBeUndefined();
  });

  it('pseudonymizes into the vault by default, and restore() brings the values back', () => {
    const vault = createVault();
    const out = applyPolicy(text, scanner.scan(text), resolvePolicy([], ctx), vault);
    expect(out.text).toBe('Mail <EMAIL_1> or <EMAIL_2>; <EMAIL_1> again. SSN <US_SSN_1>.');
    expect(vault.size).toBe(3);
    expect(restore(out.text, vault)).toBe(text);
    expect(out.counts).toEqual([
      { type: 'EMAIL', group: 'universal', action: 'pseudonymize', policyId: 'default', count: 3 },
      { type: 'US_SSN', group: 'en', action: 'pseudonymize', policyId: 'default', count: 1 },
    ]);
  });

  it('applies a different action per type in one pass and counts each', () => {
    const out = applyPolicy(text, scanner.scan(text), withRules({ EMAIL: 'log', en: 'redact' }), createVault());
    expect(out.text).toBe('Mail anna@example.com or bob@example.org; anna@example.com again. SSN [US_SSN].');
    expect(out.counts).toEqual([
      { type: 'EMAIL', group: 'universal', action: 'log', policyId: 'p-team', count: 3 },
      { type: 'US_SSN', group: 'en', action: 'redact', policyId: 'p-team', count: 1 },
    ]);
  });

  it('leaves allowed types alone and does not count them', () => {
    const out = applyPolicy(text, scanner.scan(text), withRules({ EMAIL: 'allow', US_SSN: 'redact' }), createVault());
    expect(out.text).toBe('Mail anna@example.com or bob@example.org; anna@example.com again. SSN [US_SSN].');
    expect(out.counts.map((c) => c.type)).toEqual(['US_SSN']);
  });

  it('lets block win: the text is unchanged, the vault untouched, and the blocked types listed', () => {
    const vault = createVault();
    const out = applyPolicy(text, scanner.scan(text), withRules({ EMAIL: 'pseudonymize', US_SSN: 'block' }), vault);
    expect(out.blocked).toEqual(['US_SSN']);
    expect(out.text).toBe(text);
    expect(vault.size).toBe(0);
    expect(out.counts).toEqual([
      { type: 'EMAIL', group: 'universal', action: 'pseudonymize', policyId: 'p-team', count: 3 },
      { type: 'US_SSN', group: 'en', action: 'block', policyId: 'p-team', count: 1 },
    ]);
  });

  it('ignores spans below the policy minimum confidence', () => {
    const spans = [
      { start: 5, end: 21, type: 'EMAIL' as const, confidence: 0.6 },
      { start: 25, end: 40, type: 'EMAIL' as const, confidence: 0.97 },
    ];
    const out = applyPolicy(text, spans, withRules({ EMAIL: 'redact' }, { minConfidence: 0.9 }), createVault());
    expect(out.text.startsWith('Mail anna@example.com or [EMAIL];')).toBe(true);
    expect(out.counts[0]?.count).toBe(1);
  });

  it('turns every masking action into redact on model output', () => {
    const vault = createVault();
    const blocked = applyPolicy(text, scanner.scan(text), withRules({ EMAIL: 'block', US_SSN: 'pseudonymize' }), vault, { direction: 'response' });
    expect(blocked.blocked).toBeUndefined();
    expect(blocked.text).toBe('Mail [EMAIL] or [EMAIL]; [EMAIL] again. SSN [US_SSN].');
    expect(vault.size).toBe(0);
    expect(new Set(blocked.counts.map((c) => c.action))).toEqual(new Set(['redact']));
    const logged = applyPolicy(text, scanner.scan(text), withRules({ '*': 'log' }), vault, { direction: 'response' });
    expect(logged.text).toBe(text);
  });

  it('replaces the union of overlapping spans with the stronger action', () => {
    const effective = withRules({ EMAIL: 'log', US_SSN: 'redact' });
    const out = applyPolicy('0123456789', [{ start: 2, end: 6, type: 'EMAIL' }, { start: 4, end: 8, type: 'US_SSN' }], effective, createVault());
    expect(out.text).toBe('01[EMAIL]89');
    expect(out.counts).toHaveLength(2);
  });

  it('accepts spans in any order', () => {
    const spans = scanner.scan(text).reverse();
    expect(applyPolicy(text, spans, withRules({ '*': 'redact' }), createVault()).text).toBe('Mail [EMAIL] or [EMAIL]; [EMAIL] again. SSN [US_SSN].');
  });

  it('rejects spans outside the text', () => {
    expect(() => applyPolicy('abc', [{ start: 1, end: 9, type: 'EMAIL' }], withRules({}), createVault())).toThrow(InvalidSpanError);
  });
});

describe('applyPolicyToTexts', () => {
  const texts = ['You are a helpful assistant.', 'Write to anna@example.com', '{"to":"anna@example.com","iban":"DE89 3704 0044 0532 0130 00"}', 'no PII here'];

  it('shares one vault across every text of the request', () => {
    const vault = createVault();
    const out = applyPolicyToTexts(texts, scanner, resolvePolicy([], ctx), vault);
    expect(out.blocked).toBeUndefined();
    expect(out.texts).toEqual(['You are a helpful assistant.', 'Write to <EMAIL_1>', '{"to":"<EMAIL_1>","iban":"<IBAN_1>"}', 'no PII here']);
    expect(out.counts).toEqual([
      { type: 'EMAIL', group: 'universal', action: 'pseudonymize', policyId: 'default', count: 2 },
      { type: 'IBAN', group: 'universal', action: 'pseudonymize', policyId: 'default', count: 1 },
    ]);
  });

  it('blocks the whole request when any text holds a blocked type, transforming nothing', () => {
    const vault = createVault();
    const out = applyPolicyToTexts(texts, scanner, withRules({ IBAN: 'block' }), vault);
    expect(out.blocked).toEqual(['IBAN']);
    expect(out.texts).toEqual(texts);
    expect(vault.size).toBe(0);
    expect(out.counts.find((c) => c.type === 'EMAIL')?.count).toBe(2);
  });

  it('does not scan when the policy allows everything', () => {
    const out = applyPolicyToTexts(texts, scanner, withRules({ '*': 'allow' }), createVault());
    expect(out.texts).toEqual(texts);
    expect(out.counts).toEqual([]);
  });

  it('works with a cached scanner built from the policy', () => {
    const cache = createScannerCache(2);
    const effective = withRules({ universal: 'allow', en: 'redact' });
    const s = cache.scannerFor(effective);
    expect(cache.scannerFor(withRules({ universal: 'allow', en: 'block' }))).toBe(s);
    expect(s.types).not.toContain('EMAIL');
    const out = applyPolicyToTexts(['anna@example.com SSN 123-45-6789'], s, effective, createVault());
    expect(out.texts).toEqual(['anna@example.com SSN [US_SSN]']);
    cache.scannerFor(resolvePolicy([], ctx));
    cache.scannerFor(withRules({ names: 'allow' }));
    expect(cache.size).toBe(2);
  });
});

describe('mergeCounts', () => {
  it('adds counts of equal type, action and policy', () => {
    const a = [{ type: 'EMAIL' as const, group: 'universal' as const, action: 'redact' as const, policyId: 'p', count: 2 }];
    const b = [
      { type: 'EMAIL' as const, group: 'universal' as const, action: 'redact' as const, policyId: 'p', count: 3 },
      { type: 'EMAIL' as const, group: 'universal' as const, action: 'log' as const, policyId: 'q', count: 1 },
    ];
    expect(mergeCounts(a, b)).toEqual([
      { type: 'EMAIL', group: 'universal', action: 'redact', policyId: 'p', count: 5 },
      { type: 'EMAIL', group: 'universal', action: 'log', policyId: 'q', count: 1 },
    ]);
  });
});
