import { type ChainDetector } from '../scanner/candidate.js';
import { isValidJpInsurerNumber, isValidMyNumber } from '../validators/east-asia.js';
import { CONF, decide, keywords, lacksContext } from './kit.js';
import { looksLikeDate } from './shapes.js';

const MY_NUMBER_CONTEXT = keywords('マイナンバー', '個人番号', 'my number', 'mynumber', 'individual number');

/** My Number: 12 digits with its check digit; "1234 5678 9012" grouping is enough, else context. */
export const jpMyNumberDetector: ChainDetector = {
  type: 'JP_MY_NUMBER',
  minLength: 12,
  maxLength: 12,
  shape: 'digits',
  detect(v, x) {
    if (!v.gapsIn(' -') || !isValidMyNumber(v.value)) return 0;
    const grouped = v.grouped(4, 4, 4) && v.uniformGaps();
    return decide(x, MY_NUMBER_CONTEXT, grouped ? 0.88 : 0, CONF.checkedWithContext);
  },
};

const POSTAL_CONTEXT = keywords('郵便番号', '〒', 'postal code', 'post code', 'zip', 'zip code', '住所');

/** Japanese postal code NNN-NNNN: after the 〒 mark, or next to "郵便番号"/"postal code". */
export const jpPostalCodeDetector: ChainDetector = {
  type: 'JP_POSTAL_CODE',
  minLength: 7,
  maxLength: 7,
  shape: 'digits',
  detect(v, x) {
    const dashed = v.grouped(3, 4) && v.gapsIn('-');
    if (!dashed && v.atoms !== 1) return 0;
    const mark = v.before() === 0x3012 || (v.before() === 32 && v.before(2) === 0x3012);
    if (mark) return 0.95;
    return dashed ? decide(x, POSTAL_CONTEXT, 0, CONF.context) : 0;
  },
};

const INSURANCE_CONTEXT = keywords(
  '保険者番号', '被保険者番号', '保険証', '健康保険', '記号番号', '被保険者証', '保険証番号', 'health insurance', 'insurance card',
);

/**
 * Japanese health insurance numbers next to insurance words: insurer numbers (8 digits, 6 for
 * National Health Insurance) with their check digit, or other 6-10 digit card numbers.
 */
export const jpHealthInsuranceDetector: ChainDetector = {
  type: 'JP_HEALTH_INSURANCE',
  minLength: 6,
  maxLength: 10,
  shape: 'digits',
  requires: INSURANCE_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, INSURANCE_CONTEXT)) return 0;
    if (looksLikeDate(v) || !v.gapsIn(' -')) return 0;
    const conf = isValidJpInsurerNumber(v.value) ? 0.9 : 0.72;
    return decide(x, INSURANCE_CONTEXT, 0, conf);
  },
};
