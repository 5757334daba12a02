import { describe, expect, it } from 'vitest';
import { knownModel } from './model-table.js';

describe('knownModel', () => {
  it('knows a model by its name, a dated snapshot, a Bedrock id or an Ollama tag', () => {
    expect(knownModel('gpt-5.5')).toEqual({ contextWindow: 1_050_000, maxOutputTokens: 128_000, kind: 'chat' });
    expect(knownModel('claude-haiku-4-5-20251001')?.contextWindow).toBe(200_000);
    expect(knownModel('us.anthropic.claude-opus-4-7-v1:0')?.contextWindow).toBe(1_000_000);
    expect(knownModel('qwen3:8b')?.contextWindow).toBe(40_960);
  });

  it('knows the members of a family it has no row for by the family', () => {
    expect(knownModel('gpt-5.7')?.contextWindow).toBe(1_050_000);
    expect(knownModel('gpt-5.6-mini')?.contextWindow).toBe(400_000);
    expect(knownModel('gpt-5.1')?.contextWindow).toBe(400_000);
    expect(knownModel('gpt-5.1-codex-mini')?.contextWindow).toBe(400_000);
    expect(knownModel('claude-fable-5-1')).toEqual({ contextWindow: 1_000_000, maxOutputTokens: 128_000, kind: 'chat' });
    expect(knownModel('claude-sonnet-5')?.maxOutputTokens).toBe(128_000);
    expect(knownModel('eu.anthropic.claude-haiku-5-5-v1:0')?.contextWindow).toBe(1_000_000);
    expect(knownModel('gemini-3.1-pro-preview')?.contextWindow).toBe(1_048_576);
    expect(knownModel('models/gemini-3.8-flash')?.maxOutputTokens).toBe(65_536);
  });

  it('does not guess outside its families', () => {
    expect(knownModel('gpt-6')).toBeUndefined();
    expect(knownModel('claude-sonnet-4-9')).toBeUndefined();
    expect(knownModel('my-gpt-5.5')).toBeUndefined();
    expect(knownModel('gemini-30-pro')).toBeUndefined();
  });
});
