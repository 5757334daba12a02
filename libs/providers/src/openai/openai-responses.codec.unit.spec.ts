import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../canonical/stream-event.js';
import { SseDecoder } from '../wire/sse.js';
import { createOpenAIResponsesStreamEncoder, decodeOpenAIResponsesRequest, encodeOpenAIResponsesResponse } from './openai-responses.codec.js';

describe('decodeOpenAIResponsesRequest', () => {
  it('decodes string input with instructions', () => {
    expect(decodeOpenAIResponsesRequest({ model: 'gpt-4.1', input: 'Tell me a joke', instructions: 'Be terse', max_output_tokens: 50 })).toEqual({
      model: 'gpt-4.1',
      stream: false,
      maxTokens: 50,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be terse' }] },
        { role: 'user', content: [{ type: 'text', text: 'Tell me a joke' }] },
      ],
    });
  });

  it('decodes items: messages, images, function calls and their outputs', () => {
    const req = decodeOpenAIResponsesRequest({
      model: 'gpt-4.1',
      stream: true,
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '18C' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'It is 18C.' }] },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'high' },
    });
    expect(req.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AAAA' } }] },
      { role: 'assistant', content: [], toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: [{ type: 'text', text: '18C' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'It is 18C.' }] },
    ]);
    expect(req.toolChoice).toEqual({ type: 'tool', name: 'get_weather' });
    expect(req.responseFormat).toEqual({ type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true });
    expect(req.reasoning).toEqual({ effort: 'high' });
    expect(req.stream).toBe(true);
  });

  it('refuses stateful requests and built-in tools', () => {
    expect(() => decodeOpenAIResponsesRequest({ model: 'm', input: 'x', previous_response_id: 'resp_1' })).toThrow(
      expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST', param: 'previous_response_id' }),
    );
    expect(() => decodeOpenAIResponsesRequest({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] })).toThrow(
      expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST' }),
    );
    // A conversation kept at OpenAI, and a background response retrieved later: state the gateway does not keep.
    for (const conversation of ['conv_1', { id: 'conv_1' }]) {
      expect(() => decodeOpenAIResponsesRequest({ model: 'm', input: 'x', conversation })).toThrow(expect.objectContaining({ param: 'conversation' }));
    }
    expect(() => decodeOpenAIResponsesRequest({ model: 'm', input: 'x', background: true })).toThrow(expect.objectContaining({ param: 'background' }));
    expect(decodeOpenAIResponsesRequest({ model: 'm', input: 'x', background: false, conversation: null }).extra).toBeUndefined();
  });
});

describe('encodeOpenAIResponsesResponse', () => {
  it('writes message and function_call output items with usage', () => {
    const body = encodeOpenAIResponsesResponse({
      id: 'abc',
      model: 'claude',
      created: 1700000000,
      text: 'Hello',
      toolCalls: [{ id: 'call_9', name: 'f', arguments: '{}' }],
      finishReason: 'tool_calls',
      usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8, reasoningTokens: 1 },
    });
    expect(body).toEqual({
      id: 'resp_abc',
      object: 'response',
      created_at: 1700000000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'claude',
      output: [
        { type: 'message', id: 'msg_abc', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] },
        { type: 'function_call', id: 'fc_call_9', call_id: 'call_9', name: 'f', arguments: '{}', status: 'completed' },
      ],
      usage: {
        input_tokens: 5,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 3,
        output_tokens_details: { reasoning_tokens: 1 },
        total_tokens: 8,
      },
    });
  });

  it('marks a length stop as incomplete', () => {
    const body = encodeOpenAIResponsesResponse({ id: 'r', model: 'm', created: 0, text: 'cut', toolCalls: [], finishReason: 'length' });
    expect(body).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});

describe('createOpenAIResponsesStreamEncoder', () => {
  it('emits the documented event sequence with increasing sequence numbers', () => {
    const events: StreamEvent[] = [
      { type: 'message_start', id: 'r1', model: 'm', created: 5 },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'f' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{}' },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
    ];
    const enc = createOpenAIResponsesStreamEncoder();
    const messages = new SseDecoder().push(events.map((e) => enc.push(e)).join('') + enc.end());
    expect(messages.map((m) => m.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const payloads = messages.map((m) => JSON.parse(m.data) as Record<string, unknown>);
    expect(payloads.map((p) => p['sequence_number'])).toEqual(payloads.map((_, i) => i));
    expect(payloads[6]).toMatchObject({ type: 'response.output_text.done', text: 'Hello' });
    expect(payloads[13]).toMatchObject({
      response: {
        id: 'resp_r1',
        status: 'completed',
        output: [{ type: 'message', content: [{ text: 'Hello' }] }, { type: 'function_call', call_id: 'call_1', arguments: '{}' }],
        usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
      },
    });
  });
});
