// Generators of valid values, in the formats people actually type. Check digits are computed
// with the library's own algorithms, which the validator tests pin to published examples.
import { type PiiType } from '../types.js';
import { ean13CheckDigit, iso7064Mod11_2Check, luhnCheckDigit, toInt } from '../validators/checksums.js';
import { USCC_ALPHABET, myNumberCheckDigit, usccCheckChar } from '../validators/east-asia.js';
import { isValidNhsNumber, isValidUkNino } from '../validators/english.js';
import {
  codiceFiscaleCheckChar,
  dniLetter,
  isValidAtSvnr,
  isValidDeIdCard,
  isValidDeTaxId,
  isValidFiHetu,
  isValidNlBsn,
  isValidNoFnr,
  isValidPlPesel,
  isValidPtNif,
} from '../validators/europe.js';
import { ibanCheckDigits, isValidBic } from '../validators/universal.js';
import { type Rng } from './prng.js';
import { type Lang } from './templates.js';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64URL = `${ALNUM}-_`;

/** Tries each check character in turn; every scheme here has one that fits (or we retry). */
function completeWith(r: Rng, make: () => string, alphabet: string, valid: (s: string) => boolean): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const body = make();
    for (const c of alphabet) if (valid(body + c)) return body + c;
  }
  throw new Error('could not complete a check digit');
}

const luhn = (payload: string): string => payload + String(luhnCheckDigit(payload));

/** Groups a string: group('123456789', [3, 2, 4], '-') = '123-45-6789'. */
export function group(s: string, sizes: readonly number[], sep: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(s.slice(at, at + n));
    at += n;
  }
  if (at < s.length) parts.push(s.slice(at));
  return parts.filter((p) => p.length > 0).join(sep);
}

function birthDate(r: Rng, from = 1950, to = 2005): { y: number; m: number; d: number } {
  return { y: r.int(from, to), m: r.int(1, 12), d: r.int(1, 28) };
}
const two = (n: number): string => String(n).padStart(2, '0');

const FIRST = ['john', 'anna', 'li', 'maria', 'ahmed', 'yuki', 'minji', 'pierre', 'sofia', 'lars', 'ewa', 'joao'];
const LAST = ['smith', 'mueller', 'wang', 'garcia', 'hassan', 'tanaka', 'kim', 'dubois', 'rossi', 'nilsen', 'nowak', 'silva'];
const DOMAINS = ['example.com', 'mail.example.org', 'company.co.uk', 'web.de', 'qq.com', 'yahoo.co.jp', 'naver.com', 'outlook.fr'];

const CARD_PREFIXES: readonly (readonly [string, number])[] = [
  ['4', 16], ['4', 16], ['51', 16], ['55', 16], ['2221', 16], ['34', 15], ['37', 15], ['6011', 16], ['3530', 16],
];

const IBAN_SHAPES: Readonly<Record<string, (r: Rng) => string>> = {
  DE: (r) => r.digits(18),
  FR: (r) => r.digits(23),
  ES: (r) => r.digits(20),
  IT: (r) => r.chars(1, UPPER) + r.digits(22),
  NL: (r) => r.chars(4, UPPER) + r.digits(10),
  GB: (r) => r.chars(4, UPPER) + r.digits(14),
  BE: (r) => r.digits(12),
  CH: (r) => r.digits(17),
  AT: (r) => r.digits(16),
  PL: (r) => r.digits(24),
  SE: (r) => r.digits(20),
  SA: (r) => r.digits(20),
  AE: (r) => r.digits(19),
};

const CN_AREAS = ['110105', '310104', '440305', '510107', '320102', '330106', '420111', '610113', '210102', '370202'];

/** One valid value of `type`, formatted the way people write it. */
export const GENERATORS: Readonly<Partial<Record<PiiType, (r: Rng, lang: Lang) => string>>> = {
  EMAIL: (r) => {
    const local = r.pick([`${r.pick(FIRST)}.${r.pick(LAST)}`, `${r.pick(FIRST)}${r.int(1, 99)}`, `${r.pick(FIRST)}_${r.pick(LAST)}`]);
    return `${local}@${r.pick(DOMAINS)}`;
  },
  CREDIT_CARD: (r) => {
    const [prefix, len] = r.pick(CARD_PREFIXES);
    const pan = luhn(prefix + r.digits(len - prefix.length - 1));
    const sep = r.pick([' ', '-', '', ' ']);
    return len === 15 ? group(pan, [4, 6, 5], sep) : group(pan, [4, 4, 4, 4], sep);
  },
  IBAN: (r) => {
    const country = r.pick(Object.keys(IBAN_SHAPES));
    const bban = IBAN_SHAPES[country]!(r);
    const iban = country + ibanCheckDigits(country, bban) + bban;
    return r.chance(0.7) ? group(iban, [4, 4, 4, 4, 4, 4, 4, 4], ' ') : iban;
  },
  SWIFT_BIC: (r) => {
    for (;;) {
      const bic = r.chars(4, UPPER) + r.pick(['DE', 'FR', 'GB', 'CH', 'NL', 'IT', 'ES', 'US', 'CN', 'JP']) + r.chars(2, 'ABCDEFGHJKLMNPRSTUVWXYZ23456789') + (r.chance(0.5) ? r.pick(['XXX', '500', 'A1B']) : '');
      if (isValidBic(bic)) return bic;
    }
  },
  ICD_CODE: (r) => r.pick(['E11.9', 'I10', 'J45.909', 'F32.1', 'C50.911', 'M54.5', 'K21.9', 'N39.0', 'E78.5', 'G43.909', '5A11', 'BA00', '6A70', 'CA40.0', '8A80.0', 'DA63']),
  PHONE_NUMBER: (r) =>
    r.pick([
      () => `+49 30 ${r.digits(7)}`,
      () => `+33 6 ${group(r.digits(8), [2, 2, 2, 2], ' ')}`,
      () => `+39 347 ${r.digits(3)} ${r.digits(4)}`,
      () => `+34 6${r.digits(2)} ${r.digits(3)} ${r.digits(3)}`,
      () => `+31 6 ${r.digits(8)}`,
      () => `+48 5${r.digits(2)} ${r.digits(3)} ${r.digits(3)}`,
    ])(),

  OPENAI_API_KEY: (r) => (r.chance(0.5) ? `sk-proj-${r.chars(20, ALNUM)}${r.int(0, 9)}${r.chars(40, B64URL)}` : `sk-${r.chars(20, ALNUM)}T3BlbkFJ${r.chars(19, ALNUM)}${r.int(0, 9)}`),
  ANTHROPIC_API_KEY: (r) => `sk-ant-api03-${r.chars(40, B64URL)}${r.int(0, 9)}${r.chars(52, B64URL)}AA`,
  AWS_ACCESS_KEY_ID: (r) => `AKIA${r.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
  GITHUB_TOKEN: (r) => (r.chance(0.7) ? `ghp_${r.chars(36, ALNUM)}` : `github_pat_${r.chars(22, ALNUM)}_${r.chars(59, ALNUM)}`),
  SLACK_TOKEN: (r) => `xoxb-${r.digits(12)}-${r.digits(13)}-${r.chars(24, ALNUM)}`,
  GOOGLE_API_KEY: (r) => `AIza${r.chars(35, B64URL)}`,
  STRIPE_SECRET_KEY: (r) => `sk_live_${r.chars(24, ALNUM)}${r.int(0, 9)}`,
  PRIVATE_KEY: (r) => {
    const lines = Array.from({ length: r.int(3, 6) }, () => r.chars(64, `${ALNUM}+/`));
    const kind = r.pick(['RSA ', 'EC ', '', 'OPENSSH ']);
    return `-----BEGIN ${kind}PRIVATE KEY-----\n${lines.join('\n')}\n-----END ${kind}PRIVATE KEY-----`;
  },
  JWT: (r) => `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${r.chars(r.int(30, 80), B64URL)}.${r.chars(43, B64URL)}`,

  CN_RESIDENT_ID: (r) => {
    const { y, m, d } = birthDate(r);
    const body = `${r.pick(CN_AREAS)}${y}${two(m)}${two(d)}${r.digits(3)}`;
    return body + iso7064Mod11_2Check(body);
  },
  CN_PHONE: (r) => {
    const n = `1${r.pick(['38', '39', '50', '58', '86', '88', '77', '99', '35', '66'])}${r.digits(8)}`;
    return r.pick([n, group(n, [3, 4, 4], ' '), group(n, [3, 4, 4], '-'), `+86 ${group(n, [3, 4, 4], ' ')}`]);
  },
  CN_BANK_CARD: (r) => {
    const len = r.pick([16, 19]);
    const pan = luhn(`62${r.pick(['22', '28', '17', '14'])}${r.digits(len - 5)}`);
    return r.chance(0.5) ? pan : group(pan, [4, 4, 4, 4, 3], ' ');
  },
  CN_USCC: (r) => {
    const body = `91${r.pick(CN_AREAS)}${r.chars(2, 'ABCDEFGHJKLMNPQRTUWXY')}${r.chars(7, USCC_ALPHABET)}`;
    return body + (usccCheckChar(body) ?? '0');
  },
  CN_SECURITIES_ACCOUNT: (r) => (r.chance(0.5) ? `A${r.digits(9)}` : `00${r.digits(8)}`),

  US_SSN: (r) => {
    let area = r.int(1, 899);
    if (area === 666) area = 667;
    return `${String(area).padStart(3, '0')}-${r.padded(1, 99, 2)}-${r.padded(1, 9999, 4)}`;
  },
  NANP_PHONE: (r) => {
    const npa = `${r.int(2, 9)}${r.int(0, 8)}${r.int(2, 9)}`;
    const nxx = `${r.int(2, 9)}${r.int(2, 9)}${r.digits(1)}`;
    const line = r.digits(4);
    return r.pick([`(${npa}) ${nxx}-${line}`, `${npa}-${nxx}-${line}`, `${npa}.${nxx}.${line}`, `+1 ${npa} ${nxx} ${line}`, `1-${npa}-${nxx}-${line}`]);
  },
  UK_PHONE: (r) =>
    r.pick([
      () => `020 ${r.int(3, 8)}${r.digits(3)} ${r.digits(4)}`,
      () => `07${r.pick(['700', '911', '400', '575'])} ${r.digits(6)}`,
      () => `+44 20 ${r.int(3, 8)}${r.digits(3)} ${r.digits(4)}`,
      () => `+44 7${r.pick(['700', '911', '400'])} ${r.digits(6)}`,
      () => `0161 ${r.digits(3)} ${r.digits(4)}`,
      () => `+44 (0)113 ${r.digits(3)} ${r.digits(4)}`,
    ])(),
  UK_NINO: (r) => {
    for (;;) {
      const n = `${r.chars(2, 'ABCEGHJKLMNPRSTWXYZ')}${r.digits(6)}${r.pick(['A', 'B', 'C', 'D'])}`;
      if (isValidUkNino(n)) return r.chance(0.5) ? n : group(n, [2, 2, 2, 2, 1], ' ');
    }
  },
  UK_NHS_NUMBER: (r) => group(completeWith(r, () => r.digits(9), '0123456789', isValidNhsNumber), [3, 3, 4], ' '),
  EN_PASSPORT: (r) => (r.chance(0.6) ? `${r.int(1, 9)}${r.digits(8)}` : `${r.pick(['A', 'C', 'E'])}${r.digits(8)}`),
  EN_DRIVER_LICENSE: (r) =>
    r.chance(0.5)
      ? `${r.pick(['D', 'F', 'S', 'B'])}${r.digits(7)}`
      : `${r.pick(['MORGA', 'SMITH', 'JONES', 'TAYLO', 'BROWN'])}${r.int(5, 9)}${r.pick(['01', '07', '12', '53', '61'])}${r.padded(1, 28, 2)}${r.int(0, 9)}${r.chars(2, 'ABCDEJKMRST')}9${r.chars(2, UPPER)}`,
  EN_MEDICAL_RECORD: (r) => (r.chance(0.6) ? r.digits(8) : `${r.chars(2, 'ABCHMRX')}${r.digits(7)}`),

  JP_MY_NUMBER: (r) => {
    const body = `${r.int(1, 9)}${r.digits(10)}`;
    const n = body + String(myNumberCheckDigit(body));
    return r.chance(0.5) ? group(n, [4, 4, 4], ' ') : n;
  },
  JP_PHONE: (r, lang) =>
    r.pick([
      () => `0${r.pick(['90', '80', '70'])}-${r.digits(4)}-${r.digits(4)}`,
      () => `+81 ${r.pick(['90', '80'])} ${r.digits(4)} ${r.digits(4)}`,
      ...(lang === 'ja'
        ? [() => `03-${r.int(3, 6)}${r.digits(3)}-${r.digits(4)}`, () => `06-${r.int(6, 7)}${r.digits(3)}-${r.digits(4)}`]
        : []),
    ])(),
  JP_POSTAL_CODE: (r) => `${r.padded(100, 999, 3)}-${r.digits(4)}`,
  JP_HEALTH_INSURANCE: (r) => luhn(`${r.pick(['01', '06', '31', '32', '34', '63'])}${r.padded(1, 47, 2)}${r.digits(3)}`),

  KR_RRN: (r) => {
    const { y, m, d } = birthDate(r, 1950, 2005);
    const g = y >= 2000 ? r.pick(['3', '4']) : r.pick(['1', '2']);
    const body = `${two(y % 100)}${two(m)}${two(d)}${g}${r.digits(5)}`;
    const w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += (body.charCodeAt(i) - 48) * w[i]!;
    return `${body.slice(0, 6)}-${body.slice(6)}${(11 - (sum % 11)) % 10}`;
  },
  KR_PHONE: (r, lang) =>
    r.pick([
      () => `010-${r.digits(4)}-${r.digits(4)}`,
      () => `+82 10-${r.digits(4)}-${r.digits(4)}`,
      ...(lang === 'ko'
        ? [() => `02-${r.int(2, 9)}${r.digits(3)}-${r.digits(4)}`, () => `031-${r.int(2, 9)}${r.digits(2)}-${r.digits(4)}`]
        : []),
    ])(),
  KR_PASSPORT: (r) => (r.chance(0.7) ? `M${r.digits(8)}` : `M${r.digits(3)}${r.chars(1, 'ABCDEFGH')}${r.digits(4)}`),
  KR_BRN: (r) => {
    const body = `${r.int(1, 9)}${r.digits(8)}`;
    const w = [1, 3, 7, 1, 3, 7, 1, 3, 5];
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (body.charCodeAt(i) - 48) * w[i]!;
    sum += Math.floor(((body.charCodeAt(8) - 48) * 5) / 10);
    return group(body + String((10 - (sum % 10)) % 10), [3, 2, 5], '-');
  },

  DE_TAX_ID: (r) => {
    const n = completeWith(
      r,
      () => {
        const digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].sort(() => r.next() - 0.5).slice(0, 9);
        digits.push(digits[r.int(0, 8)]!);
        const s = digits.sort(() => r.next() - 0.5).join('');
        return s.startsWith('0') ? `${s.slice(1)}${s[0]}` : s;
      },
      '0123456789',
      isValidDeTaxId,
    );
    return r.chance(0.7) ? n : group(n, [2, 3, 3, 3], ' ');
  },
  DE_ID_CARD: (r) => completeWith(r, () => r.chars(1, 'LMNPRTVWXY') + r.chars(8, 'CFGHJKLMNPRTVWXYZ0123456789'), '0123456789', isValidDeIdCard),
  FR_NIR: (r) => {
    const dept = r.chance(0.15) ? r.pick(['2A', '2B']) : r.padded(1, 95, 2).replace(/^20$/, '21');
    const body = `${r.int(1, 2)}${r.padded(40, 99, 2)}${r.padded(1, 12, 2)}${dept}${r.padded(1, 999, 3)}${r.padded(1, 999, 3)}`;
    const numeric = body.replace('2A', '19').replace('2B', '18');
    const key = two(97 - (toInt(numeric) % 97));
    return r.chance(0.5) ? group(body + key, [1, 2, 2, 2, 3, 3, 2], ' ') : body + key;
  },
  ES_DNI: (r) => {
    const n = r.digits(8);
    return `${n}${r.chance(0.7) ? '' : '-'}${dniLetter(toInt(n))}`;
  },
  ES_NIE: (r) => {
    const p = r.int(0, 2);
    const n = r.digits(7);
    const letter = dniLetter(p * 10_000_000 + toInt(n));
    return r.chance(0.6) ? `${'XYZ'[p]}${n}${letter}` : `${'XYZ'[p]}-${n}-${letter}`;
  },
  IT_FISCAL_CODE: (r) => {
    const day = r.int(1, 28) + (r.chance(0.5) ? 40 : 0);
    const body = `${r.chars(6, 'BCDFGLMNPRSTVZ')}${r.padded(40, 99, 2)}${r.pick([...'ABCDEHLMPRST'])}${two(day)}${r.pick(['F', 'H', 'L', 'A'])}${r.padded(1, 999, 3)}`;
    return body + codiceFiscaleCheckChar(body);
  },
  NL_BSN: (r) => completeWith(r, () => `${r.int(1, 6)}${r.digits(7)}`, '0123456789', isValidNlBsn),
  PL_PESEL: (r) =>
    completeWith(
      r,
      () => {
        const { y, m, d } = birthDate(r);
        return `${two(y % 100)}${two(m + (y >= 2000 ? 20 : 0))}${two(d)}${r.digits(4)}`;
      },
      '0123456789',
      isValidPlPesel,
    ),
  SE_PERSONNUMMER: (r) => {
    const { y, m, d } = birthDate(r);
    const body = `${two(y % 100)}${two(m)}${two(d)}${r.digits(3)}`;
    return `${body.slice(0, 6)}-${body.slice(6)}${luhnCheckDigit(body)}`;
  },
  PT_NIF: (r) => completeWith(r, () => `${r.pick(['1', '2', '5'])}${r.digits(7)}`, '0123456789', isValidPtNif),
  BE_NATIONAL_NUMBER: (r) => {
    const { y, m, d } = birthDate(r);
    const body = `${two(y % 100)}${two(m)}${two(d)}${r.padded(1, 997, 3)}`;
    const base = y >= 2000 ? 2_000_000_000 + toInt(body) : toInt(body);
    const n = body + two(97 - (base % 97));
    return r.chance(0.7) ? `${n.slice(0, 2)}.${n.slice(2, 4)}.${n.slice(4, 6)}-${n.slice(6, 9)}.${n.slice(9)}` : n;
  },
  CH_AHV: (r) => {
    const body = `756${r.digits(9)}`;
    const n = body + String(ean13CheckDigit(body));
    return r.chance(0.8) ? group(n, [3, 4, 4, 2], '.') : n;
  },
  DK_CPR: (r) => {
    const { y, m, d } = birthDate(r);
    return `${two(d)}${two(m)}${two(y % 100)}-${r.digits(4)}`;
  },
  FI_HETU: (r) => {
    const { y, m, d } = birthDate(r);
    const sign = y >= 2000 ? r.pick(['A', 'B']) : r.pick(['-', '-', 'Y']);
    return completeWith(r, () => `${two(d)}${two(m)}${two(y % 100)}${sign}${r.padded(2, 899, 3)}`, '0123456789ABCDEFHJKLMNPRSTUVWXY', isValidFiHetu);
  },
  NO_FNR: (r) => {
    for (;;) {
      const { y, m, d } = birthDate(r);
      const body = `${two(d)}${two(m)}${two(y % 100)}${r.digits(3)}`;
      for (let k = 0; k < 100; k++) {
        const n = body + two(k);
        if (isValidNoFnr(n)) return r.chance(0.6) ? n : `${n.slice(0, 6)} ${n.slice(6)}`;
      }
    }
  },
  AT_SVNR: (r) => {
    for (;;) {
      const { y, m, d } = birthDate(r);
      const serial = r.padded(100, 999, 3);
      for (let c = 0; c <= 9; c++) {
        const n = `${serial}${c}${two(d)}${two(m)}${two(y % 100)}`;
        if (isValidAtSvnr(n)) return r.chance(0.6) ? `${n.slice(0, 4)} ${n.slice(4)}` : n;
      }
    }
  },

  SA_NATIONAL_ID: (r) => luhn(`1${r.digits(8)}`),
  SA_IQAMA: (r) => luhn(`2${r.digits(8)}`),
  AE_EMIRATES_ID: (r) => {
    const n = luhn(`784${r.int(1960, 2005)}${r.digits(7)}`);
    return r.chance(0.7) ? group(n, [3, 4, 7, 1], '-') : n;
  },
  QA_QID: (r) => `${r.pick(['2', '3'])}${r.digits(2)}${r.pick(['634', '356', '050', '818', '586', '608'])}${r.digits(5)}`,
  MA_CIN: (r) => `${r.pick(['A', 'B', 'BE', 'BK', 'C', 'CD', 'D', 'EE', 'G', 'J', 'K', 'T', 'X'])}${r.digits(r.pick([5, 6]))}`,
  NG_NIN: (r) => r.digits(11),
  MENA_PHONE: (r, lang) =>
    r.pick([
      () => `+966 5${r.int(0, 9)} ${r.digits(3)} ${r.digits(4)}`,
      () => `+971 5${r.int(0, 8)} ${r.digits(3)} ${r.digits(4)}`,
      () => `+974 ${r.int(3, 7)}${r.digits(3)} ${r.digits(4)}`,
      () => `+20 1${r.pick(['0', '1', '2', '5'])} ${r.digits(4)} ${r.digits(4)}`,
      () => `+212 6${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`,
      () => `+965 ${r.pick(['5', '6', '9'])}${r.digits(3)} ${r.digits(4)}`,
      ...(lang === 'ar' ? [() => `05${r.int(0, 9)} ${r.digits(3)} ${r.digits(4)}`] : []),
    ])(),
};
