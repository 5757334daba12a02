import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsConnection } from '@nats-io/nats-core';
import { type Envelope } from '@totra/events';
import { readStream, type StreamOptions } from '@totra/eventlog';
import { type PiiPolicy } from '@totra/pii';
import { cli, openIsolatedLog, type IsolatedLog } from '../cli.test-kit.js';


describe('totra pii policy (against a real stream)', () => {
  let nc: NatsConnection;
  let stream: StreamOptions;
  let log: string[];

  let iso: IsolatedLog;
  beforeAll(async () => {
    iso = await openIsolatedLog('clip');
    ({ nc, stream, args: log } = iso);
  });
  afterAll(() => iso.close());

  const policy = (...args: string[]) => cli('pii', 'policy', ...args, ...log);
  const list = async (): Promise<PiiPolicy[]> => {
    const r = await policy('list', '--json');
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as PiiPolicy[];
  };
  const policyEvents = async (): Promise<Envelope[]> => {
    const events: Envelope[] = [];
    for await (const b of readStream(nc, stream)) for (const l of b.lines) events.push(JSON.parse(l) as Envelope);
    return events.filter((e) => e.type.startsWith('PiiPolicy'));
  };

  it('starts with no policy', async () => {
    expect(await list()).toEqual([]);
    expect((await policy('list')).out).toMatch(/no PII policies: every request gets the default \(pseudonymize every group\)/);
  });

  it('sets, replaces, lists, resolves and removes policies, as events on the chain', async () => {
    const set = await policy('set', '--scope', 'team:eng', '--action', 'secrets=block', '--action', 'EMAIL=redact', '--scan-output');
    expect(set.code, set.err).toBe(0);
    expect(set.out).toMatch(/^set PII policy pol_[0-9a-f]{12} for team:eng: EMAIL=redact secrets=block; output scanned\n$/);
    const id = /pol_[0-9a-f]{12}/.exec(set.out)![0];

    const combined = await policy('set', '--scope', 'team:eng', '--scope', 'model:gpt-4o', '--action', '*=log', '--id', 'eng-gpt');
    expect(combined.code, combined.err).toBe(0);
    const tenant = await policy('set', '--scope', 'tenant:acme', '--action', 'universal=allow', '--min-confidence', '0.8');
    expect(tenant.code, tenant.err).toBe(0);

    expect(await list()).toEqual([
      expect.objectContaining({ scope: { tenant: 'acme' }, rules: { universal: 'allow' }, minConfidence: 0.8 }),
      { policyId: id, scope: { team: 'eng' }, rules: { EMAIL: 'redact', secrets: 'block' }, scanOutput: true },
      { policyId: 'eng-gpt', scope: { team: 'eng', model: 'gpt-4o' }, rules: { '*': 'log' } },
    ]);
    const table = (await policy('list')).out;
    expect(table).toMatch(/^POLICY\s+SCOPE\s+RULES\s+OUTPUT\s+MIN-CONF\s+UNSCANNABLE\n/);
    expect(table).toContain('team:eng+model:gpt-4o');

    // Setting the same scope again replaces its policy under the same id; an identical one is a no-op.
    const replaced = await policy('set', '--scope', 'team:eng', '--action', 'secrets=block');
    expect(replaced.out).toContain(`set PII policy ${id} for team:eng: secrets=block`);
    const again = await policy('set', '--scope', 'team:eng', '--action', 'secrets=block');
    expect(again.out).toContain(`PII policy ${id} for team:eng is already in force`);
    const taken = await policy('set', '--scope', 'team:eng', '--action', 'EMAIL=log', '--id', 'someone-else');
    expect(taken.code).toBe(2);
    expect(taken.err).toMatch(/scope team:eng already has PII policy "pol_/);

    const resolved = JSON.parse((await policy('resolve', '--tenant', 'acme', '--team', 'eng', '--model', 'gpt-4o', '--json')).out) as {
      policyIds: string[];
      minConfidence: number | null;
      types: { type: string; action: string; policyId: string }[];
    };
    expect(resolved.policyIds).toEqual(['eng-gpt', id, expect.stringMatching(/^pol_/)]);
    expect(resolved.minConfidence).toBe(0.8);
    expect(resolved.types.find((t) => t.type === 'EMAIL')).toMatchObject({ action: 'log', policyId: 'eng-gpt' });
    const human = await policy('resolve', '--team', 'eng');
    expect(human.out).toMatch(/^secrets\s+block\s+\(pol_/m);
    expect(human.out).toMatch(/^universal\s+pseudonymize\s+\(default\)/m);

    const noOutput = await policy('set', '--scope', 'key:key_1', '--no-scan-output', '--id', 'key-1');
    expect(noOutput.code, noOutput.err).toBe(0);
    expect((await list()).find((p) => p.policyId === 'key-1')).toEqual({ policyId: 'key-1', scope: { key: 'key_1' }, rules: {}, scanOutput: false });

    const removed = await policy('remove', 'eng-gpt', '--reason', 'not needed');
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toBe('removed PII policy eng-gpt (team:eng+model:gpt-4o)\n');
    expect((await list()).map((p) => p.policyId)).not.toContain('eng-gpt');
    const unknown = await policy('remove', 'eng-gpt');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^totra: no PII policy "eng-gpt"/);

    const events = await policyEvents();
    expect(events.map((e) => e.type)).toEqual(['PiiPolicySet', 'PiiPolicySet', 'PiiPolicySet', 'PiiPolicySet', 'PiiPolicySet', 'PiiPolicyRemoved']);
    expect(events[2]).toMatchObject({ tenant: 'acme', data: { scope: { tenant: 'acme' } } });
    expect(events[0]).toMatchObject({ tenant: 'system', chain: expect.stringMatching(/^cli\./) });
    expect(events[5]?.data).toEqual({ policyId: 'eng-gpt', scope: { team: 'eng', model: 'gpt-4o' }, reason: 'not needed' });
  });

  it('exits 2 with a clear message when NATS is unreachable', async () => {
    const r = await cli('pii', 'policy', 'list', '--nats', 'nats://127.0.0.1:1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });

  it('allows content the scanner cannot read for a scope, in the event and the listing', async () => {
    const documents = await policy('set', '--scope', 'model:claude-sonnet-4-5', '--allow-unscannable');
    expect(documents.out).toMatch(/^set PII policy pol_[0-9a-f]{12} for model:claude-sonnet-4-5: \(no rules\); unscannable content allowed\n$/);
    expect(await list()).toContainEqual(expect.objectContaining({ scope: { model: 'claude-sonnet-4-5' }, rules: {}, allowUnscannable: true }));
    expect((await policy('list')).out).toMatch(/model:claude-sonnet-4-5\s+-\s+-\s+-\s+allow\n/);
    const resolved = await policy('resolve', '--tenant', 'acme', '--model', 'claude-sonnet-4-5');
    expect(resolved.out).toContain('unscannable content: sent');
    expect((await policy('resolve', '--tenant', 'acme', '--model', 'gpt-4o')).out).toContain('unscannable content: refused');
  });
});
