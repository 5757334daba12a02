// Hard negatives: text full of numbers that are not personal data, and look-alikes whose check
// digit is wrong. None of them may be reported.
import { type PiiType } from '../types.js';
import { ean13CheckDigit } from '../validators/checksums.js';
import { type Rng } from './prng.js';
import { GENERATORS, group } from './values.js';

const HEX = '0123456789abcdef';
const UPPER_DIGITS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

/** A value of `type` with its last character changed, so its check digit no longer matches. */
export function breakCheckDigit(r: Rng, type: PiiType): string {
  const gen = GENERATORS[type];
  if (gen === undefined) throw new Error(`no generator for ${type}`);
  const v = gen(r, 'en');
  const last = v.charAt(v.length - 1);
  const code = last.charCodeAt(0);
  const swapped = code >= 48 && code <= 57 ? String((code - 48 + 1 + r.int(0, 7)) % 10) : last === 'A' ? 'B' : 'A';
  return v.slice(0, -1) + swapped;
}

function isbn13(r: Rng): string {
  const body = `978${r.int(0, 1)}${r.digits(8)}`;
  const n = body + String(ean13CheckDigit(body));
  return `${n.slice(0, 3)}-${n.slice(3, 4)}-${n.slice(4, 7)}-${n.slice(7, 12)}-${n.slice(12)}`;
}

const uuid = (r: Rng): string => `${r.chars(8, HEX)}-${r.chars(4, HEX)}-4${r.chars(3, HEX)}-a${r.chars(3, HEX)}-${r.chars(12, HEX)}`;
const two = (n: number): string => String(n).padStart(2, '0');

/** Sentence generators of hard negatives (English, plus a few in other languages). */
export const NEGATIVES: readonly ((r: Rng) => string)[] = [
  (r) => `Order #${r.int(1, 9)}${r.digits(r.int(7, 15))} has shipped.`,
  (r) => `Your order number is ${r.int(1, 9)}${r.digits(r.int(9, 12))}.`,
  (r) => `Tracking number: 1Z${r.chars(6, UPPER_DIGITS)}${r.digits(10)}`,
  (r) => `USPS tracking ${group(`9400${r.digits(18)}`, [4, 4, 4, 4, 4, 2], ' ')} is in transit.`,
  (r) => `See ISBN ${isbn13(r)} for the reference edition.`,
  (r) => `Logged at ${r.int(2019, 2026)}-${two(r.int(1, 12))}-${two(r.int(1, 28))}T${two(r.int(0, 23))}:${two(r.int(0, 59))}:${two(r.int(0, 59))}Z with status 200.`,
  (r) => `The epoch timestamp was ${r.int(1_500_000_000, 1_800_000_000)}${r.chance(0.5) ? r.digits(3) : ''}.`,
  (r) => `Request id ${uuid(r)} failed after 3 retries.`,
  (r) => `Upgrade to version ${r.int(1, 20)}.${r.int(0, 30)}.${r.int(0, 99)} before Friday.`,
  (r) => `Windows build 10.0.${r.int(10000, 22999)}.${r.int(100, 4000)} is affected.`,
  (r) => `Total due: $${r.int(1, 9)},${r.digits(3)}.${r.digits(2)} including tax.`,
  (r) => `Le total est de ${r.int(10, 999)} ${r.digits(3)},${r.digits(2)} €.`,
  (r) => `for (let i = 0; i < ${r.int(100, 100000)}; i++) { total += i * ${r.int(10000, 99999)}; }`,
  (r) => `SELECT * FROM orders WHERE customer_id = ${r.int(1000, 99999999)} AND total > ${r.int(10, 999)};`,
  (r) => `The server listens on 192.168.${r.int(0, 255)}.${r.int(1, 254)}:${r.int(1024, 65535)}.`,
  (r) => `Revert commit ${r.chars(40, HEX)} please.`,
  (r) => `Use the colour #${r.chars(6, 'ABCDEF0123456789')} for the header.`,
  (r) => `Meet me in room ${r.int(100, 999)} on floor ${r.int(1, 30)}.`,
  (r) => `Flight LH${r.int(100, 9999)} departs at ${two(r.int(0, 23))}:${two(r.int(0, 59))} from gate B${r.int(1, 60)}.`,
  (r) => `Invoice INV-${r.int(2019, 2026)}-${r.digits(5)} is overdue.`,
  (r) => `SKU ${r.digits(12)}${r.int(0, 9)} is out of stock.`,
  (r) => `The city has ${r.int(1, 99)},${r.digits(3)},${r.digits(3)} inhabitants.`,
  () => `Pi is roughly 3.14159 and e is about 2.71828.`,
  (r) => `The deadline is ${two(r.int(1, 28))}/${two(r.int(1, 12))}/${r.int(2020, 2030)}.`,
  (r) => `订单号${r.int(1, 9)}${r.digits(17)}已发货。`,
  (r) => `注文番号${r.digits(10)}の商品は明日届きます。`,
  (r) => `주문번호 ${r.digits(12)} 배송이 시작되었습니다.`,
  (r) => `Bestellnummer ${r.digits(11)} wurde versendet.`,
  (r) => `The file name is report_${r.int(2019, 2026)}_final.pdf.`,
  () => `Name the variable totalCount and return it.`,
  (r) => `Call (1${r.digits(2)}) ${r.int(2, 9)}${r.digits(2)}-${r.digits(4)} is not a valid North American number.`,
  (r) => `SSN 000-${r.padded(1, 99, 2)}-${r.padded(1, 9999, 4)} is a placeholder.`,
  (r) => `trace_id=${r.chars(32, HEX)} span_id=${r.chars(16, HEX)} duration=${r.int(1, 999)}ms`,
  (r) => `Please call extension ${r.int(1000, 9999)} for the help desk.`,
  (r) => `Coordinates: ${r.int(-89, 89)}.${r.digits(4)}, ${r.int(-179, 179)}.${r.digits(4)}`,
  (r) => `Python ${r.int(2, 3)}.${r.int(0, 13)}.${r.int(0, 20)} and Node ${r.int(14, 24)}.${r.int(0, 20)}.${r.int(0, 9)} are installed.`,
  (r) => `Batch ${r.digits(10)} completed in ${r.int(1, 9)}.${r.int(0, 9)} s.`,
  (r) => `Revenue grew +${r.int(1, 40)}% year over year to ${r.int(1, 999)} million.`,
  (r) => `MAC address ${r.chars(2, 'ABCDEF0123456789')}:${r.chars(2, 'ABCDEF0123456789')}:${r.chars(2, 'ABCDEF0123456789')}:${r.chars(2, 'ABCDEF0123456789')}:${r.chars(2, 'ABCDEF0123456789')}:${r.chars(2, 'ABCDEF0123456789')}`,
  (r) => `The answer is ${r.int(10, 99)}, and ${r.int(2, 9)} × ${r.int(2, 9)} = ${r.int(4, 81)}.`,
  (r) => `Serial number SN-${r.digits(10)} is under warranty.`,
  (r) => `Timestamp ${r.int(2019, 2026)}${two(r.int(1, 12))}${two(r.int(1, 28))}T${two(r.int(0, 23))}${two(r.int(0, 59))}${two(r.int(0, 59))}Z`,
  (r) => `The ZIP code ${r.int(10000, 99999)} covers downtown.`,
  (r) => `${r.int(2019, 2026)}年${r.int(1, 12)}月${r.int(1, 28)}日${r.int(0, 23)}時に会議があります。`,
  (r) => `${r.int(2019, 2026)}년 ${r.int(1, 12)}월 ${r.int(1, 28)}일에 회의가 있습니다.`,
  (r) => `价格：¥${r.int(1, 99)},${r.digits(3)}元，共${r.int(2, 50)}件。`,
  () => `My name is not important here.`,
  () => `Please enter your name: it is a required field.`,
  () => `The name field is optional; the IBAN field is mandatory.`,
  (r) => `我叫了外卖，${r.int(20, 60)}分钟后到。`,
  (r) => `Chapter ${r.int(1, 30)}, page ${r.int(1, 900)}, line ${r.int(1, 60)}.`,
  (r) => `Use code snippet: const id = ${r.int(100000000, 999999999)}; return id % ${r.int(2, 97)};`,
  (r) => `Dimensions: ${r.int(100, 999)} x ${r.int(100, 999)} x ${r.int(10, 99)} mm, weight ${r.int(1, 99)}.${r.int(0, 9)} kg.`,
  (r) => `My card number is ${breakCheckDigit(r, 'CREDIT_CARD')}.`,
  (r) => `Wire it to IBAN ${breakCheckDigit(r, 'IBAN')}.`,
  (r) => `身份证号码${breakCheckDigit(r, 'CN_RESIDENT_ID').replace(/X$/, '1')}有误。`,
  (r) => `Steuer-ID ${breakCheckDigit(r, 'DE_TAX_ID')} ist falsch.`,
  (r) => `DNI ${breakCheckDigit(r, 'ES_DNI')} no es válido.`,
  (r) => `BSN ${breakCheckDigit(r, 'NL_BSN')} klopt niet.`,
  (r) => `マイナンバー${breakCheckDigit(r, 'JP_MY_NUMBER')}は無効です。`,
  (r) => `NIR ${breakCheckDigit(r, 'FR_NIR')} invalide.`,
  (r) => `PESEL ${breakCheckDigit(r, 'PL_PESEL')} jest błędny.`,
  (r) => `Codice fiscale ${breakCheckDigit(r, 'IT_FISCAL_CODE')} errato.`,
  (r) => `AHV-Nummer ${breakCheckDigit(r, 'CH_AHV')} ungültig.`,
  (r) => `Emirates ID ${breakCheckDigit(r, 'AE_EMIRATES_ID')} rejected.`,
  (r) => `Personnummer ${breakCheckDigit(r, 'SE_PERSONNUMMER')} är fel.`,
  (r) => `HETU ${breakCheckDigit(r, 'FI_HETU')} on virheellinen.`,
  (r) => `사업자등록번호 ${breakCheckDigit(r, 'KR_BRN')} 오류`,
  (r) => `统一社会信用代码${breakCheckDigit(r, 'CN_USCC')}无效。`,
];
