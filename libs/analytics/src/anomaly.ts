import { addDays, daysBetween, weekday } from './days.js';
import { checkedSeries, denseSeries, mad, meanAbsoluteDeviation, median, type DayValue } from './series.js';

/** One anomaly: what, how far, and why. */
export interface Anomaly {
  readonly metric: string;
  readonly day: string;
  readonly value: number;
  /** The usual value for that weekday (median of the same weekday in the history window). */
  readonly expected: number;
  /** Robust z-score: 0.6745 (x - median) / MAD of the weekday-adjusted history. */
  readonly score: number;
  readonly direction: 'high' | 'low';
  readonly reason: string;
}

/** Options of {@link detectAnomalies}. */
export interface AnomalyOptions {
  /** Name of the metric, used in reasons (e.g. `spend`). */
  readonly metric: string;
  /** Days to examine (default: the last day of the series). */
  readonly days?: readonly string[];
  /** Weeks of history before each examined day. Default 8. */
  readonly historyWeeks?: number;
  /** |score| above which a day is an anomaly. Default 3.5 (Iglewicz and Hoaglin). */
  readonly threshold?: number;
  /** Also report unusually low values. Default false (spend alerts are about spikes). */
  readonly lows?: boolean;
  /** Smallest deviation that counts, in the metric's unit (so a series of zeros and ones is not flagged for a one). */
  readonly minDeviation?: number;
  /**
   * Fewest history days with a value above zero (default 0). A scope that was mostly idle has
   * no usual level to deviate from: its first busy day is not called an anomaly.
   */
  readonly minActiveDays?: number;
  /**
   * Whether days missing from the series count as zero (default true: no spend is zero spend).
   * False for rates, where a missing day has no rate at all; the history is then the days present.
   */
  readonly fillGaps?: boolean;
  /**
   * Judge a day whose history is all above zero on logs (default true): trend, weekly pattern
   * and noise in proportion to the level, as spend has them.
   */
  readonly multiplicative?: boolean;
  /** Adjust the history for its trend (default true). */
  readonly trend?: boolean;
  /**
   * Smallest standard deviation to assume for a day's value (e.g. the sampling noise of a rate
   * from few requests), given the day and its expected value.
   */
  readonly noiseSd?: (day: string, expected: number) => number;
  /** Formats a value in reasons. */
  readonly format?: (value: number) => string;
}

/** Week-over-week differences (same weekday, both days in the history). */
function weekOverWeek(history: readonly string[], byDay: ReadonlyMap<string, number>): number[] {
  const inHistory = new Set(history);
  const diffs: number[] = [];
  for (const d of history) {
    const prev = addDays(d, -7);
    if (inHistory.has(prev)) diffs.push(byDay.get(d)! - byDay.get(prev)!);
  }
  return diffs;
}

/**
 * Robust anomalies with weekly seasonality and trend. For each examined day: the history window
 * (`historyWeeks` before it; on logs when all of it is above zero, see `multiplicative`) gives week-over-week differences (same weekday, so the weekly
 * pattern cancels; a spike moves two of dozens). Their median over 7 is the trend per day, and
 * the history is moved to the examined day's level along it; the expected value is the median of
 * the same weekday (a Monday peak every week is expected, not flagged; steady growth is not
 * either). The spread is the MAD of the differences over sqrt(2) (the day-to-day noise; when more
 * than half of them are equal, so that the MAD is 0, the mean absolute deviation in the same
 * units, as Iglewicz and Hoaglin advise), floored by `noiseSd`. The score is the robust z
 * 0.6745 (x - expected) / spread. Needs at least 3 weeks of history; returns nothing before that.
 * The result for a day depends only on the values of that day and of the window before it (and,
 * with `fillGaps`, on where the series starts when that is inside the window), so a caller can
 * re-examine just the days a change can affect.
 */
export function detectAnomalies(series: readonly DayValue[], o: AnomalyOptions): Anomaly[] {
  const dense = o.fillGaps === false ? checkedSeries(series) : denseSeries(series);
  const byDay = new Map(dense.map((p) => [p.day, p.value]));
  const last = dense[dense.length - 1]?.day;
  const days = o.days ?? (last ? [last] : []);
  const weeks = o.historyWeeks ?? 8;
  const threshold = o.threshold ?? 3.5;
  const fmt = o.format ?? ((v: number) => v.toFixed(2));
  const out: Anomaly[] = [];
  for (const day of days) {
    const value = byDay.get(day);
    if (value === undefined) continue;
    const history = Array.from({ length: weeks * 7 }, (_, i) => addDays(day, -(i + 1))).filter((d) => byDay.has(d));
    if (history.length < 21) continue;
    if ((o.minActiveDays ?? 0) > 0 && history.filter((d) => byDay.get(d)! > 0).length < o.minActiveDays!) continue;
    // Spend grows and swings in proportion to its level: on a positive history, work on logs
    // (multiplicative trend and weekly pattern); with zeros, on the values themselves.
    const logs = o.multiplicative !== false && value > 0 && history.every((d) => byDay.get(d)! > 0);
    const f = logs ? Math.log : (x: number) => x;
    const y = new Map(history.map((d) => [d, f(byDay.get(d)!)]));
    // Week-over-week differences cancel the weekly pattern: their median is the trend (a spike
    // moves two of dozens), their spread the day-to-day noise times sqrt(2).
    const wow = weekOverWeek(history, y);
    const slope = o.trend === false || wow.length < 7 ? 0 : median(wow) / 7;
    const level = new Map(history.map((d) => [d, y.get(d)! + slope * daysBetween(d, day)]));
    const sameWeekday = new Map<number, number[]>();
    for (const d of history) {
      const w = weekday(d);
      sameWeekday.set(w, [...(sameWeekday.get(w) ?? []), level.get(d)!]);
    }
    const weekdayMedian = new Map([...sameWeekday].map(([w, xs]) => [w, median(xs)]));
    const deviations = history.map((d) => level.get(d)! - weekdayMedian.get(weekday(d))!);
    const center = weekdayMedian.get(weekday(day)) ?? median([...level.values()]);
    const expected = logs ? Math.exp(center) : center;
    // MAD 0 (mostly equal values): the mean absolute deviation, scaled so that
    // 0.6745 (x - m) / spread = (x - m) / (1.2533 MeanAD). A flat history has both at 0: a small
    // share of the level (1 %, 0.01 on logs), so that any real jump still scores.
    const robust = (xs: readonly number[]) => mad(xs) || 0.8453 * meanAbsoluteDeviation(xs);
    // The expected value is itself a median of few same-weekday values: its error (variance
    // pi/2 sigma^2 / n) adds to the day's own noise.
    const sameDay = sameWeekday.get(weekday(day))?.length ?? history.length;
    const noise = (wow.length >= 7 ? robust(wow) / Math.SQRT2 : robust(deviations)) * Math.sqrt(1 + Math.PI / (2 * sameDay));
    const floor = o.noiseSd ? o.noiseSd(day, expected) / (logs ? Math.max(expected, 1e-9) : 1) : 0;
    const spread = Math.max(noise, 0.6745 * floor, 1e-9, logs ? 0.01 : Math.abs(expected) * 0.01);
    const score = (0.6745 * (f(value) - center)) / spread;
    const deviation = Math.abs(value - expected);
    if (Math.abs(score) <= threshold || deviation < (o.minDeviation ?? 0)) continue;
    const direction = score > 0 ? 'high' : 'low';
    if (direction === 'low' && !o.lows) continue;
    const names = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
    const ratio = expected > 0 ? `${(value / expected).toFixed(1)}x` : 'far above';
    out.push({
      metric: o.metric,
      day,
      value,
      expected,
      score,
      direction,
      reason: `${o.metric} ${fmt(value)} is ${ratio} the usual ${names[weekday(day)]} (median ${fmt(expected)} over ${weeks} weeks); robust z ${score.toFixed(1)} > ${threshold}`,
    });
  }
  return out;
}

/**
 * PII-block rate anomalies: the daily share of requests blocked for PII, against its own
 * weekday-aware history (no trend adjustment; the spread is at least the binomial noise of the
 * day's request count). Days with fewer than `minRequests` requests are left out.
 */
export function detectRateAnomalies(
  points: readonly { day: string; blocked: number; total: number }[],
  o: Omit<AnomalyOptions, 'format'> & { minRequests?: number },
): Anomaly[] {
  const min = o.minRequests ?? 20;
  const kept = points.filter((p) => p.total >= min);
  const totals = new Map(kept.map((p) => [p.day, p.total]));
  const rates = kept.map((p) => ({ day: p.day, value: p.blocked / p.total }));
  // A quiet day has no rate, not a rate of 0: only days with enough requests make the history.
  // A rate from n requests is noisy by at least its binomial standard deviation.
  const binomialSd = (day: string, p: number) => {
    const n = totals.get(day) ?? min;
    const q = Math.min(Math.max(p, 1 / n), 1 - 1 / n);
    return Math.sqrt((q * (1 - q)) / n);
  };
  return detectAnomalies(rates, { trend: false, multiplicative: false, noiseSd: binomialSd, ...o, fillGaps: false, minDeviation: o.minDeviation ?? 0.02, format: (v) => `${(v * 100).toFixed(1)}%` });
}
