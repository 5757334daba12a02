import { describe, expect, it } from 'vitest';
import { bedrockAdapter } from '../bedrock/bedrock.adapter.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { anthropicAdapter } from './anthropic.adapter.js';
import { claudeTraits, claudeVersion } from './claude-models.js';

const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;
const aws = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('the request rules of Claude models, by version (ADR 0037)', () => {
  it('reads the version of every form of Claude model id', () => {
    const cases: [string, string | undefined][] = [
      ['claude-sonnet-4-5', '4.5'],
      ['claude-haiku-4-5-20251001', '4.5'],
      ['claude-opus-4-20250514', '4.0'],
      ['claude-opus-4-1-20250805', '4.1'],
      ['claude-sonnet-4-6@20260101', '4.6'],
      ['claude-opus-5', '5.0'],
      ['claude-opus-5-5', '5.5'],
      ['claude-fable-5-1', '5.1'],
      ['claude-3-7-sonnet-20250219', '3.7'],
      ['claude-3-5-haiku-latest', '3.5'],
      ['claude', undefined],
      ['gpt-4o', undefined],
      ['my-claude-sonnet-4-5', undefined],
    ];
    for (const [model, version] of cases) {
      const v = claudeVersion(model);
      expect(v && `${v.major}.${v.minor}`, model).toBe(version);
    }
  });

  it('knows what each generation takes', () => {
    const row = (model: string) => Object.entries(claudeTraits(model)).filter(([, on]) => on).map(([trait]) => trait);
    expect(row('claude-3-7-sonnet-20250219')).toEqual([]);
    expect(row('claude-opus-4-1')).toEqual([]);
    expect(row('claude-sonnet-4-5')).toEqual(['structuredOutputs', 'oneSampler']);
    expect(row('claude-opus-4-6')).toEqual(['structuredOutputs', 'oneSampler', 'adaptiveThinking']);
    for (const model of ['claude-opus-4-7', 'claude-sonnet-5', 'claude-opus-5-5', 'claude-haiku-5-5', 'claude-fable-5-1']) {
      expect(row(model), model).toEqual(['structuredOutputs', 'oneSampler', 'adaptiveThinking', 'noSampling', 'xhighEffort']);
    }
  });

  const openai = (extra: Record<string, unknown>) => decodeOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Think.' }], ...extra });
  const toClaude = (model: string, extra: Record<string, unknown>) => bodyOf(anthropicAdapter.buildRequest(openai(extra), { provider: 'anthropic', model, apiKey: 'k' }).body);
  const sampled = { temperature: 0.7, top_p: 0.9, top_k: 40 };

  it('writes reasoning as a budget before 4.6, as adaptive thinking at an effort level from 4.6', () => {
    expect(toClaude('claude-sonnet-4-5', { reasoning_effort: 'high' })).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 24576 }, max_tokens: 4096 + 24576 });
    expect(toClaude('claude-sonnet-4-5', { reasoning_effort: 'high' })).not.toHaveProperty('output_config');
    const levels = (model: string) =>
      Object.fromEntries(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'].map((e) => [e, (toClaude(model, { reasoning_effort: e })['output_config'] as { effort?: string } | undefined)?.effort]));
    expect(levels('claude-opus-4-6')).toEqual({ none: undefined, minimal: 'low', low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'max' });
    expect(levels('claude-opus-5-5')).toEqual({ none: undefined, minimal: 'low', low: 'low', medium: 'medium', high: 'high', xhigh: 'xhigh', max: 'max' });
    const high = toClaude('claude-opus-5-5', { reasoning_effort: 'high' });
    expect(high['thinking']).toEqual({ type: 'adaptive' });
    // The same room for thinking as the budget form gave.
    expect(high['max_tokens']).toBe(4096 + 24576);
    expect(toClaude('claude-opus-5-5', { reasoning_effort: 'none' })).not.toHaveProperty('thinking');
  });

  it('sends no sampling parameter from 4.7, one of temperature and top_p from 4.5, and all before', () => {
    const samplers = (model: string, extra: Record<string, unknown> = {}) => {
      const body = toClaude(model, { ...sampled, ...extra });
      return ['temperature', 'top_p', 'top_k'].filter((p) => body[p] !== undefined);
    };
    expect(samplers('claude-3-7-sonnet-20250219')).toEqual(['temperature', 'top_p', 'top_k']);
    expect(samplers('claude-sonnet-4-5')).toEqual(['temperature', 'top_k']);
    expect(samplers('claude-sonnet-4-5', { temperature: undefined })).toEqual(['top_p', 'top_k']);
    // With thinking, Claude keeps its own temperature and top_k, and takes a top_p of 0.95 or more only.
    expect(samplers('claude-opus-4-6', { reasoning_effort: 'low' })).toEqual([]);
    expect(samplers('claude-opus-4-6', { reasoning_effort: 'low', top_p: 0.97 })).toEqual(['top_p']);
    expect(samplers('claude-sonnet-4-5', { reasoning_effort: 'low', top_p: 0.97 })).toEqual(['top_p']);
    for (const model of ['claude-opus-4-7', 'claude-opus-5-5', 'claude-fable-5-1']) {
      expect(samplers(model), model).toEqual([]);
      expect(samplers(model, { reasoning_effort: 'low' }), model).toEqual([]);
    }
  });

  it('puts the effort beside a structured output in one output_config', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false };
    const body = toClaude('claude-opus-5-5', { reasoning_effort: 'medium', response_format: { type: 'json_schema', json_schema: { name: 'count', schema, strict: true } } });
    expect(body['output_config']).toEqual({ format: { type: 'json_schema', schema }, effort: 'medium' });
  });

  it('writes the same for Claude on Bedrock Converse', () => {
    const converse = (model: string, extra: Record<string, unknown>) =>
      bodyOf(bedrockAdapter.buildRequest(openai({ ...sampled, ...extra }), { provider: 'bedrock', model, region: 'us-east-1', aws }).body);
    const latest = converse('us.anthropic.claude-opus-5-5-v1:0', { reasoning_effort: 'xhigh' });
    expect(latest['additionalModelRequestFields']).toEqual({ thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' } });
    expect(latest['inferenceConfig']).toEqual({ maxTokens: 4096 + 32768 });
    const older = converse('anthropic.claude-sonnet-4-5-20250929-v1:0', {});
    expect(older['inferenceConfig']).toEqual({ temperature: 0.7 });
    expect(older['additionalModelRequestFields']).toEqual({ top_k: 40 });
    // Not Claude: as before.
    expect(converse('amazon.nova-pro-v1:0', {})['inferenceConfig']).toEqual({ temperature: 0.7, topP: 0.9 });
  });
});
