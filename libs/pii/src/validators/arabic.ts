import { isDigits, luhnValid, toInt } from './checksums.js';

/**
 * Saudi national id (starts with 1) or Iqama residence number (starts with 2), 10 digits, as
 * issued by the Ministry of Interior / Elm. The published check (odd positions doubled and
 * digit-summed, check = (10 - sum mod 10) mod 10) is Luhn over the 10 digits.
 */
export function saudiIdKind(n: string): 'citizen' | 'resident' | null {
  if (n.length !== 10 || !isDigits(n) || !luhnValid(n)) return null;
  const first = n.charCodeAt(0);
  return first === 49 ? 'citizen' : first === 50 ? 'resident' : null;
}

/**
 * Emirates ID (Federal Authority for Identity, Citizenship, Customs & Port Security):
 * 784-YYYY-NNNNNNN-C, 784 being the ISO 3166 numeric code of the UAE, YYYY the birth year,
 * C a Luhn check digit over the 15 digits.
 */
export function isValidEmiratesId(n: string): boolean {
  if (n.length !== 15 || !isDigits(n) || !n.startsWith('784')) return false;
  const year = toInt(n, 3, 7);
  return year >= 1900 && year <= 2099 && luhnValid(n);
}

/**
 * Qatar ID (Ministry of Interior): 11 digits: century of birth (2: 1900s, 3: 2000s), two-digit
 * birth year, three-digit ISO 3166 numeric nationality code, five-digit serial. No public check
 * digit, so the scanner needs context words too.
 */
export function isPlausibleQatarId(n: string): boolean {
  if (n.length !== 11 || !isDigits(n)) return false;
  const first = n.charCodeAt(0);
  return (first === 50 || first === 51) && toInt(n, 3, 6) > 0 && toInt(n, 3, 6) <= 894;
}
