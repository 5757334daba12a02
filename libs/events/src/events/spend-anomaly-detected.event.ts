import { z } from 'zod';
import { defineEvent } from '../define-event.js';

/** What an anomaly is about: one user, one team or one model (requested alias) of a tenant. */
export const AnomalyScope = z.enum(['user', 'team', 'model']);

/** What was unusual: the day's spend, or its share of requests blocked for PII. */
export const AnomalyMetric = z.enum(['spend', 'pii_block_rate']);

/**
 * A day's spend or PII-block rate of one user, team or model stood out from its own
 * weekday-aware history (robust z-score). Appended once per anomaly (the id is derived from
 * tenant, scope, metric and day), for alerting. Pseudonymous ids and numbers only.
 */
export const SpendAnomalyDetected = defineEvent({
  type: 'SpendAnomalyDetected',
  v: 1,
  description:
    'The daily spend (micro-USD) or PII-block rate (0..1) of one user, team or model stood out from its own weekday-aware history: value, usual value, robust z-score and the reason in words.',
  data: z
    .object({
      scope: AnomalyScope,
      /** Pseudonymous user or team id, or the model alias. */
      scopeId: z.string().min(1).max(200),
      metric: AnomalyMetric,
      /** The UTC day that stood out. */
      day: z.iso.date(),
      value: z.number().finite(),
      /** The usual value for that weekday (median of the same weekday in the history). */
      expected: z.number().finite(),
      /** Robust z-score: how far from usual, in robust standard deviations. */
      score: z.number().finite(),
      direction: z.enum(['high', 'low']),
      historyWeeks: z.int().min(1).max(52),
      /** Human-readable: what, how far and why. */
      reason: z.string().min(1).max(500),
    })
    .strict(),
});
