import { z } from 'zod';

/**
 * Where the quota-hot projection keeps key identities in Redis, and how the gateway reads
 * them: the contract between the two, in one place. Nothing here is secret: a key is found
 * by the SHA-256 of the secret, and the secret itself is never stored.
 *
 * - `<p>key:{<keyHash>}`: hash of identity fields (see {@link HotKeyRecord})
 * - `<p>keyid:<keyId>`: string, the key hash (to find a key to revoke by its id)
 * - `<p>team:<tenant>:<teamId>`: hash, field `cidrs` = JSON array of the team's allowlist
 * - `<p>erased:<tenant>:<userId>`: string, set once the user's data keys were shredded for an
 *   erasure: a key issued to that user afterwards is stored revoked
 * - `<p>quota-hot:checkpoint`: string, the last stream sequence applied
 * - channel `<p>keys:revoked`: message = hash of a key just revoked
 * - channel `<p>teams:policy`: message = the team key (`<p>team:<tenant>:<teamId>`) whose allowlist changed
 */
export interface HotIdentityLayout {
  key(keyHash: string): string;
  keyId(keyId: string): string;
  team(tenant: string, teamId: string): string;
  /** Marker of a user erased under Art. 17 (pseudonymous id only). */
  erasedUser(tenant: string, userId: string): string;
  readonly checkpoint: string;
  readonly revokedChannel: string;
  readonly teamPolicyChannel: string;
  /** SCAN patterns (prefix glob-escaped) of every key the projection owns, for a rebuild. */
  readonly ownedPatterns: readonly string[];
}

/** Escapes the glob characters of a Redis SCAN/KEYS pattern. */
export function escapeRedisGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** The Redis names of the hot identity data under a key prefix (e.g. `totra:`). */
export function hotIdentityLayout(prefix: string): HotIdentityLayout {
  const glob = escapeRedisGlob(prefix);
  return {
    key: (keyHash) => `${prefix}key:{${keyHash}}`,
    keyId: (keyId) => `${prefix}keyid:${keyId}`,
    team: (tenant, teamId) => `${prefix}team:${tenant}:${teamId}`,
    erasedUser: (tenant, userId) => `${prefix}erased:${tenant}:${userId}`,
    checkpoint: `${prefix}quota-hot:checkpoint`,
    revokedChannel: `${prefix}keys:revoked`,
    teamPolicyChannel: `${prefix}teams:policy`,
    ownedPatterns: [`${glob}key:*`, `${glob}keyid:*`, `${glob}team:*`, `${glob}erased:*`, `${glob}quota-hot:*`],
  };
}

/** The identity of a key as the gateway needs it. */
export interface HotKeyRecord {
  keyId: string;
  prefix: string;
  userId: string;
  teamId: string;
  tenant: string;
  cidrs: string[];
  expiresAt?: string;
  revoked: boolean;
}

const Stored = z.object({
  keyId: z.string().min(1),
  prefix: z.string(),
  userId: z.string().min(1),
  teamId: z.string().min(1),
  tenant: z.string().min(1),
  cidrs: z.string(),
  expiresAt: z.string().optional(),
  revoked: z.enum(['0', '1']),
});
const CidrList = z.array(z.string());

/** The hash fields of a key record, as a flat `[field, value, ...]` list for HSET. */
export function encodeHotKeyRecord(r: HotKeyRecord): string[] {
  return [
    'keyId', r.keyId,
    'prefix', r.prefix,
    'userId', r.userId,
    'teamId', r.teamId,
    'tenant', r.tenant,
    'cidrs', JSON.stringify(r.cidrs),
    'expiresAt', r.expiresAt ?? '',
    'revoked', r.revoked ? '1' : '0',
  ];
}

/**
 * Reads a key record from HGETALL's result: undefined when there is none (an empty hash).
 * @throws ZodError / SyntaxError when the stored record is malformed
 */
export function decodeHotKeyRecord(fields: Readonly<Record<string, string>>): HotKeyRecord | undefined {
  if (Object.keys(fields).length === 0) return undefined;
  const s = Stored.parse(fields);
  const record: HotKeyRecord = {
    keyId: s.keyId,
    prefix: s.prefix,
    userId: s.userId,
    teamId: s.teamId,
    tenant: s.tenant,
    cidrs: CidrList.parse(JSON.parse(s.cidrs)),
    revoked: s.revoked === '1',
  };
  if (s.expiresAt) record.expiresAt = s.expiresAt;
  return record;
}

/** Reads a team's allowlist (the `cidrs` field of its team hash); none stored = no restriction. */
export function decodeTeamCidrs(value: string | null | undefined): string[] {
  if (value === null || value === undefined || value === '') return [];
  return CidrList.parse(JSON.parse(value));
}
