import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKey } from './audit.command.js';

/** A verifier key in its text form (the notary prints one like it at its first start). */
const VKEY = 'vm/totra+c25624b0+AR587w5zWRi+pcBF7ELwARdfEthhrjQlVU/VwP11nLBN';

describe('readKey: a pinned verifier key, given as text or as a file', () => {
  it('reads the key from its text or from a file holding it', () => {
    expect(readKey(VKEY, '--trust-key').name).toBe('vm/totra');
    const file = join(mkdtempSync(join(tmpdir(), 'totra-key-')), 'notary.key.pub');
    writeFileSync(file, `${VKEY}\n`);
    expect(readKey(file, '--trust-key').name).toBe('vm/totra');
  });

  it('says a path names no file, rather than that it is no key', () => {
    expect(() => readKey('/nonexistent/notary.key.pub', '--trust-key')).toThrow('--trust-key /nonexistent/notary.key.pub: no such file, and not a verifier key');
    expect(() => readKey('vm/totra+zz+AAAA', '--trust-key')).toThrow(/^--trust-key vm\/totra\+zz\+AAAA: (?!no such file)/);
  });
});
