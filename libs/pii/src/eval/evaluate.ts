import { type CorpusDoc } from '../corpus/corpus.js';
import { type PiiScanner } from '../scanner/scanner.js';
import { type PiiType } from '../types.js';

/** Counts and scores of one type (or of all types together). */
export interface Score {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Result of {@link evaluate}. */
export interface EvaluationReport {
  readonly perType: Readonly<Partial<Record<PiiType, Score>>>;
  /** Micro-averaged over every span of every document. */
  readonly overall: Score;
  readonly cleanDocs: number;
  readonly cleanDocsWithFindings: number;
  /** Share of clean documents with at least one (false) finding. */
  readonly falsePositiveRate: number;
  /** The wrong or missed spans, for debugging: doc id, type, offsets, and whether it was a miss. */
  readonly errors: readonly { readonly doc: string; readonly type: PiiType; readonly start: number; readonly end: number; readonly kind: 'fp' | 'fn' }[];
}

function score(tp: number, fp: number, fn: number): Score {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

/**
 * Scans every document and compares with the gold spans. A detection counts only with the exact
 * offsets and type; anything found in a clean document is a false positive.
 */
export function evaluate(scanner: PiiScanner, docs: readonly CorpusDoc[]): EvaluationReport {
  const counts = new Map<PiiType, { tp: number; fp: number; fn: number }>();
  const bump = (type: PiiType, key: 'tp' | 'fp' | 'fn'): void => {
    const c = counts.get(type) ?? { tp: 0, fp: 0, fn: 0 };
    c[key]++;
    counts.set(type, c);
  };
  const errors: { doc: string; type: PiiType; start: number; end: number; kind: 'fp' | 'fn' }[] = [];
  let cleanDocs = 0;
  let cleanWithFindings = 0;
  for (const doc of docs) {
    const found = scanner.scan(doc.text);
    const gold = new Map(doc.spans.map((s) => [`${s.start}:${s.end}:${s.type}`, s]));
    const matched = new Set<string>();
    for (const f of found) {
      const key = `${f.start}:${f.end}:${f.type}`;
      if (gold.has(key) && !matched.has(key)) {
        matched.add(key);
        bump(f.type, 'tp');
      } else {
        bump(f.type, 'fp');
        errors.push({ doc: doc.id, type: f.type, start: f.start, end: f.end, kind: 'fp' });
      }
    }
    for (const [key, s] of gold) {
      if (matched.has(key)) continue;
      bump(s.type, 'fn');
      errors.push({ doc: doc.id, type: s.type, start: s.start, end: s.end, kind: 'fn' });
    }
    if (doc.clean) {
      cleanDocs++;
      if (found.length > 0) cleanWithFindings++;
    }
  }
  const perType: Partial<Record<PiiType, Score>> = {};
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [type, c] of counts) {
    perType[type] = score(c.tp, c.fp, c.fn);
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
  }
  return {
    perType,
    overall: score(tp, fp, fn),
    cleanDocs,
    cleanDocsWithFindings: cleanWithFindings,
    falsePositiveRate: cleanDocs === 0 ? 0 : cleanWithFindings / cleanDocs,
    errors,
  };
}
