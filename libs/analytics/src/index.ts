export { addDays, daysBetween, monthEnd, monthStart, quarterEnd, quarterStart, weekday } from './days.js';
export { checkedSeries, denseSeries, mad, meanAbsoluteDeviation, median, type DayValue } from './series.js';
export { FORECAST_METHOD, fitTrend, forecastSpend, predictDay, type ForecastOptions, type Projection, type SpendForecast, type TrendModel } from './forecast.js';
export { detectAnomalies, detectRateAnomalies, type Anomaly, type AnomalyOptions } from './anomaly.js';
export { AnalyticsError, InvalidSeriesError } from './errors.js';
