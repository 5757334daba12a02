export {
  PII_GROUPS,
  PII_TYPES,
  PII_TYPE_INFO,
  README_ROW_OF_GROUP,
  PiiGroupSchema,
  PiiTypeSchema,
  groupOfType,
  type PiiEvidence,
  type PiiGroup,
  type PiiSpan,
  type PiiType,
  type ReadmeRow,
} from './types.js';
export { createScanner, type PiiScanner, type ScannerOptions } from './scanner/scanner.js';
export { redact } from './transform/redact.js';
export { pseudonymize, restore, createStreamRestorer, type StreamRestorer } from './transform/pseudonymize.js';
export { PiiVault, createVault } from './transform/vault.js';
export { type SpanLike } from './transform/spans.js';
export {
  InvalidPiiCommandError,
  InvalidPiiPolicyError,
  InvalidScannerOptionsError,
  InvalidSpanError,
  OutputHeldTooLongError,
  PiiError,
  PiiPolicyExistsError,
  PiiPolicyNotFoundError,
  PiiPolicyScopeTakenError,
  StreamClosedError,
  type PolicyIssue,
} from './errors.js';
export * as validators from './validators/index.js';
export { generateCorpus, type CorpusDoc, type CorpusOptions, type LabelledSpan } from './corpus/corpus.js';
export { type Lang } from './corpus/templates.js';
export { Rng } from './corpus/prng.js';
export { evaluate, type EvaluationReport, type Score } from './eval/evaluate.js';
export {
  DEFAULT_POLICY_ID,
  PII_ACTIONS,
  PII_RULE_TARGETS,
  PiiActionSchema,
  PiiPolicyIdSchema,
  PiiPolicySchema,
  PiiPolicyScopeSchema,
  PiiRuleTargetSchema,
  formatPolicyScope,
  parsePiiPolicy,
  sameScope,
  scopeSpecificity,
  type PiiAction,
  type PiiPolicy,
  type PiiPolicyScope,
  type PiiRuleTarget,
} from './policy/policy.js';
export { DEFAULT_PII_ACTION, resolvePolicy, type EffectivePolicy, type PiiDecision, type PolicyContext } from './policy/resolve-policy.js';
export {
  applyPolicy,
  applyPolicyToTexts,
  mergeCounts,
  type ApplyPolicyOptions,
  type PiiAppliedAction,
  type PiiCount,
  type PiiDirection,
  type PolicyOutcome,
  type PolicySpan,
  type TextsOutcome,
} from './policy/apply-policy.js';
export { piiEventsFor, type PiiBlockedData, type PiiFindingEvent, type PiiRedactedData, type PiiTypeCount } from './policy/pii-events.js';
export {
  PII_POLICY_EVENT_TYPES,
  PII_POLICY_SYSTEM_TENANT,
  emptyPiiPolicies,
  evolvePiiPolicies,
  foldPiiPolicies,
  policyOfScope,
  removePiiPolicy,
  setPiiPolicy,
  type PiiPolicyEvent,
  type PiiPolicyEventInput,
  type PiiPolicyRemovedData,
  type PiiPolicySetData,
  type PiiPolicyState,
  type RemovePiiPolicyCommand,
  type SetPiiPolicyCommand,
} from './policy/policy-decider.js';
export { createScannerCache, type ScannerCache } from './policy/scanner-cache.js';
export { OUTPUT_HOLD_BACK, OUTPUT_MAX_HELD, createOutputStreamScanner, type OutputStreamOptions, type OutputStreamScanner } from './policy/output-stream.js';
