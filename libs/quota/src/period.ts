import { UnknownTimeZoneError } from './errors.js';

/** When a budget's spend starts again from zero. */
export type BudgetPeriod = 'daily' | 'weekly' | 'monthly' | 'total';

/** The periods that reset on a calendar (all but `total`). */
export const CALENDAR_PERIODS = ['daily', 'weekly', 'monthly'] as const;

/** One instance of a period: its key and, for calendar periods, its bounds `[start, end)`. */
export interface PeriodWindow {
  /** `d:2026-12-31`, `w:2026-W53` (ISO week), `m:2026-12`, or `t` for `total`. */
  key: string;
  start?: Date;
  end?: Date;
}

/** A local calendar date. */
interface LocalDate {
  y: number;
  m: number;
  d: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hourCycle: 'h23' });
    } catch (err) {
      throw new UnknownTimeZoneError(timeZone, { cause: err });
    }
    if (formatters.size > 1000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone (or `UTC`) this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The canonical spelling of a time zone (e.g. `europe/berlin` -> `Europe/Berlin`). @throws UnknownTimeZoneError */
export function canonicalTimeZone(timeZone: string): string {
  return formatter(timeZone).resolvedOptions().timeZone;
}

function localDate(at: number, timeZone: string): LocalDate {
  const out: LocalDate = { y: 0, m: 0, d: 0 };
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type === 'year') out.y = Number(p.value);
    else if (p.type === 'month') out.m = Number(p.value);
    else if (p.type === 'day') out.d = Number(p.value);
  }
  return out;
}

const ordinal = (l: LocalDate) => l.y * 10_000 + l.m * 100 + l.d;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const DAY = 86_400_000;

/** Calendar arithmetic on a local date (proleptic Gregorian, no time zone involved). */
function addDays(l: LocalDate, days: number): LocalDate {
  const t = new Date(Date.UTC(l.y, l.m - 1, l.d) + days * DAY);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** Monday = 1 ... Sunday = 7. */
function isoWeekday(l: LocalDate): number {
  return ((new Date(Date.UTC(l.y, l.m - 1, l.d)).getUTCDay() + 6) % 7) + 1;
}

function isoWeek(l: LocalDate): { year: number; week: number } {
  const thursday = addDays(l, 4 - isoWeekday(l));
  const jan1 = Date.UTC(thursday.y, 0, 1);
  const week = 1 + Math.floor((Date.UTC(thursday.y, thursday.m - 1, thursday.d) - jan1) / (7 * DAY));
  return { year: thursday.y, week };
}

/**
 * The first instant whose local date in `timeZone` is `l` or later: local midnight, or the
 * end of the DST gap where midnight does not exist (e.g. America/Santiago). Binary search
 * over the 30 hours around UTC midnight of that date, which covers every offset (-12..+14).
 */
function startOfLocalDay(l: LocalDate, timeZone: string): Date {
  const target = ordinal(l);
  const utcMidnight = Date.UTC(l.y, l.m - 1, l.d);
  let lo = utcMidnight - 15 * 3_600_000; // local date still before `l` everywhere
  let hi = utcMidnight + 15 * 3_600_000; // local date `l` or later everywhere
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (ordinal(localDate(mid, timeZone)) >= target) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The key of the period instance that `at` falls in, in `timeZone`. @throws UnknownTimeZoneError */
export function periodKey(period: BudgetPeriod, at: Date | number, timeZone: string): string {
  if (period === 'total') return 't';
  const l = localDate(typeof at === 'number' ? at : at.getTime(), timeZone);
  if (period === 'daily') return `d:${pad(l.y, 4)}-${pad(l.m)}-${pad(l.d)}`;
  if (period === 'monthly') return `m:${pad(l.y, 4)}-${pad(l.m)}`;
  const w = isoWeek(l);
  return `w:${pad(w.year, 4)}-W${pad(w.week)}`;
}

type CalendarKeys = Record<(typeof CALENDAR_PERIODS)[number], string>;

/**
 * Offsets have been whole minutes everywhere since 1972 (Liberia's -0:44:30 was the last odd
 * one), so from then on a local date only changes on a UTC minute boundary.
 */
const WHOLE_MINUTE_OFFSETS_FROM = Date.UTC(1973, 0, 1);
/** The keys of the current minute, per time zone: every admission asks for them. */
const lastKeys = new Map<string, { minute: number; keys: CalendarKeys }>();

/** The keys of the daily, weekly and monthly periods `at` falls in (one Intl call a minute per zone). */
export function calendarPeriodKeys(at: Date | number, timeZone: string): CalendarKeys {
  const t = typeof at === 'number' ? at : at.getTime();
  const minute = Math.floor(t / 60_000);
  const cached = lastKeys.get(timeZone);
  if (cached?.minute === minute && t >= WHOLE_MINUTE_OFFSETS_FROM) return { ...cached.keys };
  const l = localDate(t, timeZone);
  const w = isoWeek(l);
  const keys = {
    daily: `d:${pad(l.y, 4)}-${pad(l.m)}-${pad(l.d)}`,
    weekly: `w:${pad(w.year, 4)}-W${pad(w.week)}`,
    monthly: `m:${pad(l.y, 4)}-${pad(l.m)}`,
  };
  if (t >= WHOLE_MINUTE_OFFSETS_FROM) {
    if (lastKeys.size > 1000) lastKeys.clear();
    lastKeys.set(timeZone, { minute, keys });
  }
  return { ...keys };
}

/**
 * The period instance `at` falls in, with its bounds: calendar days, ISO weeks (from Monday)
 * and months reset at local midnight in `timeZone`, DST included (a day can last 23 or 25
 * hours). `total` never resets. @throws UnknownTimeZoneError
 */
export function periodWindow(period: BudgetPeriod, at: Date | number, timeZone: string): PeriodWindow {
  const key = periodKey(period, at, timeZone);
  if (period === 'total') return { key };
  const l = localDate(typeof at === 'number' ? at : at.getTime(), timeZone);
  let first: LocalDate;
  let next: LocalDate;
  if (period === 'daily') {
    first = l;
    next = addDays(l, 1);
  } else if (period === 'weekly') {
    first = addDays(l, 1 - isoWeekday(l));
    next = addDays(first, 7);
  } else {
    first = { y: l.y, m: l.m, d: 1 };
    next = l.m === 12 ? { y: l.y + 1, m: 1, d: 1 } : { y: l.y, m: l.m + 1, d: 1 };
  }
  return { key, start: startOfLocalDay(first, timeZone), end: startOfLocalDay(next, timeZone) };
}
