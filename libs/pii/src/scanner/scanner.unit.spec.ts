import { describe, expect, it } from 'vitest';
import { InvalidScannerOptionsError } from '../errors.js';
import { PII_TYPES, type PiiType } from '../types.js';
import { createScanner } from './scanner.js';

const all = createScanner({ includeText: true });

/** [type, text, the exact value the span must cover]. One per type, in the group's language. */
const EXAMPLES: readonly (readonly [PiiType, string, string])[] = [
  ['EMAIL', 'Write to anna.schmidt+news@mail.example.de today.', 'anna.schmidt+news@mail.example.de'],
  ['CREDIT_CARD', 'Card 4111 1111 1111 1111 expires 09/27.', '4111 1111 1111 1111'],
  ['IBAN', 'IBAN: GB82 WEST 1234 5698 7654 32, thanks', 'GB82 WEST 1234 5698 7654 32'],
  ['SWIFT_BIC', 'Bank BIC is DEUTDEFF for this one.', 'DEUTDEFF'],
  ['ICD_CODE', 'Diagnosis: type 2 diabetes, ICD-10 E11.9.', 'E11.9'],
  ['PHONE_NUMBER', 'Ruf mich an: +49 30 1234567.', '+49 30 1234567'],
  ['OPENAI_API_KEY', 'key=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z done', 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z'],
  ['ANTHROPIC_API_KEY', 'use sk-ant-api03-abcdefghij0123456789ABCDEFGHIJ0123456789xyz now', 'sk-ant-api03-abcdefghij0123456789ABCDEFGHIJ0123456789xyz'],
  ['AWS_ACCESS_KEY_ID', 'aws_access_key_id=AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
  ['GITHUB_TOKEN', 'token ghp_0123456789abcdefghijABCDEFGHIJ012345 ok', 'ghp_0123456789abcdefghijABCDEFGHIJ012345'],
  ['SLACK_TOKEN', 'SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
  ['GOOGLE_API_KEY', 'key=AIzaSyA1234567890abcdefghijklmnopqrstuv&x', 'AIzaSyA1234567890abcdefghijklmnopqrstuv'],
  ['STRIPE_SECRET_KEY', 'stripe sk_live_51H8abcdefghijklmnopqrstuv0', 'sk_live_51H8abcdefghijklmnopqrstuv0'],
  ['PRIVATE_KEY', 'x\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n-----END RSA PRIVATE KEY-----\ny', '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n-----END RSA PRIVATE KEY-----'],
  ['JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
  ['PERSON_NAME', 'Hello, my name is Jean-Luc Picard and I command a ship.', 'Jean-Luc Picard'],
  ['CN_RESIDENT_ID', '我的身份证号码是11010519491231002X。', '11010519491231002X'],
  ['CN_PHONE', '手机：138 0013 8000', '138 0013 8000'],
  ['CN_BANK_CARD', '我的银行卡号6222020200112233446，开户行工商银行。', '6222020200112233446'],
  ['CN_USCC', '统一社会信用代码：91350100M000100Y43', '91350100M000100Y43'],
  ['CN_SECURITIES_ACCOUNT', '我的证券账户A123456789。', 'A123456789'],
  ['US_SSN', 'SSN 123-45-6789 on file.', '123-45-6789'],
  ['NANP_PHONE', 'Call (415) 555-2671 now.', '(415) 555-2671'],
  ['UK_PHONE', 'Ring +44 (0)20 7946 0958 today.', '+44 (0)20 7946 0958'],
  ['UK_NINO', 'NI number AB 12 34 56 C.', 'AB 12 34 56 C'],
  ['UK_NHS_NUMBER', 'NHS number 943 476 5919.', '943 476 5919'],
  ['EN_PASSPORT', 'Passport number: 533380006.', '533380006'],
  ['EN_DRIVER_LICENSE', "Driver's license D1234567 expires soon.", 'D1234567'],
  ['EN_MEDICAL_RECORD', 'Patient MRN 00482913 admitted.', '00482913'],
  ['JP_MY_NUMBER', 'マイナンバー：123456789018', '123456789018'],
  ['JP_PHONE', '電話は090-1234-5678です。', '090-1234-5678'],
  ['JP_POSTAL_CODE', '〒100-0001 東京都千代田区', '100-0001'],
  ['JP_HEALTH_INSURANCE', '保険者番号：33120015', '33120015'],
  ['KR_RRN', '주민등록번호: 900101-1234568', '900101-1234568'],
  ['KR_PHONE', '연락처: 010-1234-5678', '010-1234-5678'],
  ['KR_PASSPORT', '여권번호 M12345678 입니다', 'M12345678'],
  ['KR_BRN', '사업자등록번호 124-81-00998', '124-81-00998'],
  ['DE_TAX_ID', 'Steuer-ID: 86 095 742 719', '86 095 742 719'],
  ['DE_ID_CARD', 'Personalausweis T220001293', 'T220001293'],
  ['FR_NIR', 'Numéro de sécurité sociale : 2 55 08 14 168 025 38', '2 55 08 14 168 025 38'],
  ['ES_DNI', 'Mi DNI es 12345678-Z.', '12345678-Z'],
  ['ES_NIE', 'NIE: X-1234567-L', 'X-1234567-L'],
  ['IT_FISCAL_CODE', 'Codice fiscale RSSMRA85T10A562S.', 'RSSMRA85T10A562S'],
  ['NL_BSN', 'Mijn BSN is 111222333.', '111222333'],
  ['PL_PESEL', 'PESEL: 44051401359', '44051401359'],
  ['SE_PERSONNUMMER', 'Personnummer 811228-9874.', '811228-9874'],
  ['PT_NIF', 'NIF 501964843', '501964843'],
  ['BE_NATIONAL_NUMBER', 'Rijksregisternummer 85.07.30-033.28', '85.07.30-033.28'],
  ['CH_AHV', 'AHV-Nr. 756.9217.0769.85', '756.9217.0769.85'],
  ['DK_CPR', 'CPR-nummer: 070761-4285', '070761-4285'],
  ['FI_HETU', 'Henkilötunnus 131052-308T.', '131052-308T'],
  ['NO_FNR', 'Fødselsnummer 01010750160', '01010750160'],
  ['AT_SVNR', 'Sozialversicherungsnummer 1237 010180', '1237 010180'],
  ['SA_NATIONAL_ID', 'رقم الهوية 1000000008', '1000000008'],
  ['SA_IQAMA', 'رقم الإقامة 2000000006', '2000000006'],
  ['AE_EMIRATES_ID', 'Emirates ID 784-1968-6570305-0', '784-1968-6570305-0'],
  ['QA_QID', 'My QID is 28763412345.', '28763412345'],
  ['MA_CIN', 'CIN: BE123456', 'BE123456'],
  ['NG_NIN', 'NIN 12345678901', '12345678901'],
  ['MENA_PHONE', 'جوال: +966 50 123 4567', '+966 50 123 4567'],
];

describe('createScanner: one example per type', () => {
  it('covers every declared type', () => {
    expect(new Set(EXAMPLES.map(([t]) => t))).toEqual(new Set(PII_TYPES));
  });

  it.each(EXAMPLES.map(([t, text, value]) => [t, text, value]))('finds %s', (type, text, value) => {
    const spans = all.scan(text);
    const hit = spans.find((s) => s.type === type);
    expect(hit, JSON.stringify(spans)).toBeDefined();
    expect(text.slice(hit!.start, hit!.end)).toBe(value);
    expect(hit!.text).toBe(value);
  });
});

describe('normalisation', () => {
  it('validates full-width digits and reports offsets in the original string', () => {
    const text = '身份证：１１０１０５１９４９１２３１００２Ｘ，谢谢';
    const [span] = all.scan(text);
    expect(span?.type).toBe('CN_RESIDENT_ID');
    expect(text.slice(span!.start, span!.end)).toBe('１１０１０５１９４９１２３１００２Ｘ');
  });

  it('reads Arabic-Indic and Persian digits', () => {
    const arabic = 'رقم الهوية ١٠٠٠٠٠٠٠٠٨ من فضلك';
    const persian = 'رقم الهوية ۱۰۰۰۰۰۰۰۰۸ من فضلك';
    for (const text of [arabic, persian]) {
      const [span] = all.scan(text);
      expect(span?.type).toBe('SA_NATIONAL_ID');
      expect(span!.end - span!.start).toBe(10);
    }
  });

  it('accepts spaces, dashes, dots and no-break spaces inside numbers', () => {
    for (const card of ['4111-1111-1111-1111', '4111\u00a01111\u00a01111\u00a01111', '4111111111111111']) {
      const spans = all.scan(`card ${card}.`);
      expect(spans.map((s) => s.type)).toEqual(['CREDIT_CARD']);
      expect(spans[0]!.end - spans[0]!.start).toBe(card.length);
    }
  });

  it('keeps UTF-16 offsets right after astral characters', () => {
    const text = '😀😀 SSN 123-45-6789';
    const [span] = all.scan(text);
    expect(text.slice(span!.start, span!.end)).toBe('123-45-6789');
  });
});

describe('precision rules', () => {
  it('needs context for ambiguous numbers and reports them with it', () => {
    expect(all.scan('The total was 111222333 units.')).toEqual([]);
    expect(all.scan('BSN 111222333').map((s) => s.type)).toEqual(['NL_BSN']);
  });

  it('rejects wrong check digits', () => {
    expect(all.scan('card 4111 1111 1111 1112, IBAN DE89 3704 0044 0532 0130 01, 身份证11010519491231002Y')).toEqual([]);
  });

  it('ignores order numbers, versions, UUIDs, timestamps, ISBNs and prices', () => {
    const text =
      'Order #4111111111111111 shipped. Version 10.0.19045.3570. id 550e8400-e29b-41d4-a716-446655440000 ' +
      'at 2024-03-15T10:22:31Z (1710498151). ISBN 978-3-16-148410-0. Total $1,299.99. 注文番号0562854463';
    expect(all.scan(text)).toEqual([]);
  });

  it('does not take a digit run glued to more digits for a shorter id', () => {
    expect(all.scan('ref 4111 1111 1111 1111 2222 3333')).toEqual([]);
  });

  it('reports names only after an unambiguous phrase', () => {
    expect(all.scan('John Smith called about the invoice.')).toEqual([]);
    expect(all.scan('The file name: Report Final')).toEqual([]);
    const names = ['我叫王小明，今年十岁。', '私の名前は山田太郎です。', '제 이름은 김민수입니다.', 'اسمي محمد أحمد وأنا من الرياض', "je m'appelle Chloé Bernard."]
      .map((t) => all.scan(t).filter((s) => s.type === 'PERSON_NAME').map((s) => s.text));
    expect(names).toEqual([['王小明'], ['山田太郎'], ['김민수'], ['محمد أحمد'], ['Chloé Bernard']]);
  });

  it('prefers the validated, more specific reading of an overlapping match', () => {
    // 18 digits that are both a valid resident id and Luhn-valid would be a card; the id wins.
    const spans = all.scan('身份证号码11010519491231002X');
    expect(spans.map((s) => s.type)).toEqual(['CN_RESIDENT_ID']);
    // A token in a URL is a credential, not an email address.
    const url = all.scan('git clone https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/acme/app.git');
    expect(url.map((s) => s.type)).toEqual(['GITHUB_TOKEN']);
  });

  it('returns sorted, non-overlapping spans', () => {
    const text = 'Mail a@b.co, call (415) 555-2671, card 4111111111111111, IBAN DE89370400440532013000, SSN 123-45-6789.';
    const spans = all.scan(text);
    expect(spans.map((s) => s.type)).toEqual(['EMAIL', 'NANP_PHONE', 'CREDIT_CARD', 'IBAN', 'US_SSN']);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
  });
});

describe('options', () => {
  it('scans only the selected groups and types', () => {
    const text = 'SSN 123-45-6789, mail a@b.co, Steuer-ID 86095742719';
    expect(createScanner({ groups: ['en'] }).scan(text).map((s) => s.type)).toEqual(['US_SSN']);
    expect(createScanner({ types: ['EMAIL', 'DE_TAX_ID'] }).scan(text).map((s) => s.type)).toEqual(['EMAIL', 'DE_TAX_ID']);
    expect(createScanner({ groups: ['universal'], types: ['US_SSN'] }).types).toEqual([]);
  });

  it('filters by confidence', () => {
    const text = 'The number 86095742719 was mentioned.';
    expect(createScanner({ minConfidence: 0.5 }).scan(text).map((s) => s.type)).toEqual(['DE_TAX_ID']);
    expect(createScanner({ minConfidence: 0.9 }).scan(text)).toEqual([]);
  });

  it('does not copy values into spans unless asked', () => {
    const [span] = createScanner().scan('mail a@b.co');
    expect(span).toEqual({ start: 5, end: 11, type: 'EMAIL', group: 'universal', confidence: 0.97 });
    expect(JSON.stringify(span)).not.toContain('a@b.co');
  });

  it('rejects unknown names with a coded error', () => {
    const bad = (): unknown => createScanner({ groups: ['klingon' as never] });
    expect(bad).toThrow(InvalidScannerOptionsError);
    try {
      createScanner({ minConfidence: 2 });
    } catch (e) {
      expect((e as InvalidScannerOptionsError).code).toBe('TOTRA_PII_INVALID_OPTIONS');
    }
    expect(() => createScanner({ minConfidence: 2 })).toThrow(InvalidScannerOptionsError);
  });

  it('can be reused: state never leaks from one scan into the next', () => {
    const s = createScanner();
    expect(s.scan('SSN 123-45-').length).toBe(0);
    expect(s.scan('6789').length).toBe(0);
    expect(s.scan('SSN 123-45-6789').map((x) => x.type)).toEqual(['US_SSN']);
  });
});
