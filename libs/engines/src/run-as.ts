import { chmodSync, lchownSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EngineKind } from './engine.js';
import { EngineDataDirAccessError } from './errors.js';

/** A system user a server is run as instead of root. */
export interface RunAsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Supplementary group ids (from /etc/group). */
  readonly groups: readonly number[];
}

/** Looks a user up in /etc/passwd (and its groups in /etc/group); undefined when absent. */
export function lookupUser(name: string): RunAsUser | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  const fields = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((parts) => parts[0] === name);
  const uid = Number(fields?.[2]);
  const gid = Number(fields?.[3]);
  if (!fields || !Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  let groups: number[] = [];
  try {
    groups = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .filter((parts) => (parts[3] ?? '').split(',').includes(name))
      .map((parts) => Number(parts[2]))
      .filter((id) => Number.isInteger(id));
  } catch {
    // no group file: primary group only
  }
  return { name, uid, gid, groups };
}

/** Whether this process runs as root (never on Windows). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The first of `candidates` that exists on this system: who runs Postgres when we are root. */
export function unprivilegedUser(candidates: readonly string[] = ['postgres', 'nobody']): RunAsUser | undefined {
  for (const name of candidates) {
    const user = lookupUser(name);
    if (user) return user;
  }
  return undefined;
}

function canSearch(path: string, user: RunAsUser): boolean {
  const stat = statSync(path);
  if (stat.uid === user.uid) return (stat.mode & 0o100) !== 0;
  if (stat.gid === user.gid || user.groups.includes(stat.gid)) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/**
 * Makes `ownDir` (a directory this server owns) enterable by `user`, and checks every directory
 * above it is too. A parent we do not own is not changed: the error says what to do.
 */
export function ensureReachable(kind: EngineKind, ownDir: string, user: RunAsUser): void {
  const target = resolve(ownDir);
  const chain: string[] = [];
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    if (!canSearch(dir, user)) {
      throw new EngineDataDirAccessError(
        kind,
        dir,
        user.name,
        `the server runs as user "${user.name}" (it refuses root) and cannot enter ${dir}. ` +
          `Let it in (chmod o+x ${dir}) or choose a data directory outside ${dir}.`,
      );
    }
  }
  if (!canSearch(target, user)) chmodSync(target, statSync(target).mode | 0o011);
}

/** Gives `dir` and everything below it to `user` when it is not theirs yet. */
export function chownTree(dir: string, user: RunAsUser): void {
  const stat = statSync(dir);
  if (stat.uid === user.uid && stat.gid === user.gid) return;
  const walk = (path: string): void => {
    lchownSync(path, user.uid, user.gid);
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else lchownSync(child, user.uid, user.gid);
    }
  };
  walk(dir);
}
