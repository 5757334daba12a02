import { describe, expect, it } from 'vitest';
import { lineMatcher } from './line-matcher.js';

const line = (type: string, data = '{}') => `{"data":${data},"hash":"00","id":"x","prev":"00","seq":1,"tenant":"t","time":"2026-01-01T00:00:00.000Z","type":"${type}","v":1}`;

describe('lineMatcher', () => {
  it('keeps lines of the wanted types and only those', () => {
    const wanted = lineMatcher(['RequestCompleted', 'SpendRecorded']);
    expect(wanted(line('RequestCompleted'))).toBe(true);
    expect(wanted(line('SpendRecorded'))).toBe(true);
    expect(wanted(line('RequestRejected'))).toBe(false);
    // A longer name that starts with a wanted one is another type.
    expect(wanted(line('SpendRecordedLater'))).toBe(false);
    expect(wanted(line('XSpendRecorded'))).toBe(false);
  });

  it('never matches with no types, and takes type names literally', () => {
    expect(lineMatcher([])(line('RequestCompleted'))).toBe(false);
    const dotted = lineMatcher(['A.B']);
    expect(dotted(line('A.B'))).toBe(true);
    expect(dotted(line('AxB'))).toBe(false);
  });
});
