import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsConnection } from '@nats-io/nats-core';
import { type Envelope } from '@totra/events';
import { readStream, type StreamOptions } from '@totra/eventlog';
import { createTestDatabase, type TestDatabase } from '@totra/testing';
import { cli, openIsolatedLog, type IsolatedLog } from '../cli.test-kit.js';

describe('totra budgets / quota (real NATS)', () => {
  let nc: NatsConnection;
  let stream: StreamOptions;
  let log: string[];

  let iso: IsolatedLog;
  let database: TestDatabase;
  let dir: string;
  /** The key store (Postgres + keyring) that seals and opens quota request reasons. */
  let keys: string[];
  beforeAll(async () => {
    iso = await openIsolatedLog('clib');
    ({ nc, stream, args: log } = iso);
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'totra-clib-'));
    keys = ['--db', database.url, '--keyring', join(dir, 'keyring.json')];
  });
  afterAll(async () => {
    await iso.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = async (type: string): Promise<Envelope[]> => {
    const out: Envelope[] = [];
    for await (const b of readStream(nc, stream)) out.push(...b.lines.map((l) => JSON.parse(l) as Envelope));
    return out.filter((e) => e.type === type);
  };

  it('sets, lists and removes budgets; a quota request approved raises the budget', async () => {
    const set = await cli('budgets', 'set', '--team', 't_pay', '--tenant', 'acme', '--usd', '250.5', '--period', 'monthly', '--tz', 'europe/berlin', ...log);
    expect(set.code, set.err).toBe(0);
    expect(set.out).toBe('budget team.t_pay.monthly set: 250.50 USD monthly (Europe/Berlin)\n');
    expect((await events('BudgetSet'))[0]).toMatchObject({
      tenant: 'acme',
      data: { budgetId: 'team.t_pay.monthly', scope: { kind: 'team', id: 't_pay' }, limit: { microUsd: 250_500_000 }, period: 'monthly', timeZone: 'Europe/Berlin', thresholds: [50, 80, 100] },
    });
    expect((await cli('budgets', 'set', '--user', 'u_1', '--tokens', '100000', '--period', 'daily', '--model', 'gpt-4o', ...log)).code).toBe(0);
    const wide = await cli('budgets', 'set', '--tenant-wide', '--tenant', 'acme', '--tokens', '5000000', '--period', 'daily', ...log);
    expect(wide.code, wide.err).toBe(0);
    expect((await events('BudgetSet')).at(-1)).toMatchObject({ tenant: 'acme', data: { scope: { kind: 'tenant' }, limit: { tokens: 5_000_000 }, period: 'daily' } });
    expect((await cli('budgets', 'set', '--team', 't', '--user', 'u', '--usd', '1', ...log)).code).toBe(2);
    expect((await cli('budgets', 'set', '--team', 't', '--tenant-wide', '--usd', '1', ...log)).err).toMatch(/exactly one of/);
    expect((await cli('budgets', 'set', '--team', 't', '--usd', '1', '--tz', 'Mars/Base', ...log)).err).toMatch(/not an IANA time zone/);

    const list = await cli('budgets', 'list', ...log);
    expect(list.out).toContain('team.t_pay.monthly  team t_pay  250.50 USD monthly (Europe/Berlin)  alerts 50/80/100%');
    expect(list.out).toContain('user.u_1.daily.gpt-4o  user u_1 model gpt-4o  100000 tokens daily (UTC)');

    const req = await cli('quota', 'request', '--amount-usd', '50', '--reason', 'quarter-end batch', '--user', 'u_pay', '--budget', 'team.t_pay.monthly', '--tenant', 'acme', ...log, ...keys);
    expect(req.code, req.err).toBe(0);
    const id = req.out.trim();
    expect(id).toMatch(/^qr_[0-9a-f]{32}$/);
    expect((await cli('quota', 'request', '--amount-usd', '1', '--reason', 'x'.repeat(201), '--user', 'u_pay', ...log, ...keys)).code).toBe(2);
    // A reason is personal free text: sealed under the data key of whoever asks, so it needs them.
    const anonymous = await cli('quota', 'request', '--amount-usd', '1', '--reason', 'why not', ...log, ...keys);
    expect(anonymous.code).toBe(2);
    expect(anonymous.err).toMatch(/--reason needs --user/);

    // The reason is only in the sealed part, with the requester as subject; never in clear.
    const [requested, ...others] = await events('QuotaIncreaseRequested');
    expect(others).toHaveLength(0);
    expect(requested).toMatchObject({ v: 2, subject: 'u_pay', data: { quotaRequestId: id, requestedBy: 'u_pay' } });
    expect(requested?.sealed?.ct).toBeTruthy();
    expect(JSON.stringify(requested)).not.toContain('quarter-end');
    // Readers with the key store see it; others see that it is sealed.
    expect((await cli('quota', 'list', ...log, ...keys)).out).toBe(`${id}  pending  50.00 USD  budget team.t_pay.monthly  reason: quarter-end batch\n`);
    const asJson = JSON.parse((await cli('quota', 'list', '--json', ...log, ...keys)).out) as { reason?: string }[];
    expect(asJson[0]?.reason).toBe('quarter-end batch');
    const withoutStore = await cli('quota', 'list', ...log);
    expect(withoutStore.out).toBe(`${id}  pending  50.00 USD  budget team.t_pay.monthly  reason sealed\n`);
    const ok = await cli('quota', 'approve', id, ...log);
    expect(ok.out).toBe(`${id} approved: budget team.t_pay.monthly now 300.50 USD\n`);
    expect((await cli('quota', 'reject', id, ...log)).code).toBe(1); // decided already
    expect((await events('BudgetSet')).at(-1)?.data).toMatchObject({ budgetId: 'team.t_pay.monthly', limit: { microUsd: 300_500_000 } });

    expect((await cli('budgets', 'remove', 'user.u_1.daily.gpt-4o', ...log)).code).toBe(0);
    expect((await cli('budgets', 'list', ...log)).out).not.toContain('user.u_1');
    expect((await cli('budgets', 'remove', 'nope', ...log)).code).toBe(1);
  });
});
