import { addDays, daysBetween, monthEnd, monthStart, quarterEnd, quarterStart, weekday } from './days.js';
import { denseSeries, mad, median, type DayValue } from './series.js';

/** A weekday-aware linear trend: value(day) = intercept + slope * t + weekdayEffect[weekday(day)]. */
export interface TrendModel {
  readonly origin: string;
  readonly intercept: number;
  readonly slopePerDay: number;
  /** Additive effect per weekday (0 = Sunday), summing to 0. */
  readonly weekdayEffects: readonly number[];
  /** Standard deviation of the residuals. */
  readonly residualSd: number;
}

/** Solves A x = b (small dense system, partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!));
}

/**
 * Fits the trend by least squares on a dense daily series: intercept, slope and 6 weekday
 * dummies (the 7th is the reference), then centres the weekday effects; fitted a second time
 * without the days the first fit missed by far (spikes). Needs no tuning, and with less than two
 * weeks of data it falls back to a weekday-free trend.
 */
export function fitTrend(series: readonly DayValue[]): TrendModel {
  const dense = denseSeries(series);
  const first = leastSquares(dense, dense[0]?.day ?? '1970-01-01');
  // One round of outlier rejection: a spike (or an outage) would tilt the line and the weekday
  // effects for weeks. Days further than 5 robust standard deviations from the first fit are
  // left out of the second.
  const residuals = dense.map((p) => p.value - predictDay(first, p.day));
  const scale = 1.4826 * mad(residuals);
  if (scale === 0) return first;
  const kept = dense.filter((_, i) => Math.abs(residuals[i]! - median(residuals)) <= 5 * scale);
  return kept.length === dense.length || kept.length < 14 ? first : leastSquares(kept, first.origin);
}

/** Least squares on the given days (gaps allowed), t counted from `origin`. */
function leastSquares(points: readonly DayValue[], origin: string): TrendModel {
  const useWeekdays = points.length >= 14;
  const features = (day: string): number[] => {
    const t = daysBetween(origin, day);
    const w = weekday(day);
    return useWeekdays ? [1, t, ...[1, 2, 3, 4, 5, 6].map((k) => (w === k ? 1 : 0))] : [1, t];
  };
  const k = useWeekdays ? 8 : 2;
  const xtx = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const xty = new Array<number>(k).fill(0);
  for (const p of points) {
    const x = features(p.day);
    for (let i = 0; i < k; i++) {
      xty[i]! += x[i]! * p.value;
      for (let j = 0; j < k; j++) xtx[i]![j]! += x[i]! * x[j]!;
    }
  }
  const beta = points.length >= 2 ? solve(xtx, xty) : [points[0]?.value ?? 0, 0];
  const raw = useWeekdays ? [0, ...beta.slice(2)] : new Array<number>(7).fill(0);
  const mean = raw.reduce((s, v) => s + v, 0) / 7;
  const effects = raw.map((v) => v - mean);
  const model = { origin, intercept: (beta[0] ?? 0) + mean, slopePerDay: beta[1] ?? 0, weekdayEffects: effects, residualSd: 0 };
  const residuals = points.map((p) => p.value - predictDay(model, p.day));
  const dof = Math.max(1, points.length - k);
  return { ...model, residualSd: Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / dof) };
}

/** The model's value for one day (never below zero: spend is not negative). */
export function predictDay(model: Omit<TrendModel, 'residualSd'>, day: string): number {
  return Math.max(0, model.intercept + model.slopePerDay * daysBetween(model.origin, day) + (model.weekdayEffects[weekday(day)] ?? 0));
}

/** Name of the method {@link forecastSpend} uses, stored next to each forecast. */
export const FORECAST_METHOD = 'weekday-trend-ols';

/** A projected total with its 95 % band. */
export interface Projection {
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Observed so far in the period (up to and including `asOf`). */
  readonly actual: number;
  /** Actual plus the forecast of the remaining days. */
  readonly expected: number;
  readonly low: number;
  readonly high: number;
}

/** What {@link forecastSpend} says. */
export interface SpendForecast {
  readonly asOf: string;
  readonly model: TrendModel;
  readonly monthEnd: Projection;
  readonly quarterEnd: Projection;
  /**
   * Mean absolute percentage error of the same method on the last 7 observed days, fitted on the
   * days before them (undefined with less than 3 weeks of history).
   */
  readonly backtestMape: number | undefined;
  /** Day the cumulative spend of the budget's period reaches the budget (undefined: not within a year, or no budget). */
  readonly budgetRunsOutOn: string | undefined;
}

function project(model: TrendModel, dense: readonly DayValue[], asOf: string, start: string, end: string, todayLeft: number): Projection {
  const actual = dense.filter((p) => p.day >= start && p.day <= asOf).reduce((s, p) => s + p.value, 0);
  let rest = todayLeft;
  const h = Math.max(0, daysBetween(asOf, end)) + (todayLeft > 0 ? 1 : 0);
  for (let i = 1; addDays(asOf, i) <= end; i++) rest += predictDay(model, addDays(asOf, i));
  // The error of a sum of h independent daily errors grows with sqrt(h).
  const band = 1.96 * model.residualSd * Math.sqrt(h);
  return { periodStart: start, periodEnd: end, actual, expected: actual + rest, low: actual + Math.max(0, rest - band), high: actual + rest + band };
}

/** Options of {@link forecastSpend}. */
export interface ForecastOptions {
  /**
   * `asOf` is still going on (its value so far is a floor, not the day's total): the model is
   * fitted on the days before it, and the rest of that day is forecast as what the model expects
   * beyond what was spent already.
   */
  readonly asOfIsPartial?: boolean;
}

/**
 * Month-end and quarter-end spend from a daily series (days up to `asOf`), with a 95 % band, a
 * backtest error, and the day a budget for the month (`budget.period = 'month'`) or quarter runs out.
 * The method: {@link FORECAST_METHOD}.
 */
export function forecastSpend(
  series: readonly DayValue[],
  asOf: string,
  budget?: { amount: number; period: 'month' | 'quarter' },
  options: ForecastOptions = {},
): SpendForecast {
  const dense = denseSeries(
    series.filter((p) => p.day <= asOf),
    asOf,
  );
  const complete = options.asOfIsPartial ? dense.slice(0, -1) : dense;
  const model = fitTrend(complete);
  let backtestMape: number | undefined;
  if (complete.length >= 21) {
    const train = complete.slice(0, -7);
    const test = complete.slice(-7);
    const m = fitTrend(train);
    const errors = test.filter((p) => p.value > 0).map((p) => Math.abs(predictDay(m, p.day) - p.value) / p.value);
    backtestMape = errors.length ? errors.reduce((s, e) => s + e, 0) / errors.length : undefined;
  }
  const todaySoFar = dense[dense.length - 1]?.day === asOf ? dense[dense.length - 1]!.value : 0;
  const todayLeft = options.asOfIsPartial && dense.length > 0 ? Math.max(0, predictDay(model, asOf) - todaySoFar) : 0;
  let budgetRunsOutOn: string | undefined;
  if (budget) {
    const start = budget.period === 'month' ? monthStart(asOf) : quarterStart(asOf);
    let cum = 0;
    for (const p of dense) {
      if (p.day < start) continue;
      cum += p.value;
      if (cum >= budget.amount) {
        budgetRunsOutOn = p.day;
        break;
      }
    }
    if (budgetRunsOutOn === undefined && cum + todayLeft >= budget.amount && todayLeft > 0) budgetRunsOutOn = asOf;
    if (budgetRunsOutOn === undefined) {
      cum += todayLeft;
      const end = budget.period === 'month' ? monthEnd(asOf) : quarterEnd(asOf);
      for (let i = 1; addDays(asOf, i) <= end; i++) {
        cum += predictDay(model, addDays(asOf, i));
        if (cum >= budget.amount) {
          budgetRunsOutOn = addDays(asOf, i);
          break;
        }
      }
    }
  }
  return {
    asOf,
    model,
    monthEnd: project(model, dense, asOf, monthStart(asOf), monthEnd(asOf), todayLeft),
    quarterEnd: project(model, dense, asOf, quarterStart(asOf), quarterEnd(asOf), todayLeft),
    backtestMape,
    budgetRunsOutOn,
  };
}
