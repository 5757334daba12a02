import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import {
  type AeadCipher,
  DATA_KEY_BYTES,
  type DataKey,
  type KeyCategory,
  type Kms,
  type RandomBytes,
  openSealed,
  sealFields,
} from '@totra/crypto';
import { migrateToLatest } from '@totra/db';
import { type Sealed } from '@totra/events';
import { KeyShreddedError, NoSubjectError, SubjectErasedError } from './errors.js';
import { KEYSTORE_MIGRATION_TABLES, type KeyStoreTables, keystoreMigrations } from './keystore.migrations.js';
import { nodeAesGcm } from './node-aead.js';

/** Options of {@link KeyStore.open}. */
export interface KeyStoreOptions {
  /** Any kysely instance on the database that holds the key tables (they are migrated on open). */
  readonly db: Kysely<unknown>;
  readonly kms: Kms;
  /**
   * How long an unwrapped key stays in this process's memory. Short, because a shred in another
   * process cannot purge this cache: it bounds how long that process can still open the subject's
   * data. Default 30 s; a shred in this process purges at once.
   */
  readonly cacheTtlMs?: number;
  readonly clock?: () => Date;
  readonly randomBytes?: RandomBytes;
  readonly cipher?: AeadCipher;
}

/** Which key of a subject: identity (one per subject) or content of one period (month). */
export interface KeyScope {
  readonly category?: KeyCategory;
  /** `YYYY-MM`, for period keys (content). */
  readonly period?: string;
  readonly teamId?: string;
}

/** What a shred destroyed, for the `SubjectKeyShredded` event and the receipt. */
export interface ShredResult {
  readonly subject: string;
  readonly journalEntryId: string;
  readonly kids: string[];
}

interface CachedKey {
  readonly key: Uint8Array;
  readonly subject: string;
  readonly expiresAt: number;
}

const defaultRandom: RandomBytes = (n) => new Uint8Array(nodeRandomBytes(n));

function newKid(random: RandomBytes): string {
  return `dk_${Buffer.from(random(16)).toString('hex')}`;
}

/**
 * Per-subject data keys, wrapped by the KMS's key-encryption key, in Postgres. Seals and opens
 * the personal part of events; shreds keys (erasure, retention) and journals the ids of what it
 * shredded, so that a key table restored from a backup is shredded again by {@link reapplyJournal}.
 */
export class KeyStore {
  readonly #db: Kysely<KeyStoreTables>;
  readonly #kms: Kms;
  readonly #ttl: number;
  readonly #clock: () => Date;
  readonly #random: RandomBytes;
  readonly #cipher: AeadCipher;
  readonly #byKid = new Map<string, CachedKey>();
  readonly #byScope = new Map<string, string>();

  private constructor(o: KeyStoreOptions) {
    this.#db = o.db as unknown as Kysely<KeyStoreTables>;
    this.#kms = o.kms;
    this.#ttl = o.cacheTtlMs ?? 30_000;
    this.#clock = o.clock ?? (() => new Date());
    this.#random = o.randomBytes ?? defaultRandom;
    this.#cipher = o.cipher ?? nodeAesGcm;
  }

  /** Migrates the key tables and returns a store. */
  static async open(o: KeyStoreOptions): Promise<KeyStore> {
    await migrateToLatest(o.db, keystoreMigrations, KEYSTORE_MIGRATION_TABLES);
    return new KeyStore(o);
  }

  #now(): number {
    return this.#clock().getTime();
  }

  #remember(kid: string, subject: string, key: Uint8Array, scope?: string): void {
    this.#byKid.set(kid, { key, subject, expiresAt: this.#now() + this.#ttl });
    if (scope) this.#byScope.set(scope, kid);
  }

  #cached(kid: string): CachedKey | undefined {
    const c = this.#byKid.get(kid);
    if (c && c.expiresAt > this.#now()) return c;
    if (c) this.#byKid.delete(kid);
    return undefined;
  }

  /** Forgets every cached key of a subject (or everything), e.g. after a shred. */
  purge(subject?: string): void {
    for (const [kid, c] of this.#byKid) if (subject === undefined || c.subject === subject) this.#byKid.delete(kid);
    for (const [scope, kid] of this.#byScope) if (!this.#byKid.has(kid)) this.#byScope.delete(scope);
  }

  /** Number of keys in this process's cache (for tests and metrics). */
  cacheSize(): number {
    return this.#byKid.size;
  }

  async #isErased(subject: string): Promise<boolean> {
    const row = await this.#db.selectFrom('keystore_erasure_journal').select('entry_id').where('subject', '=', subject).where('scope', '=', 'subject').limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** The subject's data key for a scope, made (and wrapped, and stored) on first use. */
  async dataKeyFor(subject: string, scope: KeyScope = {}): Promise<DataKey> {
    const category = scope.category ?? 'identity';
    const period = scope.period ?? '';
    const scopeKey = `${subject}\u0000${category}\u0000${period}`;
    const kid = this.#byScope.get(scopeKey);
    const hit = kid === undefined ? undefined : this.#cached(kid);
    if (kid !== undefined && hit) return { kid, key: hit.key };
    const existing = await this.#db
      .selectFrom('keystore_data_key')
      .select(['kid', 'kek_id', 'wrapped'])
      .where('subject', '=', subject)
      .where('category', '=', category)
      .where('period', '=', period)
      .executeTakeFirst();
    if (existing) {
      const key = await this.#kms.unwrap({ kekId: existing.kek_id, wrapped: existing.wrapped });
      this.#remember(existing.kid, subject, key, scopeKey);
      return { kid: existing.kid, key };
    }
    if (await this.#isErased(subject)) throw new SubjectErasedError(subject);
    const key = this.#random(DATA_KEY_BYTES);
    const wrapped = await this.#kms.wrap(key);
    const fresh = newKid(this.#random);
    await this.#db
      .insertInto('keystore_data_key')
      .values({ kid: fresh, subject, category, period, team_id: scope.teamId ?? null, kek_id: wrapped.kekId, wrapped: wrapped.wrapped })
      .onConflict((oc) => oc.columns(['subject', 'category', 'period']).doNothing())
      .execute();
    // Another process may have made it first: the stored key wins.
    return this.dataKeyFor(subject, scope);
  }

  /** The key with this id; throws `TOTRA_KEYSTORE_KEY_SHREDDED` when it is gone. */
  async keyById(kid: string): Promise<Uint8Array> {
    const hit = this.#cached(kid);
    if (hit) return hit.key;
    const row = await this.#db.selectFrom('keystore_data_key').select(['subject', 'kek_id', 'wrapped']).where('kid', '=', kid).executeTakeFirst();
    if (!row) throw new KeyShreddedError(kid);
    const key = await this.#kms.unwrap({ kekId: row.kek_id, wrapped: row.wrapped });
    this.#remember(kid, row.subject, key);
    return key;
  }

  /** Seals personal fields of event `envelopeId` under the subject's key of `scope`. */
  async sealFields(envelopeId: string, subject: string, fields: Readonly<Record<string, unknown>>, scope: KeyScope = {}): Promise<Sealed> {
    const dk = await this.dataKeyFor(subject, scope);
    return sealFields(dk, { eventId: envelopeId, subject }, fields, this.#random, this.#cipher);
  }

  /** Seals with a key already in hand (the hot path: no await, no database). */
  sealWith(dataKey: DataKey, envelopeId: string, subject: string, fields: Readonly<Record<string, unknown>>): Sealed {
    return sealFields(dataKey, { eventId: envelopeId, subject }, fields, this.#random, this.#cipher);
  }

  /**
   * Opens an event's sealed part: `undefined` when it has none; throws
   * `TOTRA_KEYSTORE_KEY_SHREDDED` when its key was shredded.
   */
  async openSealed(event: { id: string; subject?: string | undefined; sealed?: Sealed | undefined }): Promise<Record<string, unknown> | undefined> {
    if (!event.sealed) return undefined;
    if (!event.subject) throw new NoSubjectError(event.id);
    const key = await this.keyById(event.sealed.kid);
    return openSealed(key, { eventId: event.id, subject: event.subject }, event.sealed, this.#cipher);
  }

  /** Key ids the store holds for a subject. */
  async kidsOf(subject: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('keystore_data_key').select('kid').where('subject', '=', subject).orderBy('kid').execute();
    return rows.map((r) => r.kid);
  }

  /**
   * Erasure: journals the subject (and its key ids) and destroys every key of it, in one
   * transaction; new keys are refused for it from then on. Purges this process's cache.
   */
  async shredSubject(subject: string, journalEntryId: string): Promise<ShredResult> {
    const kids = await this.#db.transaction().execute(async (tx) => {
      const rows = await tx.deleteFrom('keystore_data_key').where('subject', '=', subject).returning('kid').execute();
      const ids = rows.map((r) => r.kid).sort();
      await tx.insertInto('keystore_erasure_journal').values({ entry_id: journalEntryId, subject, scope: 'subject', kids: ids, reason: 'erasure' }).execute();
      return ids;
    });
    this.purge(subject);
    return { subject, journalEntryId, kids };
  }

  /**
   * Retention: destroys the keys of `category` whose period is before `before` (optionally only a
   * team's), one journal entry per subject. The events stay; what those keys sealed is gone.
   */
  async shredPeriodsBefore(o: { category: KeyCategory; before: string; teamId?: string; newEntryId: () => string }): Promise<ShredResult[]> {
    const results = await this.#db.transaction().execute(async (tx) => {
      let q = tx.deleteFrom('keystore_data_key').where('category', '=', o.category).where('period', '<', o.before).where('period', '<>', '');
      if (o.teamId !== undefined) q = q.where('team_id', '=', o.teamId);
      const rows = await q.returning(['kid', 'subject']).execute();
      const bySubject = new Map<string, string[]>();
      for (const r of rows) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r.kid]);
      const out: ShredResult[] = [];
      for (const [subject, kids] of [...bySubject.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const entry = { subject, journalEntryId: o.newEntryId(), kids: kids.sort() };
        await tx.insertInto('keystore_erasure_journal').values({ entry_id: entry.journalEntryId, subject, scope: 'kids', kids: entry.kids, reason: `retention:${o.category}` }).execute();
        out.push(entry);
      }
      return out;
    });
    for (const r of results) this.purge(r.subject);
    return results;
  }

  /**
   * Shreds again whatever the journal says is shredded: run after restoring the key table from
   * a backup. Returns the number of keys destroyed (0 when nothing had come back).
   */
  async reapplyJournal(): Promise<number> {
    const result = await sql<{ n: string }>`
      with gone as (
        delete from keystore_data_key k
        where k.subject in (select subject from keystore_erasure_journal where scope = 'subject')
           or k.kid in (select unnest(kids) from keystore_erasure_journal where scope = 'kids')
        returning 1
      )
      select count(*)::text as n from gone`.execute(this.#db);
    this.purge();
    return Number(result.rows[0]?.n ?? 0);
  }

  /**
   * KEK rotation: re-wraps every data key not wrapped with the KMS's current KEK. Events are not
   * touched (they are sealed with the data keys, which do not change). Returns the number re-wrapped.
   */
  async rotateKek(batchSize = 500): Promise<number> {
    const current = this.#kms.currentKekId();
    let done = 0;
    for (;;) {
      const rows = await this.#db.selectFrom('keystore_data_key').select(['kid', 'kek_id', 'wrapped']).where('kek_id', '<>', current).orderBy('kid').limit(batchSize).execute();
      if (rows.length === 0) return done;
      for (const r of rows) {
        const key = await this.#kms.unwrap({ kekId: r.kek_id, wrapped: r.wrapped });
        const wrapped = await this.#kms.wrap(key);
        await this.#db.updateTable('keystore_data_key').set({ kek_id: wrapped.kekId, wrapped: wrapped.wrapped }).where('kid', '=', r.kid).where('kek_id', '=', r.kek_id).execute();
        done++;
      }
    }
  }
}
