import { type EventRegistry } from '@totra/events';
import { type Projection } from '@totra/projection';
import { anomalyProjection } from './anomaly.projection.js';
import { auditIndexProjection } from './audit-index.projection.js';
import { costProjection } from './cost.projection.js';
import { directoryProjection } from './directory.projection.js';
import { forecastProjection } from './forecast.projection.js';
import { gdprLog, keysLog, quotaLog, settingsLog } from './event-log.projection.js';

/** Every Postgres read model of this package, reading the event types the registry knows. */
export function reportingProjections(registry: EventRegistry): Projection<unknown>[] {
  const known = (t: string) => registry.has(t);
  return [costProjection(known), auditIndexProjection(known), directoryProjection(), forecastProjection(), anomalyProjection(known), settingsLog.projection(), keysLog.projection(), quotaLog.projection(), gdprLog.projection()];
}
