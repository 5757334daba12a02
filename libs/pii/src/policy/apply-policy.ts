import { InvalidSpanError } from '../errors.js';
import { type PiiScanner } from '../scanner/scanner.js';
import { type SpanLike } from '../transform/spans.js';
import { type PiiVault } from '../transform/vault.js';
import { PII_TYPE_INFO, type PiiGroup, type PiiType } from '../types.js';
import { type PiiAction } from './policy.js';
import { type EffectivePolicy } from './resolve-policy.js';

/** Request text goes to the model; response text comes back from it. */
export type PiiDirection = 'request' | 'response';

/** An action that leaves a trace (everything but `allow`). */
export type PiiAppliedAction = Exclude<PiiAction, 'allow'>;

/** How many findings of one type got one action from one policy. Never the values. */
export interface PiiCount {
  readonly type: PiiType;
  readonly group: PiiGroup;
  readonly action: PiiAppliedAction;
  readonly policyId: string;
  readonly count: number;
}

/** A span as `applyPolicy` takes it: scanner output, optionally with its confidence. */
export interface PolicySpan extends SpanLike {
  readonly confidence?: number;
}

export interface ApplyPolicyOptions {
  /**
   * `response` applies the policy to model output (when `scanOutput` is on): `block`,
   * `pseudonymize` and `redact` all become `redact` there, since the answer already exists and a
   * placeholder would mean nothing to the caller. Default `request`.
   */
  readonly direction?: PiiDirection;
}

/** Result of {@link applyPolicy}. */
export interface PolicyOutcome {
  /** The text to send on; the original text when blocked. */
  readonly text: string;
  /** The types whose action is `block`, sorted; undefined when nothing blocks. */
  readonly blocked: PiiType[] | undefined;
  /** Findings per type, action and policy, sorted by type then action. */
  readonly counts: readonly PiiCount[];
}

/** Result of {@link applyPolicyToTexts}. */
export interface TextsOutcome {
  /** The texts to send on, in the order given; the originals when blocked. */
  readonly texts: string[];
  readonly blocked: PiiType[] | undefined;
  /** Findings summed over every text. */
  readonly counts: readonly PiiCount[];
}

interface Step {
  start: number;
  end: number;
  type: PiiType;
  action: PiiAppliedAction;
}

interface Plan {
  steps: Step[];
  blocked: Set<PiiType>;
}

/** Strength of an action when two overlapping spans meet: the stronger one is applied to their union. */
const STRENGTH: Readonly<Record<PiiAppliedAction, number>> = { block: 4, redact: 3, pseudonymize: 2, log: 1 };

function outputAction(action: PiiAction): PiiAction {
  return action === 'allow' || action === 'log' ? action : 'redact';
}

class Tally {
  private readonly byKey = new Map<string, { type: PiiType; group: PiiGroup; action: PiiAppliedAction; policyId: string; count: number }>();
  add(type: PiiType, action: PiiAppliedAction, policyId: string, n = 1): void {
    const key = `${type}\u0000${action}\u0000${policyId}`;
    const c = this.byKey.get(key);
    if (c) c.count += n;
    else this.byKey.set(key, { type, group: PII_TYPE_INFO[type].group, action, policyId, count: n });
  }
  list(): PiiCount[] {
    return [...this.byKey.values()].sort(
      (a, b) => cmp(a.type, b.type) || STRENGTH[b.action] - STRENGTH[a.action] || cmp(a.policyId, b.policyId),
    );
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Decides an action per span (no text is built yet), counting findings and noting blocks. */
function plan(text: string, spans: readonly PolicySpan[], effective: EffectivePolicy, direction: PiiDirection, tally: Tally): Plan {
  const steps: Step[] = [];
  const blocked = new Set<PiiType>();
  const min = effective.minConfidence;
  let sorted = true;
  for (const s of spans) {
    if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end < s.start || s.end > text.length) {
      throw new InvalidSpanError(`span [${s.start}, ${s.end}) does not fit a text of length ${text.length}`);
    }
    if (s.end === s.start) continue;
    if (min !== undefined && s.confidence !== undefined && s.confidence < min) continue;
    const decision = effective.decisionFor(s.type);
    const action = direction === 'response' ? outputAction(decision.action) : decision.action;
    if (action === 'allow') continue;
    tally.add(s.type, action, decision.policyId);
    if (action === 'block') blocked.add(s.type);
    const last = steps[steps.length - 1];
    if (last !== undefined && s.start < last.start) sorted = false;
    steps.push({ start: s.start, end: s.end, type: s.type, action });
  }
  if (!sorted) steps.sort((a, b) => a.start - b.start || b.end - a.end);
  return { steps, blocked };
}

/** Builds the text in one pass; overlapping spans are merged and get the stronger action. */
function render(text: string, steps: readonly Step[], vault: PiiVault): string {
  if (steps.every((s) => s.action === 'log')) return text;
  const parts: string[] = [];
  let at = 0;
  let i = 0;
  while (i < steps.length) {
    const first = steps[i]!;
    let end = first.end;
    let action = first.action;
    for (i++; i < steps.length && steps[i]!.start < end; i++) {
      const next = steps[i]!;
      end = Math.max(end, next.end);
      if (STRENGTH[next.action] > STRENGTH[action]) action = next.action;
    }
    if (action === 'log') continue;
    parts.push(text.slice(at, first.start));
    parts.push(action === 'redact' || action === 'block' ? `[${first.type}]` : vault.placeholderFor(first.type, text.slice(first.start, end)));
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

const sortedTypes = (types: Set<PiiType>): PiiType[] | undefined => (types.size === 0 ? undefined : [...types].sort(cmp));

/**
 * Applies the effective policy to one text: each span gets its type's action (`redact` ->
 * `[EMAIL]`, `pseudonymize` -> `<EMAIL_1>` recorded in `vault`, `log` and `allow` -> kept).
 * Block wins: if any span's action is `block`, the text comes back unchanged with the blocked
 * types, and the vault is not touched. Spans below the policy's `minConfidence` are ignored.
 * Throws `InvalidSpanError` for a span outside the text. Pure apart from the vault.
 */
export function applyPolicy(
  text: string,
  spans: readonly PolicySpan[],
  effective: EffectivePolicy,
  vault: PiiVault,
  options: ApplyPolicyOptions = {},
): PolicyOutcome {
  const tally = new Tally();
  const p = plan(text, spans, effective, options.direction ?? 'request', tally);
  const blocked = sortedTypes(p.blocked);
  return { text: blocked ? text : render(text, p.steps, vault), blocked, counts: tally.list() };
}

/**
 * Scans and applies the policy to every text of one request (message texts, system prompt, tool
 * arguments, tool results), as one unit: if any text holds a blocked type, nothing is
 * transformed, the vault is not touched, and `blocked` lists the types of all texts. With
 * `mapRequestText`, collect the texts in visiting order, call this, then map each text to
 * `texts[i]` in the same order.
 */
export function applyPolicyToTexts(
  texts: readonly string[],
  scanner: PiiScanner,
  effective: EffectivePolicy,
  vault: PiiVault,
  options: ApplyPolicyOptions = {},
): TextsOutcome {
  const direction = options.direction ?? 'request';
  const tally = new Tally();
  const blockedAll = new Set<PiiType>();
  const plans: Plan[] = [];
  for (const text of texts) {
    const spans = effective.scansNothing ? [] : scanner.scan(text);
    const p = plan(text, spans, effective, direction, tally);
    for (const t of p.blocked) blockedAll.add(t);
    plans.push(p);
  }
  const blocked = sortedTypes(blockedAll);
  return {
    texts: blocked ? [...texts] : texts.map((t, i) => render(t, plans[i]!.steps, vault)),
    blocked,
    counts: tally.list(),
  };
}

/** Adds up counts of several outcomes (e.g. the request and the response), merging equal keys. */
export function mergeCounts(...lists: readonly (readonly PiiCount[])[]): PiiCount[] {
  const tally = new Tally();
  for (const list of lists) for (const c of list) tally.add(c.type, c.action, c.policyId, c.count);
  return tally.list();
}
