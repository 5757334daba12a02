import { z } from 'zod';
import { InvalidPiiCommandError, InvalidPiiPolicyError, PiiPolicyExistsError, PiiPolicyNotFoundError, PiiPolicyScopeTakenError } from '../errors.js';
import {
  PII_RULE_TARGETS,
  PiiActionSchema,
  PiiPolicyIdSchema,
  PiiPolicyScopeSchema,
  type PiiAction,
  type PiiPolicy,
  type PiiPolicyScope,
  type PiiRuleTarget,
  formatPolicyScope,
  normalizeScope,
  parsePiiPolicy,
  sameScope,
} from './policy.js';

/** Every PII policy in force, by id. Immutable: `evolvePiiPolicies` returns a new state. */
export interface PiiPolicyState {
  readonly policies: ReadonlyMap<string, PiiPolicy>;
}

// Type aliases rather than interfaces, so the data is assignable to an `EventInput`'s record.
/** Data of a `PiiPolicySet` event: the whole policy, replacing an earlier one of the same id. */
export type PiiPolicySetData = { readonly [K in keyof PiiPolicy]: PiiPolicy[K] };

/** Data of a `PiiPolicyRemoved` event. */
export type PiiPolicyRemovedData = {
  readonly policyId: string;
  /** The scope the removed policy had, so the event reads on its own. */
  readonly scope: PiiPolicyScope;
  readonly reason?: string;
};

/** The events PII policies are made of. */
export type PiiPolicyEvent = { readonly type: 'PiiPolicySet'; readonly data: PiiPolicySetData } | { readonly type: 'PiiPolicyRemoved'; readonly data: PiiPolicyRemovedData };

/** A policy event ready for `ChainWriter.append` (an `EventInput`). */
export type PiiPolicyEventInput = PiiPolicyEvent & { readonly tenant: string; readonly time: string };

/** Event types that change PII policies; a reader may skip every other type. */
export const PII_POLICY_EVENT_TYPES: readonly PiiPolicyEvent['type'][] = ['PiiPolicySet', 'PiiPolicyRemoved'];

/** Tenant recorded on events of policies whose scope names no tenant (installation-wide ones). */
export const PII_POLICY_SYSTEM_TENANT = 'system';

/** Every policy command carries the time of the decision: no hidden clock. */
interface PolicyCommandBase {
  /** RFC 3339 UTC with milliseconds, e.g. `new Date().toISOString()` at the edge. */
  readonly time: string;
}

export interface SetPiiPolicyCommand extends PolicyCommandBase {
  /** The whole policy; validated here (unknown groups, types and actions are refused). */
  readonly policy: unknown;
  /** `new`: the id must be free; `existing`: it must be set; `any` (default): add or replace. */
  readonly expect?: 'new' | 'existing' | 'any';
}

export interface RemovePiiPolicyCommand extends PolicyCommandBase {
  readonly policyId: string;
  readonly reason?: string;
}

const EventTime = z.iso.datetime({ precision: 3 });

/** No policies: every tenant gets the default (pseudonymize every group). */
export function emptyPiiPolicies(): PiiPolicyState {
  return { policies: new Map() };
}

function checkTime(time: string): void {
  if (!EventTime.safeParse(time).success) {
    throw new InvalidPiiCommandError('time must be an RFC 3339 UTC time with milliseconds, e.g. 2026-01-31T12:00:00.000Z');
  }
}

const tenantOf = (scope: PiiPolicyScope): string => scope.tenant ?? PII_POLICY_SYSTEM_TENANT;

function samePolicy(a: PiiPolicy, b: PiiPolicy): boolean {
  const rules = (p: PiiPolicy) => PII_RULE_TARGETS.map((t) => p.rules[t] ?? '').join(',');
  return sameScope(a.scope, b.scope) && rules(a) === rules(b) && a.scanOutput === b.scanOutput && a.minConfidence === b.minConfidence && a.allowUnscannable === b.allowUnscannable;
}

/**
 * Sets a policy (adds it, or replaces the one of the same id). Emits nothing when it is already
 * in force as given. Throws `TOTRA_PII_POLICY_INVALID` for a bad policy,
 * `TOTRA_PII_POLICY_SCOPE_TAKEN` when another policy has the same scope,
 * `TOTRA_PII_POLICY_EXISTS` / `TOTRA_PII_POLICY_UNKNOWN` when `expect` is not met, and
 * `TOTRA_PII_COMMAND_INVALID` for a bad time.
 */
export function setPiiPolicy(command: SetPiiPolicyCommand, state: PiiPolicyState): PiiPolicyEventInput[] {
  checkTime(command.time);
  const policy = parsePiiPolicy(command.policy);
  const current = state.policies.get(policy.policyId);
  const expect = command.expect ?? 'any';
  if (expect === 'new' && current) throw new PiiPolicyExistsError(policy.policyId);
  if (expect === 'existing' && !current) throw new PiiPolicyNotFoundError(policy.policyId);
  for (const other of state.policies.values()) {
    if (other.policyId !== policy.policyId && sameScope(other.scope, policy.scope)) {
      throw new PiiPolicyScopeTakenError(formatPolicyScope(policy.scope), other.policyId);
    }
  }
  if (current && samePolicy(current, policy)) return [];
  return [{ type: 'PiiPolicySet', tenant: tenantOf(policy.scope), time: command.time, data: policy }];
}

/** Removes a policy. Throws `TOTRA_PII_POLICY_UNKNOWN` for an id that is not set. */
export function removePiiPolicy(command: RemovePiiPolicyCommand, state: PiiPolicyState): PiiPolicyEventInput[] {
  checkTime(command.time);
  const current = state.policies.get(command.policyId);
  if (!current) throw new PiiPolicyNotFoundError(command.policyId);
  const reason = command.reason?.trim();
  if (reason !== undefined && reason.length > 500) throw new InvalidPiiCommandError('reason: at most 500 characters');
  return [
    {
      type: 'PiiPolicyRemoved',
      tenant: tenantOf(current.scope),
      time: command.time,
      data: { policyId: current.policyId, scope: current.scope, ...(reason ? { reason } : {}) },
    },
  ];
}

// Read leniently: a rule for a type this version does not know (written by a newer one, or
// for a type since retired) is skipped rather than making the whole log unreadable.
const StoredPolicySet = z.object({
  policyId: PiiPolicyIdSchema,
  scope: PiiPolicyScopeSchema,
  rules: z.record(z.string(), PiiActionSchema),
  scanOutput: z.boolean().optional(),
  minConfidence: z.number().min(0).max(1).optional(),
  allowUnscannable: z.boolean().optional(),
});
const StoredPolicyRemoved = z.object({ policyId: PiiPolicyIdSchema });
const KNOWN_TARGETS: ReadonlySet<string> = new Set(PII_RULE_TARGETS);

function invalid(type: string, error: z.ZodError): InvalidPiiPolicyError {
  const issues = error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  return new InvalidPiiPolicyError(`${type}: invalid data (${issues.map((i) => `${i.path}: ${i.message}`).join('; ')})`, issues, { cause: error });
}

/**
 * Applies one event. Events of other types leave the state as it is, so a whole stream can be
 * folded through it; removing an unknown id is a no-op. Throws `TOTRA_PII_POLICY_INVALID` for a
 * policy event whose data does not validate.
 */
export function evolvePiiPolicies(state: PiiPolicyState, event: { readonly type: string; readonly data: unknown }): PiiPolicyState {
  if (event.type === 'PiiPolicySet') {
    const parsed = StoredPolicySet.safeParse(event.data);
    if (!parsed.success) throw invalid(event.type, parsed.error);
    const d = parsed.data;
    const rules: Partial<Record<PiiRuleTarget, PiiAction>> = {};
    for (const [target, action] of Object.entries(d.rules)) if (KNOWN_TARGETS.has(target)) rules[target as PiiRuleTarget] = action;
    const policy: PiiPolicy = {
      policyId: d.policyId,
      scope: normalizeScope(d.scope),
      rules,
      ...(d.scanOutput !== undefined ? { scanOutput: d.scanOutput } : {}),
      ...(d.minConfidence !== undefined ? { minConfidence: d.minConfidence } : {}),
      ...(d.allowUnscannable !== undefined ? { allowUnscannable: d.allowUnscannable } : {}),
    };
    const policies = new Map(state.policies);
    policies.set(policy.policyId, policy);
    return { policies };
  }
  if (event.type === 'PiiPolicyRemoved') {
    const parsed = StoredPolicyRemoved.safeParse(event.data);
    if (!parsed.success) throw invalid(event.type, parsed.error);
    if (!state.policies.has(parsed.data.policyId)) return state;
    const policies = new Map(state.policies);
    policies.delete(parsed.data.policyId);
    return { policies };
  }
  return state;
}

/** Folds events (in log order) into the policies in force. */
export function foldPiiPolicies(events: Iterable<{ readonly type: string; readonly data: unknown }>, state: PiiPolicyState = emptyPiiPolicies()): PiiPolicyState {
  let s = state;
  for (const e of events) s = evolvePiiPolicies(s, e);
  return s;
}

/** The policy of exactly this scope, if one is set (e.g. to replace it under its own id). */
export function policyOfScope(state: PiiPolicyState, scope: PiiPolicyScope): PiiPolicy | undefined {
  for (const p of state.policies.values()) if (sameScope(p.scope, scope)) return p;
  return undefined;
}
