import { encode as cl100kEncode } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { loadEncoding, loadTokenCodec, memoizeCounter } from './encodings.js';

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

describe('loadTokenCodec', () => {
  it('turns token ids into the text they encode and back, as gpt-tokenizer does', async () => {
    const codec = await loadTokenCodec('cl100k_base');
    expect(codec.encoding).toBe('cl100k_base');
    for (const text of ['Mail jane.doe@example.com, café, 日本語のテキスト', '<|endoftext|> is plain text here']) {
      const ids = codec.encode(text);
      expect(ids).toEqual(cl100kEncode(text, { disallowedSpecial: new Set<string>() }));
      expect(codec.decode(ids)).toBe(text);
    }
    // The special token's own id decodes to its text.
    expect(codec.decode([100257])).toBe('<|endoftext|>');
  });

  it('names the first id that is not a token of the encoding', async () => {
    const codec = await loadTokenCodec('cl100k_base');
    const ids = codec.encode('hello world');
    // 100256 is a gap between the ordinary and the special tokens; 200000 is past the vocabulary.
    expect(codec.decode([...ids, 100256, 5])).toEqual({ invalidAt: ids.length });
    expect(codec.decode([200_000, ...ids])).toEqual({ invalidAt: 0 });
    expect(codec.decode([1.5])).toEqual({ invalidAt: 0 });
  });

  it('is loaded once and shared', async () => {
    expect(await loadTokenCodec('o200k_base')).toBe(await loadTokenCodec('o200k_base'));
  });
});
