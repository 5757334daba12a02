import { type CandidateView, type ChainDetector, type ContextProbe } from '../scanner/candidate.js';
import { luhnValid } from '../validators/checksums.js';
import { isIcd10Code, isIcd11Code, isValidBic, isValidPaymentCard } from '../validators/universal.js';
import { CONF, decide, keywords, lacksContext } from './kit.js';

const CARD_CONTEXT = keywords(
  'card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'american express', 'cc', 'pan', 'payment', 'cvv',
  'kreditkarte', 'karte', 'carte', 'tarjeta', 'carta', 'kaart', 'karta', 'kort', 'cartão', 'kortti',
  '信用卡', 'クレジット', 'カード', '카드', 'بطاقة', 'الائتمان',
);

/** Payment cards: issuer range, length and Luhn; grouped in fours (Amex 4-6-5) or unbroken. */
export const creditCardDetector: ChainDetector = {
  type: 'CREDIT_CARD',
  minLength: 12,
  maxLength: 19,
  shape: 'digits',
  detect(v: CandidateView, x: ContextProbe): number {
    if (!v.uniformGaps() || !v.gapsIn(' -')) return 0;
    if (!isValidPaymentCard(v.value)) return 0;
    return decide(x, CARD_CONTEXT, CONF.checked, CONF.checkedWithContext);
  },
};

const CN_BANK_CONTEXT = keywords(
  '银行卡', '卡号', '银行账号', '账号', '帐号', '储蓄卡', '借记卡', '开户行', '开户银行', '银联', '收款账户', '工商银行', '建设银行',
  '农业银行', '中国银行', '招商银行', '交通银行', 'unionpay', 'chinese bank',
);

/** Chinese bank cards: 16-19 digits, Luhn, and Chinese banking words nearby. */
export const cnBankCardDetector: ChainDetector = {
  type: 'CN_BANK_CARD',
  minLength: 16,
  maxLength: 19,
  shape: 'digits',
  requires: CN_BANK_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, CN_BANK_CONTEXT)) return 0;
    if (!v.uniformGaps() || !v.gapsIn(' -') || !luhnValid(v.value)) return 0;
    return decide(x, CN_BANK_CONTEXT, 0, 0.97);
  },
};

const BIC_CONTEXT = keywords(
  'bic', 'swift', 'bank', 'iban', 'banque', 'bankverbindung', 'banco', 'banca', 'routing', 'wire',
  '银行', '銀行', '은행', 'بنك', 'سويفت', 'المصرف',
);

/** SWIFT/BIC: ISO 9362 shape and a real country code; all-letter words need banking context. */
export const bicDetector: ChainDetector = {
  type: 'SWIFT_BIC',
  minLength: 8,
  maxLength: 11,
  shape: 'any',
  mixedAtoms: 1,
  requires: BIC_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, BIC_CONTEXT)) return 0;
    if (v.atoms !== 1 || v.lowers > 0 || (v.value.length !== 8 && v.value.length !== 11)) return 0;
    if (!isValidBic(v.value)) return 0;
    return decide(x, BIC_CONTEXT, 0, 0.9);
  },
};

const MEDICAL_CONTEXT = keywords(
  'diagnosis', 'diagnosed', 'diagnose', 'dx', 'icd', 'icd-10', 'icd-11', 'disease', 'disorder', 'condition', 'patient',
  'medical', 'clinical', 'syndrome', 'comorbid', 'diagnostic', 'maladie', 'diagnóstico', 'enfermedad', 'diagnosi',
  'malattia', 'befund', 'erkrankung', 'rozpoznanie', 'choroba', 'sjukdom', 'doença', 'sygdom', 'sairaus', 'krankheit',
  '诊断', '疾病', '病历', '病名', '診断', '傷病', '진단', '질병', '상병', 'تشخيص', 'مرض', 'المريض',
);

/** Rebuilds an ICD code from its atoms: "E11" + "." + "9"; null when the shape cannot be one. */
function icdCode(v: CandidateView): string | null {
  if (v.atoms === 1) return v.value;
  if (v.atoms === 2 && v.gapAfter(0) === 46) return `${v.value.slice(0, v.atomLen(0))}.${v.value.slice(v.atomLen(0))}`;
  return null;
}

/** ICD-10 / ICD-11 codes, only next to medical words (on their own, "E11" or "5A11" mean nothing). */
export const icdDetector: ChainDetector = {
  type: 'ICD_CODE',
  minLength: 3,
  maxLength: 7,
  shape: 'mixed',
  mixedAtoms: 2,
  requires: MEDICAL_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, MEDICAL_CONTEXT)) return 0;
    if (v.lowers > 0) return 0;
    const code = icdCode(v);
    if (code === null || !(isIcd10Code(code) || isIcd11Code(code))) return 0;
    return decide(x, MEDICAL_CONTEXT, 0, 0.85);
  },
};
