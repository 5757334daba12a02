import { type ScannerOptions } from '../scanner/scanner.js';
import { PII_GROUPS, PII_TYPE_INFO, PII_TYPES, type PiiGroup, type PiiType } from '../types.js';
import { DEFAULT_POLICY_ID, type PiiAction, type PiiPolicy, type PiiPolicyScope, scopeSpecificity } from './policy.js';

/** The request a policy is resolved for. Absent fields match no policy that scopes on them. */
export interface PolicyContext {
  readonly tenant?: string;
  readonly teamId?: string;
  readonly keyId?: string;
  /** The model alias the caller asked for. */
  readonly model?: string;
}

/** The action for one type, and the policy that decided it (`default` for the built-in default). */
export interface PiiDecision {
  readonly action: PiiAction;
  readonly policyId: string;
}

/** What applies to one request: an action per type, output scanning, and the scanner to use. */
export interface EffectivePolicy {
  /** The policies that match the request, most specific first. */
  readonly policyIds: readonly string[];
  actionFor(type: PiiType): PiiAction;
  /** The action and the id of the policy that decided it. */
  decisionFor(type: PiiType): PiiDecision;
  /** Whether model output is scanned and redacted before it reaches the caller. */
  readonly scanOutput: boolean;
  /** Detections below this confidence are ignored (undefined: the scanner's default). */
  readonly minConfidence: number | undefined;
  /**
   * Whether content the scanner cannot read (documents, files, audio) may go to a provider
   * unscanned: as the most specific policy that says so decides; when none does, only if nothing
   * is scanned at all.
   */
  readonly allowUnscannable: boolean;
  /**
   * Options for `createScanner`: only the groups (and, where a group is partly allowed, the
   * types) whose action is not `allow`.
   */
  readonly scannerOptions: ScannerOptions;
  /** Equal for policies that need the same scanner: a key to cache scanners by. */
  readonly scannerKey: string;
  /** True when every type is allowed: nothing to scan. */
  readonly scansNothing: boolean;
}

/** The action of every type when no policy says otherwise. */
export const DEFAULT_PII_ACTION: PiiAction = 'pseudonymize';

function matches(scope: PiiPolicyScope, ctx: PolicyContext): boolean {
  return (
    (scope.tenant === undefined || scope.tenant === ctx.tenant) &&
    (scope.team === undefined || scope.team === ctx.teamId) &&
    (scope.key === undefined || scope.key === ctx.keyId) &&
    (scope.model === undefined || scope.model === ctx.model)
  );
}

/**
 * Resolves the policies that apply to one request. The most specific matching policy that has a
 * rule for a type decides it (key > team+model > team > tenant+model > model > tenant; see
 * `scopeSpecificity`); within one policy a rule for the type beats a rule for its group, which
 * beats `*`. A type no matching policy mentions gets the default, `pseudonymize`. `scanOutput`
 * and `minConfidence` come from the most specific policy that sets them. Pure.
 */
export function resolvePolicy(policies: Iterable<PiiPolicy>, ctx: PolicyContext): EffectivePolicy {
  const matching = [...policies]
    .filter((p) => matches(p.scope, ctx))
    .sort((a, b) => scopeSpecificity(b.scope) - scopeSpecificity(a.scope) || (a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0));

  const decisions = new Map<PiiType, PiiDecision>();
  for (const type of PII_TYPES) {
    const group = PII_TYPE_INFO[type].group;
    let decision: PiiDecision = { action: DEFAULT_PII_ACTION, policyId: DEFAULT_POLICY_ID };
    for (const p of matching) {
      const action = p.rules[type] ?? p.rules[group] ?? p.rules['*'];
      if (action !== undefined) {
        decision = { action, policyId: p.policyId };
        break;
      }
    }
    decisions.set(type, decision);
  }

  const scanOutput = matching.find((p) => p.scanOutput !== undefined)?.scanOutput ?? false;
  const minConfidence = matching.find((p) => p.minConfidence !== undefined)?.minConfidence;

  const scanned = PII_TYPES.filter((t) => decisions.get(t)!.action !== 'allow');
  const scannedSet = new Set(scanned);
  const groups = PII_GROUPS.filter((g) => scanned.some((t) => PII_TYPE_INFO[t].group === g));
  const partial = PII_TYPES.some((t) => !scannedSet.has(t) && groups.includes(PII_TYPE_INFO[t].group as PiiGroup));
  const scannerOptions: ScannerOptions = {
    groups,
    ...(partial ? { types: scanned } : {}),
    ...(minConfidence !== undefined ? { minConfidence } : {}),
  };
  const scannerKey = `${groups.join(',')}|${partial ? scanned.join(',') : '*'}|${minConfidence ?? ''}`;

  return {
    policyIds: matching.map((p) => p.policyId),
    actionFor: (type) => (decisions.get(type) ?? { action: DEFAULT_PII_ACTION }).action,
    decisionFor: (type) => decisions.get(type) ?? { action: DEFAULT_PII_ACTION, policyId: DEFAULT_POLICY_ID },
    scanOutput,
    minConfidence,
    scannerOptions,
    scannerKey,
    scansNothing: scanned.length === 0,
    allowUnscannable: matching.find((p) => p.allowUnscannable !== undefined)?.allowUnscannable ?? scanned.length === 0,
  };
}
