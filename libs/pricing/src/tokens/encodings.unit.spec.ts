import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { loadEncoding, memoizeCounter } from './encodings.js';

describe('memoizeCounter', () => {
  it('encodes a repeated text once and returns the same count', () => {
    const seen: string[] = [];
    const count = memoizeCounter((t) => {
      seen.push(t);
      return t.length;
    });
    seen.length = 0; // the role names, counted up front
    const prompt = 'You are a helpful assistant. Answer in one sentence.';
    expect(count(prompt)).toBe(prompt.length);
    expect(count(prompt)).toBe(prompt.length);
    expect(count(`${prompt} `)).toBe(prompt.length + 1);
    expect(seen).toEqual([prompt, `${prompt} `]);
  });

  it('counts short texts every time (not worth a digest), but message roles once', () => {
    const seen: string[] = [];
    const count = memoizeCounter((t) => {
      seen.push(t);
      return t.length;
    });
    seen.length = 0;
    expect(count('hi there')).toBe(8);
    expect(count('hi there')).toBe(8);
    expect(count('user')).toBe(4);
    expect(count('assistant')).toBe(9);
    expect(seen).toEqual(['hi there', 'hi there']);
  });

  it('stays exact when older counts are dropped to bound its memory', () => {
    let calls = 0;
    const count = memoizeCounter((t) => {
      calls++;
      return t.length * 2;
    });
    calls = 0; // the role names, counted up front
    const texts = Array.from({ length: 20_000 }, (_, i) => `a text long enough to be remembered #${i}`);
    for (const t of texts) expect(count(t)).toBe(t.length * 2);
    expect(calls).toBe(texts.length);
    // The most recent ones are still remembered; the oldest were dropped and are counted again.
    calls = 0;
    expect(count(texts[texts.length - 1]!)).toBe(texts[texts.length - 1]!.length * 2);
    expect(calls).toBe(0);
    expect(count(texts[0]!)).toBe(texts[0]!.length * 2);
    expect(calls).toBe(1);
  });
});

describe('loadEncoding', () => {
  it('counts as gpt-tokenizer does, a second time from its memo included', async () => {
    const count = await loadEncoding('o200k_base');
    const plain = { disallowedSpecial: new Set<string>() };
    const texts = ['Say hello to the benchmark in five words.', 'お誕生日おめでとう、今日はいい天気ですね。', '<|endoftext|> is plain text here, not a special token', 'x'.repeat(3000)];
    for (const t of texts) {
      expect(count(t)).toBe(o200kCount(t, plain));
      expect(count(t)).toBe(o200kCount(t, plain));
    }
  });
});
