// Generic check-digit algorithms. Inputs are normalised strings: ASCII digits and upper-case
// ASCII letters, no separators. Every function rejects characters outside its alphabet.

/** Numeric value of an ASCII digit, or -1. */
export function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/** True when every character of `s` is an ASCII digit (and `s` is not empty). */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `s` parsed as a non-negative integer (caller guarantees digits and length <= 15). */
export function toInt(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}

/**
 * Luhn (mod 10) check, ISO/IEC 7812-1:2017 Annex B. Used by payment cards, Swedish
 * personnummer, Saudi national ids, Emirates ID and Japanese insurer numbers.
 */
export function luhnValid(s: string): boolean {
  if (s.length < 2) return false;
  let sum = 0;
  let double = false;
  for (let i = s.length - 1; i >= 0; i--) {
    let d = digitAt(s, i);
    if (d < 0) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The Luhn check digit to append to `payload`. */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  let double = true;
  for (let i = payload.length - 1; i >= 0; i--) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * ISO/IEC 7064:2003 MOD 11-2, the check character of the Chinese resident identity number
 * (GB 11643-1999): weights 2^(n-1) mod 11, result 10 written `X`.
 */
export function iso7064Mod11_2Check(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    sum = ((sum + (payload.charCodeAt(i) - 48)) * 2) % 11;
  }
  const check = (12 - sum) % 11;
  return check === 10 ? 'X' : String(check);
}

/**
 * ISO/IEC 7064:2003 MOD 11,10 (hybrid system), the check digit of the German tax id
 * (Steueridentifikationsnummer, Bundeszentralamt für Steuern).
 */
export function iso7064Mod11_10Check(payload: string): number {
  let product = 10;
  for (let i = 0; i < payload.length; i++) {
    let sum = (payload.charCodeAt(i) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** Value of an alphanumeric character in ISO 13616 / ICAO 9303 style: 0-9, A=10 ... Z=35, else -1. */
export function alnumValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  return -1;
}

/**
 * ISO/IEC 7064 MOD 97-10 over an alphanumeric string (letters expanded to two digits, A=10),
 * computed incrementally so it never leaves safe integers. Returns the remainder.
 */
export function mod97(s: string): number {
  let r = 0;
  for (let i = 0; i < s.length; i++) {
    const v = alnumValue(s.charCodeAt(i));
    if (v < 0) return -1;
    r = v < 10 ? (r * 10 + v) % 97 : (r * 100 + v) % 97;
  }
  return r;
}

/**
 * ICAO Doc 9303 Part 3 section 4.9 check digit: weights 7, 3, 1 repeating, digits at face value,
 * A-Z = 10-35, filler `<` = 0. Used by the German identity card number.
 */
export function icao9303Check(s: string): number {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c === 60 ? 0 : alnumValue(c);
    if (v < 0) return -1;
    sum += v * (weights[i % 3] ?? 0);
  }
  return sum % 10;
}

/** GS1 / EAN-13 check digit (weights 1, 3 from the left over 12 digits). */
export function ean13CheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum += (payload.charCodeAt(i) - 48) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/** Sum of digit * weight over the first `weights.length` digits. */
export function weightedSum(s: string, weights: readonly number[], offset = 0): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (s.charCodeAt(offset + i) - 48) * (weights[i] ?? 0);
  return sum;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Plausible calendar date. With `year` unknown (< 0) February 29 is accepted. */
export function isValidDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const max = DAYS_IN_MONTH[month - 1] ?? 0;
  if (day > max) return false;
  if (month === 2 && day === 29 && year >= 0) {
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  }
  return true;
}
