import type { ReasoningConfig, ReasoningEffort } from '../canonical/chat.js';
import type { JsonRecord } from '../wire/json.js';

/**
 * How a Gemini model takes a reasoning level, by its version (ADR 0039):
 * - Gemini 2.5 thinks within a token budget (`thinkingBudget`); Flash and Flash-Lite can turn
 *   thinking off (0), Pro cannot (at least 128 tokens).
 * - Gemini 3 and later think at a level (`thinkingLevel`) and cannot be sent a level and a budget
 *   together; they take a budget for backward compatibility, not as well. Each model has its
 *   own levels: Gemini 3 Pro `low` and `high`; Gemini 3.1 Pro and later Pro models `low`,
 *   `medium` and `high`; Flash models `minimal` to `high`. None turns thinking off.
 */
export type GeminiThinkingLevel = 'minimal' | 'low' | 'medium' | 'high';

const LEVEL_ORDER: readonly GeminiThinkingLevel[] = ['minimal', 'low', 'medium', 'high'];

/** The version and line of a Gemini model id (`gemini-3.1-pro-preview`, `models/gemini-2.5-flash-lite`). */
export function geminiVersion(model: string): { major: number; minor: number; line: string } | undefined {
  const m = /^(?:models\/)?gemini-(\d+)(?:\.(\d+))?-([a-z]+(?:-lite)?)/.exec(model);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), line: m[3] ?? '' };
}

/** The thinking levels a Gemini model takes; undefined for a model that thinks within a budget. */
export function geminiThinkingLevels(model: string): readonly GeminiThinkingLevel[] | undefined {
  const v = geminiVersion(model);
  if (!v || v.major < 3) return undefined;
  if (v.line.startsWith('flash')) return LEVEL_ORDER;
  if (v.line === 'pro' && v.major === 3 && v.minor === 0) return ['low', 'high'];
  // Gemini 3.1 Pro and any later line: the levels every such model documented so far takes.
  return ['low', 'medium', 'high'];
}

/**
 * `thinkingBudget` for OpenAI-style effort levels on a model that thinks within a budget, as
 * Google's own OpenAI-compatible endpoint maps them: `none` and `minimal` turn thinking off where
 * the model allows it, `xhigh` and `max` ask for the largest budget every Gemini 2.5 thinking
 * model takes.
 */
export const GEMINI_EFFORT_BUDGETS: Readonly<Record<ReasoningEffort, number>> = { none: 0, minimal: 0, low: 1024, medium: 8192, high: 24576, xhigh: 24576, max: 24576 };

/** The least thinking budget of Gemini 2.5 Pro, which always thinks. */
const GEMINI_PRO_MIN_BUDGET = 128;

/** The level each effort asks for, before the model's own levels are considered. */
const EFFORT_LEVELS: Readonly<Record<ReasoningEffort, GeminiThinkingLevel>> = {
  none: 'minimal',
  minimal: 'minimal',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

/**
 * The model's level nearest `wanted`: the same, else the next one up (a model without `medium`
 * reasons at `high` rather than `low`), else its highest.
 */
function nearestLevel(wanted: GeminiThinkingLevel, levels: readonly GeminiThinkingLevel[]): GeminiThinkingLevel {
  const at = LEVEL_ORDER.indexOf(wanted);
  return LEVEL_ORDER.slice(at).find((l) => levels.includes(l)) ?? levels[levels.length - 1] ?? 'high';
}

/**
 * `generationConfig.thinkingConfig` for a request's reasoning on a Gemini model. Thoughts are
 * shown unless the client asked for no reasoning (`none`, `minimal`, a budget of 0), which a model
 * that always thinks serves at its least.
 */
export function geminiThinkingConfig(model: string, reasoning: ReasoningConfig): JsonRecord {
  const levels = geminiThinkingLevels(model);
  const effort = reasoning.budgetTokens === undefined ? reasoning.effort : undefined;
  if (effort !== undefined && levels) {
    return { thinkingLevel: nearestLevel(EFFORT_LEVELS[effort], levels), includeThoughts: effort !== 'none' && effort !== 'minimal' };
  }
  const budget = reasoning.budgetTokens ?? (effort ? GEMINI_EFFORT_BUDGETS[effort] : undefined);
  if (budget === undefined) return { includeThoughts: true };
  if (budget === 0 && levels) return { thinkingLevel: levels[0] ?? 'low', includeThoughts: false };
  if (budget === 0 && geminiVersion(model)?.line === 'pro') return { thinkingBudget: GEMINI_PRO_MIN_BUDGET, includeThoughts: false };
  return { thinkingBudget: budget, includeThoughts: budget > 0 };
}
