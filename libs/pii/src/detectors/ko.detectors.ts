import { type ChainDetector } from '../scanner/candidate.js';
import { checkKrRrn, isValidKrBrn } from '../validators/east-asia.js';
import { CONF, decide, keywords, lacksContext } from './kit.js';

const RRN_CONTEXT = keywords('주민등록번호', '주민번호', '주민 등록 번호', 'rrn', 'resident registration');

/**
 * Korean RRN YYMMDD-GNNNNNN. Numbers issued before October 2020 carry a check digit; newer ones
 * do not, so a valid date without a matching check digit needs context words.
 */
export const krRrnDetector: ChainDetector = {
  type: 'KR_RRN',
  minLength: 13,
  maxLength: 13,
  shape: 'digits',
  detect(v, x) {
    const dashed = v.grouped(6, 7) && v.gapsIn('-');
    if (!dashed && v.atoms !== 1) return 0;
    const r = checkKrRrn(v.value);
    if (!r.shape) return 0;
    const bare = r.checksum ? (dashed ? CONF.strong : 0.9) : 0;
    return decide(x, RRN_CONTEXT, bare, r.checksum ? 0.99 : CONF.formatted);
  },
};

const KR_PASSPORT_CONTEXT = keywords('여권', '여권번호', 'korean passport', 'republic of korea passport');
const KR_PASSPORT = /^[MSRODG](?:\d{8}|\d{3}[A-Z]\d{4})$/;

/** Korean passport: M/S/R/O/D/G + 8 digits, or the 2021 format M123A4567, next to "여권". */
export const krPassportDetector: ChainDetector = {
  type: 'KR_PASSPORT',
  minLength: 9,
  maxLength: 9,
  shape: 'mixed',
  mixedAtoms: 1,
  requires: KR_PASSPORT_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, KR_PASSPORT_CONTEXT)) return 0;
    if (v.atoms !== 1 || v.lowers > 0 || !KR_PASSPORT.test(v.value)) return 0;
    return decide(x, KR_PASSPORT_CONTEXT, 0, 0.88);
  },
};

const BRN_CONTEXT = keywords('사업자등록번호', '사업자번호', '사업자 등록 번호', '사업자', 'business registration', 'brn');

/** Korean business registration number NNN-NN-NNNNN with the National Tax Service check digit. */
export const krBrnDetector: ChainDetector = {
  type: 'KR_BRN',
  minLength: 10,
  maxLength: 10,
  shape: 'digits',
  detect(v, x) {
    const dashed = v.grouped(3, 2, 5) && v.gapsIn('-');
    if (!dashed && v.atoms !== 1) return 0;
    if (!isValidKrBrn(v.value)) return 0;
    return decide(x, BRN_CONTEXT, dashed ? 0.9 : 0, CONF.checkedWithContext);
  },
};
