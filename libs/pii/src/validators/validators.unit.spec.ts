import { describe, expect, it } from 'vitest';
import { icao9303Check, iso7064Mod11_10Check, iso7064Mod11_2Check, luhnValid, mod97 } from './checksums.js';
import * as v from './index.js';

/** The same string with its last character moved one step (digit + 1 mod 10, letter + 1). */
function offByOne(s: string): string {
  const c = s.charCodeAt(s.length - 1);
  const next = c >= 48 && c <= 57 ? 48 + ((c - 48 + 1) % 10) : c === 90 ? 65 : c + 1;
  return s.slice(0, -1) + String.fromCharCode(next);
}

/** [validator, published valid examples (source in the comment), hand-made invalid ones]. */
const CASES: readonly (readonly [string, (s: string) => boolean, readonly string[], readonly string[]])[] = [
  // Test PANs published by the card networks' acquirers (Stripe / PayPal testing docs).
  ['payment card', v.isValidPaymentCard, ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117'], ['1234567812345678']],
  // ISO 13616 / SWIFT IBAN registry examples; Wikipedia "International Bank Account Number".
  ['IBAN', v.isValidIban, ['DE89370400440532013000', 'GB82WEST12345698765432', 'GB29NWBK60161331926819', 'FR1420041010050500013M02606'], ['DE8937040044053201300', 'XX89370400440532013000']],
  // ISO 9362 examples (Deutsche Bank; Wikipedia's Nedbank example).
  ['BIC', v.isValidBic, ['DEUTDEFF', 'NEDSZAJJXXX', 'COBADEFFXXX'], ['DEUTQQFF', 'DEU1DEFF', 'DEUTDEF']],
  // GB 11643-1999 example used by Wikipedia zh "中华人民共和国公民身份号码".
  ['CN resident id', v.isValidCnResidentId, ['11010519491231002X'], ['110105194912310021', '99010519491231002X']],
  // GB 32100-2015 example on Wikipedia zh "统一社会信用代码".
  ['CN USCC', v.isValidUscc, ['91350100M000100Y43'], ['91350100M000100Y4A']],
  // HMRC NIM39110 rules: AB... is allocatable; QQ123456C is HMRC's documented dummy (Q never starts one).
  ['UK NINO', v.isValidUkNino, ['AB123456C', 'JG103759A'], ['QQ123456C', 'GB123456A', 'AB123456E', 'AO123456A']],
  // NHS Data Dictionary example "943 476 5919".
  ['NHS number', v.isValidNhsNumber, ['9434765919'], []],
  // 総務省令 check digit formula; 123456789018 is the widely used sample.
  ['My Number', v.isValidMyNumber, ['123456789018'], ['12345678901']],
  // 保険者番号設定要領: 千葉県警 33120015 is the worked example.
  ['JP insurer number', v.isValidJpInsurerNumber, ['33120015'], []],
  // Publicly displayed business registration numbers (Samsung Electronics 124-81-00998; 220-81-62517).
  ['KR BRN', v.isValidKrBrn, ['1248100998', '2208162517'], []],
  // Sample Steuer-IdNr values used in BZSt/ELSTER test material.
  ['DE tax id', v.isValidDeTaxId, ['86095742719', '65929970489'], ['86095742729', '01234567890', '11111111116']],
  // Specimen identity cards of "Erika Mustermann" (2010: T22000129 + 3, 2021: L01X00T47 + 1).
  ['DE identity card', v.isValidDeIdCard, ['T220001293', 'L01X00T471'], ['A220001293']],
  // Example of Wikipedia fr "Numéro de sécurité sociale en France"; a Corsican 2A number.
  ['FR NIR', v.isValidFrNir, ['255081416802538', '269054958815780'], ['555081416802538']],
  // DNI example in the Ministerio del Interior's algorithm page; NIE X1234567L.
  ['ES DNI', v.isValidEsDni, ['12345678Z'], ['12345678A']],
  ['ES NIE', v.isValidEsNie, ['X1234567L', 'Y1234567X'], ['A1234567L']],
  // Agenzia delle Entrate example "Mario Rossi".
  ['IT codice fiscale', v.isValidItFiscalCode, ['RSSMRA85T10A562S'], ['RSSMRA85T10A56', 'RSSMRA85X10A562S']],
  // Dutch government test BSNs.
  ['NL BSN', v.isValidNlBsn, ['111222333', '123456782'], ['000000000']],
  // Wikipedia pl/en examples.
  ['PL PESEL', v.isValidPlPesel, ['44051401359', '02070803628'], ['44053401358']],
  // Skatteverket example 811228-9874 (Wikipedia sv "Personnummer i Sverige").
  ['SE personnummer', v.isValidSePersonnummer, ['8112289874', '198112289874'], ['8113289874']],
  // Autoridade Tributária style examples.
  ['PT NIF', v.isValidPtNif, ['123456789', '501964843'], ['023456789']],
  // Wikipedia nl "Rijksregisternummer" example 85.07.30-033.28.
  ['BE national number', v.isValidBeNationalNumber, ['85073003328'], []],
  // Specimen number printed on the Swiss AHV card.
  ['CH AHV', v.isValidChAhv, ['7569217076985'], ['7559217076985']],
  // DVV example 131052-308T.
  ['FI HETU', v.isValidFiHetu, ['131052-308T'], ['131052G308T', '311352-308T']],
  ['NO fødselsnummer', v.isValidNoFnr, ['01010750160', '15076500565'], []],
  // Wikipedia de "Sozialversicherungsnummer" (Austria) example 1237 010180.
  ['AT SVNR', v.isValidAtSvnr, ['1237010180'], ['0237010180']],
  // Emirates ID specimen 784-1968-6570305-0.
  ['Emirates ID', v.isValidEmiratesId, ['784196865703050'], ['785196865703053']],
];

const NO_CHECK_CHARACTER = new Set(['BIC', 'UK NINO']);

describe('checksum validators', () => {
  for (const [name, fn, valid, invalid] of CASES) {
    describe(name, () => {
      it.each(valid.map((s) => [s]))('accepts the published example %s', (s) => {
        expect(fn(s)).toBe(true);
      });
      // BIC and NINO have no check character: any last letter in range is as valid as another.
      if (!NO_CHECK_CHARACTER.has(name)) {
        it.each(valid.map((s) => [s, offByOne(s)]))('rejects %s with its last character off by one (%s)', (_s, wrong) => {
          expect(fn(wrong)).toBe(false);
        });
      }
      if (invalid.length > 0) {
        it.each(invalid.map((s) => [s]))('rejects %s', (s) => {
          expect(fn(s)).toBe(false);
        });
      }
    });
  }
});

describe('generic algorithms', () => {
  it('computes ISO 7064 MOD 11-2, MOD 11,10 and MOD 97-10 like the standards', () => {
    expect(iso7064Mod11_2Check('11010519491231002')).toBe('X');
    expect(iso7064Mod11_10Check('8609574271')).toBe(9);
    expect(mod97('370400440532013000DE89')).toBe(1);
  });

  it('computes the ICAO 9303 7-3-1 check digit of the specimen passport number L898902C3 (Doc 9303 part 4 appendix)', () => {
    expect(icao9303Check('L898902C3')).toBe(6);
  });

  it('rejects non-digits in Luhn', () => {
    expect(luhnValid('4111-1111-1111-1111')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });

  it('separates Korean RRN shape from its pre-2020 check digit', () => {
    expect(v.checkKrRrn('9001011234568')).toEqual({ shape: true, checksum: true });
    expect(v.checkKrRrn('9001011234567')).toEqual({ shape: true, checksum: false });
    expect(v.checkKrRrn('9013011234568').shape).toBe(false);
  });

  it('tells Saudi citizens from residents and validates the Luhn check', () => {
    expect(v.saudiIdKind('1000000008')).toBe('citizen');
    expect(v.saudiIdKind('2000000006')).toBe('resident');
    expect(v.saudiIdKind('1000000009')).toBeNull();
    expect(v.saudiIdKind('3000000004')).toBeNull();
  });

  it('enforces SSN invalid ranges (000, 666, 900-999 areas; 00 group; 0000 serial)', () => {
    expect(v.isValidUsSsn('123456789')).toBe(true);
    for (const bad of ['000456789', '666456789', '900456789', '999456789', '123006789', '123450000', '078051120']) {
      expect(v.isValidUsSsn(bad), bad).toBe(false);
    }
  });

  it('knows ICD-10 and ICD-11 code shapes', () => {
    expect(v.isIcd10Code('E11.9')).toBe(true);
    expect(v.isIcd10Code('S72.001A')).toBe(true);
    expect(v.isIcd10Code('E1.9')).toBe(false);
    expect(v.isIcd11Code('5A11')).toBe(true);
    expect(v.isIcd11Code('BA00.Z')).toBe(true);
    expect(v.isIcd11Code('5O11')).toBe(false);
  });

  it('knows card networks by issuer range and length', () => {
    expect(v.paymentCardNetwork('4111111111111111')).toBe('visa');
    expect(v.paymentCardNetwork('378282246310005')).toBe('amex');
    expect(v.paymentCardNetwork('6200000000000005')).toBe('unionpay');
    expect(v.paymentCardNetwork('620000000000000000')).toBeNull();
  });
});
