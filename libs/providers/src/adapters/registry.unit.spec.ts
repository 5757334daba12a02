import { describe, expect, it } from 'vitest';
import { ProviderKind, passthroughFor } from './adapter.js';
import { getProviderAdapter, providerAdapters } from './registry.js';

describe('adapter registry', () => {
  it('has one adapter per provider kind, each naming itself', () => {
    for (const kind of ProviderKind.options) expect(getProviderAdapter(kind).provider).toBe(kind);
    expect(Object.keys(providerAdapters).sort()).toEqual([...ProviderKind.options].sort());
  });

  it("offers the pass-through fast path only where a provider speaks the client's API", () => {
    const api = (inbound: 'openai-chat' | 'openai-responses' | 'anthropic-messages', kind: ProviderKind, model = 'm-1') =>
      passthroughFor(providerAdapters[kind], inbound, { provider: kind, model })?.inbound;
    expect(api('openai-chat', 'openai')).toBe('openai-chat');
    expect(api('openai-chat', 'azure-openai')).toBe('openai-chat');
    expect(api('openai-chat', 'openai-compatible')).toBe('openai-chat');
    expect(api('anthropic-messages', 'anthropic')).toBe('anthropic-messages');
    // OpenAI's and Azure OpenAI's Responses API (ADR 0029).
    expect(api('openai-responses', 'openai')).toBe('openai-responses');
    expect(api('openai-responses', 'azure-openai')).toBe('openai-responses');
    expect(api('openai-responses', 'openai-compatible')).toBeUndefined();
    expect(api('anthropic-messages', 'openai')).toBeUndefined();
    expect(api('openai-chat', 'mistral')).toBeUndefined();
    expect(api('openai-chat', 'bedrock')).toBeUndefined();
    // Bedrock's InvokeModel, for Claude models only (ADR 0031).
    expect(api('anthropic-messages', 'bedrock', 'anthropic.claude-haiku-4-5-20251001-v1:0')).toBe('anthropic-messages');
    expect(api('anthropic-messages', 'bedrock', 'amazon.nova-pro-v1:0')).toBeUndefined();
  });
});
