import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest } from '../anthropic/anthropic.codec.js';
import { InboundRequestError } from '../errors.js';
import { decodeOpenAIChatRequest } from '../openai/openai-chat.codec.js';
import { decodeOpenAIEmbeddingsRequest } from '../openai/openai-embeddings.codec.js';
import { decodeOpenAIResponsesRequest } from '../openai/openai-responses.codec.js';

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

  it('reports the shape an item names by its type or role, or lists the types there are', () => {
    const responses = (item: unknown) => refusal(decodeOpenAIResponsesRequest, { model: 'm', input: [item] });
    expect(responses({ type: 'function_call', call_id: 1, name: 'f', arguments: '{}' })).toEqual({ message: 'input.0.call_id: Invalid input: expected string, received number', param: 'input.0.call_id' });
    expect(responses({ role: 'user', content: 5 })).toEqual({ message: 'input.0.content: Invalid input: expected string or array, received number', param: 'input.0.content' });
    expect(responses({ type: 'web_search_call' })).toEqual({
      message: 'input.0.type: Invalid input: expected one of "function_call" | "function_call_output" | "custom_tool_call" | "custom_tool_call_output" | "reasoning" | "compaction" | "item_reference" | "shell_call" | "shell_call_output" | "local_shell_call" | "local_shell_call_output" | "apply_patch_call" | "apply_patch_call_output" | "computer_call" | "computer_call_output" | "message"',
      param: 'input.0.type',
    });
  });

  it('lists the types expected at the place every shape refused, or follows the shape that got furthest', () => {
    const embeddings = (input: unknown) => refusal(decodeOpenAIEmbeddingsRequest, { model: 'm', input });
    expect(embeddings([null])).toEqual({ message: 'input.0: Invalid input: expected string or number or array, received null', param: 'input.0' });
    expect(embeddings([[1, 'two']])).toEqual({ message: 'input.0.1: Invalid input: expected number, received string', param: 'input.0.1' });
    expect(embeddings([[1, 2], [3, null]])).toEqual({ message: 'input.1.1: Invalid input: expected number, received null', param: 'input.1.1' });
    // Texts and arrays mixed are named as such by the decoder, before the union's explainer.
    expect(embeddings(['one', 'two', [null]])).toEqual({ message: 'input: send texts or token ids, not both (input[0] is a text, input[2] an array)', param: 'input' });
  });

  it('lists the values and types a member takes when it has none of them', () => {
    expect(refusal(decodeOpenAIChatRequest, { model: 'm', messages: [{ role: 'user', content: 'hi' }], tool_choice: 'sometimes' })).toEqual({
      message: 'tool_choice: Invalid input: expected one of "none" | "auto" | "required" or object, received string',
      param: 'tool_choice',
    });
  });
});
