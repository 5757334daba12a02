/** Base class of every error thrown by @totra/analytics. */
export class AnalyticsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A series that cannot be analysed (unsorted, bad day, duplicate). */
export class InvalidSeriesError extends AnalyticsError {
  constructor(message: string) {
    super('TOTRA_ANALYTICS_SERIES', message);
  }
}
