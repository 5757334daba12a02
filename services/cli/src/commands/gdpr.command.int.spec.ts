import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { type Kysely, sql } from 'kysely';
import { LocalKms, fromBase64Url, verifyErasureReceipt, receiptPublicKey, toBase64Url, type SignedErasureReceipt } from '@totra/crypto';
import { createDb } from '@totra/db';
import { type Envelope, newEventId } from '@totra/events';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { KeyStore } from '@totra/keystore';
import { createTestDatabase, natsUrl, uniquePrefix, uniqueStreamName, type TestDatabase } from '@totra/testing';
import { runCli } from '../cli.js';
import { type Progress } from '../progress.js';
import { decryptedView, readEnvelopes, readSubjectEvents } from './gdpr.command.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const ALICE = { id: 'u_a1c3', email: 'alice.liddell@example.org', name: 'Alice Pleasance Liddell', team: 't_wonder' };
const BOB = { id: 'u_b0b7', email: 'bob.builder@example.net', name: 'Robert Builder', team: 't_wonder' };

describe('GDPR crypto-shredding end to end (real NATS + Postgres)', () => {
  let nc: NatsConnection;
  let dir: string;
  let stream: StreamOptions;
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let log: string[];

  beforeAll(async () => {
    const url = await natsUrl();
    nc = await connectNats(url, { name: 'cli-gdpr' });
    stream = { name: uniqueStreamName('GDPR'), subjectPrefix: uniquePrefix('gdpr') };
    await ensureStream(await jetstreamManager(nc), stream);
    database = await createTestDatabase();
    db = createDb<unknown>(database.url);
    dir = mkdtempSync(join(tmpdir(), 'totra-gdpr-'));
    log = ['--nats', url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', dir, '--db', database.url, '--keyring', join(dir, 'keyring.json')];
  });

  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    await nc.close();
    await db.destroy();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    const r = await cli(...args, ...log);
    expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
    return r;
  };
  const logArgs = () => log.filter((_, i) => i < 8);
  const keyStore = () => {
    const ring = JSON.parse(readFileSync(join(dir, 'keyring.json'), 'utf8')) as { current: string; keks: Record<string, string> };
    const kms = new LocalKms(Object.fromEntries(Object.entries(ring.keks).map(([k, v]) => [k, fromBase64Url(v)])), ring.current);
    return KeyStore.open({ db, kms });
  };
  /** Every event with its sealed part opened where the key still exists, as one text to search. */
  const decryptedText = async () => JSON.stringify(await decryptedView(await keyStore(), await readEnvelopes(nc, stream)));
  /** Every row of every table of the test database, as text. */
  const allTables = async () => {
    const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = 'public'`.execute(db);
    let text = '';
    for (const { t } of tables.rows) {
      const rows = await sql<{ j: string }>`select row_to_json(x)::text as j from ${sql.table(t)} x`.execute(db);
      text += rows.rows.map((r) => r.j).join('\n');
    }
    return { text, tables: tables.rows.map((r) => r.t) };
  };

  it('creates users with email and name sealed, and logs sealed content', async () => {
    const team = await cli('teams', 'set', ALICE.team, '--content-logging', 'on', '--content-retention-months', '3', ...logArgs());
    expect(team.code, team.err).toBe(0);
    for (const u of [ALICE, BOB]) {
      const r = await run('users', 'create', '--id', u.id, '--email', u.email, '--name', u.name, '--team', u.team);
      expect(r.out).toMatch(new RegExp(`^created user ${u.id} .*sealed under key dk_[0-9a-f]{32}\\n$`));
    }
    // The gateway's side: request content of Alice, sealed under her content key of the month.
    const store = await keyStore();
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: join(dir, 'spool-gw') });
    for (const [user, prompt] of [[ALICE, `Hi, I am ${ALICE.name}, mail me at ${ALICE.email}`], [BOB, `Call ${BOB.name}`]] as const) {
      const id = newEventId();
      const sealed = await store.sealFields(id, user.id, { prompt, response: 'Sure.' }, { category: 'content', period: '2026-05', teamId: user.team });
      writer.append({ type: 'RequestContentLogged', id, tenant: 'default', subject: user.id, data: { requestId: `req_${user.id}`, userId: user.id, teamId: user.team, period: '2026-05' }, sealed });
    }
    await writer.drain();
    await writer.close();

    const raw = JSON.stringify(await readEnvelopes(nc, stream));
    for (const s of [ALICE.email, ALICE.name, BOB.email, BOB.name]) expect(raw).not.toContain(s);
    const text = await decryptedText();
    for (const s of [ALICE.email, ALICE.name, BOB.email, BOB.name]) expect(text).toContain(s);
  });

  let backup: { rows: unknown[] };

  it('exports everything of a subject and nothing of another (JSON and CSV)', async () => {
    const r = await run('gdpr', 'export', ALICE.id);
    const exp = JSON.parse(r.out) as { subject: string; events: { type: string; subject?: string; personal?: Record<string, unknown> }[]; purposes: string[]; retention: Record<string, string> };
    expect(exp.subject).toBe(ALICE.id);
    expect(exp.events.map((e) => e.type).sort()).toEqual(['RequestContentLogged', 'UserCreated']);
    expect(exp.events.every((e) => e.subject === ALICE.id)).toBe(true);
    expect(exp.events.find((e) => e.type === 'UserCreated')?.personal).toEqual({ email: ALICE.email, name: ALICE.name });
    expect(exp.purposes.length).toBeGreaterThan(0);
    expect(exp.retention).toHaveProperty('content');
    for (const s of [BOB.email, BOB.name, BOB.id]) expect(r.out).not.toContain(s);
    // The whole log is read; a terminal is shown how far.
    const seen: [number, number][] = [];
    let ended = false;
    const mine = await readSubjectEvents(nc, stream, ALICE.id, { update: (done: number, total: number) => seen.push([done, total]), done: () => (ended = true) } as unknown as Progress);
    expect(mine.map((e) => e.type).sort()).toEqual(['RequestContentLogged', 'UserCreated']);
    // Counted in stream messages (a message may hold several events), up to the last one.
    const last = seen.at(-1);
    expect(last?.[1]).toBeGreaterThan(0);
    expect(last?.[0]).toBe(last?.[1]);
    expect(ended).toBe(true);
    const csv = await run('gdpr', 'export', ALICE.id, '--csv');
    expect(csv.out.split('\n')[0]).toBe('event_id,type,time,part,field,value');
    expect(csv.out).toContain(`,personal,email,${ALICE.email}`);
    expect(csv.out).not.toContain(BOB.email);
    // A backup of the key store taken before the erasure.
    backup = { rows: (await sql`select * from keystore_data_key`.execute(db)).rows };
    expect(backup.rows.length).toBe(4);
  });

  it('a retention hold defers the erasure and the status says why; released, the erasure executes', async () => {
    const hold = await run('gdpr', 'hold', ALICE.id, '--reason', 'litigation hold 2026-17');
    const holdId = /hold (hold_[0-9a-f]+) placed/.exec(hold.out)?.[1] ?? '';
    expect(holdId).not.toBe('');
    const req = await run('gdpr', 'request-erasure', ALICE.id, '--execute', '--basis', 'Art. 17(1)(a)');
    expect(req.out).toMatch(/erasure of u_a1c3 requested .* due 20\d\d-/);
    expect(req.out).toContain(`deferred: retention hold ${holdId} (litigation hold 2026-17)`);
    const status = JSON.parse((await run('gdpr', 'status', '--json')).out) as { subject: string; state: string; overdue: boolean; detail: string }[];
    expect(status).toMatchObject([{ subject: ALICE.id, state: 'deferred', overdue: false, detail: `retention hold: litigation hold 2026-17 (${holdId})` }]);
    expect(await decryptedText()).toContain(ALICE.email);

    await run('gdpr', 'release', ALICE.id, holdId, '--reason', 'case closed');
    const ex = await run('gdpr', 'execute', ALICE.id);
    expect(ex.out).toMatch(/^erased u_a1c3: 2 key\(s\) destroyed/);
    const receipt = JSON.parse(/receipt (.*)\n/.exec(ex.out)?.[1] ?? '{}') as SignedErasureReceipt;
    const ring = JSON.parse(readFileSync(join(dir, 'keyring.json'), 'utf8')) as { receiptKey: string };
    expect(() => verifyErasureReceipt(receipt, toBase64Url(receiptPublicKey(fromBase64Url(ring.receiptKey))))).not.toThrow();
    const done = JSON.parse((await run('gdpr', 'status', '--json')).out) as { state: string }[];
    expect(done).toMatchObject([{ state: 'done' }]);
    const events = await readEnvelopes(nc, stream);
    expect(events.filter((e) => e.subject === ALICE.id).map((e) => e.type)).toEqual(
      expect.arrayContaining(['SubjectErasureRequested', 'SubjectErasureApproved', 'SubjectKeyShredded', 'ErasureReceiptIssued']),
    );
  });

  it("after the erasure no table, no event and no decrypted view holds the user's personal data; others' still open", async () => {
    const { text, tables } = await allTables();
    expect(tables).toEqual(expect.arrayContaining(['keystore_data_key', 'keystore_erasure_journal']));
    for (const s of [ALICE.email, ALICE.name, BOB.email, BOB.name]) expect(text).not.toContain(s);
    const view = await decryptedText();
    for (const s of [ALICE.email, ALICE.name]) expect(view).not.toContain(s);
    for (const s of [BOB.email, BOB.name]) expect(view).toContain(s);
    const exp = JSON.parse((await run('gdpr', 'export', ALICE.id)).out) as { events: { type: string; personal?: { shredded?: boolean } }[] };
    expect(exp.events.find((e) => e.type === 'UserCreated')?.personal).toMatchObject({ shredded: true });
    // Accounting stays: the clear data of the events is unchanged.
    expect(exp.events.find((e) => e.type === 'RequestContentLogged')).toMatchObject({ data: { requestId: `req_${ALICE.id}`, teamId: ALICE.team } });
    const again = await cli('gdpr', 'request-erasure', ALICE.id, ...log);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already erased/);
    const recreate = await cli('users', 'create', '--id', ALICE.id, '--email', ALICE.email, '--name', ALICE.name, '--team', ALICE.team, ...log);
    expect(recreate.err).toMatch(/TOTRA_KEYSTORE_SUBJECT_ERASED/);
  });

  it('the chain still verifies after the erasure', async () => {
    const r = await cli('verify', '--json', ...logArgs());
    expect(r.code, r.out + r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true });
  });

  it('a key store restored from a backup taken before the erasure is re-shredded from the journal', async () => {
    await sql`delete from keystore_data_key`.execute(db);
    for (const row of backup.rows as Record<string, unknown>[]) {
      await sql`insert into keystore_data_key (kid, subject, category, period, team_id, kek_id, wrapped, created_at)
        values (${row['kid']}, ${row['subject']}, ${row['category']}, ${row['period']}, ${row['team_id']}, ${row['kek_id']}, ${row['wrapped']}, ${row['created_at']})`.execute(db);
    }
    expect(await decryptedText()).toContain(ALICE.email);
    const r = await run('gdpr', 'reapply-journal');
    expect(r.out).toBe('re-shredded 2 key(s) that had come back with the restore\n');
    const view = await decryptedText();
    expect(view).not.toContain(ALICE.email);
    expect(view).toContain(BOB.email);
  });

  it('KEK rotation re-wraps every key: events of subjects not erased stay readable and the chain verifies', async () => {
    const before = (await sql<{ kek_id: string }>`select distinct kek_id from keystore_data_key`.execute(db)).rows.map((x) => x.kek_id);
    const r = await run('gdpr', 'rotate-kek');
    expect(r.out).toMatch(/^re-wrapped 2 data key\(s\) under kek-/);
    const after = (await sql<{ kek_id: string }>`select distinct kek_id from keystore_data_key`.execute(db)).rows.map((x) => x.kek_id);
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0]);
    const view = await decryptedText();
    for (const s of [BOB.email, BOB.name]) expect(view).toContain(s);
    expect(view).not.toContain(ALICE.email);
    const v = await cli('verify', '--json', ...logArgs());
    expect(v.code, v.out).toBe(0);
  });

  it('retention destroys content keys of expired months while identity and accounting stay', async () => {
    const r = await run('gdpr', 'retention', '--team', BOB.team, '--keep-months', '1');
    expect(r.out).toBe('destroyed 1 content key(s) past retention\n');
    const events: Envelope[] = await readEnvelopes(nc, stream);
    expect(events.filter((e) => e.type === 'SubjectKeyShredded' && e.data['reason'] === 'retention')).toMatchObject([{ subject: BOB.id }]);
    const view = await decryptedText();
    expect(view).not.toContain(`Call ${BOB.name}`);
    expect(view).toContain(BOB.email);
    expect(events.some((e) => e.type === 'RequestContentLogged' && e.data['userId'] === BOB.id)).toBe(true);
  });

  it('status marks an overdue request, and says whether its alert went out', async () => {
    const writer = await ChainWriter.open({ nc, stream, role: 'admin', spoolDir: join(dir, 'spool-late') });
    const requestId = newEventId();
    writer.append({ type: 'SubjectErasureRequested', id: requestId, tenant: 'default', subject: 'u_late', time: '2026-01-05T09:00:00.000Z', data: { requestedBy: 'dpo', legalBasis: 'Art. 17', dueAt: '2026-02-05T09:00:00.000Z' } });
    await writer.drain();
    const pending = await cli('gdpr', 'status', ...log);
    expect(pending.code).toBe(1);
    expect(pending.out).toContain('u_late  open  2026-02-05T09:00:00.000Z  OVERDUE (alert pending)');
    writer.append({ type: 'SubjectErasureOverdue', tenant: 'default', subject: 'u_late', time: '2026-02-05T10:00:00.000Z', data: { requestEventId: requestId, dueAt: '2026-02-05T09:00:00.000Z', state: 'open' } });
    await writer.close();
    const alerted = await cli('gdpr', 'status', ...log);
    expect(alerted.out).toContain('u_late  open  2026-02-05T09:00:00.000Z  OVERDUE (alert sent 2026-02-05T10:00:00.000Z)');
    const json = JSON.parse((await cli('gdpr', 'status', '--json', ...log)).out) as { subject: string; overdueAlertedAt?: string }[];
    expect(json.find((r) => r.subject === 'u_late')).toMatchObject({ overdue: true, overdueAlertedAt: '2026-02-05T10:00:00.000Z' });
  });
});
