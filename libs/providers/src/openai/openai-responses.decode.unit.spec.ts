import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../canonical/stream-event.js';
import { formatSse } from '../wire/sse.js';
import { createOpenAIResponsesPassthroughParser, decodeOpenAIResponsesResponse } from './openai-responses.decode.js';

const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 2 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 19 };
const response = (over: Record<string, unknown>) => ({ id: 'resp_1', object: 'response', created_at: 1_800_000_000, model: 'gpt-4o-2024-08-06', status: 'completed', output: [], usage, ...over });

describe('OpenAI Responses answers read into the canonical model (ADR 0029)', () => {
  it('reads text, refusals, function calls, usage and why it ended', () => {
    const answer = decodeOpenAIResponsesResponse(
      JSON.stringify(
        response({
          output: [
            { type: 'reasoning', id: 'rs_1', summary: [] },
            { type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'Hello ', annotations: [] }, { type: 'output_text', text: 'there', annotations: [] }] },
            { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'lookup', arguments: '{"q":1}' },
          ],
        }),
      ),
    );
    expect(answer).toEqual({
      id: 'resp_1',
      model: 'gpt-4o-2024-08-06',
      created: 1_800_000_000,
      text: 'Hello there',
      toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":1}' }],
      finishReason: 'tool_calls',
      providerFinishReason: 'completed',
      usage: { inputTokens: 12, cachedInputTokens: 2, outputTokens: 7, reasoningTokens: 3, totalTokens: 19 },
    });
    expect(decodeOpenAIResponsesResponse(response({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }))).toMatchObject({ finishReason: 'length', providerFinishReason: 'max_output_tokens' });
    expect(decodeOpenAIResponsesResponse(response({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } })).finishReason).toBe('content_filter');
    expect(decodeOpenAIResponsesResponse(response({ output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'no' }] }] }))).toMatchObject({ refusal: 'no', finishReason: 'stop' });
    expect(() => decodeOpenAIResponsesResponse('{"id":"x"}')).toThrow(expect.objectContaining({ code: 'TOTRA_PROVIDER_INVALID_RESPONSE' }));
  });

  it('forwards every stream message as it came and reads it into events, in any split', () => {
    const frames = [
      { type: 'response.created', sequence_number: 0, response: response({ status: 'in_progress', usage: null }) },
      { type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { type: 'message', id: 'msg_1', content: [] } },
      { type: 'response.output_text.delta', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' },
      { type: 'response.output_item.added', sequence_number: 3, output_index: 1, item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'lookup', arguments: '' } },
      { type: 'response.function_call_arguments.delta', sequence_number: 4, item_id: 'fc_1', output_index: 1, delta: '{"q"' },
      { type: 'response.function_call_arguments.delta', sequence_number: 5, item_id: 'fc_1', output_index: 1, delta: ':1}' },
      { type: 'response.completed', sequence_number: 6, response: response({}) },
    ];
    const wire = frames.map((f) => formatSse(JSON.stringify(f), f.type)).join('');
    for (const size of [wire.length, 7, 1]) {
      const parser = createOpenAIResponsesPassthroughParser(() => 'TOTRA_PROVIDER_UNAVAILABLE');
      const events: StreamEvent[] = [];
      let forward = '';
      for (let i = 0; i < wire.length; i += size) {
        const r = parser.push(wire.slice(i, i + size));
        events.push(...r.events);
        forward += r.forward;
      }
      const last = parser.end();
      events.push(...last.events);
      forward += last.forward;
      expect(forward, `split ${size}`).toBe(wire);
      expect(events, `split ${size}`).toEqual([
        { type: 'message_start', id: 'resp_1', model: 'gpt-4o-2024-08-06', created: 1_800_000_000 },
        { type: 'text_delta', text: 'Hi' },
        { type: 'tool_call_start', index: 0, id: 'call_1', name: 'lookup' },
        { type: 'tool_call_delta', index: 0, argumentsDelta: '{"q"' },
        { type: 'tool_call_delta', index: 0, argumentsDelta: ':1}' },
        { type: 'usage', usage: { inputTokens: 12, cachedInputTokens: 2, outputTokens: 7, reasoningTokens: 3, totalTokens: 19 } },
        { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'completed' },
      ]);
    }
  });

  it('ends a stream that failed with an error event', () => {
    const parser = createOpenAIResponsesPassthroughParser((_message, type) => (type === 'rate_limit_exceeded' ? 'TOTRA_PROVIDER_RATE_LIMITED' : 'TOTRA_PROVIDER_UNAVAILABLE'));
    const failed = formatSse(JSON.stringify({ type: 'response.failed', response: response({ status: 'failed', usage: null, error: { code: 'server_error', message: 'boom' } }) }), 'response.failed');
    const error = formatSse(JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: 'slow down' }), 'error');
    expect(parser.push(failed).events).toEqual([
      { type: 'message_start', id: 'resp_1', model: 'gpt-4o-2024-08-06', created: 1_800_000_000 },
      { type: 'error', code: 'TOTRA_PROVIDER_UNAVAILABLE', message: 'boom' },
    ]);
    expect(parser.push(error).events).toEqual([{ type: 'error', code: 'TOTRA_PROVIDER_RATE_LIMITED', message: 'slow down' }]);
  });
});
