import { z } from 'zod';
import { InvalidPiiPolicyError } from '../errors.js';
import { PII_GROUPS, PII_TYPES, type PiiGroup, type PiiType } from '../types.js';

/**
 * What the gateway does with a finding: refuse the request (`block`, 422), replace the value by
 * its type label (`redact`, `[EMAIL]`), replace it by a placeholder that is restored in the
 * answer (`pseudonymize`, `<EMAIL_1>`), only record it (`log`), or not even look (`allow`).
 */
export const PII_ACTIONS = ['block', 'redact', 'pseudonymize', 'log', 'allow'] as const;
export type PiiAction = (typeof PII_ACTIONS)[number];
export const PiiActionSchema = z.enum(PII_ACTIONS);

/** What a rule applies to: one type (`EMAIL`), one group (`secrets`), or `*` (every type). */
export type PiiRuleTarget = PiiType | PiiGroup | '*';
/** Every valid rule target: the types, the groups and `*`. */
export const PII_RULE_TARGETS: readonly PiiRuleTarget[] = [...PII_TYPES, ...PII_GROUPS, '*'];
export const PiiRuleTargetSchema = z.enum(PII_RULE_TARGETS as [PiiRuleTarget, ...PiiRuleTarget[]]);

/**
 * Who a policy applies to. Every field that is set must equal the request's; at least one is
 * set. A `{team, model}` policy applies to that team's requests for that model alias only.
 * Ids are pseudonymous (never an email or a name).
 */
export interface PiiPolicyScope {
  readonly tenant?: string;
  readonly team?: string;
  /** An API key id (`key_...`). */
  readonly key?: string;
  /** A model alias as callers name it (`gpt-4o`). */
  readonly model?: string;
}

/**
 * A PII policy: an action per type or group for the requests its scope covers. A policy may
 * leave types out: those fall through to the next, less specific policy (see `resolvePolicy`).
 */
export interface PiiPolicy {
  readonly policyId: string;
  readonly scope: PiiPolicyScope;
  /** Action per type, per group, or for every type (`*`); a type rule beats a group rule beats `*`. */
  readonly rules: Readonly<Partial<Record<PiiRuleTarget, PiiAction>>>;
  /** Also scan model output and redact findings before they reach the caller (absent: inherit). */
  readonly scanOutput?: boolean;
  /** Ignore detections below this confidence (absent: inherit; the scanner's default is 0.5). */
  readonly minConfidence?: number;
  /** Send content the scanner cannot read (documents, files, audio) unscanned (absent: inherit). */
  readonly allowUnscannable?: boolean;
}

/** The policy id that stands for the built-in default (pseudonymize every group); no policy may take it. */
export const DEFAULT_POLICY_ID = 'default';

const PseudonymousId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'an id of letters, digits and _ . - (at most 128)');
const KeyId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'a key id of letters, digits and _ . - (at most 100)');
const ModelAlias = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/, 'a model alias: letters, digits and . _ : / @ + - (at most 200)');

/** Policy ids: letters, digits and `_ . -`, at most 64 characters. */
export const PiiPolicyIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a policy id of letters, digits and _ . - (at most 64)');

export const PiiPolicyScopeSchema = z
  .object({ tenant: PseudonymousId.optional(), team: PseudonymousId.optional(), key: KeyId.optional(), model: ModelAlias.optional() })
  .strict()
  .refine((s) => s.tenant !== undefined || s.team !== undefined || s.key !== undefined || s.model !== undefined, {
    message: 'a scope names at least one of tenant, team, key, model',
  });

/** zod schema of a policy document (for policies read at the edge: CLI, admin API, files). */
export const PiiPolicySchema = z
  .object({
    policyId: PiiPolicyIdSchema.refine((id) => id !== DEFAULT_POLICY_ID, { message: `"${DEFAULT_POLICY_ID}" is reserved for the built-in default` }),
    scope: PiiPolicyScopeSchema,
    rules: z.partialRecord(PiiRuleTargetSchema, PiiActionSchema),
    scanOutput: z.boolean().optional(),
    minConfidence: z.number().min(0).max(1).optional(),
    allowUnscannable: z.boolean().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p.rules).length > 0 || p.scanOutput !== undefined || p.minConfidence !== undefined || p.allowUnscannable !== undefined, {
    message: 'a policy sets at least one rule, scanOutput, minConfidence or allowUnscannable',
  });

const SCOPE_FIELDS = ['tenant', 'team', 'key', 'model'] as const;

/**
 * How specific a scope is; higher wins. key > team > model > tenant, combined as bits, so
 * key > team+model > team > tenant+model > model > tenant.
 */
export function scopeSpecificity(scope: PiiPolicyScope): number {
  return (scope.key !== undefined ? 8 : 0) + (scope.team !== undefined ? 4 : 0) + (scope.model !== undefined ? 2 : 0) + (scope.tenant !== undefined ? 1 : 0);
}

/** `team:eng+model:gpt-4o`: a scope as people write it (and the CLI's `--scope` reads it). */
export function formatPolicyScope(scope: PiiPolicyScope): string {
  return SCOPE_FIELDS.filter((f) => scope[f] !== undefined)
    .map((f) => `${f}:${scope[f]}`)
    .join('+');
}

/** Whether two scopes name exactly the same requests. */
export function sameScope(a: PiiPolicyScope, b: PiiPolicyScope): boolean {
  return SCOPE_FIELDS.every((f) => a[f] === b[f]);
}

/** A scope with only its set fields, in a fixed order (so equal scopes serialise equally). */
export function normalizeScope(scope: PiiPolicyScope): PiiPolicyScope {
  const out: { -readonly [K in keyof PiiPolicyScope]: PiiPolicyScope[K] } = {};
  for (const f of SCOPE_FIELDS) if (scope[f] !== undefined) out[f] = scope[f];
  return out;
}

/**
 * Validates and normalises a policy document (rules in a stable order, unset fields dropped).
 * Throws {@link InvalidPiiPolicyError} naming every bad field.
 */
export function parsePiiPolicy(input: unknown): PiiPolicy {
  const parsed = PiiPolicySchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    throw new InvalidPiiPolicyError(`invalid PII policy: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues, { cause: parsed.error });
  }
  const p = parsed.data;
  const rules: Partial<Record<PiiRuleTarget, PiiAction>> = {};
  for (const target of PII_RULE_TARGETS) {
    const action = p.rules[target];
    if (action !== undefined) rules[target] = action;
  }
  return {
    policyId: p.policyId,
    scope: normalizeScope(p.scope),
    rules,
    ...(p.scanOutput !== undefined ? { scanOutput: p.scanOutput } : {}),
    ...(p.minConfidence !== undefined ? { minConfidence: p.minConfidence } : {}),
    ...(p.allowUnscannable !== undefined ? { allowUnscannable: p.allowUnscannable } : {}),
  };
}
