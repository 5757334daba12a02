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

describe('forecastSpend on a day still going on', () => {
  it('fits on the complete days and forecasts the rest of today beyond what was spent already', () => {
    const full = synthetic(80);
    const asOf = full[full.length - 1]!.day;
    const complete = forecastSpend(full, asOf);
    // Only a quarter of the last day is in: the partial day neither drags the trend down nor is taken as the day's total.
    const partial = full.map((p) => (p.day === asOf ? { day: p.day, value: p.value / 4 } : p));
    const f = forecastSpend(partial, asOf, undefined, { asOfIsPartial: true });
    const naive = forecastSpend(partial, asOf);
    expect(Math.abs(f.monthEnd.expected - complete.monthEnd.expected) / complete.monthEnd.expected).toBeLessThan(0.005);
    expect(naive.monthEnd.expected).toBeLessThan(f.monthEnd.expected);
    expect(f.monthEnd.actual).toBe(complete.monthEnd.actual - (full[full.length - 1]!.value * 3) / 4);
    expect(f.monthEnd.low).toBeLessThanOrEqual(f.monthEnd.expected);
    expect(f.backtestMape).toBeDefined();
  });

  it('a budget already exceeded by the spend so far runs out on that day', () => {
    const series = synthetic(69);
    const asOf = series[series.length - 1]!.day;
    const f = forecastSpend(series, asOf, { amount: 1, period: 'month' }, { asOfIsPartial: true });
    expect(f.budgetRunsOutOn).toBe('2026-03-01');
  });
});

describe('detectAnomalies on sparse and windowed series', () => {
  it('a scope active one day in four is not flagged for its usual days, but is for a tenfold day (MAD 0 falls back to the mean absolute deviation)', () => {
    const series = Array.from({ length: 70 }, (_, t) => ({ day: addDays(START, t), value: t % 4 === 0 ? 1000 : 0 }));
    const usual = detectAnomalies(series, { metric: 'spend', days: series.slice(56).map((p) => p.day) });
    expect(usual).toEqual([]);
    series[68] = { day: addDays(START, 68), value: 10_000 };
    const spike = detectAnomalies(series, { metric: 'spend', days: [addDays(START, 68)] });
    expect(spike.map((a) => a.day)).toEqual([addDays(START, 68)]);
  });

  it('needs minActiveDays busy days in the history', () => {
    const series = Array.from({ length: 40 }, (_, t) => ({ day: addDays(START, t), value: t === 2 || t === 39 ? 5000 : 0 }));
    expect(detectAnomalies(series, { metric: 'spend' }).length).toBe(1);
    expect(detectAnomalies(series, { metric: 'spend', minActiveDays: 7 })).toEqual([]);
  });

  it('a day is judged only from its own history window: cutting the series earlier changes nothing', () => {
    const rnd = noise(11);
    const points = Array.from({ length: 150 }, (_, t) => ({ day: addDays(START, t), blocked: t === 140 ? 200 : Math.round(20 + 5 * rnd()), total: t % 9 === 0 ? 5 : 1000 }));
    const days = points.slice(100).map((p) => p.day);
    const all = detectRateAnomalies(points, { metric: 'pii_block_rate', days });
    // From 56 days before the first examined day on: the same result.
    const cut = detectRateAnomalies(points.slice(100 - 56), { metric: 'pii_block_rate', days });
    expect(all.map((a) => a.day)).toEqual([addDays(START, 140)]);
    expect(cut).toEqual(all);
  });
});

describe('fitTrend with a spike in the history', () => {
  it('leaves the spike out: the forecast stays where it is without it', () => {
    const clean = synthetic(80);
    const asOf = clean[clean.length - 1]!.day;
    const spiked = synthetic(80, { 60: 6 });
    const a = forecastSpend(clean, asOf);
    const b = forecastSpend(spiked, asOf);
    expect(Math.abs(b.model.slopePerDay - a.model.slopePerDay)).toBeLessThan(1);
    const rest = (f: typeof a) => f.monthEnd.expected - f.monthEnd.actual;
    expect(Math.abs(rest(b) - rest(a)) / rest(a)).toBeLessThan(0.01);
  });
});

describe('detectAnomalies on growing spend', () => {
  it('a series growing 3 % a week with a Monday peak three times the weekend and proportional noise: no day flagged but the injected one', () => {
    const rnd = noise(5);
    const factor = [0.6, 1.8, 1.2, 1.1, 1.0, 0.9, 0.5];
    const series = Array.from({ length: 84 }, (_, t) => {
      const day = addDays(START, t);
      const level = 10_000 * 1.03 ** (t / 7) * factor[weekday(day)]!;
      return { day, value: (t === 75 ? 2.5 : 1) * level * (1 + 0.04 * rnd()) };
    });
    const found = detectAnomalies(series, { metric: 'spend', days: series.slice(21).map((p) => p.day) });
    expect(found.map((a) => a.day)).toEqual([addDays(START, 75)]);
    // Without the trend adjustment, the growth alone would be flagged somewhere.
    const flat = detectAnomalies(series, { metric: 'spend', trend: false, multiplicative: false, days: series.slice(21).map((p) => p.day) });
    expect(flat.length).toBeGreaterThan(1);
  });
});
