import { z } from 'zod';

/**
 * Detector groups. The product README speaks of "18 language groups" but its own table has seven
 * rows, one of which ("EU, 14 countries") bundles fourteen national schemes; no split of that
 * table gives 18. We keep every row and split the EU row by country, because policies are set
 * per country (a German tenant enables `eu-de`, not all of Europe):
 *
 * | README row          | groups                                                             |
 * |---------------------|--------------------------------------------------------------------|
 * | Universal           | `universal`                                                        |
 * | Chinese             | `zh`                                                               |
 * | English             | `en`                                                               |
 * | Japanese            | `ja`                                                               |
 * | Korean              | `ko`                                                               |
 * | Arabic (GCC + MENA) | `ar`                                                               |
 * | EU (14 countries)   | `eu-de` `eu-fr` `eu-es` `eu-it` `eu-nl` `eu-pl` `eu-se` `eu-pt` `eu-be` `eu-ch` `eu-dk` `eu-fi` `eu-no` `eu-at` |
 *
 * Two groups are not tied to a language: `names` (person names, only when a phrase such as
 * "my name is" or "我叫" makes them unambiguous, in every supported language) and `secrets`
 * (credentials pasted into prompts). That is 6 + 14 + 2 = 22 groups.
 */
export const PII_GROUPS = [
  'universal',
  'secrets',
  'names',
  'zh',
  'en',
  'ja',
  'ko',
  'ar',
  'eu-de',
  'eu-fr',
  'eu-es',
  'eu-it',
  'eu-nl',
  'eu-pl',
  'eu-se',
  'eu-pt',
  'eu-be',
  'eu-ch',
  'eu-dk',
  'eu-fi',
  'eu-no',
  'eu-at',
] as const;

/** One detector group (see {@link PII_GROUPS} for how they map to the README's table). */
export type PiiGroup = (typeof PII_GROUPS)[number];

/** The row of the product README's PII table a group belongs to (`Extra` for names and secrets). */
export type ReadmeRow = 'Universal' | 'Chinese' | 'English' | 'Japanese' | 'Korean' | 'Arabic' | 'EU' | 'Extra';

/** How a type is confirmed: a check algorithm, a distinctive format, or surrounding words. */
export type PiiEvidence = 'checksum' | 'format' | 'context';

interface TypeInfo {
  readonly group: PiiGroup;
  readonly label: string;
  readonly evidence: PiiEvidence;
}

/** Every type the engine reports, with its group, a human label and its main evidence. */
export const PII_TYPE_INFO = {
  EMAIL: { group: 'universal', label: 'Email address', evidence: 'format' },
  CREDIT_CARD: { group: 'universal', label: 'Payment card number', evidence: 'checksum' },
  IBAN: { group: 'universal', label: 'IBAN', evidence: 'checksum' },
  SWIFT_BIC: { group: 'universal', label: 'SWIFT/BIC code', evidence: 'context' },
  ICD_CODE: { group: 'universal', label: 'ICD-10/ICD-11 diagnosis code', evidence: 'context' },
  PHONE_NUMBER: { group: 'universal', label: 'International phone number (+CC)', evidence: 'format' },

  OPENAI_API_KEY: { group: 'secrets', label: 'OpenAI API key', evidence: 'format' },
  ANTHROPIC_API_KEY: { group: 'secrets', label: 'Anthropic API key', evidence: 'format' },
  AWS_ACCESS_KEY_ID: { group: 'secrets', label: 'AWS access key id', evidence: 'format' },
  GITHUB_TOKEN: { group: 'secrets', label: 'GitHub token', evidence: 'format' },
  SLACK_TOKEN: { group: 'secrets', label: 'Slack token', evidence: 'format' },
  GOOGLE_API_KEY: { group: 'secrets', label: 'Google API key', evidence: 'format' },
  STRIPE_SECRET_KEY: { group: 'secrets', label: 'Stripe secret key', evidence: 'format' },
  PRIVATE_KEY: { group: 'secrets', label: 'PEM private key', evidence: 'format' },
  JWT: { group: 'secrets', label: 'JSON Web Token', evidence: 'format' },

  PERSON_NAME: { group: 'names', label: 'Person name', evidence: 'context' },

  CN_RESIDENT_ID: { group: 'zh', label: 'Chinese resident identity card number', evidence: 'checksum' },
  CN_PHONE: { group: 'zh', label: 'Chinese mobile number', evidence: 'format' },
  CN_BANK_CARD: { group: 'zh', label: 'Chinese bank card number', evidence: 'context' },
  CN_USCC: { group: 'zh', label: 'Unified social credit code', evidence: 'checksum' },
  CN_SECURITIES_ACCOUNT: { group: 'zh', label: 'Chinese securities account', evidence: 'context' },

  US_SSN: { group: 'en', label: 'US Social Security number', evidence: 'format' },
  NANP_PHONE: { group: 'en', label: 'North American phone number', evidence: 'format' },
  UK_PHONE: { group: 'en', label: 'UK phone number', evidence: 'format' },
  UK_NINO: { group: 'en', label: 'UK National Insurance number', evidence: 'format' },
  UK_NHS_NUMBER: { group: 'en', label: 'UK NHS number', evidence: 'context' },
  EN_PASSPORT: { group: 'en', label: 'US/UK passport number', evidence: 'context' },
  EN_DRIVER_LICENSE: { group: 'en', label: "US/UK driver's licence number", evidence: 'context' },
  EN_MEDICAL_RECORD: { group: 'en', label: 'Medical record number', evidence: 'context' },

  JP_MY_NUMBER: { group: 'ja', label: 'Japanese My Number (個人番号)', evidence: 'checksum' },
  JP_PHONE: { group: 'ja', label: 'Japanese phone number', evidence: 'format' },
  JP_POSTAL_CODE: { group: 'ja', label: 'Japanese postal code', evidence: 'context' },
  JP_HEALTH_INSURANCE: { group: 'ja', label: 'Japanese health insurance number', evidence: 'context' },

  KR_RRN: { group: 'ko', label: 'Korean resident registration number (주민등록번호)', evidence: 'checksum' },
  KR_PHONE: { group: 'ko', label: 'Korean phone number', evidence: 'format' },
  KR_PASSPORT: { group: 'ko', label: 'Korean passport number', evidence: 'context' },
  KR_BRN: { group: 'ko', label: 'Korean business registration number', evidence: 'checksum' },

  DE_TAX_ID: { group: 'eu-de', label: 'German tax id (Steuer-IdNr)', evidence: 'checksum' },
  DE_ID_CARD: { group: 'eu-de', label: 'German identity card number', evidence: 'context' },
  FR_NIR: { group: 'eu-fr', label: 'French social security number (NIR)', evidence: 'checksum' },
  ES_DNI: { group: 'eu-es', label: 'Spanish DNI', evidence: 'checksum' },
  ES_NIE: { group: 'eu-es', label: 'Spanish NIE', evidence: 'checksum' },
  IT_FISCAL_CODE: { group: 'eu-it', label: 'Italian codice fiscale', evidence: 'checksum' },
  NL_BSN: { group: 'eu-nl', label: 'Dutch BSN', evidence: 'context' },
  PL_PESEL: { group: 'eu-pl', label: 'Polish PESEL', evidence: 'context' },
  SE_PERSONNUMMER: { group: 'eu-se', label: 'Swedish personnummer', evidence: 'checksum' },
  PT_NIF: { group: 'eu-pt', label: 'Portuguese NIF', evidence: 'context' },
  BE_NATIONAL_NUMBER: { group: 'eu-be', label: 'Belgian national register number', evidence: 'checksum' },
  CH_AHV: { group: 'eu-ch', label: 'Swiss AHV/AVS number', evidence: 'checksum' },
  DK_CPR: { group: 'eu-dk', label: 'Danish CPR number', evidence: 'context' },
  FI_HETU: { group: 'eu-fi', label: 'Finnish personal identity code (HETU)', evidence: 'checksum' },
  NO_FNR: { group: 'eu-no', label: 'Norwegian fødselsnummer', evidence: 'checksum' },
  AT_SVNR: { group: 'eu-at', label: 'Austrian social insurance number', evidence: 'context' },

  SA_NATIONAL_ID: { group: 'ar', label: 'Saudi national id', evidence: 'context' },
  SA_IQAMA: { group: 'ar', label: 'Saudi residence permit (Iqama)', evidence: 'context' },
  AE_EMIRATES_ID: { group: 'ar', label: 'Emirates ID', evidence: 'checksum' },
  QA_QID: { group: 'ar', label: 'Qatar ID', evidence: 'context' },
  MA_CIN: { group: 'ar', label: 'Moroccan national identity card (CIN)', evidence: 'context' },
  NG_NIN: { group: 'ar', label: 'Nigerian national identification number', evidence: 'context' },
  MENA_PHONE: { group: 'ar', label: 'GCC/MENA phone number', evidence: 'format' },
} as const satisfies Record<string, TypeInfo>;

/** A PII type name, e.g. `EMAIL`, `CN_RESIDENT_ID`, `DE_TAX_ID`. */
export type PiiType = keyof typeof PII_TYPE_INFO;

/** Every type name, in declaration order. */
export const PII_TYPES = Object.keys(PII_TYPE_INFO) as PiiType[];

/** The README row each group belongs to. */
export const README_ROW_OF_GROUP: Readonly<Record<PiiGroup, ReadmeRow>> = {
  universal: 'Universal',
  secrets: 'Extra',
  names: 'Extra',
  zh: 'Chinese',
  en: 'English',
  ja: 'Japanese',
  ko: 'Korean',
  ar: 'Arabic',
  'eu-de': 'EU',
  'eu-fr': 'EU',
  'eu-es': 'EU',
  'eu-it': 'EU',
  'eu-nl': 'EU',
  'eu-pl': 'EU',
  'eu-se': 'EU',
  'eu-pt': 'EU',
  'eu-be': 'EU',
  'eu-ch': 'EU',
  'eu-dk': 'EU',
  'eu-fi': 'EU',
  'eu-no': 'EU',
  'eu-at': 'EU',
};

/** The group a type belongs to. */
export function groupOfType(type: PiiType): PiiGroup {
  return PII_TYPE_INFO[type].group;
}

/** zod schema of a group name, for policy documents read at the edge. */
export const PiiGroupSchema = z.enum(PII_GROUPS);
/** zod schema of a type name. */
export const PiiTypeSchema = z.enum(PII_TYPES as [PiiType, ...PiiType[]]);

/**
 * One detection. Offsets are UTF-16 indices into the scanned string (`text.slice(start, end)`),
 * always in the original text even when the value was written with full-width or Arabic-Indic
 * digits. The matched value itself is only present when the scanner was built with
 * `includeText: true`, so spans can be logged without leaking it.
 */
export interface PiiSpan {
  readonly start: number;
  readonly end: number;
  readonly type: PiiType;
  readonly group: PiiGroup;
  /** In [0, 1]: 0.95+ checksum-validated and distinctive; 0.6-0.9 format or context evidence. */
  readonly confidence: number;
  readonly text?: string;
}
