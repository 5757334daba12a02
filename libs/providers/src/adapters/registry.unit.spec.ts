import { describe, expect, it } from 'vitest';
import { ProviderKind, sameWireFormat } from './adapter.js';
import { getProviderAdapter, providerAdapters } from './registry.js';

describe('adapter registry', () => {
  it('has one adapter per provider kind, each naming itself', () => {
    for (const kind of ProviderKind.options) expect(getProviderAdapter(kind).provider).toBe(kind);
    expect(Object.keys(providerAdapters).sort()).toEqual([...ProviderKind.options].sort());
  });

  it('offers the passthrough fast path only where inbound and provider formats match', () => {
    expect(sameWireFormat('openai-chat', providerAdapters.openai)).toBe(true);
    expect(sameWireFormat('openai-chat', providerAdapters['azure-openai'])).toBe(true);
    expect(sameWireFormat('openai-chat', providerAdapters['openai-compatible'])).toBe(true);
    expect(sameWireFormat('anthropic-messages', providerAdapters.anthropic)).toBe(true);
    expect(sameWireFormat('anthropic-messages', providerAdapters.openai)).toBe(false);
    expect(sameWireFormat('openai-chat', providerAdapters.mistral)).toBe(false);
    expect(sameWireFormat('openai-responses', providerAdapters.openai)).toBe(false);
    expect(sameWireFormat('openai-chat', providerAdapters.bedrock)).toBe(false);
  });
});
