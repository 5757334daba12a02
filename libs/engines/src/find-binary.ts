import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { EngineBinaryNotFoundError } from './errors.js';

/** Sorts `<prefix><version>` directory names by numeric version, highest first. */
function byVersionDesc(names: readonly string[], prefix: string): string[] {
  const version = (name: string): number[] =>
    name
      .slice(prefix.length)
      .split(/[^0-9]+/)
      .filter((part) => part !== '')
      .map(Number);
  return [...names].sort((a, b) => {
    const va = version(a);
    const vb = version(b);
    for (let i = 0; i < Math.max(va.length, vb.length); i++) {
      const diff = (vb[i] ?? -1) - (va[i] ?? -1);
      if (diff !== 0) return diff;
    }
    return 0;
  });
}

/** `<parent>/<prefix>*<suffix>` directories, highest version first; missing parents give nothing. */
function versionedDirs(parent: string, prefix: string, suffix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
  return byVersionDesc(names, prefix).map((name) => join(parent, name, suffix));
}

/**
 * Where servers are usually installed when they are not on PATH: distro packages
 * (Debian keeps postgres in /usr/lib/postgresql/<major>/bin, RHEL in /usr/pgsql-<major>/bin),
 * Homebrew on Apple silicon and Intel, and Postgres.app.
 */
export function usualBinaryDirs(options: { readonly preferPostgresMajor?: number } = {}): string[] {
  const preferred =
    options.preferPostgresMajor === undefined
      ? []
      : [
          join('/usr/lib/postgresql', String(options.preferPostgresMajor), 'bin'),
          join('/usr/pgsql-' + String(options.preferPostgresMajor), 'bin'),
          join('/opt/homebrew/opt', `postgresql@${options.preferPostgresMajor}`, 'bin'),
          join('/usr/local/opt', `postgresql@${options.preferPostgresMajor}`, 'bin'),
        ];
  return [
    ...preferred,
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
    ...versionedDirs('/usr/lib/postgresql', '', 'bin'),
    ...versionedDirs('/usr', 'pgsql-', 'bin'),
    '/opt/homebrew/bin',
    '/opt/homebrew/sbin',
    ...versionedDirs('/opt/homebrew/opt', 'postgresql', 'bin'),
    ...versionedDirs('/usr/local/opt', 'postgresql', 'bin'),
    '/Applications/Postgres.app/Contents/Versions/latest/bin',
    '/snap/bin',
  ];
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like {@link findBinary} but returns undefined instead of throwing. */
export function tryFindBinary(name: string, extraDirs: readonly string[] = []): string | undefined {
  return searchDirs(extraDirs)
    .map((dir) => join(dir, name))
    .find(isExecutableFile);
}

function searchDirs(extraDirs: readonly string[]): string[] {
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  const all = [...extraDirs, ...pathDirs, ...usualBinaryDirs()];
  return [...new Set(all)];
}

/**
 * Finds an executable by name: first in `extraDirs` (in order), then on PATH, then in the usual
 * install locations ({@link usualBinaryDirs}). Throws `TOTRA_ENGINE_BINARY_NOT_FOUND` with an
 * install hint when it is nowhere.
 */
export function findBinary(name: string, extraDirs: readonly string[] = []): string {
  const found = tryFindBinary(name, extraDirs);
  if (found === undefined) throw new EngineBinaryNotFoundError(name, searchDirs(extraDirs));
  return found;
}

/** The binaries of one Postgres installation. They must come from the same directory (same major). */
export interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
  /** The directory `postgres` lives in (after resolving symlinks). */
  readonly binDir: string;
}

/**
 * Finds `postgres` and the `initdb` next to it (symlinks resolved, so a /usr/local/bin link to a
 * versioned directory yields that directory). With `preferMajor`, that major's directory wins over
 * PATH so an existing data directory is served by the version that created it.
 */
export function findPostgresBinaries(
  options: { readonly extraDirs?: readonly string[]; readonly preferMajor?: number } = {},
): PostgresBinaries {
  const extraDirs = options.extraDirs ?? [];
  const preferred =
    options.preferMajor === undefined ? [] : usualBinaryDirs({ preferPostgresMajor: options.preferMajor }).slice(0, 4);
  const dirs = [...new Set([...extraDirs, ...preferred])];
  const postgres = realpathSync(findBinary('postgres', dirs));
  const binDir = dirname(postgres);
  const sibling = join(binDir, 'initdb');
  const initdb = isExecutableFile(sibling) ? sibling : realpathSync(findBinary('initdb', dirs));
  return { postgres, initdb, binDir };
}
