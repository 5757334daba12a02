import { InvalidKeyError, UnknownKekError } from './errors.js';
import { KEK_BYTES, unwrapKey, wrapKey } from './key-wrap.js';

/** A data key wrapped by a key-encryption key, as a key store keeps it. */
export interface WrappedKey {
  readonly kekId: string;
  readonly wrapped: Uint8Array;
}

/**
 * Key-encryption service. Production deployments implement it over a cloud KMS or an HSM (the
 * KEK never leaves it); {@link LocalKms} keeps KEKs from configuration in memory.
 */
export interface Kms {
  /** Id of the KEK that new wraps use. */
  currentKekId(): string;
  wrap(dataKey: Uint8Array): Promise<WrappedKey>;
  unwrap(key: WrappedKey): Promise<Uint8Array>;
}

/**
 * KEKs held in memory, by id. Rotation adds a KEK and makes it current; old KEKs stay so that
 * keys wrapped with them can still be unwrapped until the store has re-wrapped them.
 */
export class LocalKms implements Kms {
  readonly #keks = new Map<string, Uint8Array>();
  #current: string;

  constructor(keks: Readonly<Record<string, Uint8Array>>, current: string) {
    for (const [id, kek] of Object.entries(keks)) this.#add(id, kek);
    if (!this.#keks.has(current)) throw new UnknownKekError(current);
    this.#current = current;
  }

  #add(id: string, kek: Uint8Array): void {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new InvalidKeyError(`a KEK id is 1-64 of [A-Za-z0-9_.-], got "${id}"`);
    if (kek.length !== KEK_BYTES) throw new InvalidKeyError(`KEK "${id}" is ${kek.length} bytes, not ${KEK_BYTES}`);
    this.#keks.set(id, Uint8Array.from(kek));
  }

  /** Adds a KEK and makes it the current one. */
  rotate(id: string, kek: Uint8Array): void {
    this.#add(id, kek);
    this.#current = id;
  }

  /** Drops a retired KEK (after every key was re-wrapped). The current KEK cannot be retired. */
  retire(id: string): void {
    if (id === this.#current) throw new InvalidKeyError(`KEK "${id}" is current and cannot be retired`);
    this.#keks.delete(id);
  }

  kekIds(): string[] {
    return [...this.#keks.keys()];
  }

  currentKekId(): string {
    return this.#current;
  }

  wrap(dataKey: Uint8Array): Promise<WrappedKey> {
    const kek = this.#keks.get(this.#current) as Uint8Array;
    return Promise.resolve({ kekId: this.#current, wrapped: wrapKey(kek, dataKey) });
  }

  unwrap(key: WrappedKey): Promise<Uint8Array> {
    const kek = this.#keks.get(key.kekId);
    if (!kek) return Promise.reject(new UnknownKekError(key.kekId));
    try {
      return Promise.resolve(unwrapKey(kek, key.wrapped));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}
