import { randomBytes } from 'node:crypto';
import { InvalidTestNameError } from './errors.js';

/** 10 random lowercase hex characters: unique enough for names within one test server. */
export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

/**
 * A JetStream stream name no other test uses: `<PREFIX>_<RANDOM>`, uppercase
 * (stream names may not contain whitespace, `.`, `*`, `>`, path separators).
 */
export function uniqueStreamName(prefix = 'TEST'): string {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new InvalidTestNameError(prefix, 'use only [A-Za-z0-9_-]');
  return `${prefix}_${uniqueSuffix()}`.toUpperCase();
}

/**
 * A subject prefix no other test uses: `<base>.<random>`. Build subjects under it
 * (`${prefix}.orders`) and bind a stream to `${prefix}.>`.
 */
export function uniquePrefix(base = 'test'): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(base)) {
    throw new InvalidTestNameError(base, 'use dot-separated tokens of [A-Za-z0-9_-], no wildcards');
  }
  return `${base}.${uniqueSuffix()}`;
}

/** A Redis key prefix no other test uses: `<base>:<random>:` (ends with the separator). */
export function redisKeyPrefix(base = 'test'): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(base)) throw new InvalidTestNameError(base, 'use only [A-Za-z0-9_.-]');
  return `${base}:${uniqueSuffix()}:`;
}
