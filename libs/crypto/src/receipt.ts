import { ed25519 } from '@noble/curves/ed25519.js';
import { canonicalBytes } from '@totra/chain';
import { ErasureReceipt } from '@totra/events';
import { fromBase64Url, lengthPrefixed, toBase64Url, utf8 } from './bytes.js';
import { InvalidKeyError, ReceiptSignatureError } from './errors.js';

/** Domain separation: a receipt signature can never be mistaken for any other signature. */
const RECEIPT_CONTEXT = utf8('totra-erasure-receipt/1');

/** What an erasure receipt attests (the schema lives with the `ErasureReceiptIssued` event). */
export const ErasureReceiptData = ErasureReceipt;
export type ErasureReceiptData = ErasureReceipt;

/** A receipt and its Ed25519 signature over `context || JCS(receipt)`, with the signer's public key (base64url). */
export interface SignedErasureReceipt {
  readonly receipt: ErasureReceiptData;
  readonly alg: 'Ed25519';
  readonly publicKey: string;
  readonly signature: string;
}

function message(receipt: ErasureReceiptData): Uint8Array {
  return lengthPrefixed([RECEIPT_CONTEXT, canonicalBytes(receipt)]);
}

/** The public key (32 bytes) of an Ed25519 secret key. */
export function receiptPublicKey(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32) throw new InvalidKeyError(`an Ed25519 secret key is 32 bytes, got ${secretKey.length}`);
  return ed25519.getPublicKey(secretKey);
}

/** Signs an erasure receipt with the operator's Ed25519 key. */
export function signErasureReceipt(receipt: ErasureReceiptData, secretKey: Uint8Array): SignedErasureReceipt {
  const parsed = ErasureReceiptData.parse(receipt);
  const signature = ed25519.sign(message(parsed), secretKey);
  return { receipt: parsed, alg: 'Ed25519', publicKey: toBase64Url(receiptPublicKey(secretKey)), signature: toBase64Url(signature) };
}

/**
 * Checks a receipt against the expected public key (base64url); throws
 * `TOTRA_CRYPTO_RECEIPT_SIGNATURE` when it was not signed by that key or was changed.
 */
export function verifyErasureReceipt(signed: SignedErasureReceipt, expectedPublicKey: string): void {
  if (signed.publicKey !== expectedPublicKey) throw new ReceiptSignatureError('the receipt was signed by another key');
  let ok = false;
  try {
    ok = ed25519.verify(fromBase64Url(signed.signature), message(ErasureReceiptData.parse(signed.receipt)), fromBase64Url(expectedPublicKey));
  } catch {
    ok = false;
  }
  if (!ok) throw new ReceiptSignatureError(`receipt ${signed.receipt.receiptId}: the signature does not match its content`);
}
