import { describe, expect, it } from 'vitest';
import { type ChatRequest } from '@totra/providers';
import { IMAGE_TOKENS, roughTokens } from './chat-executor.js';

const photo = (bytes: number) => ({ type: 'image' as const, source: { type: 'base64' as const, mediaType: 'image/jpeg', data: 'A'.repeat(Math.ceil(bytes / 3) * 4) } });

describe('roughTokens: the input size that decides which context windows a request fits', () => {
  it('counts texts at four characters a token, wherever they are', () => {
    const request: ChatRequest = {
      model: 'm',
      stream: false,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 's'.repeat(400) }] },
        { role: 'user', content: [{ type: 'text', text: 'u'.repeat(800) }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'r'.repeat(40) }], toolCalls: [{ id: 'c1', name: 'find', arguments: 'a'.repeat(396) }] },
        { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 't'.repeat(400) }] },
      ],
      tools: [{ type: 'function', name: 'find', description: 'd'.repeat(100), parameters: { type: 'object' } }],
    };
    const schema = JSON.stringify({ type: 'object' }).length;
    expect(roughTokens(request)).toBe(Math.ceil((400 + 800 + 40 + 4 + 396 + 400 + 4 + 100 + schema) / 4));
  });

  it('counts an image as a flat number of tokens, not its bytes: a 3 MB photo fits a 128k window', () => {
    const request: ChatRequest = { model: 'm', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, photo(3_000_000), photo(50_000)] }] };
    expect(roughTokens(request)).toBe(Math.ceil('what is this?'.length / 4) + 2 * IMAGE_TOKENS);
    expect(roughTokens(request)).toBeLessThan(128_000);
  });

  it('is never below 1', () => {
    expect(roughTokens({ model: 'm', stream: false, messages: [{ role: 'user', content: [] }] })).toBe(1);
  });
});
