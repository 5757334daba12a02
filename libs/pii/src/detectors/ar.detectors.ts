import { type ChainDetector } from '../scanner/candidate.js';
import { isPlausibleQatarId, isValidEmiratesId, saudiIdKind } from '../validators/arabic.js';
import { CONF, decide, keywords, lacksContext } from './kit.js';
import { looksLikeDate } from './shapes.js';

const SA_CONTEXT = keywords(
  'هوية', 'الهوية', 'رقم الهوية', 'الهوية الوطنية', 'السجل المدني', 'بطاقة الأحوال', 'إقامة', 'الإقامة', 'رقم الإقامة', 'اقامة',
  'national id', 'saudi id', 'iqama', 'id number', 'resident id', 'residence permit',
);

/** Saudi id (1...) or Iqama (2...), 10 digits with the Luhn-style check; needs context. */
function saudiDetector(type: 'SA_NATIONAL_ID' | 'SA_IQAMA'): ChainDetector {
  const kind = type === 'SA_NATIONAL_ID' ? 'citizen' : 'resident';
  return {
    type,
    minLength: 10,
    maxLength: 10,
    shape: 'digits',
    requires: SA_CONTEXT,
    detect(v, x) {
      if (lacksContext(x, SA_CONTEXT)) return 0;
      if (!v.gapsIn(' -') || looksLikeDate(v) || saudiIdKind(v.value) !== kind) return 0;
      return decide(x, SA_CONTEXT, 0, 0.92);
    },
  };
}
export const saNationalIdDetector = saudiDetector('SA_NATIONAL_ID');
export const saIqamaDetector = saudiDetector('SA_IQAMA');

const AE_CONTEXT = keywords('emirates id', 'الهوية الإماراتية', 'رقم الهوية', 'هوية', 'eid');

/** Emirates ID 784-YYYY-NNNNNNN-C: country prefix, birth year and Luhn make it distinctive. */
export const aeEmiratesIdDetector: ChainDetector = {
  type: 'AE_EMIRATES_ID',
  minLength: 15,
  maxLength: 15,
  shape: 'digits',
  detect(v, x) {
    if (!v.gapsIn(' -') || !isValidEmiratesId(v.value)) return 0;
    return decide(x, AE_CONTEXT, CONF.strong, 0.99);
  },
};

const QA_CONTEXT = keywords('qid', 'qatar id', 'qatari id', 'البطاقة الشخصية', 'الرقم الشخصي', 'البطاقة القطرية', 'رقم البطاقة');

/** Qatar ID: 11 digits (century, year, nationality, serial), no check digit: context required. */
export const qaQidDetector: ChainDetector = {
  type: 'QA_QID',
  minLength: 11,
  maxLength: 11,
  shape: 'digits',
  requires: QA_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, QA_CONTEXT)) return 0;
    if (!v.gapsIn(' -') || !isPlausibleQatarId(v.value)) return 0;
    return decide(x, QA_CONTEXT, 0, 0.86);
  },
};

const MA_CONTEXT = keywords(
  'cin', 'carte nationale', "carte d'identité", 'cnie', 'البطاقة الوطنية', 'رقم البطاقة الوطنية', 'بطاقة التعريف', 'moroccan id',
);
const MA_CIN = /^[A-Z]{1,2}\d{4,6}$/;

/** Moroccan CIN: one or two letters (issuing prefecture) and up to six digits; context required. */
export const maCinDetector: ChainDetector = {
  type: 'MA_CIN',
  minLength: 5,
  maxLength: 8,
  shape: 'mixed',
  mixedAtoms: 1,
  requires: MA_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, MA_CONTEXT)) return 0;
    if (v.atoms !== 1 || v.lowers > 0 || !MA_CIN.test(v.value)) return 0;
    return decide(x, MA_CONTEXT, 0, 0.86);
  },
};

const NG_CONTEXT = keywords('nin', 'national identification number', 'nimc', 'national identity number', 'رقم التعريف الوطني');

/** Nigerian NIN: 11 digits, no public check digit, so only next to "NIN"/"NIMC". */
export const ngNinDetector: ChainDetector = {
  type: 'NG_NIN',
  minLength: 11,
  maxLength: 11,
  shape: 'digits',
  requires: NG_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, NG_CONTEXT)) return 0;
    if (!v.gapsIn(' -') || looksLikeDate(v)) return 0;
    return decide(x, NG_CONTEXT, 0, 0.86);
  },
};
