import { type ContextProbe } from '../scanner/candidate.js';

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

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A case-insensitive keyword matcher for context windows. ASCII keywords must start at a word
 * boundary (so "dl" does not match "handle"); short ones (<= 4 letters) must end at one too.
 * A space in a keyword matches any run of spaces, dots, dashes or underscores; an apostrophe
 * is optional and may be typographic.
 */
export function keywords(...words: string[]): RegExp {
  const parts = words.map((w) => {
    const body = escapeRe(w.toLowerCase())
      .replace(/ /g, '[\\s._\\-]*')
      .replace(/'/g, "['\u2019]?");
    if (!/^[ -~]+$/.test(w)) return body;
    const lettersOnly = w.replace(/[^a-z]/gi, '');
    return `(?<![a-z0-9])${body}${lettersOnly.length <= 4 ? '(?![a-z])' : ''}`;
  });
  return new RegExp(`(?:${parts.join('|')})`, 'i');
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

/** What a detector knows about one candidate that passed its validator. */
export interface Evidence {
  /** Context keywords for this type. */
  readonly context?: RegExp;
  /** Confidence without context; 0 means context is required. */
  readonly bare: number;
  /** Confidence when context words are present. */
  readonly withContext: number;
}

/**
 * Final confidence of a validated candidate: context words lift it (a little less when they only
 * follow it, since labels usually come first), a negative word right before a number that is not
 * checksum-strong ("Order #", "ISBN", "注文番号") drops it, and context-only types need context.
 */
export function decide(x: ContextProbe, e: Evidence): number {
  const where = e.context === undefined ? 0 : x.where(e.context);
  const conf = where === 2 ? e.withContext : where === 1 ? Math.max(e.withContext - 0.02, e.bare) : e.bare;
  if (conf <= 0) return 0;
  if (conf < CONF.strong && x.hasJustBefore(NEGATIVE_CONTEXT, 16)) return 0;
  return conf;
}
