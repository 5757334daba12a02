export { addDays, daysBetween, monthEnd, monthStart, quarterEnd, quarterStart, weekday } from './days.js';
export { denseSeries, mad, median, type DayValue } from './series.js';
export { fitTrend, forecastSpend, predictDay, type Projection, type SpendForecast, type TrendModel } from './forecast.js';
export { detectAnomalies, detectRateAnomalies, type Anomaly, type AnomalyOptions } from './anomaly.js';
export { AnalyticsError, InvalidSeriesError } from './errors.js';
