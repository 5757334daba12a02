import { type CandidateView } from '../scanner/candidate.js';

/**
 * True for dates and times written with separators (2024-03-15, 15/03/2024, 15.03.24, 10.30.00):
 * context-only detectors must not report them just because an id keyword is nearby.
 */
export function looksLikeDate(v: CandidateView): boolean {
  if (v.atoms < 2 || v.atoms > 3) return false;
  for (let k = 0; k < v.atoms - 1; k++) {
    const g = v.gapAfter(k);
    if (g !== 45 && g !== 46 && g !== 47) return false;
  }
  const a = v.atomLen(0);
  const b = v.atomLen(1);
  if (v.atoms === 2) return (a <= 2 && b === 4) || (a === 4 && b <= 2);
  const c = v.atomLen(2);
  return (a === 4 && b <= 2 && c <= 2) || (a <= 2 && b <= 2 && (c === 4 || c === 2));
}
