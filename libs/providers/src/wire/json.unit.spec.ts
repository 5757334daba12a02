import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest } from '../anthropic/anthropic.codec.js';
import { InboundRequestError } from '../errors.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';

/** The message and param a client gets for a request body. */
const refusal = (decode: (body: unknown) => unknown, body: unknown): { message: string; param: string | undefined } => {
  try {
    decode(body);
  } catch (err) {
    if (err instanceof InboundRequestError) return { message: err.message, param: err.param };
    throw err;
  }
  throw new Error('the body was accepted');
};

describe('formatIssues: what is wrong with a value that matches none of a union’s shapes', () => {
  const chat = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content }] });

  it('names a content part of an unsupported type, at its own path, with the types there are', () => {
    expect(refusal(decodeOpenAIChatRequest, chat([{ type: 'text', text: 'hi' }, { type: 'video_url', video_url: { url: 'https://example.com/v.mp4' } }]))).toEqual({
      message: "messages.0.content.1.type: Invalid discriminator value. Expected 'text' | 'image_url' | 'file' | 'input_audio'",
      param: 'messages.0.content.1.type',
    });
  });

  it('names the missing field of a content part', () => {
    expect(refusal(decodeOpenAIChatRequest, chat([{ type: 'text' }]))).toEqual({
      message: 'messages.0.content.0.text: Invalid input: expected string, received undefined',
      param: 'messages.0.content.0.text',
    });
  });

  it('lists the types a content may have when it has none of them', () => {
    expect(refusal(decodeOpenAIChatRequest, chat(42))).toEqual({ message: 'messages.0.content: Invalid input: expected string or array, received number', param: 'messages.0.content' });
  });

  it('does the same for the Anthropic Messages format', () => {
    const body = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'video', source: {} }] }] };
    const { message, param } = refusal(decodeAnthropicRequest, body);
    expect(param).toBe('messages.0.content.0.type');
    expect(message).toMatch(/^messages\.0\.content\.0\.type: Invalid discriminator value\. Expected 'text' \| 'image'/);
  });
});
