import { describe, expect, it } from 'vitest';
import { PII_GROUPS, PII_TYPE_INFO, PII_TYPES } from '../types.js';
import { type PiiPolicy } from './policy.js';
import { resolvePolicy, type PolicyContext } from './resolve-policy.js';

const policy = (policyId: string, scope: PiiPolicy['scope'], rules: PiiPolicy['rules'], extra: Partial<PiiPolicy> = {}): PiiPolicy => ({
  policyId,
  scope,
  rules,
  ...extra,
});

describe('resolvePolicy: the default', () => {
  it('pseudonymizes every type of every group when the tenant has no policy', () => {
    const effective = resolvePolicy([], { tenant: 'acme', teamId: 'eng', keyId: 'key_1', model: 'gpt-4o' });
    for (const type of PII_TYPES) expect(effective.decisionFor(type)).toEqual({ action: 'pseudonymize', policyId: 'default' });
    expect(effective.policyIds).toEqual([]);
    expect(effective.scanOutput).toBe(false);
    expect(effective.minConfidence).toBeUndefined();
    expect(effective.scannerOptions).toEqual({ groups: [...PII_GROUPS] });
    expect(effective.scansNothing).toBe(false);
  });

  it('uses the default for types a matching policy does not mention', () => {
    const effective = resolvePolicy([policy('p-t', { tenant: 'acme' }, { secrets: 'block' })], { tenant: 'acme' });
    expect(effective.decisionFor('OPENAI_API_KEY')).toEqual({ action: 'block', policyId: 'p-t' });
    expect(effective.decisionFor('EMAIL')).toEqual({ action: 'pseudonymize', policyId: 'default' });
  });
});

describe('resolvePolicy: most specific wins', () => {
  // Each level sets a different action for the universal group, so the winner is visible.
  const levels: PiiPolicy[] = [
    policy('p-tenant', { tenant: 'acme' }, { universal: 'log' }),
    policy('p-model', { model: 'gpt-4o' }, { universal: 'redact' }),
    policy('p-team', { team: 'eng' }, { universal: 'block' }),
    policy('p-team-model', { team: 'eng', model: 'gpt-4o' }, { universal: 'allow' }),
    policy('p-key', { key: 'key_1' }, { universal: 'pseudonymize' }),
  ];
  const cases: [string, PolicyContext, string][] = [
    ['tenant only', { tenant: 'acme', teamId: 'ops', keyId: 'key_9', model: 'claude' }, 'p-tenant'],
    ['model over tenant', { tenant: 'acme', teamId: 'ops', keyId: 'key_9', model: 'gpt-4o' }, 'p-model'],
    ['team over model', { tenant: 'acme', teamId: 'eng', keyId: 'key_9', model: 'claude' }, 'p-team'],
    ['team+model over team', { tenant: 'acme', teamId: 'eng', keyId: 'key_9', model: 'gpt-4o' }, 'p-team-model'],
    ['key over team+model', { tenant: 'acme', teamId: 'eng', keyId: 'key_1', model: 'gpt-4o' }, 'p-key'],
    ['default when nothing matches', { tenant: 'other', teamId: 'ops', keyId: 'key_9', model: 'claude' }, 'default'],
  ];

  it.each(cases)('%s', (_name, ctx, winner) => {
    for (const order of [levels, [...levels].reverse()]) {
      const effective = resolvePolicy(order, ctx);
      expect(effective.decisionFor('IBAN').policyId).toBe(winner);
      const expected = winner === 'default' ? 'pseudonymize' : levels.find((p) => p.policyId === winner)!.rules.universal;
      expect(effective.actionFor('IBAN')).toBe(expected);
    }
  });

  it('lists the matching policies most specific first', () => {
    expect(resolvePolicy(levels, { tenant: 'acme', teamId: 'eng', keyId: 'key_1', model: 'gpt-4o' }).policyIds).toEqual([
      'p-key',
      'p-team-model',
      'p-team',
      'p-model',
      'p-tenant',
    ]);
  });

  it('requires every scoped field to match (a tenant+model policy does not apply to another tenant)', () => {
    const p = [policy('p-tm', { tenant: 'acme', model: 'gpt-4o' }, { '*': 'block' }), policy('p-m', { model: 'gpt-4o' }, { '*': 'log' })];
    expect(resolvePolicy(p, { tenant: 'acme', model: 'gpt-4o' }).actionFor('EMAIL')).toBe('block');
    expect(resolvePolicy(p, { tenant: 'globex', model: 'gpt-4o' }).actionFor('EMAIL')).toBe('log');
    expect(resolvePolicy(p, { model: 'gpt-4o' }).actionFor('EMAIL')).toBe('log');
  });

  it('falls through to a less specific policy for the types the more specific one leaves out', () => {
    const p = [policy('p-key', { key: 'key_1' }, { secrets: 'block' }), policy('p-team', { team: 'eng' }, { universal: 'redact', secrets: 'log' })];
    const effective = resolvePolicy(p, { teamId: 'eng', keyId: 'key_1' });
    expect(effective.decisionFor('GITHUB_TOKEN')).toEqual({ action: 'block', policyId: 'p-key' });
    expect(effective.decisionFor('EMAIL')).toEqual({ action: 'redact', policyId: 'p-team' });
    expect(effective.decisionFor('DE_TAX_ID')).toEqual({ action: 'pseudonymize', policyId: 'default' });
  });
});

describe('resolvePolicy: per type, then per group, then *', () => {
  it('prefers a rule for the type over one for its group over *, within a policy', () => {
    const effective = resolvePolicy([policy('p', { tenant: 'acme' }, { '*': 'log', universal: 'redact', EMAIL: 'allow' })], { tenant: 'acme' });
    expect(effective.actionFor('EMAIL')).toBe('allow');
    expect(effective.actionFor('IBAN')).toBe('redact');
    expect(effective.actionFor('US_SSN')).toBe('log');
  });

  it('lets a more specific policy with only a group rule override a less specific type rule', () => {
    const p = [policy('p-tenant', { tenant: 'acme' }, { EMAIL: 'block' }), policy('p-team', { team: 'eng' }, { universal: 'log' })];
    expect(resolvePolicy(p, { tenant: 'acme', teamId: 'eng' }).decisionFor('EMAIL')).toEqual({ action: 'log', policyId: 'p-team' });
    expect(resolvePolicy(p, { tenant: 'acme', teamId: 'ops' }).decisionFor('EMAIL')).toEqual({ action: 'block', policyId: 'p-tenant' });
  });
});

describe('resolvePolicy: content the scanner cannot read', () => {
  const who: PolicyContext = { tenant: 'acme', teamId: 'legal', keyId: 'key_1', model: 'claude-sonnet-4-5' };

  it('is refused by default, and by a policy that says nothing of it', () => {
    expect(resolvePolicy([], who).allowUnscannable).toBe(false);
    expect(resolvePolicy([policy('p-t', { tenant: 'acme' }, { secrets: 'block' })], who).allowUnscannable).toBe(false);
  });

  it('follows the most specific policy that says so, either way', () => {
    const tenantAllows = policy('p-t', { tenant: 'acme' }, {}, { allowUnscannable: true });
    expect(resolvePolicy([tenantAllows], who).allowUnscannable).toBe(true);
    expect(resolvePolicy([tenantAllows, policy('p-team', { team: 'legal' }, { secrets: 'block' }, { allowUnscannable: false })], who).allowUnscannable).toBe(false);
    expect(resolvePolicy([tenantAllows, policy('p-team', { team: 'legal' }, { secrets: 'block' })], who).allowUnscannable).toBe(true);
    expect(resolvePolicy([tenantAllows], { ...who, tenant: 'other' }).allowUnscannable).toBe(false);
  });

  it('is sent where nothing is scanned at all, unless a policy refuses it', () => {
    expect(resolvePolicy([policy('p-t', { tenant: 'acme' }, { '*': 'allow' })], who).allowUnscannable).toBe(true);
    expect(resolvePolicy([policy('p-t', { tenant: 'acme' }, { '*': 'allow' }, { allowUnscannable: false })], who).allowUnscannable).toBe(false);
  });
});

describe('resolvePolicy: scanner options, scanOutput, minConfidence', () => {
  it('skips groups whose every type is allowed, and names the types of a partly allowed group', () => {
    const effective = resolvePolicy([policy('p', { tenant: 'acme' }, { names: 'allow', zh: 'allow', universal: 'redact', PHONE_NUMBER: 'allow' })], { tenant: 'acme' });
    const groups = effective.scannerOptions.groups ?? [];
    expect(groups).not.toContain('names');
    expect(groups).not.toContain('zh');
    expect(groups).toContain('universal');
    expect(groups).toContain('eu-de');
    const types = effective.scannerOptions.types ?? [];
    expect(types).toContain('EMAIL');
    expect(types).not.toContain('PHONE_NUMBER');
    expect(types).not.toContain('CN_RESIDENT_ID');
    expect(types.length).toBe(PII_TYPES.filter((t) => !['names', 'zh'].includes(PII_TYPE_INFO[t].group) && t !== 'PHONE_NUMBER').length);
  });

  it('scans nothing when everything is allowed', () => {
    const effective = resolvePolicy([policy('p', { team: 'eng' }, { '*': 'allow' })], { teamId: 'eng' });
    expect(effective.scansNothing).toBe(true);
    expect(effective.scannerOptions.groups).toEqual([]);
  });

  it('takes scanOutput and minConfidence from the most specific policy that sets them', () => {
    const p = [
      policy('p-tenant', { tenant: 'acme' }, { secrets: 'block' }, { scanOutput: true, minConfidence: 0.9 }),
      policy('p-team', { team: 'eng' }, { universal: 'redact' }, { minConfidence: 0.7 }),
      policy('p-key', { key: 'key_1' }, { universal: 'log' }, { scanOutput: false }),
    ];
    const team = resolvePolicy(p, { tenant: 'acme', teamId: 'eng' });
    expect(team.scanOutput).toBe(true);
    expect(team.minConfidence).toBe(0.7);
    expect(team.scannerOptions.minConfidence).toBe(0.7);
    const key = resolvePolicy(p, { tenant: 'acme', teamId: 'eng', keyId: 'key_1' });
    expect(key.scanOutput).toBe(false);
    expect(key.minConfidence).toBe(0.7);
  });

  it('gives equal scanner keys to policies that need the same scanner, and different ones otherwise', () => {
    const a = resolvePolicy([policy('a', { team: 'x' }, { names: 'allow', EMAIL: 'block' })], { teamId: 'x' });
    const b = resolvePolicy([policy('b', { team: 'y' }, { names: 'allow', universal: 'log' })], { teamId: 'y' });
    const c = resolvePolicy([policy('c', { team: 'z' }, { EMAIL: 'allow' })], { teamId: 'z' });
    expect(a.scannerKey).toBe(b.scannerKey);
    expect(c.scannerKey).not.toBe(a.scannerKey);
    expect(resolvePolicy([], {}).scannerKey).not.toBe(c.scannerKey);
  });
});
