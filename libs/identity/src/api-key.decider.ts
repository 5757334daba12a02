import { type ApiKeyIssued, type ApiKeyRevoked, type EventData, type TeamNetworkPolicySet } from '@totra/events';
import { isKeyId } from './api-key.js';
import { normalizeCidr } from './cidr.js';
import { InvalidKeyCommandError, KeyAlreadyExistsError, KeyAlreadyRevokedError, KeyNotFoundError } from './errors.js';

/** Issue a key. The secret itself never reaches the decider: only its hash and display prefix. */
export interface IssueApiKey {
  keyId: string;
  /** SHA-256 (lowercase hex) of the full key, see `hashApiKey`. */
  keyHash: string;
  /** Display prefix, see `keyDisplayPrefix`. */
  prefix: string;
  /** Pseudonymous user id. */
  user: string;
  /** Pseudonymous team id. */
  team: string;
  tenant: string;
  name?: string;
  /** Networks the key may be used from (CIDR blocks or single addresses); none = any. */
  cidrs?: readonly string[];
  expiresAt?: Date;
  /** When the command is decided: the event time. */
  at: Date;
}

/** Revoke a key. */
export interface RevokeApiKey {
  keyId: string;
  reason?: string;
  at: Date;
}

/** Set the CIDR allowlist of every key of a team (an empty list allows every network). */
export interface SetTeamNetworkPolicy {
  team: string;
  tenant: string;
  cidrs: readonly string[];
  at: Date;
}

interface Emitted<TType extends string, TData> {
  type: TType;
  tenant: string;
  /** Event time (RFC 3339, milliseconds): the command's `at`. */
  time: string;
  data: TData;
}

/** What the key deciders emit; each is an `EventInput` a chain writer appends as it is. */
export type ApiKeyEvent =
  | Emitted<'ApiKeyIssued', EventData<typeof ApiKeyIssued>>
  | Emitted<'ApiKeyRevoked', EventData<typeof ApiKeyRevoked>>;

export type TeamNetworkPolicyEvent = Emitted<'TeamNetworkPolicySet', EventData<typeof TeamNetworkPolicySet>>;

/** What is known about one key (never its hash or secret). */
export interface ApiKeyView {
  keyId: string;
  prefix: string;
  userId: string;
  teamId: string;
  tenant: string;
  name?: string;
  cidrs: readonly string[];
  issuedAt: string;
  expiresAt?: string;
  status: 'active' | 'revoked';
  revokedAt?: string;
  revokeReason?: string;
}

/** Every key issued so far, by key id. */
export type ApiKeysState = ReadonlyMap<string, ApiKeyView>;

/** The state before any key was issued. */
export const initialApiKeysState: ApiKeysState = new Map();

/**
 * An event as the fold sees it: any type (others are ignored), with data already validated
 * against its schema (e.g. by `EventRegistry.decode`) or emitted by a decider here.
 */
export interface FoldableEvent {
  type: string;
  tenant: string;
  time: string;
  data: Readonly<Record<string, unknown>>;
}

const PSEUDONYMOUS_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const KEY_HASH = /^[0-9a-f]{64}$/;
const DISPLAY_PREFIX = /^tt-[0-9A-Za-z]{5}$/;
const MAX_CIDRS = 100;

function requireDate(d: Date, field: string): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new InvalidKeyCommandError(`${field} is not a valid date`);
  return d.toISOString();
}

function requireId(value: string, field: string): string {
  if (!PSEUDONYMOUS_ID.test(value)) {
    throw new InvalidKeyCommandError(`${field} "${value}" is not a pseudonymous id (letters, digits, "_", ".", "-"; at most 128)`);
  }
  return value;
}

function optionalText(value: string | undefined, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  if (!t.length || t.length > max) throw new InvalidKeyCommandError(`${field} must be 1 to ${max} characters`);
  return t;
}

/** Normalises an allowlist: canonical text, duplicates removed, at most 100 blocks. @throws InvalidCidrError */
function allowlist(cidrs: readonly string[]): string[] {
  const out = [...new Set(cidrs.map((c) => normalizeCidr(c.trim())))];
  if (out.length > MAX_CIDRS) throw new InvalidKeyCommandError(`at most ${MAX_CIDRS} networks per allowlist, got ${out.length}`);
  return out;
}

/**
 * Decides `IssueApiKey`: one `ApiKeyIssued`, with the CIDR list normalised.
 * @throws InvalidKeyCommandError (`TOTRA_KEY_INVALID`), InvalidCidrError (`TOTRA_CIDR_INVALID`),
 *   KeyAlreadyExistsError (`TOTRA_KEY_ALREADY_EXISTS`)
 */
export function issueApiKey(command: IssueApiKey, state: ApiKeysState): ApiKeyEvent[] {
  const time = requireDate(command.at, 'at');
  if (!isKeyId(command.keyId)) throw new InvalidKeyCommandError(`keyId "${command.keyId}" is not a key id (key_ + 32 hex)`);
  if (!KEY_HASH.test(command.keyHash)) throw new InvalidKeyCommandError('keyHash must be a lowercase hex SHA-256');
  if (!DISPLAY_PREFIX.test(command.prefix)) throw new InvalidKeyCommandError('prefix must be "tt-" and 5 base62 characters');
  if (!command.tenant.length || command.tenant.length > 128) throw new InvalidKeyCommandError('tenant must be 1 to 128 characters');
  if (state.has(command.keyId)) throw new KeyAlreadyExistsError(command.keyId);
  const data: EventData<typeof ApiKeyIssued> = {
    keyId: command.keyId,
    keyHash: command.keyHash,
    prefix: command.prefix,
    userId: requireId(command.user, 'user'),
    teamId: requireId(command.team, 'team'),
  };
  const name = optionalText(command.name, 'name', 200);
  if (name !== undefined) data.name = name;
  if (command.cidrs?.length) data.cidrs = allowlist(command.cidrs);
  if (command.expiresAt !== undefined) {
    const expiresAt = requireDate(command.expiresAt, 'expiresAt');
    if (command.expiresAt.getTime() <= command.at.getTime()) {
      throw new InvalidKeyCommandError(`expiresAt ${expiresAt} is not after the time of issue ${time}`);
    }
    data.expiresAt = expiresAt;
  }
  return [{ type: 'ApiKeyIssued', tenant: command.tenant, time, data }];
}

/**
 * Decides `RevokeApiKey`: one `ApiKeyRevoked`, in the key's tenant.
 * @throws KeyNotFoundError (`TOTRA_KEY_NOT_FOUND`), KeyAlreadyRevokedError (`TOTRA_KEY_ALREADY_REVOKED`),
 *   InvalidKeyCommandError (`TOTRA_KEY_INVALID`)
 */
export function revokeApiKey(command: RevokeApiKey, state: ApiKeysState): ApiKeyEvent[] {
  const time = requireDate(command.at, 'at');
  if (!isKeyId(command.keyId)) throw new InvalidKeyCommandError(`keyId "${command.keyId}" is not a key id (key_ + 32 hex)`);
  const key = state.get(command.keyId);
  if (!key) throw new KeyNotFoundError(command.keyId);
  if (key.status === 'revoked') throw new KeyAlreadyRevokedError(command.keyId);
  const data: EventData<typeof ApiKeyRevoked> = { keyId: command.keyId };
  const reason = optionalText(command.reason, 'reason', 500);
  if (reason !== undefined) data.reason = reason;
  return [{ type: 'ApiKeyRevoked', tenant: key.tenant, time, data }];
}

/**
 * Decides `SetTeamNetworkPolicy`: one `TeamNetworkPolicySet` with the list normalised.
 * @throws InvalidKeyCommandError, InvalidCidrError
 */
export function setTeamNetworkPolicy(command: SetTeamNetworkPolicy): TeamNetworkPolicyEvent[] {
  const time = requireDate(command.at, 'at');
  if (!command.tenant.length || command.tenant.length > 128) throw new InvalidKeyCommandError('tenant must be 1 to 128 characters');
  return [{ type: 'TeamNetworkPolicySet', tenant: command.tenant, time, data: { teamId: requireId(command.team, 'team'), cidrs: allowlist(command.cidrs) } }];
}

/** Applies one event to a map it owns; true when the map changed. */
function apply(keys: Map<string, ApiKeyView>, event: FoldableEvent): boolean {
  switch (event.type) {
    case 'ApiKeyIssued': {
      const d = event.data as EventData<typeof ApiKeyIssued>;
      if (keys.has(d.keyId)) return false;
      const view: ApiKeyView = {
        keyId: d.keyId,
        prefix: d.prefix,
        userId: d.userId,
        teamId: d.teamId,
        tenant: event.tenant,
        cidrs: d.cidrs ?? [],
        issuedAt: event.time,
        status: 'active',
      };
      if (d.name !== undefined) view.name = d.name;
      if (d.expiresAt !== undefined) view.expiresAt = d.expiresAt;
      keys.set(d.keyId, view);
      return true;
    }
    case 'ApiKeyRevoked': {
      const d = event.data as EventData<typeof ApiKeyRevoked>;
      const key = keys.get(d.keyId);
      if (!key || key.status === 'revoked') return false;
      const view: ApiKeyView = { ...key, status: 'revoked', revokedAt: event.time };
      if (d.reason !== undefined) view.revokeReason = d.reason;
      keys.set(d.keyId, view);
      return true;
    }
    default:
      return false;
  }
}

const isKeyEvent = (type: string) => type === 'ApiKeyIssued' || type === 'ApiKeyRevoked';

/** Folds one event into the key state (a new state; the given one is not changed). Other event types leave it as it is. */
export function evolveApiKeys(state: ApiKeysState, event: FoldableEvent): ApiKeysState {
  if (!isKeyEvent(event.type)) return state;
  const next = new Map(state);
  return apply(next, event) ? next : state;
}

/** Folds many events at once (linear time; `evolveApiKeys` copies the state per event). */
export function foldApiKeys(events: Iterable<FoldableEvent>, state: ApiKeysState = initialApiKeysState): ApiKeysState {
  const next = new Map(state);
  for (const e of events) apply(next, e);
  return next;
}
