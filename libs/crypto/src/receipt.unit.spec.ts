import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from './bytes.js';
import { receiptPublicKey, signErasureReceipt, verifyErasureReceipt, type ErasureReceiptData } from './receipt.js';

const receipt: ErasureReceiptData = {
  receiptId: 'rcpt_1',
  subject: 'subj_4821',
  requestEventId: '0193b5a0-7c3e-7abc-8def-0123456789ab',
  journalEntryId: '0193b5a0-7c3e-7abc-8def-0123456789ac',
  kids: ['dk_1', 'dk_2'],
  requestedAt: '2026-05-01T10:00:00.000Z',
  shreddedAt: '2026-05-02T10:00:00.000Z',
  tenant: 'acme',
};

describe('signed erasure receipts (Ed25519)', () => {
  const sk = new Uint8Array(randomBytes(32));
  const pk = toBase64Url(receiptPublicKey(sk));

  it('verifies a receipt signed with the expected key', () => {
    const signed = signErasureReceipt(receipt, sk);
    expect(signed).toMatchObject({ alg: 'Ed25519', publicKey: pk });
    expect(() => verifyErasureReceipt(signed, pk)).not.toThrow();
  });

  it('rejects a changed receipt or another signer', () => {
    const signed = signErasureReceipt(receipt, sk);
    expect(() => verifyErasureReceipt({ ...signed, receipt: { ...receipt, kids: ['dk_1'] } }, pk)).toThrow(expect.objectContaining({ code: 'TOTRA_CRYPTO_RECEIPT_SIGNATURE' }));
    const other = signErasureReceipt(receipt, new Uint8Array(randomBytes(32)));
    expect(() => verifyErasureReceipt(other, pk)).toThrow(/another key/);
    expect(() => verifyErasureReceipt({ ...other, publicKey: pk }, pk)).toThrow(/does not match/);
  });
});
