import { type ChainDetector } from '../scanner/candidate.js';
import { isDigits } from '../validators/checksums.js';
import { isValidNhsNumber, isValidUkNino, isValidUsSsn } from '../validators/english.js';
import { CONF, decide, keywords, lacksContext } from './kit.js';
import { looksLikeDate } from './shapes.js';

const SSN_CONTEXT = keywords('ssn', 'social security', 'social security number', 'soc sec', 'ss#', 'ss no');

/** US SSN: 123-45-6789 on its own; with spaces or unbroken only next to "SSN"/"social security". */
export const usSsnDetector: ChainDetector = {
  type: 'US_SSN',
  minLength: 9,
  maxLength: 9,
  shape: 'digits',
  detect(v, x) {
    if (!isValidUsSsn(v.value)) return 0;
    const grouped = v.grouped(3, 2, 4);
    if (!(v.atoms === 1 || (grouped && v.uniformGaps() && v.gapsIn(' -')))) return 0;
    const dashed = grouped && v.gapsIn('-');
    return decide(x, SSN_CONTEXT, dashed ? CONF.formatted : 0, 0.96);
  },
};

const NINO_CONTEXT = keywords('national insurance', 'ni number', 'nino', 'ni no', 'nin');

/** UK National Insurance number: prefix rules and suffix A-D (HMRC NIM39110); "AB 12 34 56 C" too. */
export const ukNinoDetector: ChainDetector = {
  type: 'UK_NINO',
  minLength: 9,
  maxLength: 9,
  shape: 'mixed',
  detect(v, x) {
    if (v.lowers > 0 || !v.gapsIn(' -') || !isValidUkNino(v.value)) return 0;
    return decide(x, NINO_CONTEXT, 0.9, CONF.strong);
  },
};

const NHS_CONTEXT = keywords('nhs', 'nhs number', 'nhs no', 'health service', 'chi number');

/** NHS number: mod 11 check; it has the shape of a phone number, so it needs "NHS" nearby. */
export const ukNhsDetector: ChainDetector = {
  type: 'UK_NHS_NUMBER',
  minLength: 10,
  maxLength: 10,
  shape: 'digits',
  requires: NHS_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, NHS_CONTEXT)) return 0;
    if (!v.gapsIn(' -') || !isValidNhsNumber(v.value)) return 0;
    return decide(x, NHS_CONTEXT, 0, CONF.checkedWithContext);
  },
};

const PASSPORT_CONTEXT = keywords('passport', 'passport no', 'passport number', 'passport#', 'travel document');

/** US/UK passport: 9 digits or a letter and 8 digits, only after the word "passport". */
export const enPassportDetector: ChainDetector = {
  type: 'EN_PASSPORT',
  minLength: 9,
  maxLength: 9,
  shape: 'any',
  mixedAtoms: 1,
  requires: PASSPORT_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, PASSPORT_CONTEXT)) return 0;
    if (v.atoms !== 1 || v.lowers > 0) return 0;
    if (!(isDigits(v.value) || /^[A-Z]\d{8}$/.test(v.value))) return 0;
    return decide(x, PASSPORT_CONTEXT, 0, CONF.context);
  },
};

const DL_CONTEXT = keywords(
  "driver's license", 'drivers license', 'driver license', "driver's licence", 'driving licence', 'driving license',
  'dl', 'dl#', 'dln', 'license no', 'licence no', 'license number', 'licence number', 'lic no',
);
const UK_DRIVING_LICENCE = /^[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}$/;
const US_DRIVER_LICENSE = /^[A-Z]{0,2}\d{5,13}$/;

/**
 * Driver's licence numbers, only next to licence words: UK DVLA 16-character format (surname,
 * encoded birth date, initials, check letters) or the US state formats (up to two letters and
 * 5-13 digits).
 */
export const enDriverLicenseDetector: ChainDetector = {
  type: 'EN_DRIVER_LICENSE',
  minLength: 6,
  maxLength: 16,
  shape: 'any',
  mixedAtoms: 1,
  requires: DL_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, DL_CONTEXT)) return 0;
    if (v.lowers > 0 || looksLikeDate(v) || !v.gapsIn(' -')) return 0;
    const s = v.value;
    if (v.digits < s.length && v.atoms !== 1) return 0;
    if (!(UK_DRIVING_LICENCE.test(s) || (US_DRIVER_LICENSE.test(s) && s.length <= 15))) return 0;
    return decide(x, DL_CONTEXT, 0, CONF.context);
  },
};

const MRN_CONTEXT = keywords(
  'mrn', 'medical record', 'medical record number', 'patient id', 'patient number', 'patient no', 'hospital number',
  'chart number', 'health record', 'record number', 'emr',
);
const MRN = /^[A-Z]{0,3}\d{5,12}$/;

/** Medical record numbers: up to three letters and 5-12 digits, only next to record words. */
export const enMedicalRecordDetector: ChainDetector = {
  type: 'EN_MEDICAL_RECORD',
  minLength: 5,
  maxLength: 15,
  shape: 'any',
  mixedAtoms: 1,
  requires: MRN_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, MRN_CONTEXT)) return 0;
    if (v.lowers > 0 || looksLikeDate(v) || !v.gapsIn('-') || !MRN.test(v.value)) return 0;
    if (v.digits < v.value.length && v.atoms !== 1) return 0;
    return decide(x, MRN_CONTEXT, 0, CONF.context);
  },
};
