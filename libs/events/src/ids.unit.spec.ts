import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newEventId } from './ids.js';

const uuidv7 = z.uuidv7();

/** The 48-bit Unix milliseconds of a UUIDv7. */
function msOf(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

describe('newEventId', () => {
  it('makes RFC 9562 UUIDv7s: version 7, variant 10, the current Unix time in milliseconds', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => newEventId());
    const after = Date.now();
    for (const id of ids) {
      expect(uuidv7.safeParse(id).success).toBe(true);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    // The counter may move the timestamp on by a millisecond when it wraps; never backwards.
    expect(msOf(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(msOf(ids[ids.length - 1]!)).toBeLessThanOrEqual(after + 1);
  });

  it('sorts in creation order and never repeats, many ids in the same millisecond included', () => {
    const ids = Array.from({ length: 20_000 }, () => newEventId());
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    const perMs = new Map<number, number>();
    for (const id of ids) perMs.set(msOf(id), (perMs.get(msOf(id)) ?? 0) + 1);
    // The point of the test: several ids shared a millisecond, ordered by the counter alone.
    expect(Math.max(...perMs.values())).toBeGreaterThan(1);
  });

  it('varies the random tail between ids (pooled randomness is consumed, not reused)', () => {
    const tails = new Set(Array.from({ length: 5000 }, () => newEventId().slice(-10)));
    expect(tails.size).toBe(5000);
  });
});
