import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsFromKeyring, parseKeyring, toBase64Url } from '@totra/crypto';
import { createDb } from '@totra/db';
import { type Envelope } from '@totra/events';
import { KeyStore } from '@totra/keystore';
import { createTestDatabase, redisUrl, type TestDatabase } from '@totra/testing';
import { decryptedView } from '../services/cli/src/commands/gdpr.command.js';
import { startHarness, type Harness } from './support/gateway-harness.js';

// GDPR end to end: a user of a team with content logging on sends requests through the gateway
// (official `openai` client, a forwarded client address and a distinctive user agent); erasure is
// requested and executed; afterwards no Postgres table, no Redis key (values included) and no
// event, decrypted with the key store, holds any of the user's personal data, the log still
// verifies, the cost totals are unchanged and the user's key is refused.
const USER = { id: 'u-alice', email: 'zelda.quinterro@example.org', name: 'Zelda Quinterro-Vasquez', team: 't-research' };
const CLIENT_IP = '203.0.113.195';
const USER_AGENT = 'QuokkaBrowser/9.7.3 (gdpr-e2e)';
const PHRASES = ['the purple elephant sings at midnight', 'marmalade lighthouse protocol', 'the quince orchard ledger'];
const PERSONAL = [USER.email, USER.name, CLIENT_IP, USER_AGENT, ...PHRASES];

describe('GDPR erasure end to end (gateway, projector, CLI; real NATS, Postgres, Redis)', () => {
  let h: Harness;
  let database: TestDatabase;
  let db: Kysely<unknown>;
  let redis: Redis;
  let dir: string;
  let keyring: string;
  let gdprArgs: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb<unknown>(database.url, { maxConnections: 2 });
    redis = new Redis(await redisUrl());
    dir = mkdtempSync(join(tmpdir(), 'totra-gdpr-e2e-'));
    keyring = join(dir, 'keyring.json');
    writeFileSync(keyring, JSON.stringify({ current: 'kek-e2e', keks: { 'kek-e2e': toBase64Url(randomBytes(32)) }, receiptKey: toBase64Url(randomBytes(32)) }), { mode: 0o600 });
    h = await startHarness({ env: { TOTRA_PG_URL: database.url, TOTRA_KEYRING: keyring, TOTRA_TRUSTED_PROXIES: '127.0.0.1' } });
    gdprArgs = [...h.cliArgs, '--db', database.url, '--keyring', keyring];
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    redis?.disconnect();
    await db?.destroy();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    const r = await h.cli(...args);
    expect(r.code, `${args.slice(0, 3).join(' ')}: ${r.err}`).toBe(0);
    return r;
  };
  const client = () => new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-forwarded-for': CLIENT_IP, 'user-agent': USER_AGENT } });
  const caughtUp = async () => {
    await h.gateway.drain();
    await h.projector.quotaHot.caughtUp();
    await Promise.all((h.projector.readModels?.runners ?? []).map((r) => r.caughtUp()));
  };

  /** Every row of every table of the test database, as text. */
  const allTables = async () => {
    const tables = await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(db);
    let text = '';
    for (const { t } of tables.rows) {
      const rows = await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM ${sql.table(t)} x`.execute(db);
      text += `${t}\n${rows.rows.map((r) => r.j).join('\n')}\n`;
    }
    return { text, tables: tables.rows.map((r) => r.t) };
  };
  /** Every Redis key of the test's prefix with its value, whatever its type, as text. */
  const allRedis = async () => {
    let text = '';
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${h.redisPrefix}*`, 'COUNT', 500);
      cursor = next;
      for (const k of keys) {
        count++;
        const type = await redis.type(k);
        const value =
          type === 'string' ? await redis.get(k)
          : type === 'hash' ? await redis.hgetall(k)
          : type === 'list' ? await redis.lrange(k, 0, -1)
          : type === 'set' ? await redis.smembers(k)
          : type === 'zset' ? await redis.zrange(k, 0, -1, 'WITHSCORES')
          : type === 'stream' ? await redis.xrange(k, '-', '+')
          : `(${type})`;
        text += `${k} ${JSON.stringify(value)}\n`;
      }
    } while (cursor !== '0');
    return { text, count };
  };
  /** Every event, with its sealed part opened where the key still exists (a fresh store: no cache). */
  const decryptedEvents = async (events: readonly Envelope[]) => {
    const store = await KeyStore.open({ db, kms: kmsFromKeyring(parseKeyring((await import('node:fs')).readFileSync(keyring, 'utf8'))) });
    return JSON.stringify(await decryptedView(store, events));
  };
  const found = (text: string) => PERSONAL.filter((p) => text.includes(p));
  const spendOf = (events: readonly Envelope[]) =>
    events.filter((e) => e.type === 'SpendRecorded' && e.data['userId'] === USER.id).reduce((n, e) => n + Number(e.data['microUsd']), 0);
  const costRows = async () =>
    (await sql<{ r: string }>`SELECT coalesce(sum(requests), 0)::text || '/' || coalesce(sum(micro_usd), 0)::text AS r FROM cost_daily WHERE user_id = ${USER.id}`.execute(db)).rows[0]?.r;

  let costBefore: { spend: number; rows: string | undefined };

  it('before the erasure: the personal data is only in sealed parts, and the decrypted view finds all of it', { timeout: 60_000 }, async () => {
    await run('users', 'create', '--id', USER.id, '--email', USER.email, '--name', USER.name, '--team', USER.team, '--tenant', 'acme', ...gdprArgs);
    await run('teams', 'set', USER.team, '--content-logging', 'on', '--tenant', 'acme', ...h.cliArgs);
    await expect.poll(() => h.gateway.privacy.logsContent({ keyId: h.keyId, userId: USER.id, teamId: USER.team, tenant: 'acme' })).toBe(true);

    const openai = client();
    const done = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `Please remember: ${PHRASES[0]}.` }] });
    expect(done.choices[0]?.message.content).toBeTruthy();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: `Summarise the ${PHRASES[1]} for me.` }] });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed.length).toBeGreaterThan(0);
    // The Completions API too: its prompt and answer are logged, sealed, and erased alike.
    const completion = await openai.completions.create({ model: 'gpt-4o', prompt: `Continue: ${PHRASES[2]}`, max_tokens: 40 });
    expect(completion.choices[0]?.text).toBeTruthy();
    await caughtUp();

    const events = await h.events();
    const logged = events.filter((e) => e.type === 'RequestContentLogged');
    expect(logged).toHaveLength(3);
    const completed = events.filter((e) => e.type === 'RequestCompleted' && e.data['userId'] === USER.id);
    expect(completed).toHaveLength(3);
    expect(completed.every((e) => e.sealed !== undefined)).toBe(true);
    // In clear, nowhere: not in the raw log, not in a table, not in Redis.
    expect(found(JSON.stringify(events))).toEqual([]);
    const tables = await allTables();
    expect(tables.tables).toEqual(expect.arrayContaining(['cost_daily', 'audit_index', 'directory_users', 'keystore_data_key']));
    expect(found(tables.text)).toEqual([]);
    const cache = await allRedis();
    expect(cache.count).toBeGreaterThan(0);
    expect(found(cache.text)).toEqual([]);
    // The scan does find them where they are: sealed in the events, opened with the keys.
    expect(found(await decryptedEvents(events))).toEqual(PERSONAL);

    // The gateway holds the user's unwrapped keys in its cache (identity and content).
    expect(h.gateway.keyStore?.cacheSize()).toBeGreaterThan(0);

    costBefore = { spend: spendOf(events), rows: await costRows() };
    expect(costBefore.spend).toBeGreaterThan(0);
    expect(costBefore.rows).toBe(`3/${costBefore.spend}`);
  });

  it("after the erasure: nothing of it anywhere, the log verifies, costs are unchanged, the user's key is refused", { timeout: 60_000 }, async () => {
    const erased = await run('gdpr', 'request-erasure', USER.id, '--execute', '--tenant', 'acme', ...gdprArgs);
    expect(erased.out).toMatch(/erased u-alice: \d+ key\(s\) destroyed \(journal [0-9a-f-]+\), 1 API key\(s\) revoked/);
    // The shred happened in the CLI's process; the gateway reads `SubjectKeyShredded` from the
    // log and drops its cached copies of the keys well before they expire (30 s).
    await expect.poll(() => h.gateway.keyStore?.cacheSize(), { timeout: 10_000 }).toBe(0);

    // The revocation reaches the gateway through the quota-hot projection: 401 from then on.
    // Probed with the models list: authenticated, but never charged (costs are compared below).
    const status = async () => {
      try {
        await client().models.list();
        return 200;
      } catch (err) {
        return (err as { status?: number }).status ?? 0;
      }
    };
    await expect.poll(status, { timeout: 15_000 }).toBe(401);

    // A key issued to the erased user afterwards never works: quota-hot stores it revoked.
    const reissued = JSON.parse((await run('keys', 'issue', '--user', USER.id, '--team', USER.team, '--tenant', 'acme', '--json', ...h.cliArgs)).out) as { key: string };
    const reissuedRefusal = async () => {
      try {
        await new OpenAI({ apiKey: reissued.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).models.list();
        return 'served';
      } catch (err) {
        return `${(err as { status?: number }).status}: ${(err as Error).message}`;
      }
    };
    await expect.poll(reissuedRefusal, { timeout: 15_000 }).toMatch(/^401: .*was revoked/);
    await caughtUp();

    const events = await h.events();
    const tables = await allTables();
    const cache = await allRedis();
    expect(found(tables.text)).toEqual([]);
    expect(found(cache.text)).toEqual([]);
    expect(found(await decryptedEvents(events))).toEqual([]);
    // The read models reacted: the user is marked erased.
    const users = await sql<{ erased: boolean }>`SELECT erased_at IS NOT NULL AS erased FROM directory_users WHERE user_id = ${USER.id}`.execute(db);
    expect(users.rows).toEqual([{ erased: true }]);

    const verified = await h.cli('verify', ...h.cliArgs);
    expect(verified.code, verified.err).toBe(0);
    expect(verified.out).toMatch(/^OK: /);
    expect(spendOf(events)).toBe(costBefore.spend);
    expect(await costRows()).toBe(costBefore.rows);
  });
});
