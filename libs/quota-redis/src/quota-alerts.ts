import { type Redis } from 'ioredis';
import { hotQuotaLayout } from '@totra/quota';

/** A threshold crossing the quota-hot projection recorded in `<p>quota:alerts`. */
export interface QuotaAlert {
  /** Redis stream entry id: pass the last one back as `after` to read on. */
  id: string;
  tenant: string;
  budgetId: string;
  periodKey: string;
  threshold: number;
  spentMicroUsd: number;
  limitMicroUsd?: number;
  spentTokens?: number;
  limitTokens?: number;
}

/**
 * Reads threshold crossings after entry `after` (default: from the start). A notifier turns
 * each into a `BudgetThresholdCrossed` event (data = the alert minus `id` and `tenant`; tenant
 * in the envelope), skipping crossings already in the log: after a rebuild the projection can
 * record a crossing again.
 */
export async function readQuotaAlerts(redis: Redis, keyPrefix: string, after = '0', count = 100): Promise<QuotaAlert[]> {
  const entries = await redis.xrange(hotQuotaLayout(keyPrefix).alerts, after === '0' ? '-' : `(${after}`, '+', 'COUNT', count);
  return entries.map(([id, flat]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
    const alert: QuotaAlert = {
      id,
      tenant: f['tenant'] ?? '',
      budgetId: f['budgetId'] ?? '',
      periodKey: f['periodKey'] ?? '',
      threshold: Number(f['threshold']),
      spentMicroUsd: Number(f['spentMicroUsd'] ?? 0),
    };
    if (f['limitMicroUsd']) alert.limitMicroUsd = Number(f['limitMicroUsd']);
    if (f['spentTokens']) alert.spentTokens = Number(f['spentTokens']);
    if (f['limitTokens']) alert.limitTokens = Number(f['limitTokens']);
    return alert;
  });
}
