import { z } from 'zod';

/**
 * A pseudonymous id of a user or team: random, never derived from an email or a name. No `:`,
 * so that projections can compose keys from it unambiguously.
 */
export const PseudonymousId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a pseudonymous id ([A-Za-z0-9_.-], at most 128 characters)');

/** `key_` + 32 lowercase hex characters (a UUIDv7 without dashes). */
export const ApiKeyId = z.string().regex(/^key_[0-9a-f]{32}$/, 'a key id "key_<32 hex>"');

/** An IPv4 or IPv6 network in CIDR notation, normalised by the issuer (e.g. `10.0.0.0/8`, `2001:db8::/32`). */
const CidrText = z
  .string()
  .max(64)
  .regex(/^[0-9A-Fa-f.:]+\/\d{1,3}$/, 'a CIDR block such as 10.0.0.0/8 or 2001:db8::/32');

/** A network allowlist: at most 100 CIDR blocks. */
export const NetworkAllowlist = z.array(CidrText).max(100);
