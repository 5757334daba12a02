import { type CandidateView, type ChainDetector } from '../scanner/candidate.js';
import {
  isPlausibleDkCpr,
  isValidAtSvnr,
  isValidBeNationalNumber,
  isValidChAhv,
  isValidDeIdCard,
  isValidDeTaxId,
  isValidEsDni,
  isValidEsNie,
  isValidFiHetu,
  isValidFrNir,
  isValidItFiscalCode,
  isValidNlBsn,
  isValidNoFnr,
  isValidPlPesel,
  isValidPtNif,
  isValidSePersonnummer,
} from '../validators/europe.js';
import { CONF, decide, keywords, lacksContext } from './kit.js';
import { looksLikeDate } from './shapes.js';

/** Separators people use inside national numbers: spaces, dashes, dots. */
const idGaps = (v: CandidateView): boolean => v.gapsIn(' -.') && !looksLikeDate(v);

const DE_TAX_CONTEXT = keywords(
  'steuer-id', 'steuerid', 'steuer id', 'steueridentifikationsnummer', 'identifikationsnummer', 'idnr', 'steuer-idnr',
  'steuernummer', 'tax id', 'tin', 'tax identification',
);

/** German tax id: digit-frequency rule and ISO 7064 MOD 11,10. */
export const deTaxIdDetector: ChainDetector = {
  type: 'DE_TAX_ID',
  minLength: 11,
  maxLength: 11,
  shape: 'digits',
  detect(v, x) {
    if (!idGaps(v) || !isValidDeTaxId(v.value)) return 0;
    return decide(x, DE_TAX_CONTEXT, 0.7, CONF.checkedWithContext);
  },
};

const DE_ID_CONTEXT = keywords(
  'personalausweis', 'ausweisnummer', 'ausweis-nr', 'ausweis nr', 'ausweis', 'personalausweisnummer', 'dokumentennummer',
  'reisepass', 'passnummer', 'id card', 'identity card', 'id-karte',
);

/** German identity card / passport number with its ICAO 7-3-1 check digit, next to "Ausweis". */
export const deIdCardDetector: ChainDetector = {
  type: 'DE_ID_CARD',
  minLength: 10,
  maxLength: 10,
  shape: 'any',
  mixedAtoms: 1,
  requires: DE_ID_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, DE_ID_CONTEXT)) return 0;
    if (v.atoms !== 1 || v.lowers > 0 || !isValidDeIdCard(v.value)) return 0;
    return decide(x, DE_ID_CONTEXT, 0, 0.93);
  },
};

const NIR_CONTEXT = keywords(
  'sécurité sociale', 'securite sociale', 'numéro de sécu', 'sécu', 'secu', 'nir', 'insee', 'carte vitale', 'social security',
  'numéro de sécurité sociale', 'n° ss',
);

/** French NIR (15 characters incl. 2A/2B), key 97 - N mod 97. */
export const frNirDetector: ChainDetector = {
  type: 'FR_NIR',
  minLength: 15,
  maxLength: 15,
  shape: 'any',
  detect(v, x) {
    // Written unbroken or as "1 85 05 78 006 084 36" (the sex digit on its own).
    if (v.lowers > 0 || !(v.atoms === 1 || (v.atomLen(0) === 1 && v.gapsIn(' .')))) return 0;
    if (!isValidFrNir(v.value)) return 0;
    return decide(x, NIR_CONTEXT, 0.93, CONF.strong);
  },
};

const ES_CONTEXT = keywords('dni', 'nie', 'nif', 'd.n.i', 'documento nacional', 'documento de identidad', 'extranjero', 'identidad');

/** Spanish DNI: 8 digits and the mod-23 letter ("12345678Z", "12.345.678-Z"). */
export const esDniDetector: ChainDetector = {
  type: 'ES_DNI',
  minLength: 9,
  maxLength: 9,
  shape: 'mixed',
  detect(v, x) {
    if (v.lowers > 0 || !v.gapsIn(' .-') || !isValidEsDni(v.value)) return 0;
    return decide(x, ES_CONTEXT, 0.93, CONF.strong);
  },
};

/** Spanish NIE: X/Y/Z, 7 digits, mod-23 letter ("X-1234567-L"). */
export const esNieDetector: ChainDetector = {
  type: 'ES_NIE',
  minLength: 9,
  maxLength: 9,
  shape: 'mixed',
  detect(v, x) {
    if (v.lowers > 0 || !v.gapsIn(' .-') || !isValidEsNie(v.value)) return 0;
    return decide(x, ES_CONTEXT, 0.93, CONF.strong);
  },
};

/** Italian codice fiscale: 16 characters with its check letter. */
export const itFiscalCodeDetector: ChainDetector = {
  type: 'IT_FISCAL_CODE',
  minLength: 16,
  maxLength: 16,
  shape: 'mixed',
  mixedAtoms: 1,
  detect(v) {
    if (v.atoms !== 1 || v.lowers > 0 || !isValidItFiscalCode(v.value)) return 0;
    return CONF.strong;
  },
};

const BSN_CONTEXT = keywords('bsn', 'burgerservicenummer', 'sofinummer', 'sofi-nummer', 'citizen service number', 'persoonsnummer');

/** Dutch BSN: elfproef; one in eleven 9-digit numbers passes it, so only next to "BSN". */
export const nlBsnDetector: ChainDetector = {
  type: 'NL_BSN',
  minLength: 9,
  maxLength: 9,
  shape: 'digits',
  requires: BSN_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, BSN_CONTEXT)) return 0;
    if (!idGaps(v) || !isValidNlBsn(v.value)) return 0;
    return decide(x, BSN_CONTEXT, 0, 0.95);
  },
};

const PESEL_CONTEXT = keywords('pesel', 'numer pesel', 'nr pesel');

/** Polish PESEL: birth date and weights 1-3-7-9; needs "PESEL" nearby. */
export const plPeselDetector: ChainDetector = {
  type: 'PL_PESEL',
  minLength: 11,
  maxLength: 11,
  shape: 'digits',
  requires: PESEL_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, PESEL_CONTEXT)) return 0;
    if (!idGaps(v) || !isValidPlPesel(v.value)) return 0;
    return decide(x, PESEL_CONTEXT, 0, CONF.strong);
  },
};

const SE_CONTEXT = keywords('personnummer', 'personnr', 'samordningsnummer', 'person number', 'swedish id', 'personal identity number');

/** Swedish personnummer: YYMMDD-NNNC (or +, or with the century), Luhn. */
export const sePersonnummerDetector: ChainDetector = {
  type: 'SE_PERSONNUMMER',
  minLength: 10,
  maxLength: 12,
  shape: 'digits',
  detect(v, x) {
    const n = v.value.length;
    if (n === 11) return 0;
    const separated = (v.grouped(6, 4) || v.grouped(8, 4)) && v.gapsIn('-+');
    if (!separated && v.atoms !== 1) return 0;
    if (!isValidSePersonnummer(v.value)) return 0;
    return decide(x, SE_CONTEXT, separated ? 0.9 : 0, CONF.strong);
  },
};

const PT_CONTEXT = keywords('nif', 'contribuinte', 'número fiscal', 'numero fiscal', 'identificação fiscal', 'nipc', 'tax number');

/** Portuguese NIF: mod 11 check digit; needs context. */
export const ptNifDetector: ChainDetector = {
  type: 'PT_NIF',
  minLength: 9,
  maxLength: 9,
  shape: 'digits',
  requires: PT_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, PT_CONTEXT)) return 0;
    if (!idGaps(v) || !isValidPtNif(v.value)) return 0;
    return decide(x, PT_CONTEXT, 0, 0.95);
  },
};

const BE_CONTEXT = keywords(
  'rijksregisternummer', 'rijksregister', 'numéro national', 'registre national', 'national number', 'national register',
  'insz', 'niss', 'identificatienummer', 'numéro de registre',
);

/** Belgian national number YY.MM.DD-NNN.CC, mod 97 (with the 2000+ rule). */
export const beNationalNumberDetector: ChainDetector = {
  type: 'BE_NATIONAL_NUMBER',
  minLength: 11,
  maxLength: 11,
  shape: 'digits',
  detect(v, x) {
    if (!v.gapsIn(' -.') || !isValidBeNationalNumber(v.value)) return 0;
    const formatted = v.grouped(2, 2, 2, 3, 2) || v.grouped(6, 3, 2) || v.grouped(6, 5);
    return decide(x, BE_CONTEXT, formatted ? 0.92 : 0, CONF.strong);
  },
};

const AHV_CONTEXT = keywords('ahv', 'avs', 'ahv-nr', 'sozialversicherungsnummer', 'numéro avs', 'social security');

/** Swiss AHV/AVS number 756.NNNN.NNNN.NC with its EAN-13 check digit. */
export const chAhvDetector: ChainDetector = {
  type: 'CH_AHV',
  minLength: 13,
  maxLength: 13,
  shape: 'digits',
  detect(v, x) {
    if (!v.gapsIn(' .-') || !isValidChAhv(v.value)) return 0;
    return decide(x, AHV_CONTEXT, CONF.strong, 0.99);
  },
};

const CPR_CONTEXT = keywords('cpr', 'cpr-nr', 'cpr-nummer', 'cpr nummer', 'cpr number', 'det centrale personregister');

/** Danish CPR DDMMYY-SSSS: only the date can be checked since 2007, so context is required. */
export const dkCprDetector: ChainDetector = {
  type: 'DK_CPR',
  minLength: 10,
  maxLength: 10,
  shape: 'digits',
  requires: CPR_CONTEXT,
  detect(v, x) {
    if (lacksContext(x, CPR_CONTEXT)) return 0;
    const separated = v.grouped(6, 4) && v.gapsIn('-');
    if (!separated && v.atoms !== 1) return 0;
    if (!isPlausibleDkCpr(v.value)) return 0;
    return decide(x, CPR_CONTEXT, 0, 0.93);
  },
};

const HETU_CONTEXT = keywords('henkilötunnu', 'henkilotunnu', 'hetu', 'sotu', 'personbeteckning', 'finnish id', 'personal identity code');

/** Finnish HETU DDMMYYCZZZQ; the century sign may have been read as a separator ("-" or "+"). */
export const fiHetuDetector: ChainDetector = {
  type: 'FI_HETU',
  minLength: 10,
  maxLength: 11,
  shape: 'any',
  mixedAtoms: 2,
  detect(v, x) {
    if (v.lowers > 0) return 0;
    let code: string;
    if (v.atoms === 1 && v.value.length === 11) code = v.value;
    else if (v.atoms === 2 && v.atomLen(0) === 6 && v.value.length === 10 && (v.gapAfter(0) === 45 || v.gapAfter(0) === 43)) {
      code = `${v.value.slice(0, 6)}${String.fromCharCode(v.gapAfter(0))}${v.value.slice(6)}`;
    } else return 0;
    // A digit check character makes DDMMYY-NNNN ambiguous with Danish CPR numbers.
    const letterCheck = code.charCodeAt(10) >= 65;
    return isValidFiHetu(code) ? decide(x, HETU_CONTEXT, letterCheck ? CONF.strong : 0.9, 0.98) : 0;
  },
};

const NO_CONTEXT = keywords('fødselsnummer', 'fodselsnummer', 'personnummer', 'fnr', 'f.nr', 'd-nummer', 'national identity number');

/** Norwegian fødselsnummer: date (D/H-numbers too) and two mod-11 check digits. */
export const noFnrDetector: ChainDetector = {
  type: 'NO_FNR',
  minLength: 11,
  maxLength: 11,
  shape: 'digits',
  detect(v, x) {
    const separated = v.grouped(6, 5) && v.gapsIn(' -');
    if (!separated && v.atoms !== 1) return 0;
    if (!isValidNoFnr(v.value)) return 0;
    return decide(x, NO_CONTEXT, 0.75, CONF.strong);
  },
};

const AT_CONTEXT = keywords(
  'svnr', 'sv-nr', 'sv-nummer', 'sozialversicherungsnummer', 'versicherungsnummer', 'e-card', 'sozialversicherung',
);

/** Austrian SVNR NNNC DDMMYY: weighted mod 11; the "1237 010180" grouping or context. */
export const atSvnrDetector: ChainDetector = {
  type: 'AT_SVNR',
  minLength: 10,
  maxLength: 10,
  shape: 'digits',
  detect(v, x) {
    const grouped = v.grouped(4, 6) && v.gapsIn(' ');
    if (!grouped && v.atoms !== 1) return 0;
    if (!isValidAtSvnr(v.value)) return 0;
    return decide(x, AT_CONTEXT, grouped ? 0.75 : 0, 0.95);
  },
};
