import { describe, expect, it } from 'vitest';
import { buildBody as build } from '../adapters/adapters.test-kit.js';
import { decodeAnthropicRequest } from '../anthropic/anthropic.codec.js';
import { UnsupportedFeatureError } from '../errors.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { opaqueParts } from './extra.js';
import { mapRequestText } from './helpers.js';

const pdf = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }, title: 'contract.pdf', citations: { enabled: true }, cache_control: { type: 'ephemeral' } };
const file = { type: 'file', file: { filename: 'contract.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } };

describe('content the canonical model does not translate (ADR 0026)', () => {
  it('is kept as the client sent it: an Anthropic document, in a user turn or a tool result', () => {
    const req = decodeAnthropicRequest({
      model: 'claude',
      max_tokens: 10,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'summarize' }, pdf] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'fetch', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [pdf] }] },
      ],
    });
    expect(opaqueParts(req)).toEqual([
      { type: 'opaque', api: 'anthropic-messages', kind: 'document', value: pdf },
      { type: 'opaque', api: 'anthropic-messages', kind: 'document', value: pdf },
    ]);
  });

  it('goes to a provider of its own API as it came, also when the request was rewritten', async () => {
    const anthropic = mapRequestText(decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: 'summarize' }, pdf] }] }), (t) => t.toUpperCase());
    expect((await build('anthropic', anthropic))['messages']).toEqual([{ role: 'user', content: [{ type: 'text', text: 'SUMMARIZE' }, pdf] }]);
    const openai = mapRequestText(decodeOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'summarize' }, file] }] }), (t) => t.toUpperCase());
    for (const provider of ['openai', 'azure-openai'] as const) {
      expect((await build(provider, openai))['messages'], provider).toEqual([{ role: 'user', content: [{ type: 'text', text: 'SUMMARIZE' }, file] }]);
    }
  });

  it('is refused by a provider of another API, naming it, so that the executor tries the next deployment', async () => {
    const anthropic = decodeAnthropicRequest({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: [pdf] }] });
    for (const provider of ['openai', 'gemini', 'mistral', 'bedrock'] as const) {
      const err = await build(provider, anthropic).then(() => undefined, (e: unknown) => e);
      expect(err, provider).toBeInstanceOf(UnsupportedFeatureError);
      expect((err as Error).message).toBe(`a document (Anthropic Messages \`document\` content) cannot be sent to ${provider}: only a deployment that speaks the Anthropic Messages API takes it as it is`);
    }
    const openai = decodeOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] });
    for (const provider of ['anthropic', 'mistral'] as const) {
      await expect(build(provider, openai), provider).rejects.toThrow(/^audio \(OpenAI Chat Completions `input_audio` content\) cannot be sent to/);
    }
  });
});
