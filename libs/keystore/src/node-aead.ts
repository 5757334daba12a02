import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type AeadCipher } from '@totra/crypto';

const TAG = 16;

/** AES-256-GCM through Node's OpenSSL (AES-NI): the same bytes as the pure-JS default, several times faster. */
export const nodeAesGcm: AeadCipher = {
  name: 'node',
  encrypt(key, iv, aad, plaintext) {
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(aad);
    const head = c.update(plaintext);
    const tail = c.final();
    const out = new Uint8Array(head.length + tail.length + TAG);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(c.getAuthTag(), head.length + tail.length);
    return out;
  },
  decrypt(key, iv, aad, sealed) {
    if (sealed.length < TAG) throw new RangeError('ciphertext shorter than the GCM tag');
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    const head = d.update(sealed.subarray(0, sealed.length - TAG));
    const tail = d.final();
    return new Uint8Array(Buffer.concat([head, tail]));
  },
};
