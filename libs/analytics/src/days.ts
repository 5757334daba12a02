/** Day arithmetic on `YYYY-MM-DD` strings (UTC). */
const MS_DAY = 86_400_000;

export const toMs = (day: string): number => Date.parse(`${day}T00:00:00.000Z`);
export const fromMs = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const addDays = (day: string, n: number): string => fromMs(toMs(day) + n * MS_DAY);
export const daysBetween = (a: string, b: string): number => Math.round((toMs(b) - toMs(a)) / MS_DAY);
/** 0 = Sunday ... 6 = Saturday. */
export const weekday = (day: string): number => new Date(toMs(day)).getUTCDay();

/** Last day of the month of `day`. */
export function monthEnd(day: string): string {
  const d = new Date(toMs(day));
  return fromMs(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
}

/** Last day of the calendar quarter of `day`. */
export function quarterEnd(day: string): string {
  const d = new Date(toMs(day));
  const q = Math.floor(d.getUTCMonth() / 3);
  return fromMs(Date.UTC(d.getUTCFullYear(), q * 3 + 3, 0));
}

/** First day of the month / quarter of `day`. */
export const monthStart = (day: string): string => `${day.slice(0, 7)}-01`;
export function quarterStart(day: string): string {
  const d = new Date(toMs(day));
  return fromMs(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1));
}
