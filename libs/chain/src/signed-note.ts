import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { NoteFormatError, NoteKeyError } from './errors.js';

/*
 * C2SP signed-note (c2sp.org/signed-note) with Ed25519 signatures, and C2SP tlog-cosignature/v1
 * (c2sp.org/tlog-cosignature) timestamped Ed25519 cosignatures. Verification is strict RFC 8032
 * (`zip215: false`): non-canonical encodings and small-order keys are refused.
 */

/** Signature type byte of a plain Ed25519 note signature. */
export const NOTE_ALG_ED25519 = 0x01;
/** Signature type byte of a tlog-cosignature/v1 Ed25519 cosignature. */
export const NOTE_ALG_COSIGNATURE_V1 = 0x04;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const SIG_PREFIX = '\u2014 ';

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

/** Strict standard base64 (padding required, no whitespace); throws `NoteFormatError`. */
export function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new NoteFormatError(`not canonical base64: "${text.slice(0, 40)}"`);
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  if (toBase64(out) !== text) throw new NoteFormatError(`not canonical base64: "${text.slice(0, 40)}"`);
  return out;
}

function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/.test(name);
}

/** C2SP key id: the first 4 bytes of SHA-256(name || 0x0A || type || public key). */
export function noteKeyId(name: string, alg: number, publicKey: Uint8Array): Uint8Array {
  const nameBytes = utf8.encode(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = alg;
  input.set(publicKey, nameBytes.length + 2);
  return sha256(input).subarray(0, 4);
}

function hex4(id: Uint8Array): string {
  return Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A public key that checks note signatures (`alg` 0x01) or cosignatures (`alg` 0x04). */
export interface NoteVerifier {
  readonly name: string;
  readonly alg: number;
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The C2SP verifier key string `<name>+<hex key id>+<base64(type || key)>`. */
  readonly vkey: string;
}

/** A private key that signs notes or cosignatures. Keep it out of logs. */
export interface NoteSigner extends NoteVerifier {
  readonly secretKey: Uint8Array;
  /** The signer key string `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>`. */
  readonly skey: string;
}

function verifierOf(name: string, alg: number, publicKey: Uint8Array): NoteVerifier {
  if (!isKeyName(name)) throw new NoteKeyError(`key name "${name}" is empty or holds a space or "+"`);
  if (alg !== NOTE_ALG_ED25519 && alg !== NOTE_ALG_COSIGNATURE_V1) throw new NoteKeyError(`unsupported key type 0x${alg.toString(16)}`);
  if (publicKey.length !== 32) throw new NoteKeyError(`an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  const keyId = noteKeyId(name, alg, publicKey);
  const material = new Uint8Array(33);
  material[0] = alg;
  material.set(publicKey, 1);
  return { name, alg, keyId, publicKey, vkey: `${name}+${hex4(keyId)}+${toBase64(material)}` };
}

/** A signer from a 32-byte Ed25519 seed. */
export function noteSignerFromSeed(name: string, seed: Uint8Array, alg: number = NOTE_ALG_ED25519): NoteSigner {
  if (seed.length !== 32) throw new NoteKeyError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  const v = verifierOf(name, alg, ed25519.getPublicKey(seed));
  const material = new Uint8Array(33);
  material[0] = alg;
  material.set(seed, 1);
  return { ...v, secretKey: seed.slice(), skey: `PRIVATE+KEY+${name}+${hex4(v.keyId)}+${toBase64(material)}` };
}

/** A new signer with a random seed (from the platform's CSPRNG). */
export function generateNoteSigner(name: string, alg: number = NOTE_ALG_ED25519): NoteSigner {
  return noteSignerFromSeed(name, ed25519.utils.randomSecretKey(), alg);
}

/** Parses a `PRIVATE+KEY+...` signer key string; the key id must match. */
export function parseNoteSigner(skey: string): NoteSigner {
  const text = skey.trim();
  // The base64 key material may itself hold "+": split off the first fields only.
  const parts = text.startsWith('PRIVATE+KEY+') ? splitKey(text.slice('PRIVATE+KEY+'.length)) : null;
  if (!parts) throw new NoteKeyError('not a signer key (PRIVATE+KEY+<name>+<id>+<key>)');
  parts.unshift('PRIVATE', 'KEY');
  const material = decodeKey(parts[4]!);
  const signer = noteSignerFromSeed(parts[2]!, material.subarray(1), material[0]!);
  if (hex4(signer.keyId) !== parts[3]) throw new NoteKeyError(`signer key ${parts[2]}: key id ${parts[3]} does not match the key`);
  return signer;
}

/** Parses a `<name>+<hex id>+<base64(type || key)>` verifier key string; the key id must match. */
export function parseNoteVerifier(vkey: string): NoteVerifier {
  const parts = splitKey(vkey.trim());
  if (!parts) throw new NoteKeyError('not a verifier key (<name>+<hex key id>+<base64 key>)');
  const material = decodeKey(parts[2]!);
  const v = verifierOf(parts[0]!, material[0]!, material.subarray(1));
  if (hex4(v.keyId) !== parts[1]) throw new NoteKeyError(`verifier key ${parts[0]}: key id ${parts[1]} does not match the key`);
  return v;
}

/** `<name>+<8 hex>+<base64>` into its three fields (names hold no "+", base64 may). */
function splitKey(text: string): string[] | null {
  const a = text.indexOf('+');
  const b = a < 0 ? -1 : text.indexOf('+', a + 1);
  if (a <= 0 || b < 0 || !/^[0-9a-f]{8}$/.test(text.slice(a + 1, b))) return null;
  return [text.slice(0, a), text.slice(a + 1, b), text.slice(b + 1)];
}

function decodeKey(b64: string): Uint8Array {
  try {
    const material = fromBase64(b64);
    if (material.length !== 33) throw new NoteKeyError(`key material is ${material.length} bytes, not 33`);
    return material;
  } catch (cause) {
    if (cause instanceof NoteKeyError) throw cause;
    throw new NoteKeyError('key material is not base64', { cause });
  }
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** The bytes after the key id: a 64-byte signature, or 8-byte timestamp + signature for a cosignature. */
  readonly signature: Uint8Array;
  /** The line as written (without its newline). */
  readonly line: string;
}

/** A signed note: its text (every line ending in a newline) and its signature lines. */
export interface SignedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Parses `<text>\n<signature lines>`; throws `NoteFormatError` when malformed. */
export function parseSignedNote(note: string): SignedNote {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteFormatError('no blank line between the note text and its signatures');
  const text = note.slice(0, split + 1);
  const sigBlock = note.slice(split + 2);
  if (!sigBlock.endsWith('\n')) throw new NoteFormatError('the signature block does not end with a newline');
  const signatures = sigBlock
    .slice(0, -1)
    .split('\n')
    .map((line) => parseSignatureLine(line));
  if (signatures.length === 0) throw new NoteFormatError('a note has no signature');
  return { text, signatures };
}

/** Parses one `— <name> <base64(keyid || sig)>` line. */
export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIG_PREFIX)) throw new NoteFormatError(`not a signature line: "${line.slice(0, 60)}"`);
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.lastIndexOf(' ');
  if (space <= 0) throw new NoteFormatError(`malformed signature line: "${line.slice(0, 60)}"`);
  const name = rest.slice(0, space);
  if (!isKeyName(name)) throw new NoteFormatError(`bad key name in signature line: "${name}"`);
  const bytes = fromBase64(rest.slice(space + 1));
  if (bytes.length < 5) throw new NoteFormatError('a signature is too short');
  return { name, keyId: bytes.slice(0, 4), signature: bytes.slice(4), line };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether a signature line was made by this key (name and key id match); says nothing of validity. */
export function signatureIsFrom(sig: NoteSignature, key: NoteVerifier): boolean {
  return sig.name === key.name && sameBytes(sig.keyId, key.keyId);
}

function checkText(text: string): Uint8Array {
  if (!text.endsWith('\n') || text.includes('\n\n') || text.startsWith('\n')) throw new NoteFormatError('note text must be non-empty lines, each ending in a newline');
  if (/[\r\u0000-\u0008\u000b-\u001f]/.test(text)) throw new NoteFormatError('note text holds control characters');
  return utf8.encode(text);
}

/** Signs note text with Ed25519; returns the signature line. */
export function signNoteText(text: string, signer: NoteSigner): string {
  if (signer.alg !== NOTE_ALG_ED25519) throw new NoteKeyError(`${signer.name} is a cosigner key, not a note signing key`);
  const sig = ed25519.sign(checkText(text), signer.secretKey);
  return signatureLine(signer, sig);
}

function signatureLine(key: NoteVerifier, sig: Uint8Array): string {
  const bytes = new Uint8Array(4 + sig.length);
  bytes.set(key.keyId, 0);
  bytes.set(sig, 4);
  return `${SIG_PREFIX}${key.name} ${toBase64(bytes)}`;
}

/** A note: text, a blank line, then the signature lines. */
export function formatSignedNote(text: string, signatureLines: readonly string[]): string {
  return `${text}\n${signatureLines.map((l) => `${l}\n`).join('')}`;
}

/** Signs text and returns the whole note. */
export function signNote(text: string, signer: NoteSigner): string {
  return formatSignedNote(text, [signNoteText(text, signer)]);
}

/** Whether `sig` is a valid Ed25519 signature by `key` over `text` (strict RFC 8032). */
export function verifyNoteSignature(text: string, sig: NoteSignature, key: NoteVerifier): boolean {
  if (key.alg !== NOTE_ALG_ED25519 || !signatureIsFrom(sig, key) || sig.signature.length !== 64) return false;
  try {
    return ed25519.verify(sig.signature, utf8.encode(text), key.publicKey, { zip215: false });
  } catch {
    return false;
  }
}

function cosignedMessage(text: string, timestamp: number): Uint8Array {
  return utf8.encode(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

/** A tlog-cosignature/v1 line over checkpoint text at `timestamp` (POSIX seconds). */
export function cosignNoteText(text: string, cosigner: NoteSigner, timestamp: number): string {
  if (cosigner.alg !== NOTE_ALG_COSIGNATURE_V1) throw new NoteKeyError(`${cosigner.name} is not a cosigner key (type 0x04)`);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new NoteKeyError('the cosignature timestamp must be a non-negative integer');
  checkText(text);
  const sig = ed25519.sign(cosignedMessage(text, timestamp), cosigner.secretKey);
  const body = new Uint8Array(8 + 64);
  new DataView(body.buffer).setBigUint64(0, BigInt(timestamp), false);
  body.set(sig, 8);
  return signatureLine(cosigner, body);
}

/** The timestamp of a valid cosignature by `key` over `text`, or null. */
export function verifyCosignature(text: string, sig: NoteSignature, key: NoteVerifier): number | null {
  if (key.alg !== NOTE_ALG_COSIGNATURE_V1 || !signatureIsFrom(sig, key) || sig.signature.length !== 72) return null;
  const ts = new DataView(sig.signature.buffer, sig.signature.byteOffset, 8).getBigUint64(0, false);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const timestamp = Number(ts);
  try {
    return ed25519.verify(sig.signature.subarray(8), cosignedMessage(text, timestamp), key.publicKey, { zip215: false }) ? timestamp : null;
  } catch {
    return null;
  }
}

/** Decodes text bytes as strict UTF-8 (throws `NoteFormatError`). */
export function decodeNoteBytes(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch (cause) {
    throw new NoteFormatError('note is not valid UTF-8', { cause });
  }
}
