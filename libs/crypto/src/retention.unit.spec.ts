import { describe, expect, it } from 'vitest';
import { foldTeamSettings, isPeriodExpired, periodOf, retentionCutoff, shiftPeriod } from './retention.js';

describe('retention periods', () => {
  it('names months and shifts them across years', () => {
    expect(periodOf(new Date('2026-04-15T23:59:59.999Z'))).toBe('2026-04');
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12');
    expect(shiftPeriod('2026-11', 3)).toBe('2027-02');
  });

  it('keeps keepMonths whole months after the month of logging', () => {
    const now = new Date('2026-04-15T00:00:00.000Z');
    expect(retentionCutoff(now, 2)).toBe('2026-02');
    expect(isPeriodExpired('2026-01', now, 2)).toBe(true);
    expect(isPeriodExpired('2026-02', now, 2)).toBe(false);
    expect(isPeriodExpired('2026-04', now, 2)).toBe(false);
  });

  it('folds team settings, absent fields keeping their value', () => {
    const teams = foldTeamSettings([
      { type: 'TeamSettingsChanged', data: { teamId: 't1', contentLogging: true, contentRetentionMonths: 3 } },
      { type: 'RequestCompleted', data: { teamId: 't1' } },
      { type: 'TeamSettingsChanged', data: { teamId: 't1', contentLogging: false } },
    ]);
    expect(teams.get('t1')).toEqual({ contentLogging: false, contentRetentionMonths: 3 });
    expect(teams.get('t2')).toBeUndefined();
  });
});
