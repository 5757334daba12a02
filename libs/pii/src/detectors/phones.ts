import { type CandidateView, type ChainDetector, type ContextProbe } from '../scanner/candidate.js';
import { isCnMobile } from '../validators/east-asia.js';
import { isNanpNumber, isUkNationalNumber } from '../validators/english.js';
import { contextWords, type ContextWords, SCRIPT_ARABIC, SCRIPT_HANGUL, SCRIPT_KANA } from '../scanner/context-words.js';
import { CONF, decide, keywords } from './kit.js';

/** Words that announce a phone number, in the languages of all groups. */
export const PHONE_CONTEXT = keywords(
  'phone', 'telephone', 'tel', 'mobile', 'cell', 'call', 'contact', 'whatsapp', 'fax', 'text me', 'reach me', 'hotline',
  'telefon', 'handy', 'mobil', 'rufnummer', 'téléphone', 'portable', 'tél', 'teléfono', 'móvil', 'celular',
  'telefono', 'cellulare', 'telefoon', 'telefone', 'puhelin',
  '电话', '電話', '手机', '联系', '致电', '拨打', '微信', '携帯', '連絡', '전화', '휴대폰', '핸드폰', '연락처',
  'هاتف', 'جوال', 'الجوال', 'موبايل', 'اتصل', 'واتساب', 'تلفون', 'رقمي',
);
const KANA = contextWords([], SCRIPT_KANA);
const HANGUL = contextWords([], SCRIPT_HANGUL);
/** Landline formats overlap between Japan, Korea and the Gulf: only the script or a place name tells them apart. */
const JP_PLACE = contextWords(['japan', 'tokyo', 'osaka', 'kyoto', 'yokohama', '電話', '携帯', '東京', '大阪', '〒'], SCRIPT_KANA);
const KR_PLACE = contextWords(['korea', 'seoul', 'busan', 'incheon'], SCRIPT_HANGUL);
const MENA_PLACE = contextWords(
  [
    'dubai', 'abu dhabi', 'sharjah', 'riyadh', 'jeddah', 'saudi', 'uae', 'emirates', 'ksa', 'doha', 'qatar', 'kuwait', 'cairo',
    'egypt', 'morocco', 'casablanca', 'rabat', 'amman', 'jordan', 'bahrain', 'manama', 'oman', 'muscat',
  ],
  SCRIPT_ARABIC,
);

/** A small lift when the surrounding script matches the country (breaks ties such as 080 in the UK and Japan). */
function withScript(x: ContextProbe, conf: number, script: ContextWords): number {
  return conf > 0 && x.has(script) ? Math.min(1, conf + 0.03) : conf;
}

/**
 * The international digits of a candidate written with a `+` (or `00`) prefix, or null for a
 * national number. Sets the view's output start so the span covers `+` and an opening `(`.
 */
function intlDigits(v: CandidateView): string | null {
  const b = v.before();
  if (b === 43 || b === 0xff0b) {
    v.outStart = v.start - 1;
    return v.value;
  }
  if ((b === 40 || b === 0xff08) && (v.before(2) === 43 || v.before(2) === 0xff0b)) {
    v.outStart = v.start - 2;
    return v.value;
  }
  if (v.value.startsWith('00') && v.value.charCodeAt(2) !== 48 && v.atomLen(0) <= 5) return v.value.slice(2);
  return null;
}

/** A national number may open with a parenthesised area code: "(415) 555-2671". */
function nationalStart(v: CandidateView): void {
  const b = v.before();
  if ((b === 40 || b === 0xff08) && v.atoms > 1 && (v.gapAfter(0) === 41 || v.gapAfter(0) === 40)) v.outStart = v.start - 1;
}

/** Phone separators are spaces, dashes, dots and parentheses, never `/` or `+`. */
function phoneGaps(v: CandidateView): boolean {
  for (let k = 0; k < v.atoms - 1; k++) {
    const g = v.gapAfter(k);
    if (g === 47 || g === 43) return false;
  }
  return true;
}

/** Strips the "(0)" trunk prefix some people keep after the country code: +44 (0)20 ... */
function dropTrunkZero(v: CandidateView, rest: string, ccLen: number): string {
  if (rest.startsWith('0') && v.atoms > 2 && v.atomLen(1) === 1 && v.atomLen(0) === ccLen) return rest.slice(1);
  return rest;
}

/**
 * What every phone detector first works out about a candidate, computed once per candidate (the
 * seven detectors see the same ones): bad separators, or the international digits (null for a
 * national number) and where the reported span starts.
 */
class PhoneShape {
  view: CandidateView | null = null;
  generation = -1;
  ok = false;
  intl: string | null = null;
  outStart = -1;

  of(v: CandidateView): this {
    if (this.view === v && this.generation === v.generation) return this;
    this.view = v;
    this.generation = v.generation;
    this.ok = phoneGaps(v);
    if (!this.ok) return this;
    v.outStart = -1;
    this.intl = intlDigits(v);
    if (this.intl === null) nationalStart(v);
    this.outStart = v.outStart;
    return this;
  }
}
const shape = new PhoneShape();

abstract class PhoneDetector implements ChainDetector {
  abstract readonly type: ChainDetector['type'];
  readonly shape = 'digits' as const;
  abstract readonly minLength: number;
  abstract readonly maxLength: number;
  detect(v: CandidateView, x: ContextProbe): number {
    const p = shape.of(v);
    if (!p.ok) return 0;
    v.outStart = p.outStart;
    return p.intl !== null ? this.international(v, p.intl, x) : this.national(v, x);
  }
  protected abstract international(v: CandidateView, digits: string, x: ContextProbe): number;
  protected abstract national(v: CandidateView, x: ContextProbe): number;
}

const INTL_CONF = 0.9;

/** NANP (+1) numbers: "(415) 555-2671", "415.555.2671", "+1 415 555 2671". */
export class NanpPhoneDetector extends PhoneDetector {
  readonly type = 'NANP_PHONE' as const;
  readonly minLength = 10;
  readonly maxLength = 11;
  protected international(v: CandidateView, d: string, x: ContextProbe): number {
    return d.length === 11 && d.startsWith('1') && isNanpNumber(d.slice(1))
      ? decide(x, PHONE_CONTEXT, INTL_CONF, 0.95)
      : 0;
  }
  protected national(v: CandidateView, x: ContextProbe): number {
    const d = v.value;
    let formatted: boolean;
    let nat: string;
    if (d.length === 11) {
      if (!d.startsWith('1')) return 0;
      nat = d.slice(1);
      formatted = v.grouped(1, 3, 3, 4);
    } else {
      nat = d;
      formatted = v.grouped(3, 3, 4);
    }
    if ((!formatted && v.atoms !== 1) || !isNanpNumber(nat)) return 0;
    return decide(x, PHONE_CONTEXT, formatted ? CONF.formatted : 0, 0.9);
  }
}

/** UK numbers: "020 7946 0958", "07700 900123", "+44 (0)20 7946 0958". */
export class UkPhoneDetector extends PhoneDetector {
  readonly type = 'UK_PHONE' as const;
  readonly minLength = 11;
  readonly maxLength = 13;
  protected international(v: CandidateView, d: string, x: ContextProbe): number {
    if (!d.startsWith('44')) return 0;
    const rest = dropTrunkZero(v, d.slice(2), 2);
    return isUkNationalNumber(rest) ? decide(x, PHONE_CONTEXT, INTL_CONF, 0.95) : 0;
  }
  protected national(v: CandidateView, x: ContextProbe): number {
    const d = v.value;
    if (d.length !== 11 || d.charCodeAt(0) !== 48 || !isUkNationalNumber(d.slice(1))) return 0;
    const first = v.atomLen(0);
    const formatted = v.atoms >= 2 && v.atoms <= 3 && first >= 3 && first <= 5 && v.gapsIn(' ');
    if (!formatted && v.atoms !== 1) return 0;
    return decide(x, PHONE_CONTEXT, formatted ? CONF.formatted : 0, 0.9);
  }
}

/** Chinese mobile numbers: "138 0013 8000", "+86 138-0013-8000". */
export class CnPhoneDetector extends PhoneDetector {
  readonly type = 'CN_PHONE' as const;
  readonly minLength = 11;
  readonly maxLength = 13;
  protected international(v: CandidateView, d: string, x: ContextProbe): number {
    return d.length === 13 && d.startsWith('86') && isCnMobile(d.slice(2))
      ? decide(x, PHONE_CONTEXT, 0.92, 0.96)
      : 0;
  }
  protected national(v: CandidateView, x: ContextProbe): number {
    if (!isCnMobile(v.value)) return 0;
    const formatted = v.grouped(3, 4, 4) && v.uniformGaps();
    if (!formatted && v.atoms !== 1) return 0;
    return decide(x, PHONE_CONTEXT, formatted ? CONF.formatted : 0, 0.92);
  }
}

/** Japanese and Korean numbers come in three groups joined by dashes or parentheses: 03-1234-5678, 03(1234)5678. */
function threeGroups(v: CandidateView): boolean {
  for (let k = 0; k < 2; k++) {
    const g = v.gapAfter(k);
    if (g !== 45 && g !== 40 && g !== 41) return false;
  }
  return true;
}

/** Japanese mobile (0[789]0) or landline (0 + 9 digits) national significant number check. */
function jpKind(nat: string): 'mobile' | 'landline' | null {
  if (nat.length === 11 && /^0[789]0/.test(nat)) return 'mobile';
  if (nat.length === 10 && nat.charCodeAt(1) !== 48) return 'landline';
  return null;
}

/** Japanese numbers: "090-1234-5678", "03-1234-5678", "+81 90 1234 5678". */
export class JpPhoneDetector extends PhoneDetector {
  readonly type = 'JP_PHONE' as const;
  readonly minLength = 10;
  readonly maxLength = 12;
  protected international(v: CandidateView, d: string, x: ContextProbe): number {
    if (!d.startsWith('81')) return 0;
    const rest = dropTrunkZero(v, d.slice(2), 2);
    if (rest.startsWith('0') || jpKind('0' + rest) === null) return 0;
    return decide(x, PHONE_CONTEXT, INTL_CONF, 0.95);
  }
  protected national(v: CandidateView, x: ContextProbe): number {
    const d = v.value;
    if (d.charCodeAt(0) !== 48) return 0;
    const kind = jpKind(d);
    if (kind === null) return 0;
    const dashed = v.atoms === 3 && threeGroups(v);
    if (!dashed && v.atoms !== 1) return 0;
    if (kind === 'mobile') {
      const conf = decide(x, PHONE_CONTEXT, dashed && v.grouped(3, 4, 4) ? CONF.formatted : 0, 0.9);
      return withScript(x, conf, KANA);
    }
    if (!x.has(JP_PLACE)) return 0;
    return decide(x, PHONE_CONTEXT, dashed ? 0.84 : 0, 0.9);
  }
}

/** Korean numbers: "010-1234-5678", "02-123-4567", "+82 10 1234 5678". */
export class KrPhoneDetector extends PhoneDetector {
  readonly type = 'KR_PHONE' as const;
  readonly minLength = 9;
  readonly maxLength = 12;
  protected international(v: CandidateView, d: string, x: ContextProbe): number {
    if (!d.startsWith('82')) return 0;
    const rest = dropTrunkZero(v, d.slice(2), 2);
    if (rest.startsWith('0') || krKind('0' + rest) === null) return 0;
    return decide(x, PHONE_CONTEXT, INTL_CONF, 0.95);
  }
  protected national(v: CandidateView, x: ContextProbe): number {
    const kind = krKind(v.value);
    if (kind === null) return 0;
    const dashed = v.atoms === 3 && threeGroups(v);
    if (!dashed && v.atoms !== 1) return 0;
    if (kind === 'mobile') {
      return withScript(x, decide(x, PHONE_CONTEXT, dashed ? CONF.formatted : 0, 0.9), HANGUL);
    }
    if (!x.has(KR_PLACE)) return 0;
    return decide(x, PHONE_CONTEXT, dashed ? 0.84 : 0, 0.9);
  }
}

/** Korean mobile 01[016789] or landline 02 / 0[3-6][1-5] (KCC numbering plan). */
function krKind(nat: string): 'mobile' | 'landline' | null {
  const n = nat.length;
  if (nat.charCodeAt(0) !== 48) return null;
  if (/^01[016789]/.test(nat)) return n === 10 || n === 11 ? 'mobile' : null;
  if (nat.startsWith('02')) return n === 9 || n === 10 ? 'landline' : null;
  if (/^0[3-6][1-5]/.test(nat)) return n === 10 || n === 11 ? 'landline' : null;
  return null;
}

/**
 * National significant number lengths of GCC and MENA countries (ITU-T E.164 national plans),
 * with the leading digits of mobile ranges where a country has them.
 */
const MENA_PLANS: Readonly<Record<string, { readonly lengths: readonly number[]; readonly lead?: RegExp }>> = {
  '966': { lengths: [9], lead: /^[15]/ }, // Saudi Arabia
  '971': { lengths: [8, 9], lead: /^[2-79]/ }, // UAE
  '974': { lengths: [8], lead: /^[3-7]/ }, // Qatar
  '965': { lengths: [8], lead: /^[12569]/ }, // Kuwait
  '973': { lengths: [8], lead: /^[13678]/ }, // Bahrain
  '968': { lengths: [8], lead: /^[279]/ }, // Oman
  '962': { lengths: [8, 9], lead: /^[2-7]/ }, // Jordan
  '961': { lengths: [7, 8] }, // Lebanon
  '963': { lengths: [9] }, // Syria
  '964': { lengths: [10], lead: /^7/ }, // Iraq
  '967': { lengths: [9], lead: /^7/ }, // Yemen
  '970': { lengths: [9], lead: /^5/ }, // Palestine
  '20': { lengths: [10], lead: /^1[0125]/ }, // Egypt mobile
  '212': { lengths: [9], lead: /^[5-7]/ }, // Morocco
  '213': { lengths: [9], lead: /^[5-7]/ }, // Algeria
  '216': { lengths: [8], lead: /^[2-9]/ }, // Tunisia
  '218': { lengths: [9], lead: /^9/ }, // Libya
  '249': { lengths: [9], lead: /^9/ }, // Sudan
  '234': { lengths: [10], lead: /^[789]/ }, // Nigeria
};

/** Local mobile formats with the trunk 0: Saudi/UAE 05x, Egypt 01x, Morocco 06/07, Jordan 07x. */
const MENA_LOCAL = /^(?:05\d{8}|01[0125]\d{8}|0[67]\d{8}|07[789]\d{7})$/;

/** GCC/MENA numbers: "+966 50 123 4567", "+971-50-123-4567", "050 123 4567" next to Arabic text. */
export class MenaPhoneDetector extends PhoneDetector {
  readonly type = 'MENA_PHONE' as const;
  readonly minLength = 9;
  readonly maxLength = 13;
  protected international(v: CandidateView, d: string, x: ContextProbe): number {
    for (const ccLen of [2, 3]) {
      const plan = MENA_PLANS[d.slice(0, ccLen)];
      if (plan === undefined) continue;
      const rest = dropTrunkZero(v, d.slice(ccLen), ccLen);
      if (plan.lengths.includes(rest.length) && (plan.lead === undefined || plan.lead.test(rest))) {
        return decide(x, PHONE_CONTEXT, INTL_CONF, 0.95);
      }
    }
    return 0;
  }
  protected national(v: CandidateView, x: ContextProbe): number {
    if (!MENA_LOCAL.test(v.value) || v.atoms > 4 || !v.gapsIn(' -')) return 0;
    if (!x.has(MENA_PLACE)) return 0;
    return decide(x, PHONE_CONTEXT, v.atoms > 1 ? 0.84 : 0, 0.88);
  }
}

/** Any E.164 number written with a `+` country code; country-specific detectors outrank it. */
export class IntlPhoneDetector extends PhoneDetector {
  readonly type = 'PHONE_NUMBER' as const;
  readonly minLength = 8;
  readonly maxLength = 17;
  protected international(v: CandidateView, d: string): number {
    if (d.length < 8 || d.length > 15 || d.charCodeAt(0) === 48) return 0;
    return v.outStart >= 0 ? 0.75 : 0;
  }
  protected national(): number {
    return 0;
  }
}
