export { isValidDate, luhnValid, mod97 } from './checksums.js';
export { isValidBic, isValidIban, isValidPaymentCard, isIcd10Code, isIcd11Code, paymentCardNetwork } from './universal.js';
export {
  checkKrRrn,
  isCnMobile,
  isValidCnResidentId,
  isValidJpInsurerNumber,
  isValidKrBrn,
  isValidMyNumber,
  isValidUscc,
} from './east-asia.js';
export { isNanpNumber, isUkNationalNumber, isValidNhsNumber, isValidUkNino, isValidUsSsn } from './english.js';
export {
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
} from './europe.js';
export { isPlausibleQatarId, isValidEmiratesId, saudiIdKind } from './arabic.js';
