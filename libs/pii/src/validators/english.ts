import { isDigits, toInt, weightedSum } from './checksums.js';

/**
 * US Social Security number structure (SSA, "Social Security Number Randomization", 2011, and
 * POMS RM 10201.035): area 001-899 except 666, group 01-99, serial 0001-9999. The two numbers
 * SSA itself lists as widely misused sample cards (078-05-1120, 219-09-9999) are rejected.
 */
export function isValidUsSsn(n: string): boolean {
  if (n.length !== 9 || !isDigits(n)) return false;
  const area = toInt(n, 0, 3);
  if (area === 0 || area === 666 || area >= 900) return false;
  if (toInt(n, 3, 5) === 0 || toInt(n, 5, 9) === 0) return false;
  return n !== '078051120' && n !== '219099999';
}

const NINO_FIRST_INVALID = 'DFIQUV';
const NINO_SECOND_INVALID = 'DFIOQUV';
const NINO_UNALLOCATED = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

/**
 * UK National Insurance number (HMRC National Insurance Manual NIM39110): two prefix letters
 * (first not D F I Q U V, second not D F I O Q U V, not BG GB KN NK NT TN ZZ), six digits,
 * suffix A-D.
 */
export function isValidUkNino(n: string): boolean {
  if (n.length !== 9) return false;
  const a = n.charCodeAt(0);
  const b = n.charCodeAt(1);
  if (a < 65 || a > 90 || b < 65 || b > 90) return false;
  if (NINO_FIRST_INVALID.includes(n[0] ?? '') || NINO_SECOND_INVALID.includes(n[1] ?? '')) return false;
  if (NINO_UNALLOCATED.has(n.slice(0, 2)) || !isDigits(n.slice(2, 8))) return false;
  const s = n.charCodeAt(8);
  return s >= 65 && s <= 68;
}

/**
 * NHS number (NHS Data Dictionary, "NHS Number"): 10 digits, weights 10..2 over the first nine,
 * check = 11 - (sum mod 11), 11 becomes 0, 10 is never issued.
 */
export function isValidNhsNumber(n: string): boolean {
  if (n.length !== 10 || !isDigits(n)) return false;
  let check = 11 - (weightedSum(n, [10, 9, 8, 7, 6, 5, 4, 3, 2]) % 11);
  if (check === 11) check = 0;
  return check !== 10 && check === n.charCodeAt(9) - 48;
}

/**
 * North American Numbering Plan number without the country code (ATIS-0300051, NANP
 * administration guidelines): NPA [2-9][0-8]X, not an N11 service code; central office code
 * [2-9]XX, not N11.
 */
export function isNanpNumber(n: string): boolean {
  if (n.length !== 10 || !isDigits(n)) return false;
  const a = n.charCodeAt(0) - 48;
  const a2 = n.charCodeAt(1) - 48;
  const a3 = n.charCodeAt(2) - 48;
  const e = n.charCodeAt(3) - 48;
  if (a < 2 || a2 === 9 || (a2 === 1 && a3 === 1)) return false;
  if (e < 2 || (n.charCodeAt(4) === 49 && n.charCodeAt(5) === 49)) return false;
  return true;
}

/**
 * UK national significant number (Ofcom National Telephone Numbering Plan), 10 digits after
 * the trunk 0: geographic 1/2, non-geographic 3, mobile 7[1-57-9] (070 personal numbers and
 * 076 pagers excluded), freephone/special 80, 84, 87.
 */
export function isUkNationalNumber(n: string): boolean {
  if (n.length !== 10 || !isDigits(n)) return false;
  const a = n.charCodeAt(0) - 48;
  const b = n.charCodeAt(1) - 48;
  if (a === 1 || a === 2 || a === 3) return true;
  if (a === 7) return b !== 0 && b !== 6;
  if (a === 8) return b === 0 || b === 4 || b === 7;
  return false;
}
