import { describe, expect, it } from 'vitest';
import { affordableOutputTokens, ceilMicroUsd, costOf, estimateMaxCost } from './cost.js';
import { type ModelPrice, usdPerMTok } from './price.js';

const gpt4o: ModelPrice = { inputPerMTokMicroUsd: 2_500_000, outputPerMTokMicroUsd: 10_000_000, cachedInputPerMTokMicroUsd: 1_250_000 };
const sonnet: ModelPrice = {
  inputPerMTokMicroUsd: 3_000_000,
  outputPerMTokMicroUsd: 15_000_000,
  cachedInputPerMTokMicroUsd: 300_000,
  cacheWritePerMTokMicroUsd: 3_750_000,
  cacheWrite1hPerMTokMicroUsd: 6_000_000,
};
const geminiPro: ModelPrice = {
  inputPerMTokMicroUsd: 1_250_000,
  outputPerMTokMicroUsd: 10_000_000,
  cachedInputPerMTokMicroUsd: 125_000,
  tiers: [{ aboveInputTokens: 200_000, inputPerMTokMicroUsd: 2_500_000, outputPerMTokMicroUsd: 15_000_000, cachedInputPerMTokMicroUsd: 250_000 }],
};

describe('usdPerMTok', () => {
  it('converts pricing-page decimals to integer micro-USD exactly', () => {
    expect(usdPerMTok('2.50')).toBe(2_500_000);
    expect(usdPerMTok('0.0375')).toBe(37_500);
    expect(usdPerMTok('0.00875')).toBe(8_750);
    expect(usdPerMTok('600')).toBe(600_000_000);
    expect(usdPerMTok('0.000001')).toBe(1);
  });

  it('rejects amounts that are not exact micro-USD', () => {
    for (const bad of ['1.1234567', '-1', 'abc', '1e3', '']) {
      expect(() => usdPerMTok(bad), bad).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }));
    }
  });
});

describe('costOf', () => {
  it('prices input and output per million tokens', () => {
    // 1000 x $2.50/M + 500 x $10/M = $0.0025 + $0.005
    expect(costOf({ inputTokens: 1000, outputTokens: 500 }, gpt4o)).toBe(7_500);
  });

  it('rounds up once, on the sum, to a whole micro-USD', () => {
    const mini: ModelPrice = { inputPerMTokMicroUsd: 150_000, outputPerMTokMicroUsd: 600_000 };
    expect(costOf({ inputTokens: 0, outputTokens: 0 }, mini)).toBe(0);
    // 0.15 micro-USD rounds up to 1
    expect(costOf({ inputTokens: 1, outputTokens: 0 }, mini)).toBe(1);
    // 0.15 + 0.60 = 0.75 micro-USD: one rounding on the sum gives 1, per-bucket rounding would give 2
    expect(costOf({ inputTokens: 1, outputTokens: 1 }, mini)).toBe(1);
    // exactly 1.0 micro-USD is not rounded up
    expect(costOf({ inputTokens: 4, outputTokens: 0 }, { inputPerMTokMicroUsd: 250_000, outputPerMTokMicroUsd: 0 })).toBe(1);
    // 1.000001 micro-USD is
    expect(costOf({ inputTokens: 4, outputTokens: 0 }, { inputPerMTokMicroUsd: 250_001, outputPerMTokMicroUsd: 0 })).toBe(2);
  });

  it('stays exact where floating point arithmetic would not', () => {
    const tokens = 825_602_067;
    const rate = 631_323_851;
    const price: ModelPrice = { inputPerMTokMicroUsd: rate, outputPerMTokMicroUsd: 0 };
    // 825602067 x 631323851 = 521222276332.7...e6: the exact ceiling is ...333
    expect(costOf({ inputTokens: tokens, outputTokens: 0 }, price)).toBe(521_222_276_333);
    expect(Math.ceil((tokens * rate) / 1e6)).not.toBe(521_222_276_333);
  });

  it('handles a billion tokens in every bucket without precision loss', () => {
    const billion = 1_000_000_000;
    const usage = {
      inputTokens: billion,
      outputTokens: billion,
      cachedInputTokens: billion,
      cacheWriteTokens: billion,
      cacheWrite1hTokens: 400_000_000,
      reasoningTokens: 300_000_000,
      convention: 'anthropic' as const,
    };
    // input 1e9 x $3 + cached 1e9 x $0.30 + 5m writes 6e8 x $3.75 + 1h writes 4e8 x $6
    // + output 7e8 x $15 + reasoning 3e8 x $15  = 3000 + 300 + 2250 + 2400 + 10500 + 4500 USD
    expect(costOf(usage, sonnet)).toBe(22_950_000_000);
    const o1pro: ModelPrice = { inputPerMTokMicroUsd: 150_000_000, outputPerMTokMicroUsd: 600_000_000 };
    expect(costOf({ inputTokens: 999_999_999, outputTokens: 999_999_999 }, o1pro)).toBe(749_999_999_250);
  });

  it('refuses costs beyond a safe integer of micro-USD', () => {
    const huge: ModelPrice = { inputPerMTokMicroUsd: Number.MAX_SAFE_INTEGER, outputPerMTokMicroUsd: 0 };
    expect(() => costOf({ inputTokens: 10_000_000, outputTokens: 0 }, huge)).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_OVERFLOW' }));
    expect(() => ceilMicroUsd(BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n + 1n)).toThrow(
      expect.objectContaining({ code: 'TOTRA_PRICE_OVERFLOW' }),
    );
  });

  it('prices cached tokens as a subset of input tokens in the OpenAI convention', () => {
    // 200 uncached x $2.50 + 800 cached x $1.25 = 500 + 1000
    expect(costOf({ inputTokens: 1000, cachedInputTokens: 800, outputTokens: 0 }, gpt4o)).toBe(1_500);
  });

  it('prices cache reads and writes on top of input tokens in the Anthropic convention', () => {
    const openaiShape = costOf({ inputTokens: 1000, cachedInputTokens: 800, outputTokens: 10 }, gpt4o);
    const anthropicShape = costOf({ inputTokens: 200, cachedInputTokens: 800, outputTokens: 10, convention: 'anthropic' }, gpt4o);
    expect(anthropicShape).toBe(openaiShape);
    // 100 x $3 + 1000 x $0.30 (read) + 2000 x $3.75 (5m write) + 1000 x $6 (1h write) + 50 x $15
    const usage = {
      inputTokens: 100,
      cachedInputTokens: 1000,
      cacheWriteTokens: 3000,
      cacheWrite1hTokens: 1000,
      outputTokens: 50,
      convention: 'anthropic' as const,
    };
    expect(costOf(usage, sonnet)).toBe(300 + 300 + 7_500 + 6_000 + 750);
  });

  it('adds Gemini thoughts to output, and keeps OpenAI reasoning inside output', () => {
    const withReasoning: ModelPrice = { ...gpt4o, reasoningPerMTokMicroUsd: 20_000_000 };
    // 100 output of which 40 reasoning: 60 x $10 + 40 x $20
    expect(costOf({ inputTokens: 0, outputTokens: 100, reasoningTokens: 40 }, withReasoning)).toBe(1_400);
    expect(costOf({ inputTokens: 0, outputTokens: 60, reasoningTokens: 40, convention: 'gemini' }, withReasoning)).toBe(1_400);
    // without a separate rate reasoning costs the output rate
    expect(costOf({ inputTokens: 0, outputTokens: 100, reasoningTokens: 40 }, gpt4o)).toBe(1_000);
  });

  it('rejects usage that contradicts its convention or is not a count', () => {
    const cases = [
      { inputTokens: 10, cachedInputTokens: 11, outputTokens: 0 },
      { inputTokens: 10, cachedInputTokens: 5, cacheWriteTokens: 6, outputTokens: 0 },
      { inputTokens: 0, outputTokens: 5, reasoningTokens: 6 },
      { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 1, cacheWrite1hTokens: 2, convention: 'anthropic' as const },
      { inputTokens: -1, outputTokens: 0 },
      { inputTokens: 1.5, outputTokens: 0 },
      { inputTokens: Number.NaN, outputTokens: 0 },
    ];
    for (const usage of cases) {
      expect(() => costOf(usage, gpt4o), JSON.stringify(usage)).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID_USAGE' }));
    }
  });

  it('rejects prices that are not non-negative integers', () => {
    expect(() => costOf({ inputTokens: 1, outputTokens: 1 }, { inputPerMTokMicroUsd: 2.5, outputPerMTokMicroUsd: 1 })).toThrow(
      expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }),
    );
    expect(() => costOf({ inputTokens: 1, outputTokens: 1 }, { inputPerMTokMicroUsd: 1, outputPerMTokMicroUsd: -1 })).toThrow(
      expect.objectContaining({ code: 'TOTRA_PRICE_INVALID' }),
    );
  });

  it('bills every token of a request above the long-context threshold at the higher tier', () => {
    expect(costOf({ inputTokens: 200_000, outputTokens: 1_000 }, geminiPro)).toBe(250_000 + 10_000);
    expect(costOf({ inputTokens: 200_001, outputTokens: 1_000 }, geminiPro)).toBe(500_003 + 15_000);
    // cached tokens count toward the threshold (they are part of the prompt)
    expect(costOf({ inputTokens: 300_000, cachedInputTokens: 150_000, outputTokens: 0 }, geminiPro)).toBe(375_000 + 37_500);
  });

  it('counts Anthropic cache reads and writes toward the prompt-size threshold', () => {
    const haiku55: ModelPrice = {
      inputPerMTokMicroUsd: 100_000,
      outputPerMTokMicroUsd: 500_000,
      cachedInputPerMTokMicroUsd: 10_000,
      tiers: [{ aboveInputTokens: 100_000, inputPerMTokMicroUsd: 500_000, outputPerMTokMicroUsd: 2_500_000, cachedInputPerMTokMicroUsd: 50_000 }],
    };
    const below = costOf({ inputTokens: 40_000, cachedInputTokens: 60_000, outputTokens: 1_000, convention: 'anthropic' }, haiku55);
    const above = costOf({ inputTokens: 40_001, cachedInputTokens: 60_000, outputTokens: 1_000, convention: 'anthropic' }, haiku55);
    expect(below).toBe(4_000 + 600 + 500);
    expect(above).toBe(20_001 + 3_000 + 2_500);
  });
});

describe('estimateMaxCost', () => {
  it('reserves input at the input rate and every possible output token', () => {
    expect(estimateMaxCost({ inputTokens: 1_000, maxOutputTokens: 4_096 }, gpt4o)).toBe(2_500 + 40_960);
  });

  it('uses the reasoning rate when it is higher than the output rate', () => {
    const price: ModelPrice = { ...gpt4o, reasoningPerMTokMicroUsd: 20_000_000 };
    expect(estimateMaxCost({ inputTokens: 0, maxOutputTokens: 1_000 }, price)).toBe(20_000);
  });

  it('selects the tier from the input size and never under-estimates the settled cost', () => {
    expect(estimateMaxCost({ inputTokens: 250_000, maxOutputTokens: 1_000 }, geminiPro)).toBe(625_000 + 15_000);
    const settled = costOf({ inputTokens: 250_000, cachedInputTokens: 100_000, outputTokens: 700 }, geminiPro);
    expect(settled).toBeLessThanOrEqual(estimateMaxCost({ inputTokens: 250_000, maxOutputTokens: 1_000 }, geminiPro));
  });

  it('rejects negative or fractional sizes', () => {
    expect(() => estimateMaxCost({ inputTokens: -1, maxOutputTokens: 1 }, gpt4o)).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID_USAGE' }));
    expect(() => estimateMaxCost({ inputTokens: 1, maxOutputTokens: 0.5 }, gpt4o)).toThrow(expect.objectContaining({ code: 'TOTRA_PRICE_INVALID_USAGE' }));
  });
});

describe('affordableOutputTokens', () => {
  it('is the largest output whose maximum cost fits the budget', () => {
    for (const [budget, input] of [
      [50_000, 1_000],
      [7_777, 123],
      [1, 0],
      [123_456_789, 150_000],
    ] as const) {
      const tokens = affordableOutputTokens(budget, input, gpt4o);
      expect(estimateMaxCost({ inputTokens: input, maxOutputTokens: tokens }, gpt4o)).toBeLessThanOrEqual(budget);
      expect(estimateMaxCost({ inputTokens: input, maxOutputTokens: tokens + 1 }, gpt4o)).toBeGreaterThan(budget);
    }
  });

  it('is 0 when the prompt alone exceeds the budget, unbounded when output is free', () => {
    expect(affordableOutputTokens(1, 1_000, gpt4o)).toBe(0);
    expect(affordableOutputTokens(0, 0, { inputPerMTokMicroUsd: 0, outputPerMTokMicroUsd: 0 })).toBe(Number.MAX_SAFE_INTEGER);
  });
});
