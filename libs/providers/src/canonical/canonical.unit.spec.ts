import { describe, expect, it } from 'vitest';
import { ChatRequest, type ChatResponse } from './chat.js';
import { forEachRequestText, mapRequestText } from './helpers.js';
import { createStreamAccumulator, isCountedUsage, mergeUsage, responseToStreamEvents, StreamEvent } from './stream-event.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';

const request = ChatRequest.parse(JSON.parse(canonicalRaw));

describe('canonical schemas', () => {
  it('accept the fixture request and reject unknown roles', () => {
    expect(ChatRequest.safeParse(request).success).toBe(true);
    expect(ChatRequest.safeParse({ ...request, messages: [{ role: 'function', content: [] }] }).success).toBe(false);
  });

  it('validate stream events', () => {
    expect(StreamEvent.safeParse({ type: 'tool_call_delta', index: 0, argumentsDelta: '{' }).success).toBe(true);
    expect(StreamEvent.safeParse({ type: 'tool_call_delta', index: -1, argumentsDelta: '{' }).success).toBe(false);
  });
});

describe('usage merging', () => {
  it('lets later fields win and recomputes the total', () => {
    const a = mergeUsage(undefined, { inputTokens: 10, outputTokens: 1, cachedInputTokens: 4 });
    expect(a).toEqual({ inputTokens: 10, outputTokens: 1, totalTokens: 11, cachedInputTokens: 4 });
    expect(mergeUsage(a, { outputTokens: 30 })).toEqual({ inputTokens: 10, outputTokens: 30, totalTokens: 40, cachedInputTokens: 4 });
    expect(mergeUsage(a, { totalTokens: 99 })).toMatchObject({ totalTokens: 99 });
  });
});

describe('stream accumulator', () => {
  it('rebuilds the response a stream describes, and replays it back', () => {
    const response: ChatResponse = {
      id: 'r',
      model: 'm',
      created: 3,
      text: 'hello world',
      toolCalls: [
        { id: 'a', name: 'f', arguments: '{"x":1}' },
        { id: 'b', name: 'g', arguments: '{}', signature: 's' },
      ],
      reasoning: [{ type: 'reasoning', text: 'think', signature: 'sig' }],
      finishReason: 'tool_calls',
      stopSequence: 'END',
      usage: { inputTokens: 5, outputTokens: 6, totalTokens: 11, reasoningTokens: 2 },
    };
    const acc = createStreamAccumulator();
    acc.pushAll(responseToStreamEvents(response));
    expect(acc.result()).toEqual(response);
    expect(acc.text()).toBe('hello world');
  });

  it('reports an error finish when the stream failed', () => {
    const acc = createStreamAccumulator();
    acc.pushAll([
      { type: 'message_start', id: 'x', model: 'm', created: 0 },
      { type: 'text_delta', text: 'par' },
      { type: 'error', code: 'TOTRA_PROVIDER_UNAVAILABLE', message: 'Overloaded' },
    ]);
    expect(acc.result().finishReason).toBe('error');
    expect(acc.error()).toEqual({ code: 'TOTRA_PROVIDER_UNAVAILABLE', message: 'Overloaded' });
  });
});

describe('mapRequestText', () => {
  it('rewrites message text and tool arguments, and keeps the request when nothing changes', () => {
    const seen: string[] = [];
    forEachRequestText(request, (text, where) => {
      seen.push(where);
      expect(typeof text).toBe('string');
    });
    expect(seen).toEqual(['system', 'user', 'tool_arguments', 'tool_result', 'user', 'definition', 'field']);
    expect(mapRequestText(request, (t) => t)).toBe(request);
    const redacted = mapRequestText(request, (t) => t.replace('Paris', '[CITY]'));
    expect(redacted).not.toBe(request);
    expect(JSON.stringify(redacted.messages)).not.toContain('Paris');
    expect(JSON.stringify(request.messages)).toContain('Paris');
    expect(redacted.messages[0]).toBe(request.messages[0]);
  });

  it("rewrites the texts of tool and response format definitions and stop sequences, not the schemas' own words", () => {
    const email = 'ops@corp.example';
    const tool = {
      type: 'function' as const,
      name: 'notify',
      description: `Send a note to ${email}`,
      parameters: {
        type: 'object',
        properties: {
          to: { type: 'string', format: 'email', pattern: '^[^@]+@corp\\.example$', enum: [email, 'desk@corp.example'], default: email, description: 'who' },
          level: { type: 'string', enum: ['low', 'high'] },
        },
        required: ['to'],
      },
    };
    const untouched = { type: 'function' as const, name: 'noop', parameters: { type: 'object', properties: {} } };
    const base: ChatRequest = {
      model: 'm',
      stream: false,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [tool, untouched],
      responseFormat: { type: 'json_schema', name: 'note', description: `a note for ${email}`, schema: { type: 'object', properties: { by: { const: email } } } },
      stop: [`--${email}`, 'END'],
    };
    const seen: [string, string][] = [];
    forEachRequestText(base, (text, where) => seen.push([text, where]));
    expect(seen).toEqual([
      ['hi', 'user'],
      [`Send a note to ${email}`, 'definition'],
      [email, 'definition'],
      ['desk@corp.example', 'definition'],
      [email, 'definition'],
      ['who', 'definition'],
      ['low', 'definition'],
      ['high', 'definition'],
      [`a note for ${email}`, 'definition'],
      [email, 'definition'],
      [`--${email}`, 'field'],
      ['END', 'field'],
    ]);
    expect(mapRequestText(base, (t) => t)).toBe(base);
    const out = mapRequestText(base, (t) => t.replaceAll(email, '<EMAIL_1>'));
    expect(JSON.stringify(out)).not.toContain(email);
    expect(out.tools?.[0]).toEqual({
      ...tool,
      description: 'Send a note to <EMAIL_1>',
      parameters: { ...tool.parameters, properties: { ...tool.parameters.properties, to: { ...tool.parameters.properties.to, enum: ['<EMAIL_1>', 'desk@corp.example'], default: '<EMAIL_1>' } } },
    });
    expect(out.tools?.[1]).toBe(untouched);
    expect(out.responseFormat).toEqual({ type: 'json_schema', name: 'note', description: 'a note for <EMAIL_1>', schema: { type: 'object', properties: { by: { const: '<EMAIL_1>' } } } });
    expect(out.stop).toEqual(['--<EMAIL_1>', 'END']);
    expect(out.messages).toBe(base.messages);
    // The client's request is left as it was.
    expect(JSON.stringify(base)).toContain(email);
  });
});

describe('isCountedUsage', () => {
  it('takes safe non-negative integers only', () => {
    expect(isCountedUsage({ inputTokens: 10, outputTokens: 0, cachedInputTokens: 3 })).toBe(true);
    expect(isCountedUsage({})).toBe(true);
    for (const bad of [-1, 1.5, 2 ** 53, 1e308, Number.NaN]) expect(isCountedUsage({ inputTokens: 10, outputTokens: bad }), String(bad)).toBe(false);
  });
});
