import { describe, expect, it } from 'vitest';
import { addDays, monthEnd, weekday } from './days.js';
import { detectAnomalies, detectRateAnomalies } from './anomaly.js';
import { fitTrend, forecastSpend, predictDay } from './forecast.js';
import { type DayValue } from './series.js';

/** Deterministic noise in [-1, 1] (a small LCG), so runs are repeatable. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const WEEKLY = [-400, 300, 100, 50, 0, -50, -450]; // Sunday..Saturday: a Monday peak, quiet weekends
const START = '2026-01-01';

function truth(day: string, t: number): number {
  return 2000 + 15 * t + WEEKLY[weekday(day)]!;
}

function synthetic(days: number, spikes: Record<number, number> = {}, seed = 7): DayValue[] {
  const rnd = noise(seed);
  return Array.from({ length: days }, (_, t) => {
    const day = addDays(START, t);
    return { day, value: truth(day, t) * (spikes[t] ?? 1) + 60 * rnd() };
  });
}

describe('fitTrend', () => {
  it('recovers the slope and the weekday effects of a synthetic series', () => {
    const model = fitTrend(synthetic(84));
    expect(model.slopePerDay).toBeCloseTo(15, 0);
    const mean = WEEKLY.reduce((s, v) => s + v, 0) / 7;
    WEEKLY.forEach((w, i) => expect(Math.abs(model.weekdayEffects[i]! - (w - mean))).toBeLessThan(40));
    expect(model.residualSd).toBeGreaterThan(10);
    expect(model.residualSd).toBeLessThan(60);
  });
});

describe('forecastSpend', () => {
  it('projects month-end and quarter-end spend; the truth lies inside the band; the backtest error is reported', () => {
    const series = synthetic(80); // through 2026-03-21
    const asOf = series[series.length - 1]!.day;
    const f = forecastSpend(series, asOf);
    let trueMonth = 0;
    for (let t = 0; addDays(START, t) <= monthEnd(asOf); t++) {
      const day = addDays(START, t);
      if (day >= '2026-03-01') trueMonth += day <= asOf ? series[t]!.value : truth(day, t);
    }
    expect(f.monthEnd.periodEnd).toBe('2026-03-31');
    expect(f.monthEnd.low).toBeLessThanOrEqual(trueMonth);
    expect(f.monthEnd.high).toBeGreaterThanOrEqual(trueMonth);
    expect(Math.abs(f.monthEnd.expected - trueMonth) / trueMonth).toBeLessThan(0.01);
    expect(f.quarterEnd.periodEnd).toBe('2026-03-31');
    expect(f.backtestMape).toBeDefined();
    expect(f.backtestMape!).toBeLessThan(0.05);
  });

  it('tells the day a monthly budget runs out, from actuals plus the forecast', () => {
    const series = synthetic(69); // through 2026-03-10
    const asOf = series[series.length - 1]!.day;
    const f0 = forecastSpend(series, asOf);
    // A budget of the actual spend plus the next five forecast days runs out on the fifth day.
    let budget = f0.monthEnd.actual;
    for (let i = 1; i <= 5; i++) budget += predictDay(f0.model, addDays(asOf, i));
    expect(forecastSpend(series, asOf, { amount: budget - 1, period: 'month' }).budgetRunsOutOn).toBe(addDays(asOf, 5));
    expect(forecastSpend(series, asOf, { amount: 1e12, period: 'month' }).budgetRunsOutOn).toBeUndefined();
    expect(forecastSpend(series, asOf, { amount: 10, period: 'month' }).budgetRunsOutOn).toBe('2026-03-01');
  });
});

describe('detectAnomalies', () => {
  const spikes = { 70: 3, 77: 2.5 };
  const series = synthetic(84, spikes);
  const days = series.slice(28).map((p) => p.day);
  const found = detectAnomalies(series, { metric: 'spend', days });

  it('finds the injected spikes and says what, how far and why', () => {
    expect(found.map((a) => a.day).sort()).toEqual([addDays(START, 70), addDays(START, 77)]);
    const a = found.find((x) => x.day === addDays(START, 70))!;
    expect(a.direction).toBe('high');
    expect(a.score).toBeGreaterThan(3.5);
    expect(a.value / a.expected).toBeGreaterThan(2.5);
    expect(a.reason).toMatch(/spend .* is \d\.\dx the usual \w+day \(median .* over 8 weeks\); robust z/);
  });

  it('does not flag the weekly Monday peak', () => {
    const mondays = days.filter((d) => weekday(d) === 1);
    expect(mondays.length).toBeGreaterThan(5);
    expect(found.filter((a) => weekday(a.day) === 1 && !(Object.keys(spikes).map((t) => addDays(START, Number(t))).includes(a.day)))).toEqual([]);
    // Without weekday awareness the Monday peak would stand out: check it really is a peak.
    const monday = series.find((p) => p.day === mondays[0])!.value;
    const saturday = series.find((p) => weekday(p.day) === 6 && p.day > mondays[0]!)!.value;
    expect(monday - saturday).toBeGreaterThan(500);
  });

  it('finds a jump in the PII-block rate, not the steady rate', () => {
    const rnd = noise(3);
    const points = Array.from({ length: 60 }, (_, t) => {
      const total = 1000;
      const blocked = t === 55 ? 150 : Math.round(20 + 5 * rnd());
      return { day: addDays(START, t), blocked, total };
    });
    const rate = detectRateAnomalies(points, { metric: 'pii_block_rate', days: points.slice(30).map((p) => p.day) });
    expect(rate.map((a) => a.day)).toEqual([addDays(START, 55)]);
    expect(rate[0]!.reason).toMatch(/pii_block_rate 15\.0%/);
  });
});
