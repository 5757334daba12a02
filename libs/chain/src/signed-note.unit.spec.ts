import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  NoteFormatError,
  NoteKeyError,
  bytesToHex,
  checkpointTextHash,
  cosignNoteText,
  formatCheckpoint,
  fromBase64,
  noteKeyId,
  noteSignerFromSeed,
  parseCheckpoint,
  parseNoteSigner,
  parseNoteVerifier,
  parseSignatureLine,
  parseSignedNote,
  signNote,
  signatureIsFrom,
  verifyCosignature,
  verifyNoteSignature,
} from './index.js';

/*
 * Known-answer tests of the C2SP signed-note encoding (c2sp.org/signed-note), tlog-cosignature/v1
 * and the checkpoint text. Ed25519 (RFC 8032) is deterministic, so a fixed key and text give
 * exactly one note. The expected values come from outside this library: the example of the Go
 * reference implementation (golang.org/x/mod/sumdb/note, note_test.go), RFC 8032 section 7.1
 * (test 1: its seed and public key), RFC 6962 (the root of the 3-leaf reference tree), and, for
 * the ToTra checkpoint, signatures computed once with OpenSSL's Ed25519 and written here.
 */

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** Error code and message of what `fn` throws. */
function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected an error');
}

describe('signed note: the Go reference example (golang.org/x/mod/sumdb/note)', () => {
  const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
  const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const SIGNATURE_LINE = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=';
  const NOTE = `${TEXT}\n${SIGNATURE_LINE}\n`;

  it('derives the verifier key string and key id from the signer key', () => {
    const signer = parseNoteSigner(SKEY);
    expect(signer.name).toBe('PeterNeumann');
    expect(bytesToHex(signer.keyId)).toBe('c74f20a3');
    expect(signer.vkey).toBe(VKEY);
    expect(signer.skey).toBe(SKEY);
    const verifier = parseNoteVerifier(VKEY);
    expect(verifier.publicKey).toEqual(signer.publicKey);
    expect(verifier.alg).toBe(NOTE_ALG_ED25519);
  });

  it('signs the text into exactly the reference note', () => {
    expect(signNote(TEXT, parseNoteSigner(SKEY))).toBe(NOTE);
  });

  it('parses and verifies the reference note, and not an altered one', () => {
    const note = parseSignedNote(NOTE);
    expect(note.text).toBe(TEXT);
    expect(note.signatures).toHaveLength(1);
    const [sig] = note.signatures;
    expect(sig!.name).toBe('PeterNeumann');
    expect(bytesToHex(sig!.keyId)).toBe('c74f20a3');
    expect(sig!.signature).toHaveLength(64);
    expect(sig!.line).toBe(SIGNATURE_LINE);
    const key = parseNoteVerifier(VKEY);
    expect(verifyNoteSignature(note.text, sig!, key)).toBe(true);
    expect(verifyNoteSignature(note.text.replace('cryptography', 'cryptographY'), sig!, key)).toBe(false);
  });
});

describe('signed note: key id and key strings (RFC 8032 test 1 seed)', () => {
  const SEED = hexBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  const NAME = 'audit.example/log';

  it('computes the key id as the first 4 bytes of SHA-256(name || 0x0A || type || public key)', () => {
    const signer = noteSignerFromSeed(NAME, SEED);
    expect(bytesToHex(signer.publicKey)).toBe(PUBLIC);
    const input = Buffer.concat([Buffer.from(NAME, 'utf8'), Buffer.from([0x0a, 0x01]), Buffer.from(PUBLIC, 'hex')]);
    const expected = createHash('sha256').update(input).digest().subarray(0, 4).toString('hex');
    expect(expected).toBe('a21afb2a');
    expect(bytesToHex(signer.keyId)).toBe(expected);
    expect(bytesToHex(noteKeyId(NAME, NOTE_ALG_ED25519, hexBytes(PUBLIC)))).toBe(expected);
    // The type byte is part of the hash: the same key as a cosigner has another id.
    expect(bytesToHex(noteKeyId(NAME, NOTE_ALG_COSIGNATURE_V1, hexBytes(PUBLIC)))).not.toBe(expected);
  });

  it('writes the verifier and signer key strings as <name>+<hex id>+<base64(type || key)>', () => {
    const signer = noteSignerFromSeed(NAME, SEED);
    expect(signer.vkey).toBe('audit.example/log+a21afb2a+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea');
    expect(signer.skey).toBe('PRIVATE+KEY+audit.example/log+a21afb2a+AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g');
    expect(parseNoteSigner(signer.skey).secretKey).toEqual(SEED);
  });

  it('rejects malformed key strings with a coded error saying what is wrong', () => {
    const VKEY = 'audit.example/log+a21afb2a+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
    const cases: [string, RegExp][] = [
      ['audit.example/log+a21afb2b+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea', /key id a21afb2b does not match/],
      ['other.example/log+a21afb2a+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea', /key id a21afb2a does not match/],
      ['audit.example/log+A21AFB2A+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea', /not a verifier key/],
      ['audit.example/log+a21afb2a', /not a verifier key/],
      ['audit.example/log+a21afb2a+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1E', /not base64/],
      ['audit.example/log+a21afb2a+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1E=', /key material is 32 bytes, not 33/],
      ['audit.example/log+a21afb2a+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1EaAA==', /34 bytes, not 33/],
      ['audit.example/log+a21afb2a+BddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea', /unsupported key type 0x5/],
    ];
    expect(parseNoteVerifier(VKEY).vkey).toBe(VKEY);
    for (const [vkey, message] of cases) {
      const f = failure(() => parseNoteVerifier(vkey));
      expect(f.code, vkey).toBe('TOTRA_CHAIN_NOTE_KEY');
      expect(f.message, vkey).toMatch(message);
    }
    expect(() => noteSignerFromSeed('two words', SEED)).toThrow(NoteKeyError);
    expect(() => noteSignerFromSeed('a+b', SEED)).toThrow(/holds a space or "\+"/);
    expect(() => noteSignerFromSeed(NAME, SEED.subarray(1))).toThrow(/32 bytes, got 31/);
  });
});

describe('checkpoint note: a fixed checkpoint signed with a fixed key', () => {
  const SEED = hexBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const signer = noteSignerFromSeed('audit.example/log', SEED);
  const CHECKPOINT = {
    origin: 'audit.example/log',
    size: 3,
    // MTH of the first 3 leaves of the RFC 6962 reference tree.
    root: 'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    time: '2026-01-31T12:00:00.000Z',
    prev: null,
    heads: [
      { chain: 'gateway.host-a.boot1', seq: 3, hash: 'ab'.repeat(32) },
      { chain: 'admin.host-b.boot2', seq: 2, hash: 'cd'.repeat(32) },
    ],
  };
  const TEXT =
    'audit.example/log\n' +
    '3\n' +
    'rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n' +
    'totra-time 2026-01-31T12:00:00.000Z\n' +
    'totra-prev -\n' +
    `totra-head admin.host-b.boot2 2 ${'cd'.repeat(32)}\n` +
    `totra-head gateway.host-a.boot1 3 ${'ab'.repeat(32)}\n`;
  const SIGNATURE =
    '4201bdf76edc1ceeedc925690a029ec45566c9bc91dfc7b2ad2fe6cec7b231e34ccc34bcc957b6533cc1c6915b495106d9fbd9d9a3c5b6f5e69de261f1f89d0e';
  const SIGNATURE_LINE = '\u2014 audit.example/log ohr7KkIBvfdu3Bzu7cklaQoCnsRVZsm8kd/Hsq0v5s7HsjHjTMw0vMlXtlM8wcaRW0lRBtn72dmjxbb15p3iYfH4nQ4=';
  const NOTE = `${TEXT}\n${SIGNATURE_LINE}\n`;

  it('formats the checkpoint text exactly (origin, size, base64 root, extension lines, heads sorted by chain id)', () => {
    expect(formatCheckpoint(CHECKPOINT)).toBe(TEXT);
    expect(checkpointTextHash(TEXT)).toBe('5af1f960fd295a3fc27f7748204332662471848c89ed2cf94079d1a51bbb06b0');
  });

  it('signs it into exactly the expected note: key id then the 64 signature bytes, in base64', () => {
    expect(signNote(TEXT, signer)).toBe(NOTE);
    const sig = parseSignatureLine(SIGNATURE_LINE);
    expect(bytesToHex(sig.keyId)).toBe('a21afb2a');
    expect(bytesToHex(sig.signature)).toBe(SIGNATURE);
  });

  it('parses the note back to the same checkpoint, and verifies it only with the right key', () => {
    const note = parseSignedNote(NOTE);
    expect(note.text).toBe(TEXT);
    const cp = parseCheckpoint(note.text);
    expect(cp).toEqual({ ...CHECKPOINT, heads: [CHECKPOINT.heads[1], CHECKPOINT.heads[0]], text: TEXT });
    expect(verifyNoteSignature(note.text, note.signatures[0]!, signer)).toBe(true);
    const other = noteSignerFromSeed('audit.example/log', new Uint8Array(32).fill(1));
    expect(signatureIsFrom(note.signatures[0]!, other)).toBe(false);
    expect(verifyNoteSignature(note.text, note.signatures[0]!, other)).toBe(false);
    expect(verifyNoteSignature(note.text.replace('\n3\n', '\n4\n'), note.signatures[0]!, signer)).toBe(false);
  });

  it('cosigns it as tlog-cosignature/v1: key id, 8-byte big-endian timestamp, signature', () => {
    const witness = noteSignerFromSeed('witness.example/w1', new Uint8Array(32).fill(7), NOTE_ALG_COSIGNATURE_V1);
    expect(witness.vkey).toBe('witness.example/w1+aa4a09d1+BOpKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs');
    const line = cosignNoteText(TEXT, witness, 1_769_860_800);
    expect(line).toBe('\u2014 witness.example/w1 qkoJ0QAAAABpfe7ApS21MR0km/Zal1R2+n9YNOhLqO4t2JCFFubQxFnswqNfogfZ0ttzGBPTCFAlU9if4o7BDaT8eiYJM6hqShnnBg==');
    const sig = parseSignatureLine(line);
    expect(bytesToHex(sig.signature.subarray(0, 8))).toBe('00000000697deec0');
    expect(verifyCosignature(TEXT, sig, witness)).toBe(1_769_860_800);
    expect(verifyCosignature(TEXT.replace('\n3\n', '\n4\n'), sig, witness)).toBeNull();
    // A cosignature is not a note signature, and the reverse.
    expect(verifyNoteSignature(TEXT, sig, witness)).toBe(false);
    expect(verifyCosignature(TEXT, parseSignatureLine(SIGNATURE_LINE), signer)).toBeNull();
  });

  it('rejects malformed notes with a coded error saying what is wrong', () => {
    const b64 = SIGNATURE_LINE.slice(SIGNATURE_LINE.lastIndexOf(' ') + 1);
    const cases: [string, string, RegExp][] = [
      ['no blank line', `${TEXT}${SIGNATURE_LINE}\n`, /no blank line between the note text and its signatures/],
      ['no final newline', `${TEXT}\n${SIGNATURE_LINE}`, /does not end with a newline/],
      ['no signature line', `${TEXT}\n\n`, /the signature block does not end with a newline/],
      ['a hyphen for the em dash', `${TEXT}\n- audit.example/log ${b64}\n`, /not a signature line/],
      ['no space after the dash', `${TEXT}\n\u2014audit.example/log ${b64}\n`, /not a signature line/],
      ['two spaces before the signature', `${TEXT}\n\u2014 audit.example/log  ${b64}\n`, /bad key name in signature line: "audit.example\/log "/],
      ['a space inside the key name', `${TEXT}\n\u2014 audit example/log ${b64}\n`, /bad key name/],
      ['a "+" in the key name', `${TEXT}\n\u2014 audit+example/log ${b64}\n`, /bad key name/],
      ['no key name', `${TEXT}\n\u2014  ${b64}\n`, /malformed signature line/],
      ['base64 with a bad character', `${TEXT}\n\u2014 audit.example/log ${b64.replace('/', '_')}\n`, /not canonical base64/],
      ['base64 without padding', `${TEXT}\n\u2014 audit.example/log ${b64.replace(/=$/, '')}\n`, /not canonical base64/],
      ['base64 with non-zero padding bits', `${TEXT}\n\u2014 audit.example/log ${b64.replace('4=', '5=')}\n`, /not canonical base64/],
      ['a signature too short for a key id', `${TEXT}\n\u2014 audit.example/log AAAA\n`, /too short/],
    ];
    expect(parseSignedNote(NOTE).signatures).toHaveLength(1);
    for (const [what, note, message] of cases) {
      const f = failure(() => parseSignedNote(note));
      expect(f.code, what).toBe('TOTRA_CHAIN_NOTE_FORMAT');
      expect(f.message, what).toMatch(message);
    }
  });

  it('does not verify a note under a key of another name, even with the same key bytes', () => {
    const renamed = noteSignerFromSeed('audit.example/other', SEED);
    const sig = parseSignedNote(NOTE).signatures[0]!;
    expect(signatureIsFrom(sig, renamed)).toBe(false);
    expect(verifyNoteSignature(TEXT, sig, renamed)).toBe(false);
    // Same name and bytes but the line names another key: refused before any curve arithmetic.
    const relabelled = parseSignatureLine(SIGNATURE_LINE.replace('audit.example/log', 'audit.example/other'));
    expect(verifyNoteSignature(TEXT, relabelled, signer)).toBe(false);
  });

  it('rejects malformed checkpoint texts with a coded error saying what is wrong', () => {
    const lines = TEXT.slice(0, -1).split('\n');
    const withLine = (i: number, line: string | null): string => `${lines.flatMap((l, k) => (k === i ? (line === null ? [] : [line]) : [l])).join('\n')}\n`;
    const cases: [string, string, RegExp][] = [
      ['no final newline', TEXT.slice(0, -1), /must end with a newline/],
      ['a leading zero in the size', withLine(1, '03'), /bad tree size "03"/],
      ['a negative size', withLine(1, '-3'), /bad tree size/],
      ['a root of 31 bytes', withLine(2, 'rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbg=='), /not 32 bytes/],
      ['a root in hex (48 bytes as base64)', withLine(2, CHECKPOINT.root), /not 32 bytes/],
      ['a space in the origin', withLine(0, 'audit example'), /bad origin line/],
      ['no totra-time', withLine(3, null), /missing totra-time or totra-prev/],
      ['an uppercase prev hash', withLine(4, `totra-prev ${'AB'.repeat(32)}`), /bad totra-prev line/],
      ['heads out of order', `${[...lines.slice(0, 5), lines[6], lines[5]].join('\n')}\n`, /not sorted by chain id/],
      ['a repeated head', `${[...lines, lines[6]].join('\n')}\n`, /not sorted by chain id, or repeat a chain/],
      ['a head with seq 0', withLine(5, `totra-head admin.host-b.boot2 0 ${'cd'.repeat(32)}`), /bad totra-head line/],
      ['an empty extension line', withLine(5, ''), /empty extension line/],
    ];
    for (const [what, text, message] of cases) {
      const f = failure(() => parseCheckpoint(text));
      expect(f.code, what).toBe('TOTRA_CHAIN_NOTE_FORMAT');
      expect(f.message, what).toMatch(message);
    }
    // Signing refuses text that is not a note text.
    expect(() => signNote('one line without newline', signer)).toThrow(NoteFormatError);
    expect(() => signNote('a\n\nb\n', signer)).toThrow(/non-empty lines/);
    expect(() => fromBase64('AB=A')).toThrow(NoteFormatError);
  });
});
