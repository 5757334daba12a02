import { LRUCache } from 'lru-cache';
import { type Redis } from 'ioredis';
import { decodeHotKeyRecord, decodeTeamCidrs, hashApiKey, hotIdentityLayout, isApiKeyFormat, type HotIdentityLayout } from '@totra/identity';

/**
 * Who a key belongs to, as the quota-hot projection holds it. Pseudonymous ids only; never
 * the key or its hash.
 */
export interface Identity {
  keyId: string;
  /** Display prefix of the key (`tt-` + 5): safe to log. */
  prefix: string;
  userId: string;
  teamId: string;
  tenant: string;
  /** The key's own CIDR allowlist; empty = any network. */
  cidrs: readonly string[];
  /** The team's CIDR allowlist; empty = any network. Both lists apply. */
  teamCidrs: readonly string[];
  /** When the key stops working (RFC 3339). */
  expiresAt?: string;
  revoked: boolean;
}

/** Why cached identities were dropped. */
export type EvictionReason = 'revoked' | 'team-policy' | 'reconnected';

/** Told to `onEvicted` listeners when pub/sub made the resolver forget cached identities. */
export interface Eviction {
  reason: EvictionReason;
  /** The revoked key's hash (reason `revoked`). */
  keyHash?: string;
  /** The Redis key of the team whose allowlist changed (reason `team-policy`). */
  teamKey?: string;
  /** How many cached entries were dropped. */
  dropped: number;
}

export interface KeyResolverOptions {
  /** Connection for lookups. */
  redis: Redis;
  /** Connection for pub/sub (it cannot serve lookups once subscribed); `redis.duplicate()` by default. */
  subscriber?: Redis;
  /** Prefix of the quota-hot projection's keys, e.g. `totra:`. */
  keyPrefix: string;
  /** How long a found identity is served from memory (default 30 s); revocations evict it at once. */
  ttlMs?: number;
  /** How long "no such key" is remembered (default 2 s): short, so a new key works quickly. */
  negativeTtlMs?: number;
  /** Most identities kept in memory (default 10,000), and as many unknown keys. */
  maxEntries?: number;
  /** Clock (milliseconds) for the cache lifetimes; tests pass their own. */
  now?: () => number;
  onWarning?: (message: string, err?: unknown) => void;
}

interface Cached {
  identity: Identity;
  teamKey: string;
}

/** {@link KeyResolver.peek}'s answer when memory cannot tell and Redis must be asked. */
export const LOOKUP_NEEDED: unique symbol = Symbol('totra.key-lookup-needed');

/**
 * Resolves presented API keys to identities: hashes the key (SHA-256), looks in a bounded
 * in-process LRU, else in Redis (the quota-hot projection). A subscriber on
 * `<prefix>keys:revoked` drops a revoked key from memory as soon as the projection applied
 * the revocation, and `<prefix>teams:policy` drops a team's keys when its allowlist changes.
 * While the subscriber is disconnected nothing is served from memory (every lookup goes to
 * Redis), so a missed announcement can never keep a revoked key alive.
 */
export class KeyResolver {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #ownsSub: boolean;
  readonly #layout: HotIdentityLayout;
  readonly #found: LRUCache<string, Cached>;
  readonly #unknown: LRUCache<string, true>;
  readonly #inflight = new Map<string, Promise<Identity | undefined>>();
  readonly #listeners = new Set<(e: Eviction) => void>();
  readonly #onWarning: (message: string, err?: unknown) => void;
  /** Bumped by every eviction: a lookup that overlapped one is not cached. */
  #generation = 0;
  #subscribed = false;
  #everSubscribed = false;
  #started: Promise<void> | undefined;
  #closed = false;
  readonly #stats = { hits: 0, misses: 0, unknownHits: 0 };

  constructor(o: KeyResolverOptions) {
    this.#redis = o.redis;
    this.#ownsSub = o.subscriber === undefined;
    this.#sub = o.subscriber ?? o.redis.duplicate();
    this.#layout = hotIdentityLayout(o.keyPrefix);
    // A given clock is read on every check (no 1 ms reuse of the last reading).
    const clock = o.now ? { perf: { now: o.now }, ttlResolution: 0 } : {};
    const max = o.maxEntries ?? 10_000;
    this.#found = new LRUCache<string, Cached>({ max, ttl: o.ttlMs ?? 30_000, ...clock });
    this.#unknown = new LRUCache<string, true>({ max, ttl: o.negativeTtlMs ?? 2_000, ...clock });
    this.#onWarning = o.onWarning ?? (() => undefined);
  }

  /** Subscribes to the revocation channels; resolves once subscribed. Idempotent. */
  start(): Promise<void> {
    this.#started ??= this.#subscribe();
    return this.#started;
  }

  async #subscribe(): Promise<void> {
    const { revokedChannel, teamPolicyChannel } = this.#layout;
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel === revokedChannel) this.#evictKey(message);
      else if (channel === teamPolicyChannel) this.#evictTeam(message);
    });
    this.#sub.on('close', () => {
      if (!this.#subscribed) return;
      // Announcements sent while we are away are lost: forget everything, serve from Redis.
      this.#subscribed = false;
      this.#evictAll();
    });
    this.#sub.on('ready', () => {
      if (!this.#everSubscribed || this.#subscribed || this.#closed) return;
      // Back after a disconnect. ioredis re-subscribes on its own; subscribing again (a no-op
      // for Redis) tells us when that is done, since replies come in order.
      this.#sub.subscribe(revokedChannel, teamPolicyChannel).then(
        () => {
          if (!this.#closed) this.#subscribed = true;
        },
        (err: unknown) => this.#onWarning(`key cache subscriber: cannot subscribe again (${(err as Error).message})`, err),
      );
    });
    this.#sub.on('error', (err: Error) => this.#onWarning(`key cache subscriber: ${err.message}`, err));
    await this.#sub.subscribe(revokedChannel, teamPolicyChannel);
    this.#everSubscribed = true;
    this.#subscribed = !this.#closed;
  }

  /**
   * The identity of a presented key, or undefined when no such key was issued. Revoked and
   * expired keys are returned as they are (`revoked`, `expiresAt`): the caller refuses them.
   * @throws the Redis client's error when Redis cannot be reached
   */
  async resolve(presentedKey: string): Promise<Identity | undefined> {
    if (!isApiKeyFormat(presentedKey)) return undefined;
    const keyHash = hashApiKey(presentedKey);
    const known = this.#fromMemory(keyHash);
    if (known !== LOOKUP_NEEDED) return known;
    let pending = this.#inflight.get(keyHash);
    if (!pending) {
      pending = this.#lookup(keyHash).finally(() => this.#inflight.delete(keyHash));
      this.#inflight.set(keyHash, pending);
    }
    return pending;
  }

  /**
   * What memory alone says about a presented key: its identity, `undefined` when no such key
   * exists (malformed, or known unknown), or {@link LOOKUP_NEEDED} when only Redis can tell
   * (`resolve` asks it). Lets the caller stay synchronous on the usual path, a cached key.
   */
  peek(presentedKey: string): Identity | undefined | typeof LOOKUP_NEEDED {
    return isApiKeyFormat(presentedKey) ? this.#fromMemory(hashApiKey(presentedKey)) : undefined;
  }

  /** Served from memory only while subscribed to revocations: else a revoked key could stay. */
  #fromMemory(keyHash: string): Identity | undefined | typeof LOOKUP_NEEDED {
    if (!this.#subscribed) return LOOKUP_NEEDED;
    const hit = this.#found.get(keyHash);
    if (hit) {
      this.#stats.hits++;
      return hit.identity;
    }
    if (this.#unknown.get(keyHash)) {
      this.#stats.unknownHits++;
      return undefined;
    }
    return LOOKUP_NEEDED;
  }

  async #lookup(keyHash: string): Promise<Identity | undefined> {
    this.#stats.misses++;
    for (let attempt = 0; ; attempt++) {
      const generation = this.#generation;
      const found = await this.#fetch(keyHash);
      if (generation !== this.#generation && attempt === 0) continue; // an eviction overlapped: read again
      if (generation === this.#generation && this.#subscribed) {
        if (found) this.#found.set(keyHash, found);
        else this.#unknown.set(keyHash, true);
      }
      return found?.identity;
    }
  }

  async #fetch(keyHash: string): Promise<Cached | undefined> {
    const record = decodeHotKeyRecord(await this.#redis.hgetall(this.#layout.key(keyHash)));
    if (!record) return undefined;
    const teamKey = this.#layout.team(record.tenant, record.teamId);
    const teamCidrs = decodeTeamCidrs(await this.#redis.hget(teamKey, 'cidrs'));
    const identity: Identity = {
      keyId: record.keyId,
      prefix: record.prefix,
      userId: record.userId,
      teamId: record.teamId,
      tenant: record.tenant,
      cidrs: Object.freeze(record.cidrs),
      teamCidrs: Object.freeze(teamCidrs),
      revoked: record.revoked,
    };
    if (record.expiresAt !== undefined) identity.expiresAt = record.expiresAt;
    // One object serves many requests: nobody may change it.
    return { identity: Object.freeze(identity), teamKey };
  }

  #evicted(e: Eviction): void {
    this.#generation++;
    this.#inflight.clear();
    for (const listener of this.#listeners) listener(e);
  }

  #evictKey(keyHash: string): void {
    const dropped = this.#found.delete(keyHash) ? 1 : 0;
    this.#unknown.delete(keyHash);
    this.#evicted({ reason: 'revoked', keyHash, dropped });
  }

  #evictTeam(teamKey: string): void {
    let dropped = 0;
    for (const [hash, cached] of this.#found.entries()) {
      if (cached.teamKey === teamKey && this.#found.delete(hash)) dropped++;
    }
    this.#evicted({ reason: 'team-policy', teamKey, dropped });
  }

  #evictAll(): void {
    const dropped = this.#found.size;
    this.#found.clear();
    this.#unknown.clear();
    this.#evicted({ reason: 'reconnected', dropped });
  }

  /** Calls `listener` after each pub/sub-driven eviction; returns a function that unsubscribes it. */
  onEvicted(listener: (e: Eviction) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Cache counters, for metrics. */
  stats(): { hits: number; misses: number; unknownHits: number; size: number; subscribed: boolean } {
    return { ...this.#stats, size: this.#found.size, subscribed: this.#subscribed };
  }

  /** Unsubscribes (and disconnects the subscriber connection it created itself). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscribed = false;
    this.#found.clear();
    this.#unknown.clear();
    if (this.#ownsSub) this.#sub.disconnect();
    else await this.#sub.unsubscribe(this.#layout.revokedChannel, this.#layout.teamPolicyChannel).catch(() => undefined);
  }
}
