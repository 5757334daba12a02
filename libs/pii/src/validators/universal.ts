import { alnumValue, isDigits, luhnValid, mod97 } from './checksums.js';

/**
 * Payment card issuer ranges and lengths, after the public IIN tables of the card networks
 * (ISO/IEC 7812-1 numbering; summarised on Wikipedia "Payment card number").
 * Returns the network name or null. The number must also pass Luhn (see {@link isValidPaymentCard}).
 */
export function paymentCardNetwork(pan: string): string | null {
  const len = pan.length;
  if (len < 13 || len > 19 || !isDigits(pan)) return null;
  const d1 = pan.charCodeAt(0) - 48;
  // The leading digits as numbers, without slicing (this runs for every long digit run).
  const d2 = d1 * 10 + pan.charCodeAt(1) - 48;
  const d3 = d2 * 10 + pan.charCodeAt(2) - 48;
  const d4 = d3 * 10 + pan.charCodeAt(3) - 48;
  const d6 = (d4 * 10 + pan.charCodeAt(4) - 48) * 10 + pan.charCodeAt(5) - 48;
  const len16or19 = len === 16 || len === 19;
  if (d1 === 4) return len === 13 || len16or19 ? 'visa' : null;
  if ((d2 >= 51 && d2 <= 55) || (d4 >= 2221 && d4 <= 2720)) return len === 16 ? 'mastercard' : null;
  if (d2 === 34 || d2 === 37) return len === 15 ? 'amex' : null;
  if (d4 >= 2200 && d4 <= 2204) return len === 16 ? 'mir' : null;
  if (d4 >= 3528 && d4 <= 3589) return len === 16 ? 'jcb' : null;
  if ((d3 >= 300 && d3 <= 305) || d2 === 36 || d2 === 38 || d2 === 39) return len === 14 || len === 16 ? 'diners' : null;
  if (d4 === 6011 || (d3 >= 644 && d3 <= 649) || d2 === 65 || (d6 >= 622126 && d6 <= 622925)) {
    return len16or19 ? 'discover' : null;
  }
  if (d2 === 62) return len16or19 ? 'unionpay' : null;
  if ([5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].includes(d4)) return len >= 16 ? 'maestro' : null;
  return null;
}

/** A payment card number: known issuer range and length, and a valid Luhn check digit. */
export function isValidPaymentCard(pan: string): boolean {
  return paymentCardNetwork(pan) !== null && luhnValid(pan);
}

/**
 * IBAN length per country, from the SWIFT IBAN Registry (ISO 13616-1:2020 registration
 * authority), release 2024/2025.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/**
 * IBAN (ISO 13616-1:2020): registered country, the registry's length for that country,
 * alphanumeric BBAN, and ISO/IEC 7064 MOD 97-10 over BBAN + country + check digits equal to 1.
 */
export function isValidIban(iban: string): boolean {
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined || iban.length !== expected) return false;
  const c2 = iban.charCodeAt(2);
  const c3 = iban.charCodeAt(3);
  if (c2 < 48 || c2 > 57 || c3 < 48 || c3 > 57) return false;
  return mod97(iban.slice(4) + iban.slice(0, 4)) === 1;
}

/** The two IBAN check digits for a country and BBAN (ISO 13616-1 clause 6). */
export function ibanCheckDigits(country: string, bban: string): string {
  const r = mod97(bban + country + '00');
  return String(98 - r).padStart(2, '0');
}

/** ISO 3166-1 alpha-2 codes (plus XK, used by SWIFT for Kosovo). */
const COUNTRY_CODES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV ' +
    'BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ' +
    'ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE ' +
    'IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY ' +
    'MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU ' +
    'NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM ' +
    'SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE ' +
    'VG VI VN VU WF WS YE YT ZA ZM ZW XK'
  ).split(' '),
);

/** True for an ISO 3166-1 alpha-2 country code. */
export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}

/**
 * SWIFT/BIC (ISO 9362:2022): 4-letter party prefix, ISO 3166 country code, 2-character
 * location, optional 3-character branch. Upper case only.
 */
export function isValidBic(bic: string): boolean {
  if (bic.length !== 8 && bic.length !== 11) return false;
  for (let i = 0; i < bic.length; i++) {
    const v = alnumValue(bic.charCodeAt(i));
    if (v < 0 || (i < 6 && v < 10)) return false;
  }
  return isCountryCode(bic.slice(4, 6));
}

const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlnum = (c: number): boolean => isUpper(c) || isDigit(c);

/**
 * ICD-10 code shape (WHO ICD-10 2019; ICD-10-CM adds a letter in 3rd and 4th-7th place):
 * letter, digit, digit-or-letter, then optionally `.` and 1-4 alphanumerics.
 */
export function isIcd10Code(code: string): boolean {
  const n = code.length;
  if (n < 3) return false;
  if (!isUpper(code.charCodeAt(0)) || !isDigit(code.charCodeAt(1)) || !isAlnum(code.charCodeAt(2))) return false;
  if (n === 3) return true;
  if (code.charCodeAt(3) !== 46 || n < 5 || n > 8) return false;
  for (let i = 4; i < n; i++) if (!isAlnum(code.charCodeAt(i))) return false;
  return true;
}

/** ICD-11 excludes I and O from codes to avoid confusion with 1 and 0. */
const isIcd11Letter = (c: number): boolean => isUpper(c) && c !== 73 && c !== 79;

/**
 * ICD-11 MMS stem code shape (WHO ICD-11 Reference Guide 2.9 "coding structure"):
 * chapter character (1-9 or letter), a letter, a digit, an alphanumeric, then optionally
 * `.` and one or two alphanumerics. Letters I and O never occur.
 */
export function isIcd11Code(code: string): boolean {
  const n = code.length;
  if (n !== 4 && (n < 6 || n > 7)) return false;
  const c0 = code.charCodeAt(0);
  if (!((c0 >= 49 && c0 <= 57) || isIcd11Letter(c0))) return false;
  if (!isIcd11Letter(code.charCodeAt(1)) || !isDigit(code.charCodeAt(2))) return false;
  const c3 = code.charCodeAt(3);
  if (!(isDigit(c3) || isIcd11Letter(c3))) return false;
  if (n === 4) return true;
  if (code.charCodeAt(4) !== 46) return false;
  for (let i = 5; i < n; i++) {
    const c = code.charCodeAt(i);
    if (!(isDigit(c) || isIcd11Letter(c))) return false;
  }
  return true;
}
