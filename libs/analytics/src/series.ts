import { addDays, daysBetween, toMs } from './days.js';
import { InvalidSeriesError } from './errors.js';

/** One day's value (e.g. micro-USD spent). */
export interface DayValue {
  readonly day: string;
  readonly value: number;
}

/** Sorts and checks a daily series (one value per day; duplicates are summed), without filling gaps. */
export function checkedSeries(points: readonly DayValue[]): DayValue[] {
  const sorted = [...points].sort((a, b) => a.day.localeCompare(b.day));
  const out: DayValue[] = [];
  for (const p of sorted) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(p.day) || Number.isNaN(toMs(p.day))) throw new InvalidSeriesError(`not a day: ${p.day}`);
    if (!Number.isFinite(p.value)) throw new InvalidSeriesError(`not a number on ${p.day}`);
    const last = out[out.length - 1];
    if (last?.day === p.day) out[out.length - 1] = { day: p.day, value: last.value + p.value };
    else out.push(p);
  }
  return out;
}

/** Sorts, checks and fills the gaps of a daily series with zeros, from its first day to `until` (default: its last). */
export function denseSeries(points: readonly DayValue[], until?: string): DayValue[] {
  const sorted = [...points].sort((a, b) => a.day.localeCompare(b.day));
  for (const p of sorted) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(p.day) || Number.isNaN(toMs(p.day))) throw new InvalidSeriesError(`not a day: ${p.day}`);
    if (!Number.isFinite(p.value)) throw new InvalidSeriesError(`not a number on ${p.day}`);
  }
  const first = sorted[0];
  if (!first) return [];
  const last = until ?? sorted[sorted.length - 1]!.day;
  const byDay = new Map<string, number>();
  for (const p of sorted) byDay.set(p.day, (byDay.get(p.day) ?? 0) + p.value);
  const out: DayValue[] = [];
  for (let i = 0; i <= daysBetween(first.day, last); i++) {
    const day = addDays(first.day, i);
    out.push({ day, value: byDay.get(day) ?? 0 });
  }
  return out;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Mean absolute deviation from the median. */
export function meanAbsoluteDeviation(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const m = median(xs);
  return xs.reduce((s, x) => s + Math.abs(x - m), 0) / xs.length;
}

/** Median absolute deviation from the median. */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}
