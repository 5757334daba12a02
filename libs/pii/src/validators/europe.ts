import {
  ean13CheckDigit,
  icao9303Check,
  isDigits,
  isValidDate,
  iso7064Mod11_10Check,
  luhnValid,
  toInt,
  weightedSum,
} from './checksums.js';

/**
 * German tax identification number (Steueridentifikationsnummer, §139b AO; structure and check
 * published by the Bundeszentralamt für Steuern): 11 digits, no leading 0; among the first ten
 * exactly one digit occurs twice or three times (three not in a row, since 2016), and the last
 * digit is the ISO/IEC 7064 MOD 11,10 check digit.
 */
export function isValidDeTaxId(n: string): boolean {
  if (n.length !== 11 || !isDigits(n) || n.charCodeAt(0) === 48) return false;
  const counts = new Uint8Array(10);
  for (let i = 0; i < 10; i++) counts[n.charCodeAt(i) - 48]! += 1;
  let repeated = -1;
  for (let d = 0; d < 10; d++) {
    const c = counts[d]!;
    if (c <= 1) continue;
    if (repeated >= 0 || c > 3) return false;
    repeated = d;
  }
  if (repeated < 0) return false;
  if (counts[repeated] === 3) {
    const ch = 48 + repeated;
    for (let i = 0; i + 2 < 10; i++) {
      if (n.charCodeAt(i) === ch && n.charCodeAt(i + 1) === ch && n.charCodeAt(i + 2) === ch) return false;
    }
  }
  return iso7064Mod11_10Check(n.slice(0, 10)) === n.charCodeAt(10) - 48;
}

/** Characters of German identity card serial numbers since 2010 (PAuswV Anlage): digits and CFGHJKLMNPRTVWXYZ. */
const DE_ID_ALPHABET = /^[0-9CFGHJKLMNPRTVWXYZ]{9}[0-9]$/;

/**
 * German identity card / passport document number (Personalausweis): 9 serial characters plus
 * an ICAO Doc 9303 check digit with weights 7-3-1.
 */
export function isValidDeIdCard(n: string): boolean {
  return n.length === 10 && DE_ID_ALPHABET.test(n) && icao9303Check(n.slice(0, 9)) === n.charCodeAt(9) - 48;
}

/**
 * French social security number (NIR, INSEE "numéro d'inscription au répertoire"): sex 1/2 (3,4,7,8
 * for provisional numbers), YY, month 01-12 or 20-42 / 50-99 for unknown months, department
 * (2A/2B for Corsica), commune, order, and the key 97 - (N mod 97), where Corsica's 2A/2B are
 * replaced by 19/18 in N.
 */
export function isValidFrNir(n: string): boolean {
  if (n.length !== 15) return false;
  const sex = n.charCodeAt(0) - 48;
  if (!(sex === 1 || sex === 2 || sex === 3 || sex === 4 || sex === 7 || sex === 8)) return false;
  let body = n.slice(0, 13);
  const dept = n.slice(5, 7);
  if (dept === '2A') body = body.slice(0, 5) + '19' + body.slice(7);
  else if (dept === '2B') body = body.slice(0, 5) + '18' + body.slice(7);
  if (!isDigits(body) || !isDigits(n.slice(13))) return false;
  const month = toInt(n, 3, 5);
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50)) return false;
  if (dept === '00') return false;
  return 97 - (toInt(body) % 97) === toInt(n, 13, 15);
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spanish DNI check letter (Ministerio del Interior, Real Decreto 1553/2005): table[number mod 23]. */
export function dniLetter(n: number): string {
  return DNI_LETTERS.charAt(n % 23);
}

/** Spanish DNI: 8 digits and the mod-23 letter. */
export function isValidEsDni(s: string): boolean {
  return s.length === 9 && isDigits(s.slice(0, 8)) && dniLetter(toInt(s, 0, 8)) === s[8];
}

/** Spanish NIE: X/Y/Z (read as 0/1/2), 7 digits and the DNI mod-23 letter. */
export function isValidEsNie(s: string): boolean {
  if (s.length !== 9) return false;
  const prefix = 'XYZ'.indexOf(s.charAt(0));
  if (prefix < 0 || !isDigits(s.slice(1, 8))) return false;
  return dniLetter(prefix * 10_000_000 + toInt(s, 1, 8)) === s[8];
}

// Decreto ministeriale 23 dicembre 1976, allegato: values of characters in odd positions.
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
const CF_MONTHS = 'ABCDEHLMPRST';
const CF_OMOCODE = 'LMNPQRSTUV';

/** Value of a codice fiscale character as a digit (0-9, or its omocodia letter), else -1. */
function cfDigit(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  return CF_OMOCODE.indexOf(c);
}

/** The check character of an Italian codice fiscale (D.M. 23/12/1976), over 15 characters. */
export function codiceFiscaleCheckChar(payload: string): string {
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const code = payload.charCodeAt(i);
    const v = code >= 48 && code <= 57 ? code - 48 : code - 65;
    sum += i % 2 === 0 ? (CF_ODD[v] ?? 0) : v;
  }
  return String.fromCharCode(65 + (sum % 26));
}

/**
 * Italian codice fiscale of a person: 6 letters (surname, name), 2-digit year, month letter,
 * 2-digit day (+40 for women), 4-character municipality code, check character. Digits may be
 * replaced by omocodia letters.
 */
export function isValidItFiscalCode(s: string): boolean {
  if (s.length !== 16) return false;
  for (let i = 0; i < 6; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  const digitsAt = [6, 7, 9, 10, 12, 13, 14];
  for (const i of digitsAt) if (cfDigit(s.charAt(i)) < 0) return false;
  if (!CF_MONTHS.includes(s.charAt(8)) || s.charAt(8) === '') return false;
  const c11 = s.charCodeAt(11);
  if (c11 < 65 || c11 > 90) return false;
  const day = cfDigit(s.charAt(9)) * 10 + cfDigit(s.charAt(10));
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return false;
  return codiceFiscaleCheckChar(s) === s[15];
}

/**
 * Dutch citizen service number (burgerservicenummer, Wet algemene bepalingen BSN; "elfproef"):
 * 9 digits with 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11.
 */
export function isValidNlBsn(n: string): boolean {
  if (n.length !== 9 || !isDigits(n) || n === '000000000') return false;
  return (weightedSum(n, [9, 8, 7, 6, 5, 4, 3, 2]) - (n.charCodeAt(8) - 48)) % 11 === 0;
}

/**
 * Polish PESEL (Ustawa o ewidencji ludności, 2010, art. 15): YYMMDD with the century folded into
 * the month (+80 1800s, +20 2000s, +40 2100s, +60 2200s), serial, sex digit, and check digit
 * (10 - sum of digits weighted 1,3,7,9,1,3,7,9,1,3 mod 10) mod 10.
 */
export function isValidPlPesel(n: string): boolean {
  if (n.length !== 11 || !isDigits(n)) return false;
  const encoded = toInt(n, 2, 4);
  // Month offsets 80 / 0 / 20 / 40 / 60 encode the centuries 1800 ... 2200.
  const offset = encoded > 80 ? 80 : encoded > 60 ? 60 : encoded > 40 ? 40 : encoded > 20 ? 20 : 0;
  const century = offset === 80 ? 1800 : 1900 + offset * 5;
  const month = encoded - offset;
  if (!isValidDate(century + toInt(n, 0, 2), month, toInt(n, 4, 6))) return false;
  return (10 - (weightedSum(n, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10)) % 10 === n.charCodeAt(10) - 48;
}

/**
 * Swedish personnummer (Skatteverket SKV 704): YYMMDD (day + 60 for samordningsnummer), 3-digit
 * serial, Luhn check digit over the 10 digits. A 12-digit form carries the century first.
 */
export function isValidSePersonnummer(n: string): boolean {
  if (n.length === 12) {
    const century = toInt(n, 0, 2);
    if (century < 18 || century > 20) return false;
    n = n.slice(2);
  }
  if (n.length !== 10 || !isDigits(n)) return false;
  let day = toInt(n, 4, 6);
  if (day > 60) day -= 60;
  if (!isValidDate(-1, toInt(n, 2, 4), day)) return false;
  return luhnValid(n);
}

/**
 * Portuguese tax number (NIF, Autoridade Tributária): 9 digits, first digit 1-3, 5, 6, 8 or 9
 * (45, 7x legal persons included), check = 11 - (sum d_i * (10 - i) mod 11), 10 and 11 become 0.
 */
export function isValidPtNif(n: string): boolean {
  if (n.length !== 9 || !isDigits(n)) return false;
  const first = n.charCodeAt(0) - 48;
  if (first === 0 || (first === 4 && n.charCodeAt(1) !== 53)) return false;
  let check = 11 - (weightedSum(n, [9, 8, 7, 6, 5, 4, 3, 2]) % 11);
  if (check >= 10) check = 0;
  return check === n.charCodeAt(8) - 48;
}

/**
 * Belgian national register number (Rijksregisternummer / numéro de registre national, Royal
 * Decree of 8 January 2006): YYMMDD (months +20/+40 for bis numbers, 00 when unknown), 3-digit
 * serial, check = 97 - (first nine digits mod 97); for people born from 2000 on, 2 is prefixed
 * to the nine digits before the modulo.
 */
export function isValidBeNationalNumber(n: string): boolean {
  if (n.length !== 11 || !isDigits(n)) return false;
  let month = toInt(n, 2, 4);
  if (month >= 40) month -= 40;
  else if (month >= 20) month -= 20;
  const day = toInt(n, 4, 6);
  if (month > 12 || day > 31) return false;
  const body = toInt(n, 0, 9);
  const check = toInt(n, 9, 11);
  return 97 - (body % 97) === check || 97 - ((2_000_000_000 + body) % 97) === check;
}

/**
 * Swiss social security number (AHV/AVS-Nr., Zentrale Ausgleichsstelle): 13 digits beginning
 * with 756 (ISO 3166 numeric for Switzerland), EAN-13 check digit.
 */
export function isValidChAhv(n: string): boolean {
  return n.length === 13 && isDigits(n) && n.startsWith('756') && ean13CheckDigit(n.slice(0, 12)) === n.charCodeAt(12) - 48;
}

/**
 * Danish CPR number (CPR-kontoret): DDMMYY and 4 digits. The modulus-11 check was abandoned in
 * October 2007 because the series ran out, so only the date can be checked.
 */
export function isPlausibleDkCpr(n: string): boolean {
  return n.length === 10 && isDigits(n) && isValidDate(-1, toInt(n, 2, 4), toInt(n, 0, 2));
}

const HETU_CHECK = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const HETU_CENTURY = '+-ABCDEFYXWVU';

/**
 * Finnish personal identity code (henkilötunnus, Digital and Population Data Services Agency):
 * DDMMYY, century sign (+ 1800s; - Y X W V U 1900s; A B C D E F 2000s since 2023), 3-digit
 * individual number, check character table[DDMMYYZZZ mod 31].
 */
export function isValidFiHetu(s: string): boolean {
  if (s.length !== 11 || !isDigits(s.slice(0, 6)) || !isDigits(s.slice(7, 10))) return false;
  if (!HETU_CENTURY.includes(s.charAt(6))) return false;
  if (!isValidDate(-1, toInt(s, 2, 4), toInt(s, 0, 2))) return false;
  return HETU_CHECK.charAt(toInt(s.slice(0, 6) + s.slice(7, 10)) % 31) === s[10];
}

/**
 * Norwegian national identity number (fødselsnummer, Skatteetaten): DDMMYY (day + 40 for
 * D-numbers, month + 40 for H-numbers), 3-digit individual number and two mod-11 check digits
 * with weights 3,7,6,1,8,9,4,5,2 and 5,4,3,2,7,6,5,4,3,2.
 */
export function isValidNoFnr(n: string): boolean {
  if (n.length !== 11 || !isDigits(n)) return false;
  let day = toInt(n, 0, 2);
  let month = toInt(n, 2, 4);
  if (day > 40) day -= 40;
  if (month > 40) month -= 40;
  if (!isValidDate(-1, month, day)) return false;
  let k1 = 11 - (weightedSum(n, [3, 7, 6, 1, 8, 9, 4, 5, 2]) % 11);
  if (k1 === 11) k1 = 0;
  if (k1 === 10 || k1 !== n.charCodeAt(9) - 48) return false;
  let k2 = 11 - (weightedSum(n, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11);
  if (k2 === 11) k2 = 0;
  return k2 !== 10 && k2 === n.charCodeAt(10) - 48;
}

/**
 * Austrian social insurance number (Versicherungsnummer, Dachverband der
 * Sozialversicherungsträger): 3-digit serial (not starting with 0), check digit, DDMMYY; the
 * check is (3,7,9 over the serial and 5,8,4,2,1,6 over the date) mod 11, 10 is never issued.
 */
export function isValidAtSvnr(n: string): boolean {
  if (n.length !== 10 || !isDigits(n) || n.charCodeAt(0) === 48) return false;
  const month = toInt(n, 6, 8);
  const day = toInt(n, 4, 6);
  if (day < 1 || day > 31 || month < 1 || month > 15) return false;
  const sum = weightedSum(n, [3, 7, 9]) + weightedSum(n, [5, 8, 4, 2, 1, 6], 4);
  const check = sum % 11;
  return check !== 10 && check === n.charCodeAt(3) - 48;
}
