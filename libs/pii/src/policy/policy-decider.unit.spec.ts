import { describe, expect, it } from 'vitest';
import { type PiiError } from '../errors.js';
import {
  emptyPiiPolicies,
  evolvePiiPolicies,
  foldPiiPolicies,
  policyOfScope,
  removePiiPolicy,
  setPiiPolicy,
  type PiiPolicyEventInput,
  type PiiPolicyState,
} from './policy-decider.js';
import { formatPolicyScope, scopeSpecificity } from './policy.js';
import { resolvePolicy } from './resolve-policy.js';

const time = '2026-03-01T10:00:00.000Z';
const teamPolicy = { policyId: 'pol-eng', scope: { team: 'eng' }, rules: { secrets: 'block', EMAIL: 'redact' } };

/** Given events, when a command is decided, then these events (or this error code). */
function given(events: readonly PiiPolicyEventInput[]): PiiPolicyState {
  return foldPiiPolicies(events);
}
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as PiiError).code;
  }
  return undefined;
}

describe('setPiiPolicy', () => {
  it('emits PiiPolicySet for a new policy, on the scope tenant or system', () => {
    expect(setPiiPolicy({ time, policy: teamPolicy }, emptyPiiPolicies())).toEqual([
      { type: 'PiiPolicySet', tenant: 'system', time, data: { policyId: 'pol-eng', scope: { team: 'eng' }, rules: { EMAIL: 'redact', secrets: 'block' } } },
    ]);
    const [tenantEvent] = setPiiPolicy({ time, policy: { policyId: 'pol-acme', scope: { model: 'gpt-4o', tenant: 'acme' }, rules: { '*': 'log' }, scanOutput: true } }, emptyPiiPolicies());
    expect(tenantEvent).toMatchObject({ tenant: 'acme', data: { scope: { tenant: 'acme', model: 'gpt-4o' }, scanOutput: true } });
  });

  it('emits nothing when the same policy is already in force, and an event when it changes', () => {
    const state = given(setPiiPolicy({ time, policy: teamPolicy }, emptyPiiPolicies()));
    expect(setPiiPolicy({ time, policy: { ...teamPolicy, rules: { EMAIL: 'redact', secrets: 'block' } } }, state)).toEqual([]);
    expect(setPiiPolicy({ time, policy: { ...teamPolicy, rules: { EMAIL: 'log' } } }, state)).toHaveLength(1);
    expect(setPiiPolicy({ time, policy: { ...teamPolicy, scanOutput: true } }, state)).toHaveLength(1);
  });

  it('refuses a second policy for the same scope', () => {
    const state = given(setPiiPolicy({ time, policy: teamPolicy }, emptyPiiPolicies()));
    expect(codeOf(() => setPiiPolicy({ time, policy: { ...teamPolicy, policyId: 'other' } }, state))).toBe('TOTRA_PII_POLICY_SCOPE_TAKEN');
  });

  it('honours expect new / existing', () => {
    const state = given(setPiiPolicy({ time, policy: teamPolicy }, emptyPiiPolicies()));
    expect(codeOf(() => setPiiPolicy({ time, policy: teamPolicy, expect: 'new' }, state))).toBe('TOTRA_PII_POLICY_EXISTS');
    expect(codeOf(() => setPiiPolicy({ time, policy: { ...teamPolicy, policyId: 'x', scope: { team: 'ops' } }, expect: 'existing' }, state))).toBe(
      'TOTRA_PII_POLICY_UNKNOWN',
    );
  });

  it.each([
    ['an unknown group', { ...teamPolicy, rules: { 'eu-xx': 'block' } }, 'rules'],
    ['an unknown action', { ...teamPolicy, rules: { EMAIL: 'shred' } }, 'rules.EMAIL'],
    ['an empty scope', { ...teamPolicy, scope: {} }, 'scope'],
    ['an unknown scope field', { ...teamPolicy, scope: { user: 'u1' } }, 'scope'],
    ['the reserved id', { ...teamPolicy, policyId: 'default' }, 'policyId'],
    ['a confidence above 1', { ...teamPolicy, minConfidence: 1.5 }, 'minConfidence'],
    ['nothing to set', { ...teamPolicy, rules: {} }, '(root)'],
  ])('refuses %s with TOTRA_PII_POLICY_INVALID naming the field', (_name, policy, path) => {
    try {
      setPiiPolicy({ time, policy }, emptyPiiPolicies());
      expect.unreachable();
    } catch (err) {
      const e = err as PiiError & { issues: { path: string }[] };
      expect(e.code).toBe('TOTRA_PII_POLICY_INVALID');
      expect(e.issues.map((i) => i.path)).toContain(path);
    }
  });

  it('refuses a command without a proper time', () => {
    expect(codeOf(() => setPiiPolicy({ time: '2026-03-01 10:00', policy: teamPolicy }, emptyPiiPolicies()))).toBe('TOTRA_PII_COMMAND_INVALID');
  });
});

describe('removePiiPolicy', () => {
  it('emits PiiPolicyRemoved with the scope, and the fold forgets the policy', () => {
    const state = given(setPiiPolicy({ time, policy: teamPolicy }, emptyPiiPolicies()));
    const events = removePiiPolicy({ time, policyId: 'pol-eng', reason: ' moved to tenant policy ' }, state);
    expect(events).toEqual([{ type: 'PiiPolicyRemoved', tenant: 'system', time, data: { policyId: 'pol-eng', scope: { team: 'eng' }, reason: 'moved to tenant policy' } }]);
    expect(foldPiiPolicies(events, state).policies.size).toBe(0);
  });

  it('refuses an unknown id', () => {
    expect(codeOf(() => removePiiPolicy({ time, policyId: 'nope' }, emptyPiiPolicies()))).toBe('TOTRA_PII_POLICY_UNKNOWN');
  });
});

describe('foldPiiPolicies', () => {
  it('replays set, replace and remove in order, skipping other event types', () => {
    const state = foldPiiPolicies([
      { type: 'PiiPolicySet', data: teamPolicy },
      { type: 'RequestCompleted', data: { whatever: true } },
      { type: 'PiiPolicySet', data: { policyId: 'pol-acme', scope: { tenant: 'acme' }, rules: { '*': 'log' } } },
      { type: 'PiiPolicySet', data: { ...teamPolicy, rules: { universal: 'allow' } } },
      { type: 'PiiPolicyRemoved', data: { policyId: 'pol-acme', scope: { tenant: 'acme' } } },
      { type: 'PiiPolicyRemoved', data: { policyId: 'never-set', scope: { tenant: 'acme' } } },
    ]);
    expect([...state.policies.keys()]).toEqual(['pol-eng']);
    expect(state.policies.get('pol-eng')?.rules).toEqual({ universal: 'allow' });
    expect(policyOfScope(state, { team: 'eng' })?.policyId).toBe('pol-eng');
    expect(resolvePolicy(state.policies.values(), { teamId: 'eng' }).actionFor('EMAIL')).toBe('allow');
  });

  it('skips rules for types this version does not know, and rejects malformed policy data', () => {
    const state = evolvePiiPolicies(emptyPiiPolicies(), { type: 'PiiPolicySet', data: { ...teamPolicy, rules: { EMAIL: 'log', FUTURE_TYPE: 'block' } } });
    expect(state.policies.get('pol-eng')?.rules).toEqual({ EMAIL: 'log' });
    expect(codeOf(() => evolvePiiPolicies(emptyPiiPolicies(), { type: 'PiiPolicySet', data: { policyId: 'x', rules: {} } }))).toBe('TOTRA_PII_POLICY_INVALID');
  });
});

describe('scopes', () => {
  it('orders specificity key > team+model > team > model > tenant', () => {
    const order = [{ key: 'k' }, { team: 't', model: 'm' }, { team: 't' }, { model: 'm' }, { tenant: 'a' }].map(scopeSpecificity);
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(new Set(order).size).toBe(order.length);
  });

  it('formats a scope the way the CLI reads it', () => {
    expect(formatPolicyScope({ model: 'gpt-4o', team: 'eng' })).toBe('team:eng+model:gpt-4o');
  });
});
