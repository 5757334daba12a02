import { readFileSync } from 'node:fs';
import { parseNoteSigner, signNoteText, type NoteSigner, type NoteVerifier } from '@totra/chain';
import { NotaryError } from './errors.js';

/**
 * Where the notary's signing key lives. A KMS adapter implements this without ever handing out
 * the private key; `LocalKeyProvider` keeps it in process memory.
 */
export interface NotaryKeyProvider {
  /** The public key (name and key id appear in every signature line). */
  readonly verifier: NoteVerifier;
  /** Signs a checkpoint text; returns the note signature line. */
  signNoteText(text: string): Promise<string>;
}

/** A key held in memory, from a `PRIVATE+KEY+...` string or a file holding one. */
export class LocalKeyProvider implements NotaryKeyProvider {
  readonly #signer: NoteSigner;
  readonly verifier: NoteVerifier;

  constructor(signer: NoteSigner) {
    this.#signer = signer;
    this.verifier = { name: signer.name, alg: signer.alg, keyId: signer.keyId, publicKey: signer.publicKey, vkey: signer.vkey };
  }

  static fromString(skey: string): LocalKeyProvider {
    return new LocalKeyProvider(parseNoteSigner(skey));
  }

  static fromFile(path: string): LocalKeyProvider {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new NotaryError(`cannot read the notary key file ${path}: ${(cause as Error).message}`, { cause });
    }
    return LocalKeyProvider.fromString(text);
  }

  signNoteText(text: string): Promise<string> {
    return Promise.resolve(signNoteText(text, this.#signer));
  }
}
