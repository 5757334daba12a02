import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsConnection } from '@nats-io/nats-core';
import { type Envelope } from '@totra/events';
import { readStream, streamState, type StreamOptions } from '@totra/eventlog';
import { hashApiKey } from '@totra/identity';
import { cli, openIsolatedLog, type IsolatedLog } from '../cli.test-kit.js';


describe('totra keys (real NATS)', () => {
  let nc: NatsConnection;
  let stream: StreamOptions;
  let log: string[];

  let iso: IsolatedLog;
  beforeAll(async () => {
    iso = await openIsolatedLog('clik');
    ({ nc, stream, args: log } = iso);
  });
  afterAll(() => iso.close());

  const keys = (...args: string[]) => cli('keys', ...args, ...log);
  const events = async (): Promise<Envelope[]> => {
    const out: Envelope[] = [];
    for await (const b of readStream(nc, stream)) out.push(...b.lines.map((l) => JSON.parse(l) as Envelope));
    return out;
  };
  const raw = async (): Promise<string> => {
    let text = '';
    for await (const b of readStream(nc, stream)) text += b.lines.join('\n');
    return text;
  };

  let issued: { key: string; keyId: string };

  it('issues a key: printed once, recorded only as its hash and prefix', async () => {
    const r = await keys('issue', '--user', 'u_4821', '--team', 't_payments', '--tenant', 'acme', '--name', 'billing batch', '--cidr', '10.0.0.0/8', '--cidr', '2001:DB8::/32', '--expires', '2099-01-31');
    expect(r.code, r.err).toBe(0);
    const m = /^key {5}(tt-[0-9A-Za-z]{40})\nkey id {2}(key_[0-9a-f]{32})\nprefix {2}(tt-[0-9A-Za-z]{5})…\n$/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const [, key, keyId, prefix] = m as unknown as [string, string, string, string];
    expect(key.startsWith(prefix)).toBe(true);
    expect(r.err).toMatch(/only time the key is shown/);
    issued = { key, keyId };

    const recorded = (await events()).filter((e) => e.type === 'ApiKeyIssued');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      tenant: 'acme',
      chain: expect.stringMatching(/^cli\./),
      data: {
        keyId,
        keyHash: hashApiKey(key),
        prefix,
        userId: 'u_4821',
        teamId: 't_payments',
        name: 'billing batch',
        cidrs: ['10.0.0.0/8', '2001:db8::/32'],
        expiresAt: '2099-01-31T00:00:00.000Z',
      },
    });
    expect(await raw()).not.toContain(key);
  });

  it('issues with --json for scripts', async () => {
    const r = await keys('issue', '--user', 'u_2', '--team', 't_2', '--json');
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as Record<string, unknown>;
    expect(out).toMatchObject({ key: expect.stringMatching(/^tt-/), keyId: expect.stringMatching(/^key_/), userId: 'u_2', teamId: 't_2', tenant: 'default', cidrs: [] });
    expect(out).not.toHaveProperty('keyHash');
  });

  it('lists keys with id, prefix, user, team and status, never the key or its hash', async () => {
    const r = await keys('list');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY ID\s+PREFIX\s+USER\s+TEAM\s+TENANT\s+STATUS\s+EXPIRES\s+NAME$/);
    const row = lines.find((l) => l.startsWith(issued.keyId));
    expect(row).toMatch(new RegExp(`^${issued.keyId}\\s+${issued.key.slice(0, 8)}…\\s+u_4821\\s+t_payments\\s+acme\\s+active\\s+2099-01-31T00:00:00.000Z\\s+billing batch$`));
    expect(r.out).not.toContain(issued.key);
    expect(r.out).not.toContain(hashApiKey(issued.key));
    const json = JSON.parse((await keys('list', '--json', '--tenant', 'acme')).out) as { keyId: string; status: string }[];
    expect(json.map((k) => [k.keyId, k.status])).toEqual([[issued.keyId, 'active']]);
  });

  it('revokes a key once; revoking again or an unknown key is refused', async () => {
    const r = await keys('revoke', issued.keyId, '--reason', 'leaked in a CI log');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`revoked ${issued.keyId} (${issued.key.slice(0, 8)}…, user u_4821, team t_payments)\n`);
    const revoked = (await events()).filter((e) => e.type === 'ApiKeyRevoked');
    expect(revoked).toMatchObject([{ tenant: 'acme', data: { keyId: issued.keyId, reason: 'leaked in a CI log' } }]);
    const listed = JSON.parse((await keys('list', '--json')).out) as { keyId: string; status: string }[];
    expect(listed.find((k) => k.keyId === issued.keyId)?.status).toBe('revoked');

    const again = await keys('revoke', issued.keyId);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already revoked/);
    const unknown = await keys('revoke', 'key_00000000000000000000000000000000');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no API key with id key_0{32}/);
    const malformed = await keys('revoke', 'tt-notanid');
    expect(malformed.code).toBe(2);
  });

  it.each<[string, string[], RegExp]>([
    ['a CIDR with host bits', ['--cidr', '10.0.0.1/8'], /"10\.0\.0\.1\/8" is not a valid CIDR block: host bits are set \(the network is 10\.0\.0\.0\/8\)/],
    ['a CIDR that is not one', ['--cidr', 'office'], /"office" is not a valid CIDR block/],
    ['an expiry in the past', ['--expires', '2001-01-01'], /--expires: 2001-01-01T00:00:00.000Z is not in the future/],
    ['an expiry that is no date', ['--expires', 'tomorrow'], /--expires: "tomorrow" is not an ISO 8601 date/],
    ['an email as user id', ['--user', 'jane@example.com'], /user "jane@example.com" is not a pseudonymous id/],
  ])('refuses %s with exit 2 and appends nothing', async (_name, args, message) => {
    const before = await streamState(nc, stream);
    const r = await keys('issue', '--user', 'u_1', '--team', 't_1', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect((await streamState(nc, stream)).lastSeq).toBe(before.lastSeq);
  });

  it('requires --user and --team', async () => {
    const r = await keys('issue', '--team', 't_1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/required option '--user <id>' not specified/);
  });
});
