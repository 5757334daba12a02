/** Data categories that have keys of their own. `identity`: email, name; `content`: prompts and responses (period keys). */
export type KeyCategory = 'identity' | 'content';

/** The retention period (calendar month, UTC) of an instant: `YYYY-MM`. */
export function periodOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** `YYYY-MM` shifted by `months` (may be negative). */
export function shiftPeriod(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + months, 1));
  return periodOf(d);
}

/**
 * The first period still kept: content of month P stays readable for `keepMonths` whole months
 * after P, so at `now` every period before `now`'s month minus `keepMonths` is expired and its
 * keys are shredded.
 */
export function retentionCutoff(now: Date, keepMonths: number): string {
  return shiftPeriod(periodOf(now), -keepMonths);
}

/** Whether the keys of `period` are due for shredding. */
export function isPeriodExpired(period: string, now: Date, keepMonths: number): boolean {
  return period < retentionCutoff(now, keepMonths);
}

/** A team's data settings, folded from `TeamSettingsChanged`. */
export interface TeamDataSettings {
  readonly contentLogging: boolean;
  readonly contentRetentionMonths: number | undefined;
}

/** Folds `TeamSettingsChanged` events (others are ignored): absent fields keep their previous value. */
export function foldTeamSettings(events: Iterable<{ type: string; data: Readonly<Record<string, unknown>> }>): Map<string, TeamDataSettings> {
  const teams = new Map<string, TeamDataSettings>();
  for (const e of events) {
    if (e.type !== 'TeamSettingsChanged' || typeof e.data['teamId'] !== 'string') continue;
    const prev = teams.get(e.data['teamId']) ?? { contentLogging: false, contentRetentionMonths: undefined };
    teams.set(e.data['teamId'], {
      contentLogging: typeof e.data['contentLogging'] === 'boolean' ? e.data['contentLogging'] : prev.contentLogging,
      contentRetentionMonths: typeof e.data['contentRetentionMonths'] === 'number' ? e.data['contentRetentionMonths'] : prev.contentRetentionMonths,
    });
  }
  return teams;
}
