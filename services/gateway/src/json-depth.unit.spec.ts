import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}1${']'.repeat(depth - 1)}}`;

describe('nestedDeeperThan', () => {
  it('counts arrays and objects, up to and past the limit', () => {
    expect(nestedDeeperThan(bytes(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(bytes(nested(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH)).toBe(true);
    expect(nestedDeeperThan(bytes(nested(100_000)), MAX_JSON_DEPTH)).toBe(true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = `{"text":"${'[{'.repeat(500)} \\" ${'[{'.repeat(500)}","ok":[1,2,{"b":[]}]}`;
    expect(JSON.parse(text)).toBeTruthy();
    // { "ok": [ { "b": [ ] } ] }: four levels.
    expect(nestedDeeperThan(bytes(text), 4)).toBe(false);
    expect(nestedDeeperThan(bytes(text), 3)).toBe(true);
  });

  it('reads a string as it reads bytes', () => {
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('takes siblings as siblings, and UTF-8 text as text', () => {
    expect(nestedDeeperThan(bytes(`[${'[],'.repeat(1000)}[]]`), 2)).toBe(false);
    expect(nestedDeeperThan(bytes(`{"t":"${'ü[{€'.repeat(200)}"}`), 1)).toBe(false);
  });
});
