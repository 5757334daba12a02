import { describe, expect, it } from 'vitest';
import { redisKeyPrefix, uniquePrefix, uniqueStreamName } from './unique-names.js';

describe('unique names for shared test servers', () => {
  it('makes valid, distinct JetStream stream names', () => {
    const names = new Set(Array.from({ length: 200 }, () => uniqueStreamName('orders')));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^ORDERS_[0-9A-F]{10}$/);
  });

  it('makes subject prefixes of plain tokens and key prefixes ending with the separator', () => {
    expect(uniquePrefix('totra.test')).toMatch(/^totra\.test\.[0-9a-f]{10}$/);
    expect(redisKeyPrefix('quota')).toMatch(/^quota:[0-9a-f]{10}:$/);
    expect(uniquePrefix()).not.toBe(uniquePrefix());
  });

  it('refuses prefixes that would break the name', () => {
    expect(() => uniqueStreamName('a.b')).toThrow(expect.objectContaining({ code: 'TOTRA_TESTING_INVALID_NAME' }));
    expect(() => uniquePrefix('a.>')).toThrow(expect.objectContaining({ code: 'TOTRA_TESTING_INVALID_NAME' }));
    expect(() => redisKeyPrefix('a b')).toThrow(expect.objectContaining({ code: 'TOTRA_TESTING_INVALID_NAME' }));
  });
});
