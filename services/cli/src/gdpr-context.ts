import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Command } from 'commander';
import { type Kysely } from 'kysely';
import { type KeyringFile, fromBase64Url, kmsFromKeyring, parseKeyring, toBase64Url } from '@totra/crypto';
import { createDb } from '@totra/db';
import { KeyStore } from '@totra/keystore';
import { CliError } from './cli-error.js';
import { type LogOptions, logOptions } from './log-context.js';
import { readUrls, stateDir } from './state.js';

/** Options of commands that use the key store (Postgres) as well as the log. */
export interface KeyOptions extends LogOptions {
  db?: string;
  keyring?: string;
}

/** Adds the log options plus `--db` and `--keyring`. */
export function keyOptions(cmd: Command): Command {
  return logOptions(cmd)
    .option('--db <url>', 'Postgres URL of the key store (default: TOTRA_DATABASE_URL, then .totra/urls.json)')
    .option('--keyring <path>', 'keyring file with the key-encryption keys and the receipt signing key (default: TOTRA_KEYRING, then <state-dir>/keyring.json, created on first use)');
}

/** The keyring (see `KeyringFile` in @totra/crypto): production deployments point at a KMS instead. */
type Keyring = KeyringFile;

export function keyringPath(o: KeyOptions): string {
  return o.keyring ?? process.env['TOTRA_KEYRING'] ?? join(stateDir(o.stateDir), 'keyring.json');
}

function kekIdAt(at: Date): string {
  return `kek-${at.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

function writeKeyring(path: string, ring: Keyring): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(ring, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Reads the keyring, creating one with a fresh KEK and receipt key when there is none. */
export function loadKeyring(o: KeyOptions): Keyring {
  const path = keyringPath(o);
  if (!existsSync(path)) {
    const id = kekIdAt(new Date());
    const ring: Keyring = { current: id, keks: { [id]: toBase64Url(randomBytes(32)) }, receiptKey: toBase64Url(randomBytes(32)) };
    writeKeyring(path, ring);
    return ring;
  }
  try {
    return parseKeyring(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError('TOTRA_CLI_KEYRING', `keyring ${path}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/** Adds a new KEK to the keyring file and makes it current; returns its id. */
export function addKek(o: KeyOptions): string {
  const ring = loadKeyring(o);
  const id = kekIdAt(new Date());
  writeKeyring(keyringPath(o), { ...ring, current: id, keks: { ...ring.keks, [id]: toBase64Url(randomBytes(32)) } });
  return id;
}

export function receiptSecretKey(o: KeyOptions): Uint8Array {
  return fromBase64Url(loadKeyring(o).receiptKey);
}

export function resolveDbUrl(o: KeyOptions): string {
  const url = o.db ?? process.env['TOTRA_DATABASE_URL'] ?? readUrls(stateDir(o.stateDir))?.postgres;
  if (!url) throw new CliError('TOTRA_CLI_NO_DATABASE', 'no Postgres URL: pass --db, set TOTRA_DATABASE_URL, or start ToTra with `npm start`');
  return url;
}

/** Opens the key store for the duration of `fn`. */
export async function withKeyStore<T>(o: KeyOptions, fn: (store: KeyStore) => Promise<T>): Promise<T> {
  const db = createDb<unknown>(resolveDbUrl(o), { applicationName: 'totra-cli', maxConnections: 2 });
  try {
    const store = await KeyStore.open({ db: db as Kysely<unknown>, kms: kmsFromKeyring(loadKeyring(o)) });
    return await fn(store);
  } finally {
    await db.destroy();
  }
}
