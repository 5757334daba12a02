/**
 * What a request written for a Claude model must respect, by the model's version (ADR 0037).
 * Anthropic changed the request contract across versions:
 * - 4.5: structured outputs (`output_config.format`); `temperature` or `top_p`, not both.
 * - 4.6: adaptive thinking (`thinking: { type: 'adaptive' }`), its depth set by
 *   `output_config.effort` (`low`, `medium`, `high`, `max`); the thinking budget is deprecated.
 * - 4.7 and later (every Claude 5 model): no thinking budget at all, and `temperature`, `top_p`
 *   and `top_k` refused with a 400; the effort level `xhigh` between `high` and `max`.
 */
export interface ClaudeTraits {
  /** Structured outputs (ADR 0035). */
  readonly structuredOutputs: boolean;
  /** Takes `temperature` or `top_p`, not both. */
  readonly oneSampler: boolean;
  /** Thinks adaptively, at an effort level, rather than within a token budget. */
  readonly adaptiveThinking: boolean;
  /** Refuses sampling parameters (`temperature`, `top_p`, `top_k`) and thinking budgets. */
  readonly noSampling: boolean;
  /** Has the `xhigh` effort level. */
  readonly xhighEffort: boolean;
}

/** The traits of a model that is not a Claude model the version rules know: none of the above. */
export const NO_CLAUDE_TRAITS: ClaudeTraits = { structuredOutputs: false, oneSampler: false, adaptiveThinking: false, noSampling: false, xhighEffort: false };

/**
 * The version of a Claude model id: the family's name then the version (`claude-sonnet-4-5`,
 * `claude-haiku-4-5-20251001`, `claude-opus-5`, `claude-fable-5-1`, `claude-sonnet-4-6@20260101`),
 * or the version first (`claude-3-7-sonnet-20250219`). A trailing date is not a minor version.
 * Undefined for an id that does not start so (Bedrock ids go through their own reader first).
 */
export function claudeVersion(model: string): { major: number; minor: number } | undefined {
  const m = /^claude-(?:[a-z]+-(\d+)(?:-(\d{1,2}))?|(\d+)(?:-(\d{1,2}))?-[a-z]+)(?=$|[-@])/.exec(model);
  if (!m) return undefined;
  const major = Number(m[1] ?? m[3]);
  const minor = Number(m[2] ?? m[4] ?? 0);
  return { major, minor };
}

/** The request rules of a Claude model id (see {@link ClaudeTraits}); none for another id. */
export function claudeTraits(model: string): ClaudeTraits {
  const v = claudeVersion(model);
  if (!v) return NO_CLAUDE_TRAITS;
  const atLeast = (major: number, minor: number) => v.major > major || (v.major === major && v.minor >= minor);
  return {
    structuredOutputs: atLeast(4, 5),
    oneSampler: atLeast(4, 5),
    adaptiveThinking: atLeast(4, 6),
    noSampling: atLeast(4, 7),
    xhighEffort: atLeast(4, 7),
  };
}

/** Whether a Claude model id names a model with structured outputs: Claude 4.5 and later. */
export function claudeTakesStructuredOutputs(model: string): boolean {
  return claudeTraits(model).structuredOutputs;
}
