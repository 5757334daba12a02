import { describe, expect, it } from 'vitest';
import { calendarPeriodKeys, canonicalTimeZone, isValidTimeZone, periodKey, periodWindow } from './period.js';

const iso = (d: Date | undefined) => d?.toISOString();

describe('budget periods in a time zone', () => {
  it('keys an instant by its local date, not its UTC date', () => {
    // 23:30 UTC on Dec 31 is already Jan 1 in Berlin (UTC+1) and still Dec 31 in New York.
    const at = Date.parse('2026-12-31T23:30:00Z');
    expect(calendarPeriodKeys(at, 'Europe/Berlin')).toEqual({ daily: 'd:2027-01-01', weekly: 'w:2026-W53', monthly: 'm:2027-01' });
    expect(calendarPeriodKeys(at, 'America/New_York')).toEqual({ daily: 'd:2026-12-31', weekly: 'w:2026-W53', monthly: 'm:2026-12' });
    expect(periodKey('total', at, 'UTC')).toBe('t');
  });

  it('uses ISO weeks: the first days of January can belong to the last week of the year before', () => {
    expect(periodKey('weekly', Date.parse('2027-01-03T12:00:00Z'), 'UTC')).toBe('w:2026-W53');
    expect(periodKey('weekly', Date.parse('2027-01-04T12:00:00Z'), 'UTC')).toBe('w:2027-W01');
    expect(periodKey('weekly', Date.parse('2025-12-29T12:00:00Z'), 'UTC')).toBe('w:2026-W01');
  });

  it('gives the spring-forward day 23 hours and the fall-back day 25 (Europe/Berlin)', () => {
    const spring = periodWindow('daily', Date.parse('2026-03-29T12:00:00Z'), 'Europe/Berlin');
    expect(spring.key).toBe('d:2026-03-29');
    expect(iso(spring.start)).toBe('2026-03-28T23:00:00.000Z'); // midnight CET (+1)
    expect(iso(spring.end)).toBe('2026-03-29T22:00:00.000Z'); // midnight CEST (+2)
    const fall = periodWindow('daily', Date.parse('2026-10-25T12:00:00Z'), 'Europe/Berlin');
    expect(iso(fall.start)).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(fall.end)).toBe('2026-10-25T23:00:00.000Z');
    expect((fall.end?.getTime() ?? 0) - (fall.start?.getTime() ?? 0)).toBe(25 * 3_600_000);
  });

  it('starts a day at the end of the DST gap where midnight does not exist (America/Santiago)', () => {
    // On 2026-09-06 clocks jump from 00:00 (-04) to 01:00 (-03): the day starts 01:00 local.
    const w = periodWindow('daily', Date.parse('2026-09-06T15:00:00Z'), 'America/Santiago');
    expect(w.key).toBe('d:2026-09-06');
    expect(iso(w.start)).toBe('2026-09-06T04:00:00.000Z');
    expect(periodKey('daily', Date.parse('2026-09-06T03:59:59.999Z'), 'America/Santiago')).toBe('d:2026-09-05');
  });

  it('bounds months by local midnight, month ends and leap days included', () => {
    const feb = periodWindow('monthly', Date.parse('2028-02-29T10:00:00Z'), 'Asia/Tokyo');
    expect(feb.key).toBe('m:2028-02');
    expect(iso(feb.start)).toBe('2028-01-31T15:00:00.000Z');
    expect(iso(feb.end)).toBe('2028-02-29T15:00:00.000Z');
    // The last instant of March in New York (EDT) is still March; a millisecond later is April.
    const end = periodWindow('monthly', Date.parse('2026-03-15T00:00:00Z'), 'America/New_York').end as Date;
    expect(iso(end)).toBe('2026-04-01T04:00:00.000Z');
    expect(periodKey('monthly', end.getTime() - 1, 'America/New_York')).toBe('m:2026-03');
    expect(periodKey('monthly', end, 'America/New_York')).toBe('m:2026-04');
    const dec = periodWindow('monthly', Date.parse('2026-12-31T12:00:00Z'), 'UTC');
    expect([iso(dec.start), iso(dec.end)]).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('starts weeks on local Monday midnight, across a DST change', () => {
    const w = periodWindow('weekly', Date.parse('2026-03-29T12:00:00Z'), 'Europe/Berlin'); // a Sunday
    expect(w.key).toBe('w:2026-W13');
    expect(iso(w.start)).toBe('2026-03-22T23:00:00.000Z');
    expect(iso(w.end)).toBe('2026-03-29T22:00:00.000Z');
  });

  it('knows IANA zones and refuses others with a coded error', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(() => periodKey('daily', 0, 'Mars/Olympus')).toThrow(expect.objectContaining({ code: 'TOTRA_QUOTA_TIME_ZONE' }));
  });
});

describe('calendarPeriodKeys remembers the current minute per zone', () => {
  const direct = (at: number, zone: string) => ({ daily: periodKey('daily', at, zone), weekly: periodKey('weekly', at, zone), monthly: periodKey('monthly', at, zone) });

  it('agrees with periodKey second by second across local midnights, odd offsets and DST changes', () => {
    const cases: [string, string][] = [
      ['Asia/Kathmandu', '2026-12-31T18:15:00Z'], // +05:45: midnight at 18:15 UTC
      ['America/St_Johns', '2027-01-01T03:30:00Z'], // -03:30
      ['Australia/Lord_Howe', '2026-10-03T13:30:00Z'], // half-hour DST shift
      ['America/Santiago', '2026-09-06T04:00:00Z'], // DST starts at local midnight
      ['Europe/Berlin', '2026-10-25T01:00:00Z'], // DST ends
      ['UTC', '2027-01-04T00:00:00Z'], // a new ISO week
    ];
    for (const [zone, boundary] of cases) {
      const b = Date.parse(boundary);
      for (let at = b - 150_000; at <= b + 150_000; at += 1000) expect(calendarPeriodKeys(at, zone)).toEqual(direct(at, zone));
      // Out of order too: a remembered minute is never used for another one.
      for (const at of [b + 59_999, b - 1, b, b - 60_000, b + 60_000, b - 1]) expect(calendarPeriodKeys(at, zone)).toEqual(direct(at, zone));
    }
  });

  it('hands out copies: a caller changing its keys does not change the next caller\'s', () => {
    const at = Date.parse('2026-06-15T12:00:00Z');
    const first = calendarPeriodKeys(at, 'UTC');
    first.daily = 'changed';
    expect(calendarPeriodKeys(at, 'UTC').daily).toBe('d:2026-06-15');
  });
});
