import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineBinaryNotFoundError } from './errors.js';
import { findBinary, findPostgresBinaries, tryFindBinary } from './find-binary.js';

describe('findBinary (real file system)', () => {
  const fakeDir = mkdtempSync(join(tmpdir(), 'totra-find-binary-'));
  afterAll(() => rmSync(fakeDir, { recursive: true, force: true }));

  it('finds the installed nats-server and redis-server as executable files', () => {
    for (const name of ['nats-server', 'redis-server']) {
      const path = findBinary(name);
      expect(basename(path)).toBe(name);
      expect(() => accessSync(path, constants.X_OK)).not.toThrow();
    }
  });

  it('looks in the extra directories before PATH', () => {
    const fake = join(fakeDir, 'nats-server');
    writeFileSync(fake, '#!/bin/sh\nexit 0\n');
    chmodSync(fake, 0o755);
    expect(findBinary('nats-server', [fakeDir])).toBe(fake);
  });

  it('ignores a file that is not executable', () => {
    const notExecutable = join(fakeDir, 'totra-not-executable');
    writeFileSync(notExecutable, 'nothing');
    expect(tryFindBinary('totra-not-executable', [fakeDir])).toBeUndefined();
  });

  it('fails with a coded error that says what to install', () => {
    const error = (() => {
      try {
        findBinary('totra-no-such-server');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(EngineBinaryNotFoundError);
    expect((error as EngineBinaryNotFoundError).code).toBe('TOTRA_ENGINE_BINARY_NOT_FOUND');
    expect((error as EngineBinaryNotFoundError).searched.length).toBeGreaterThan(3);
    expect(new EngineBinaryNotFoundError('redis-server', []).message).toContain('apt-get install redis-server');
    expect(new EngineBinaryNotFoundError('postgres', []).message).toContain('brew install postgresql');
  });

  it('pairs initdb with the postgres binary of the same installation', () => {
    const binaries = findPostgresBinaries();
    expect(basename(binaries.postgres)).toBe('postgres');
    expect(dirname(binaries.initdb)).toBe(binaries.binDir);
    expect(dirname(binaries.postgres)).toBe(binaries.binDir);
  });
});
