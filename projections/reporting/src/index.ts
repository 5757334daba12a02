export { costProjection, COST_EVENT_TYPES } from './cost.projection.js';
export { costMigrations } from './cost.migrations.js';
export { auditIndexProjection, auditIndexMigrations } from './audit-index.projection.js';
export { directoryProjection, directoryMigrations } from './directory.projection.js';
export {
  CHARGEBACK_COLUMNS,
  COST_DIMENSIONS,
  chargeback,
  chargebackCsv,
  dailySeries,
  formatUsd,
  monthRange,
  monthToDate,
  spendBy,
  topSpenders,
  type BudgetStanding,
  type ChargebackLine,
  type CostDimension,
  type CostTotals,
  type DailyPoint,
  type DayRange,
  type SpendQuery,
} from './cost.queries.js';
export { reportingProjections } from './all.js';
export { FORECAST_EVENT_TYPES, FORECAST_HISTORY_DAYS, forecastMigrations, forecastProjection } from './forecast.projection.js';
export { ANOMALY_EVENT_TYPES, ANOMALY_HISTORY_WEEKS, anomalyEventId, anomalyMigrations, anomalyProjection, type AnomalyMetric, type AnomalyScope } from './anomaly.projection.js';
export { anomalies, forecasts, readModelExists, unannouncedAnomalies, type AnomalyLine, type AnomalyQuery, type ForecastLine } from './forecast-anomaly.queries.js';
export { gdprLog, keysLog, quotaLog, settingsLog, type EventLog, type EventLogReadModel } from './event-log.projection.js';
export { replayFromEventLog, type EventLogSource, type EventLogLoad } from './event-log.replay.js';
