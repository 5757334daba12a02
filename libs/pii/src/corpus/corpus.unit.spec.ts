import { describe, expect, it } from 'vitest';
import { evaluate } from '../eval/evaluate.js';
import { createScanner } from '../scanner/scanner.js';
import { PII_TYPES } from '../types.js';
import * as v from '../validators/index.js';
import { generateCorpus } from './corpus.js';

const docs = generateCorpus();

/** Strips separators and maps full-width / Arabic-Indic digits, as the scanner does. */
function normalise(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c >= 0xff10 && c <= 0xff19) out += String.fromCharCode(c - 0xff10 + 48);
    else if (c >= 0x0660 && c <= 0x0669) out += String.fromCharCode(c - 0x0660 + 48);
    else if (/[0-9A-Za-z]/.test(ch)) out += ch.toUpperCase();
  }
  return out;
}

describe('generateCorpus', () => {
  it('is deterministic for a seed and different across seeds', () => {
    expect(generateCorpus({ seed: 7, docsPerType: 2, cleanDocs: 5 })).toEqual(generateCorpus({ seed: 7, docsPerType: 2, cleanDocs: 5 }));
    expect(generateCorpus({ seed: 8, docsPerType: 2, cleanDocs: 5 })).not.toEqual(generateCorpus({ seed: 7, docsPerType: 2, cleanDocs: 5 }));
  });

  it('labels every type and keeps gold spans inside their texts', () => {
    const labelled = new Set(docs.flatMap((d) => d.spans.map((s) => s.type)));
    expect(labelled).toEqual(new Set(PII_TYPES));
    for (const d of docs) for (const s of d.spans) expect(s.end).toBeLessThanOrEqual(d.text.length);
    expect(docs.filter((d) => d.clean).every((d) => d.spans.length === 0)).toBe(true);
  });

  it('generates values whose check digits are correct', () => {
    const checks: Partial<Record<string, (s: string) => boolean>> = {
      CREDIT_CARD: v.isValidPaymentCard,
      IBAN: v.isValidIban,
      CN_RESIDENT_ID: v.isValidCnResidentId,
      CN_USCC: v.isValidUscc,
      JP_MY_NUMBER: v.isValidMyNumber,
      KR_BRN: v.isValidKrBrn,
      DE_TAX_ID: v.isValidDeTaxId,
      DE_ID_CARD: v.isValidDeIdCard,
      FR_NIR: v.isValidFrNir,
      IT_FISCAL_CODE: v.isValidItFiscalCode,
      NL_BSN: v.isValidNlBsn,
      PL_PESEL: v.isValidPlPesel,
      SE_PERSONNUMMER: v.isValidSePersonnummer,
      PT_NIF: v.isValidPtNif,
      BE_NATIONAL_NUMBER: v.isValidBeNationalNumber,
      CH_AHV: v.isValidChAhv,
      NO_FNR: v.isValidNoFnr,
      AT_SVNR: v.isValidAtSvnr,
      AE_EMIRATES_ID: v.isValidEmiratesId,
      UK_NHS_NUMBER: v.isValidNhsNumber,
    };
    let checked = 0;
    for (const d of docs) {
      for (const s of d.spans) {
        const check = checks[s.type];
        if (check === undefined) continue;
        expect(check(normalise(d.text.slice(s.start, s.end))), `${d.id}: ${d.text.slice(s.start, s.end)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});

describe('evaluate on the generated corpus', () => {
  const report = evaluate(createScanner(), docs);

  it('reaches F1 >= 0.95 overall', () => {
    expect(report.overall.f1).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps false positives on clean texts at or below 2%', () => {
    expect(report.cleanDocs).toBeGreaterThanOrEqual(500);
    expect(report.falsePositiveRate).toBeLessThanOrEqual(0.02);
  });

  it('reaches F1 >= 0.8 for every single type', () => {
    const weak = Object.entries(report.perType).filter(([, s]) => s.f1 < 0.8);
    expect(weak).toEqual([]);
  });

  it('holds on other seeds too', () => {
    for (const seed of [1, 2]) {
      const r = evaluate(createScanner(), generateCorpus({ seed, docsPerType: 10, cleanDocs: 500 }));
      expect(r.overall.f1).toBeGreaterThanOrEqual(0.95);
      expect(r.falsePositiveRate).toBeLessThanOrEqual(0.02);
    }
  });

  it('counts exact matches only', () => {
    const scanner = createScanner();
    const r = evaluate(scanner, [
      { id: 'a', lang: 'en', text: 'SSN 123-45-6789', spans: [{ start: 4, end: 14, type: 'US_SSN' }], clean: false },
      { id: 'b', lang: 'en', text: 'mail a@b.co', spans: [], clean: true },
    ]);
    expect(r.overall).toMatchObject({ tp: 0, fp: 2, fn: 1 });
    expect(r.falsePositiveRate).toBe(1);
  });
});
