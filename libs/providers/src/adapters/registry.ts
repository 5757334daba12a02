import { anthropicAdapter } from '../anthropic/anthropic.adapter.js';
import { bedrockAdapter } from '../bedrock/bedrock.adapter.js';
import { cohereAdapter } from '../cohere/cohere.adapter.js';
import { geminiAdapter } from '../gemini/gemini.adapter.js';
import { mistralAdapter } from '../mistral/mistral.adapter.js';
import { ollamaAdapter } from '../ollama/ollama.adapter.js';
import { azureOpenAIAdapter, openaiAdapter, openaiCompatibleAdapter } from '../openai/openai.adapter.js';
import type { ProviderAdapter, ProviderKind } from './adapter.js';

/** Every adapter, by provider kind. */
export const providerAdapters: Readonly<Record<ProviderKind, ProviderAdapter>> = Object.freeze({
  openai: openaiAdapter,
  'azure-openai': azureOpenAIAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  mistral: mistralAdapter,
  cohere: cohereAdapter,
  bedrock: bedrockAdapter,
  ollama: ollamaAdapter,
  'openai-compatible': openaiCompatibleAdapter,
});

/** The adapter for a provider kind. */
export function getProviderAdapter(kind: ProviderKind): ProviderAdapter {
  return providerAdapters[kind];
}
