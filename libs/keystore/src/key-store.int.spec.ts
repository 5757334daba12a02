import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kysely, sql } from 'kysely';
import { LocalKms, isPeriodExpired, nobleAesGcm, retentionCutoff } from '@totra/crypto';
import { createDb } from '@totra/db';
import { newEventId } from '@totra/events';
import { createTestDatabase, type TestDatabase } from '@totra/testing';
import { KeyStore } from './key-store.js';
import { type KeyStoreTables } from './keystore.migrations.js';

const rnd = (n: number) => new Uint8Array(randomBytes(n));

describe('KeyStore (real Postgres)', () => {
  let database: TestDatabase;
  let db: Kysely<KeyStoreTables>;
  let kms: LocalKms;
  let store: KeyStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb<KeyStoreTables>(database.url);
    kms = new LocalKms({ kek1: rnd(32) }, 'kek1');
    store = await KeyStore.open({ db: db as Kysely<unknown>, kms });
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('makes one key per subject and scope, stores it only wrapped, and seals and opens with it', async () => {
    const a = await store.dataKeyFor('subj_a');
    expect(await store.dataKeyFor('subj_a')).toEqual(a);
    const row = await db.selectFrom('keystore_data_key').selectAll().where('kid', '=', a.kid).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ subject: 'subj_a', category: 'identity', kek_id: 'kek1' });
    expect(row.wrapped).toHaveLength(40);
    expect(Buffer.from(row.wrapped).includes(Buffer.from(a.key))).toBe(false);

    const id = newEventId();
    const sealed = await store.sealFields(id, 'subj_a', { email: 'a@example.com' });
    expect(sealed.kid).toBe(a.kid);
    // A second process (empty cache) opens it from the table; and the pure-JS cipher reads the native one's output.
    const other = await KeyStore.open({ db: db as Kysely<unknown>, kms, cipher: nobleAesGcm });
    expect(await other.openSealed({ id, subject: 'subj_a', sealed })).toEqual({ email: 'a@example.com' });
    expect(await other.openSealed({ id, subject: 'subj_a' })).toBeUndefined();
  });

  it('shreds a subject: its keys are gone, the cache forgets them, new keys are refused; others are untouched', async () => {
    const id = newEventId();
    const sealed = await store.sealFields(id, 'subj_b', { name: 'Bob' });
    const idC = newEventId();
    const sealedC = await store.sealFields(idC, 'subj_c', { name: 'Carol' });
    await store.dataKeyFor('subj_b', { category: 'content', period: '2026-03' });
    expect(await store.openSealed({ id, subject: 'subj_b', sealed })).toEqual({ name: 'Bob' });

    const before = await store.kidsOf('subj_b');
    expect(before).toHaveLength(2);
    const shred = await store.shredSubject('subj_b', newEventId());
    expect(shred.kids).toEqual(before);
    expect(await store.kidsOf('subj_b')).toEqual([]);
    await expect(store.openSealed({ id, subject: 'subj_b', sealed })).rejects.toMatchObject({ code: 'TOTRA_KEYSTORE_KEY_SHREDDED' });
    await expect(store.dataKeyFor('subj_b')).rejects.toMatchObject({ code: 'TOTRA_KEYSTORE_SUBJECT_ERASED' });
    expect(await store.openSealed({ id: idC, subject: 'subj_c', sealed: sealedC })).toEqual({ name: 'Carol' });
  });

  it('re-shreds a key table restored from a backup taken before the erasure', async () => {
    await store.sealFields(newEventId(), 'subj_d', { email: 'd@example.com' });
    await store.dataKeyFor('subj_e');
    // Backup of the key table (as a dump would hold it).
    await sql`create table backup_keys as select * from keystore_data_key`.execute(db);
    await store.shredSubject('subj_d', newEventId());
    expect(await store.kidsOf('subj_d')).toEqual([]);
    // Restore: the key table is replaced by the backup; the journal is not part of it.
    await sql`delete from keystore_data_key`.execute(db);
    await sql`insert into keystore_data_key select * from backup_keys`.execute(db);
    await sql`drop table backup_keys`.execute(db);
    expect(await store.kidsOf('subj_d')).toHaveLength(1);

    const removed = await store.reapplyJournal();
    expect(removed).toBe(1);
    expect(await store.kidsOf('subj_d')).toEqual([]);
    expect(await store.kidsOf('subj_b')).toEqual([]);
    expect(await store.kidsOf('subj_e')).toHaveLength(1);
    expect(await store.reapplyJournal()).toBe(0);
  });

  it('rotates the KEK: every key is re-wrapped and what it sealed still opens', async () => {
    const id = newEventId();
    const sealed = await store.sealFields(id, 'subj_f', { email: 'f@example.com' });
    const before = await db.selectFrom('keystore_data_key').select(['kid', 'kek_id', 'wrapped']).execute();
    kms.rotate('kek2', rnd(32));
    const n = await store.rotateKek(2);
    expect(n).toBe(before.length);
    const after = await db.selectFrom('keystore_data_key').select(['kid', 'kek_id', 'wrapped']).execute();
    expect(new Set(after.map((r) => r.kek_id))).toEqual(new Set(['kek2']));
    for (const r of after) expect(Buffer.from(r.wrapped).equals(Buffer.from(before.find((b) => b.kid === r.kid)!.wrapped))).toBe(false);
    kms.retire('kek1');
    const fresh = await KeyStore.open({ db: db as Kysely<unknown>, kms });
    expect(await fresh.openSealed({ id, subject: 'subj_f', sealed })).toEqual({ email: 'f@example.com' });
    expect(await store.rotateKek()).toBe(0);
  });

  it('retention: content of expired periods becomes unreadable while the current period and identity stay', async () => {
    const now = new Date('2026-04-15T12:00:00.000Z');
    const jan = newEventId();
    const apr = newEventId();
    const sealedJan = await store.sealFields(jan, 'subj_g', { prompt: 'old question', response: 'old answer' }, { category: 'content', period: '2026-01', teamId: 't1' });
    const sealedApr = await store.sealFields(apr, 'subj_g', { prompt: 'new question' }, { category: 'content', period: '2026-04', teamId: 't1' });
    const other = newEventId();
    const sealedOtherTeam = await store.sealFields(other, 'subj_h', { prompt: 'kept by team 2' }, { category: 'content', period: '2026-01', teamId: 't2' });
    const idEvt = newEventId();
    const sealedId = await store.sealFields(idEvt, 'subj_g', { email: 'g@example.com' });
    // Accounting stays in clear data; only sealed content depends on the key.
    const accounting = { requestId: 'r1', tokens: 120, costMicroUsd: 340 };

    expect(isPeriodExpired('2026-01', now, 2)).toBe(true);
    const shredded = await store.shredPeriodsBefore({ category: 'content', before: retentionCutoff(now, 2), teamId: 't1', newEntryId: newEventId });
    expect(shredded.map((s) => s.subject)).toEqual(['subj_g']);
    await expect(store.openSealed({ id: jan, subject: 'subj_g', sealed: sealedJan })).rejects.toMatchObject({ code: 'TOTRA_KEYSTORE_KEY_SHREDDED' });
    expect(await store.openSealed({ id: apr, subject: 'subj_g', sealed: sealedApr })).toEqual({ prompt: 'new question' });
    expect(await store.openSealed({ id: other, subject: 'subj_h', sealed: sealedOtherTeam })).toEqual({ prompt: 'kept by team 2' });
    expect(await store.openSealed({ id: idEvt, subject: 'subj_g', sealed: sealedId })).toEqual({ email: 'g@example.com' });
    expect(accounting).toEqual({ requestId: 'r1', tokens: 120, costMicroUsd: 340 });
    // The journal re-applies period shreds too.
    const journal = await db.selectFrom('keystore_erasure_journal').selectAll().where('scope', '=', 'kids').execute();
    expect(journal).toMatchObject([{ subject: 'subj_g', reason: 'retention:content', kids: shredded[0]!.kids }]);
  });

  it('expires cached keys after the TTL, so a shred elsewhere is seen', async () => {
    let t = Date.parse('2026-01-01T00:00:00.000Z');
    const clocked = await KeyStore.open({ db: db as Kysely<unknown>, kms, cacheTtlMs: 1000, clock: () => new Date(t) });
    const id = newEventId();
    const sealed = await clocked.sealFields(id, 'subj_i', { email: 'i@example.com' });
    await store.shredSubject('subj_i', newEventId());
    expect(await clocked.openSealed({ id, subject: 'subj_i', sealed })).toEqual({ email: 'i@example.com' });
    t += 1001;
    await expect(clocked.openSealed({ id, subject: 'subj_i', sealed })).rejects.toMatchObject({ code: 'TOTRA_KEYSTORE_KEY_SHREDDED' });
  });
});
