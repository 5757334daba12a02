import { isDigits, isValidDate, iso7064Mod11_2Check, luhnValid, toInt, weightedSum } from './checksums.js';

/** First two digits of a resident id: province-level division (GB/T 2260), incl. 71 Taiwan, 81-83 HK/Macau. */
const CN_PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65, 71, 81, 82, 83,
]);

/**
 * Chinese resident identity number, GB 11643-1999: 6-digit area code, YYYYMMDD birth date,
 * 3-digit sequence, ISO/IEC 7064 MOD 11-2 check character (0-9 or X).
 */
export function isValidCnResidentId(id: string): boolean {
  if (id.length !== 18 || !isDigits(id.slice(0, 17))) return false;
  if (!CN_PROVINCES.has(toInt(id, 0, 2))) return false;
  const year = toInt(id, 6, 10);
  if (year < 1900 || year > 2099 || !isValidDate(year, toInt(id, 10, 12), toInt(id, 12, 14))) return false;
  return iso7064Mod11_2Check(id.slice(0, 17)) === id[17];
}

/** Alphabet of the unified social credit code (GB 32100-2015 table 1): no I, O, S, V, Z. */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** The check character of an unified social credit code, GB 32100-2015 clause 5: weights 3^(i) mod 31. */
export function usccCheckChar(payload: string): string | null {
  let sum = 0;
  let weight = 1;
  for (let i = 0; i < 17; i++) {
    const v = USCC_ALPHABET.indexOf(payload.charAt(i));
    if (v < 0) return null;
    sum += v * weight;
    weight = (weight * 3) % 31;
  }
  return USCC_ALPHABET.charAt((31 - (sum % 31)) % 31);
}

/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015: registration department,
 * organisation type, 6-digit administrative division (GB/T 2260), 9-character organisation code,
 * check character.
 */
export function isValidUscc(code: string): boolean {
  if (code.length !== 18 || !isDigits(code.slice(2, 8))) return false;
  return usccCheckChar(code) === code[17];
}

/**
 * Chinese mobile number (MIIT numbering plan): 11 digits, 13x, 14[5-9], 15[0-35-9],
 * 16[2567], 17[0-8], 18x, 19[0-35-9].
 */
export function isCnMobile(n: string): boolean {
  if (n.length !== 11 || n.charCodeAt(0) !== 49 || !isDigits(n)) return false;
  const d2 = n.charCodeAt(1) - 48;
  const d3 = n.charCodeAt(2) - 48;
  switch (d2) {
    case 3:
    case 8:
      return true;
    case 4:
      return d3 >= 5;
    case 5:
    case 9:
      return d3 !== 4;
    case 6:
      return d3 === 2 || d3 === 5 || d3 === 6 || d3 === 7;
    case 7:
      return d3 <= 8;
    default:
      return false;
  }
}

/**
 * Japanese individual number (個人番号, My Number): 12 digits, check digit per 総務省令第八十五号
 * (2014) 第五条: weights n+1 (n = 1..6) and n-5 (n = 7..11) counted from the right of the
 * 11-digit payload; remainder <= 1 gives 0, else 11 - remainder.
 */
export function myNumberCheckDigit(payload: string): number {
  let sum = 0;
  for (let n = 1; n <= 11; n++) {
    const p = payload.charCodeAt(11 - n) - 48;
    sum += p * (n <= 6 ? n + 1 : n - 5);
  }
  const r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/** Japanese My Number: 12 digits with its check digit. */
export function isValidMyNumber(n: string): boolean {
  return n.length === 12 && isDigits(n) && myNumberCheckDigit(n) === n.charCodeAt(11) - 48;
}

/**
 * Japanese health insurer number (保険者番号): 8 digits (6 for National Health Insurance);
 * the 検証番号 follows 厚生労働省「保険者番号設定要領」: weights 2, 1 from the last payload digit,
 * digit sums of products, 10 minus the last digit of the sum, which is exactly Luhn.
 */
export function isValidJpInsurerNumber(n: string): boolean {
  return (n.length === 8 || n.length === 6) && luhnValid(n);
}

/** Birth date and century of a Korean RRN, or null. Gender digit 1-8 (9/0: 1800s). */
function krRrnDateValid(n: string): boolean {
  const g = n.charCodeAt(6) - 48;
  const century = g === 9 || g === 0 ? 1800 : g <= 2 || g === 5 || g === 6 ? 1900 : 2000;
  return isValidDate(century + toInt(n, 0, 2), toInt(n, 2, 4), toInt(n, 4, 6));
}

/**
 * Korean resident registration number (주민등록번호): YYMMDD, gender/century digit, 6 digits.
 * Up to September 2020 the last digit is a check digit (weights 2-9,2-5, (11 - s mod 11) mod 10);
 * numbers issued since October 2020 carry random digits instead, so callers get both facts.
 */
export function checkKrRrn(n: string): { readonly shape: boolean; readonly checksum: boolean } {
  if (n.length !== 13 || !isDigits(n) || !krRrnDateValid(n)) return { shape: false, checksum: false };
  const sum = weightedSum(n, [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]);
  return { shape: true, checksum: (11 - (sum % 11)) % 10 === n.charCodeAt(12) - 48 };
}

/**
 * Korean business registration number (사업자등록번호), 10 digits, National Tax Service
 * check: weights 1,3,7,1,3,7,1,3,5 plus floor(9th digit * 5 / 10), check = (10 - s mod 10) mod 10.
 */
export function isValidKrBrn(n: string): boolean {
  if (n.length !== 10 || !isDigits(n)) return false;
  let sum = weightedSum(n, [1, 3, 7, 1, 3, 7, 1, 3, 5]);
  sum += Math.floor(((n.charCodeAt(8) - 48) * 5) / 10);
  return (10 - (sum % 10)) % 10 === n.charCodeAt(9) - 48;
}
