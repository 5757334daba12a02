import type { ChatRequest } from '../canonical/chat.js';
import { prepareRequest, type Deployment, type ProviderKind } from './adapter.js';
import { providerAdapters } from './registry.js';

/** One deployment of every provider, as the adapters' tests build requests for them. */
export const DEPLOYMENTS: Record<ProviderKind, Deployment> = {
  openai: { provider: 'openai', model: 'gpt-4o', apiKey: 'k' },
  'azure-openai': { provider: 'azure-openai', model: 'gpt4o-prod', apiKey: 'k', baseUrl: 'https://acme.openai.azure.com' },
  'openai-compatible': { provider: 'openai-compatible', model: 'llama', baseUrl: 'http://vllm:8000/v1' },
  anthropic: { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' },
  gemini: { provider: 'gemini', model: 'gemini-2.5-flash', apiKey: 'k' },
  mistral: { provider: 'mistral', model: 'mistral-large-latest', apiKey: 'k' },
  cohere: { provider: 'cohere', model: 'command-r', apiKey: 'k' },
  bedrock: { provider: 'bedrock', model: 'anthropic.claude-3-haiku', region: 'eu-west-1', aws: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } },
  ollama: { provider: 'ollama', model: 'llama3', baseUrl: 'http://ollama:11434' },
};

/** The JSON body `prepareRequest` builds for the provider's deployment of {@link DEPLOYMENTS}. */
export async function buildBody(provider: ProviderKind, request: ChatRequest): Promise<Record<string, unknown>> {
  const req = await prepareRequest(providerAdapters[provider], request, DEPLOYMENTS[provider], new Date('2026-12-01T00:00:00Z'));
  return JSON.parse(typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body)) as Record<string, unknown>;
}

/** An Anthropic Messages body whose last turn is the result of one tool call, holding `blocks`. */
export function anthropicToolResultBody(blocks: unknown[]): Record<string, unknown> {
  return {
    model: 'claude',
    max_tokens: 10,
    messages: [
      { role: 'user', content: 'Look.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'fetch', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: blocks }] },
    ],
  };
}
