import { type ContextProbe } from '../scanner/candidate.js';
import { contextWords, type ContextWords } from '../scanner/context-words.js';

/** Confidence levels shared by the detectors, so overlap resolution compares like with like. */
export const CONF = {
  /** Check digit plus a distinctive shape (IBAN, codice fiscale, Chinese id): no context needed. */
  strong: 0.97,
  /** Check digit confirmed by context words. */
  checkedWithContext: 0.96,
  /** Check digit on an otherwise common shape (a 16-digit Luhn number). */
  checked: 0.88,
  /** Distinctive formatting (123-45-6789, +44 20 ...). */
  formatted: 0.85,
  /** Shape plus context words, no check digit. */
  context: 0.82,
} as const;

/**
 * A case-insensitive context word list (see {@link contextWords}): ASCII words must start at a
 * word boundary (so "dl" does not match "handle"), short ones (<= 4 letters) must end at one too;
 * a space matches any run of spaces, dots, dashes or underscores; an apostrophe is optional.
 */
export function keywords(...words: string[]): ContextWords {
  return contextWords(words);
}

/**
 * Words that mark a number as something other than personal data when they stand right before it
 * ("Order #", "ISBN", "Rechnung", "订单号"). Only consulted for candidates without positive context.
 */
export const NEGATIVE_CONTEXT = keywords(
  'order', 'invoice', 'tracking', 'ticket', 'isbn', 'issn', 'doi', 'ref', 'reference', 'version', 'build', 'sku',
  'serial', 'part no', 'transaction', 'txn', 'confirmation', 'shipment', 'parcel', 'batch', 'commit', 'timestamp',
  'epoch', 'uuid',
  'bestellung', 'bestellnummer', 'rechnung', 'sendung', 'commande', 'facture', 'colis', 'pedido', 'factura', 'envío',
  'ordine', 'fattura', 'spedizione', 'bestelling', 'factuur', 'zamówienie', 'faktura', 'beställning', 'encomenda',
  'ordre', 'tilaus', 'lasku', 'auftrag',
  '订单', '单号', '快递', '运单', '発注', '注文', '伝票', '주문', '송장', 'رقم الطلب', 'فاتورة', 'طلب رقم', 'شحنة',
);

/**
 * Final confidence of a validated candidate: context words lift it from `bare` to `withContext`
 * (a little less when they only follow it, since labels usually come first), a negative word
 * right before a number that is not checksum-strong ("Order #", "ISBN", "注文番号") drops it, and
 * context-only types (`bare` 0) need context.
 */
export function decide(x: ContextProbe, context: ContextWords | undefined, bare: number, withContext: number): number {
  const where = context === undefined ? 0 : x.where(context);
  const conf = where === 2 ? withContext : where === 1 ? Math.max(withContext - 0.02, bare) : bare;
  if (conf <= 0) return 0;
  if (conf < CONF.strong && x.hasJustBefore(NEGATIVE_CONTEXT, 16)) return 0;
  return conf;
}

/**
 * True when no word of `context` is near the candidate. Detectors that need context (their bare
 * confidence is 0) ask first, so most numbers never reach their validators: {@link decide} would
 * return 0 for them anyway.
 */
export function lacksContext(x: ContextProbe, context: ContextWords): boolean {
  return x.where(context) === 0;
}
