import { addDays, weekday } from './days.js';
import { denseSeries, mad, median, type DayValue } from './series.js';

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
  /** Formats a value in reasons. */
  readonly format?: (value: number) => string;
}

/**
 * Robust anomalies with weekly seasonality: for each examined day, the expected value is the
 * median of the same weekday over the previous weeks (a Monday peak every week is expected, not
 * flagged), and the spread is the MAD of every history day's deviation from its own weekday's
 * median. Needs at least 3 weeks of history; returns nothing before that.
 */
export function detectAnomalies(series: readonly DayValue[], o: AnomalyOptions): Anomaly[] {
  const dense = denseSeries(series);
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
    const sameWeekday = new Map<number, number[]>();
    for (const d of history) {
      const w = weekday(d);
      sameWeekday.set(w, [...(sameWeekday.get(w) ?? []), byDay.get(d)!]);
    }
    const weekdayMedian = new Map([...sameWeekday].map(([w, xs]) => [w, median(xs)]));
    const deviations = history.map((d) => byDay.get(d)! - weekdayMedian.get(weekday(d))!);
    const expected = weekdayMedian.get(weekday(day)) ?? median(history.map((d) => byDay.get(d)!));
    // A flat history has MAD 0: fall back to a small share of the level so any real jump still scores.
    const spread = Math.max(mad(deviations), 1e-9, Math.abs(expected) * 0.01);
    const score = (0.6745 * (value - expected)) / spread;
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
 * weekday-aware history. Days with fewer than `minRequests` requests are left out.
 */
export function detectRateAnomalies(
  points: readonly { day: string; blocked: number; total: number }[],
  o: Omit<AnomalyOptions, 'format'> & { minRequests?: number },
): Anomaly[] {
  const min = o.minRequests ?? 20;
  const rates = points.filter((p) => p.total >= min).map((p) => ({ day: p.day, value: p.blocked / p.total }));
  return detectAnomalies(rates, { ...o, minDeviation: o.minDeviation ?? 0.02, format: (v) => `${(v * 100).toFixed(1)}%` });
}
