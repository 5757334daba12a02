import { describe, expect, it } from 'vitest';
import { prepareRequest } from '../adapters/adapter.js';
import { providerAdapters } from '../adapters/registry.js';
import { ChatRequest } from '../canonical/chat.js';
import { mapRequestText } from '../canonical/helpers.js';
import { mergeUsage, type StreamEvent } from '../canonical/stream-event.js';
import { SseDecoder } from '../wire/sse.js';
import requestRaw from '../testdata/anthropic/messages-request.json?raw';
import {
  createAnthropicStreamEncoder,
  decodeAnthropicCountTokensRequest,
  decodeAnthropicRequest,
  encodeAnthropicModel,
  encodeAnthropicModelPage,
  encodeAnthropicRequest,
  encodeAnthropicResponse,
  usageFromAnthropic,
  usageToAnthropic,
} from './anthropic.codec.js';

describe('decodeAnthropicRequest', () => {
  it('decodes system blocks, thinking, tool use, tool results and sampling into canonical form', () => {
    const req = decodeAnthropicRequest(JSON.parse(requestRaw));
    expect(ChatRequest.safeParse(req).success).toBe(true);
    expect(req).toEqual({
      model: 'claude-sonnet-4-20250514',
      stream: true,
      maxTokens: 4096,
      messages: [
        {
          role: 'system',
          content: [
            { type: 'text', text: 'You are a travel assistant.' },
            { type: 'text', text: 'Long policy document...', cacheControl: { type: 'ephemeral' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'url', url: 'https://example.com/eiffel.jpg' } },
            { type: 'text', text: 'Where is this, and what is the weather there?' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'The photo shows the Eiffel Tower.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' },
            { type: 'text', text: 'That is Paris. Checking the weather.' },
          ],
          toolCalls: [{ id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }],
        },
        { role: 'tool', toolCallId: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', content: [{ type: 'text', text: '18 degrees, sunny' }] },
        { role: 'user', content: [{ type: 'text', text: 'Great, thanks!' }] },
      ],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Get the current weather in a given location',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
            required: ['city'],
          },
        },
      ],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      reasoning: { budgetTokens: 2048 },
      topK: 5,
      stop: ['\n\nHuman:'],
      user: 'user-7',
    });
  });

  it('round-trips to an equivalent Anthropic request', () => {
    const original = JSON.parse(requestRaw) as Record<string, unknown>;
    const again = encodeAnthropicRequest(decodeAnthropicRequest(original), { model: 'claude-sonnet-4-20250514' });
    expect(again['messages']).toEqual(original['messages']);
    expect(again['system']).toEqual(original['system']);
    expect(again['tool_choice']).toEqual(original['tool_choice']);
    expect(again['thinking']).toEqual(original['thinking']);
    expect(again['metadata']).toEqual(original['metadata']);
    expect(again['max_tokens']).toBe(4096);
  });

  it('keeps the cache breakpoints of tool calls and tool results, also after a rewrite, and gives Bedrock its cache point', async () => {
    const wire = {
      model: 'claude',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'read the log of jane@example.com' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'read_log', input: { user: 'jane@example.com' }, cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'jane@example.com logged in', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      ],
    };
    const rewritten = mapRequestText(decodeAnthropicRequest(wire), (t) => t.replaceAll('jane@example.com', '<EMAIL_1>'));
    expect(encodeAnthropicRequest(rewritten, { model: 'claude' })['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'read the log of <EMAIL_1>' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'read_log', input: { user: '<EMAIL_1>' }, cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: '<EMAIL_1> logged in', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
    ]);
    const bedrock = await prepareRequest(providerAdapters.bedrock, rewritten, { provider: 'bedrock', model: 'anthropic.claude', region: 'eu-west-1', apiKey: 'k' }, new Date('2026-12-01T00:00:00Z'));
    const messages = (JSON.parse(bedrock.body as string) as { messages: { content: unknown[] }[] }).messages;
    expect(messages[2]?.content).toEqual([{ toolResult: { toolUseId: 't1', content: [{ text: '<EMAIL_1> logged in' }] } }, { cachePoint: { type: 'default' } }]);
  });

  it("reads strict tool use into the request's tools, strict for OpenAI where its rules hold", async () => {
    const closed = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const open = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'], additionalProperties: false };
    const req = decodeAnthropicRequest({
      model: 'claude',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [
        { name: 'closed', input_schema: closed, strict: true },
        { name: 'optional_days', input_schema: open, strict: true },
        { name: 'plain', input_schema: closed },
      ],
    });
    expect(req.tools?.map((t) => t.strict)).toEqual([true, undefined, undefined]);
    expect(req.unreadTexts).toBeUndefined();
    const body = JSON.parse((await prepareRequest(providerAdapters.openai, req, { provider: 'openai', model: 'gpt-4o', apiKey: 'k' }, new Date())).body as string) as { tools: { function: { name: string; strict?: boolean } }[] };
    expect(body.tools.map((t) => [t.function.name, t.function.strict])).toEqual([['closed', true], ['optional_days', undefined], ['plain', undefined]]);
  });

  describe('structured outputs (output_config.format)', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } }, required: ['city', 'tags'], additionalProperties: false };
    const body = (outputConfig: unknown) => ({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'where?' }], output_config: outputConfig });
    const openai = { provider: 'openai' as const, model: 'gpt-4o', apiKey: 'k' };
    const date = new Date('2026-12-01T00:00:00Z');

    it('is read as the response format: OpenAI gets a strict JSON schema, Claude its own output_config and no instruction', async () => {
      const req = decodeAnthropicRequest(body({ format: { type: 'json_schema', schema } }));
      expect(req.responseFormat).toEqual({ type: 'json_schema', name: 'response', schema, strict: true });
      const toOpenAI = JSON.parse((await prepareRequest(providerAdapters.openai, req, openai, date)).body as string) as Record<string, unknown>;
      expect(toOpenAI['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema, strict: true } });
      expect(toOpenAI['output_config']).toBeUndefined();
      const toClaude = JSON.parse((await prepareRequest(providerAdapters.anthropic, req, { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' }, date)).body as string) as Record<string, unknown>;
      expect(toClaude['output_config']).toEqual({ format: { type: 'json_schema', schema } });
      expect(toClaude['system']).toBeUndefined();
      // Another API's schema reaches a Claude model without structured outputs as an instruction (ADR 0035).
      const fromOpenAI = encodeAnthropicRequest({ ...req, extra: undefined }, { model: 'claude' });
      expect(JSON.stringify(fromOpenAI['system'])).toContain('conforms to this JSON Schema');
      expect(fromOpenAI['output_config']).toBeUndefined();
    });

    it('stays translated when the PII stage rewrites a text in the schema', async () => {
      const withMail = { ...schema, description: 'reply to jane@example.com' };
      const req = mapRequestText(decodeAnthropicRequest(body({ format: { type: 'json_schema', schema: withMail } })), (t) => t.replaceAll('jane@example.com', '<EMAIL_1>'));
      expect(req.extra?.translated).toEqual(['output_config']);
      const toOpenAI = (await prepareRequest(providerAdapters.openai, req, openai, date)).body as string;
      expect(toOpenAI).toContain('reply to <EMAIL_1>');
      expect(toOpenAI).not.toContain('jane@example.com');
      expect(JSON.parse(toOpenAI)).not.toHaveProperty('output_config');
    });

    it('is not strict for OpenAI when the schema leaves a property optional or an object open', () => {
      const optional = { ...schema, required: ['city'] };
      expect(decodeAnthropicRequest(body({ format: { type: 'json_schema', schema: optional } })).responseFormat).toEqual({ type: 'json_schema', name: 'response', schema: optional });
      const open = { type: 'object', properties: { a: { type: 'object', properties: {} } }, required: ['a'], additionalProperties: false };
      expect(decodeAnthropicRequest(body({ format: { type: 'json_schema', schema: open } })).responseFormat).not.toHaveProperty('strict');
      // Values of `enum`, `const` and `default` are data, not schemas.
      const withData = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } }, required: ['b'], additionalProperties: false, default: { b: 'x', c: { properties: {} } } } }, required: ['a'], additionalProperties: false };
      expect(decodeAnthropicRequest(body({ format: { type: 'json_schema', schema: withData } })).responseFormat).toMatchObject({ strict: true });
    });

    it('asks for nothing when its members are null: left out for other providers, sent to Claude', async () => {
      const req = decodeAnthropicRequest(body({ format: null, effort: null }));
      expect(req.responseFormat).toBeUndefined();
      const toOpenAI = JSON.parse((await prepareRequest(providerAdapters.openai, req, openai, date)).body as string) as Record<string, unknown>;
      expect(toOpenAI).not.toHaveProperty('output_config');
      expect(toOpenAI).not.toHaveProperty('response_format');
      const toClaude = JSON.parse((await prepareRequest(providerAdapters.anthropic, req, { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' }, date)).body as string) as Record<string, unknown>;
      expect(toClaude['output_config']).toEqual({ format: null, effort: null });
    });

    it('stays unread, for Claude only, when output_config asks for more than a schema', async () => {
      for (const config of [{ effort: 'high', format: { type: 'json_schema', schema } }, { format: { type: 'xml' } }, { format: { type: 'json_schema', schema: 'not an object' } }]) {
        const req = decodeAnthropicRequest(body(config));
        expect(req.responseFormat).toBeUndefined();
        await expect(prepareRequest(providerAdapters.openai, req, openai, date)).rejects.toThrow(/`output_config` \(of the Anthropic Messages request\) cannot be sent to openai/);
      }
    });
  });

  it('requires max_tokens and rejects unknown block types', () => {
    expect(() => decodeAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).toThrow(
      expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST', param: 'max_tokens' }),
    );
    expect(() => decodeAnthropicRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'video' }] }] })).toThrow(
      expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST' }),
    );
  });
});

describe('decodeAnthropicCountTokensRequest', () => {
  it('parses a count_tokens body without max_tokens', () => {
    const req = decodeAnthropicCountTokensRequest({
      model: 'claude-sonnet-4-20250514',
      system: 'Be nice',
      messages: [{ role: 'user', content: 'Hello, world' }],
      tools: [{ name: 't', input_schema: { type: 'object' } }],
    });
    expect(req).toEqual({
      model: 'claude-sonnet-4-20250514',
      stream: false,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be nice' }] },
        { role: 'user', content: [{ type: 'text', text: 'Hello, world' }] },
      ],
      tools: [{ type: 'function', name: 't', parameters: { type: 'object' } }],
    });
  });
});

describe('Anthropic usage', () => {
  it('reads cache reads, writes and the writes kept for an hour, and writes them back', () => {
    const wire = { input_tokens: 10, cache_creation_input_tokens: 6, cache_read_input_tokens: 2, cache_creation: { ephemeral_5m_input_tokens: 2, ephemeral_1h_input_tokens: 4 }, output_tokens: 3 };
    const update = usageFromAnthropic(wire);
    expect(update).toEqual({ inputTokens: 18, cachedInputTokens: 2, cacheWriteInputTokens: 6, cacheWrite1hInputTokens: 4, outputTokens: 3 });
    expect(usageToAnthropic(mergeUsage(undefined, update ?? {}))).toEqual(wire);
    expect(usageFromAnthropic({ input_tokens: 5, output_tokens: 1 })).toEqual({ inputTokens: 5, outputTokens: 1 });
  });
});

describe('encodeAnthropicResponse', () => {
  it('writes a message with tool_use input as an object and uncached input tokens', () => {
    expect(
      encodeAnthropicResponse({
        id: 'chatcmpl-1',
        model: 'gpt-4o',
        created: 1,
        text: 'Checking.',
        toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        finishReason: 'tool_calls',
        usage: { inputTokens: 1117, outputTokens: 46, totalTokens: 1163, cachedInputTokens: 1024 },
      }),
    ).toEqual({
      id: 'chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' }, caller: { type: 'direct' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 93, cache_creation_input_tokens: 0, cache_read_input_tokens: 1024, output_tokens: 46 },
    });
  });

  it('reports stop sequences and length stops', () => {
    expect(encodeAnthropicResponse({ id: 'a', model: 'm', created: 0, text: 'x', toolCalls: [], finishReason: 'stop', stopSequence: 'END' })).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    expect(encodeAnthropicResponse({ id: 'a', model: 'm', created: 0, text: 'x', toolCalls: [], finishReason: 'length' })).toMatchObject({
      stop_reason: 'max_tokens',
    });
  });
});

describe('createAnthropicStreamEncoder', () => {
  it('writes the documented event sequence, holding message_start for its usage', () => {
    const events: StreamEvent[] = [
      { type: 'message_start', id: 'chatcmpl-1', model: 'gpt-4o', created: 1 },
      { type: 'text_delta', text: 'Hi' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'f' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{"a":1}' },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 5, cachedInputTokens: 4 } },
    ];
    const enc = createAnthropicStreamEncoder();
    const messages = new SseDecoder().push(events.map((e) => enc.push(e)).join('') + enc.end());
    expect(messages.map((m) => m.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const data = messages.map((m) => JSON.parse(m.data) as Record<string, unknown>);
    expect(data[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(data[2]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } });
    expect(data[4]).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'f', input: {}, caller: { type: 'direct' } } });
    expect(data[5]).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } });
    expect(data[7]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 16, cache_creation_input_tokens: 0, cache_read_input_tokens: 4, output_tokens: 5 },
    });
    expect(data[8]).toEqual({ type: 'message_stop' });
  });

  it('ends with an error event and nothing after it', () => {
    const enc = createAnthropicStreamEncoder({ model: 'alias' });
    const text =
      enc.push({ type: 'message_start', id: 'm', model: 'x', created: 0 }) +
      enc.push({ type: 'error', code: 'TOTRA_PROVIDER_RATE_LIMITED', message: 'slow down' }) +
      enc.end();
    const messages = new SseDecoder().push(text);
    expect(messages.map((m) => m.event)).toEqual(['message_start', 'error']);
    expect(JSON.parse(messages[1]?.data ?? '')).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
    expect(JSON.parse(messages[0]?.data ?? '')).toMatchObject({ message: { model: 'alias' } });
  });
});

describe('Models API list pages', () => {
  const models = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
  const ids = (page: Record<string, unknown>) => (page['data'] as { id: string }[]).map((m) => m.id);

  it('writes each model as the Models API does', () => {
    expect(encodeAnthropicModel({ id: 'claude-x', created: 1_700_000_000 })).toEqual({ type: 'model', id: 'claude-x', display_name: 'claude-x', created_at: '2023-11-14T22:13:20Z' });
  });

  it('pages forward from the start and after a cursor, saying whether more follow', () => {
    expect(encodeAnthropicModelPage(models, { limit: 2 })).toMatchObject({ has_more: true, first_id: 'a', last_id: 'b' });
    expect(ids(encodeAnthropicModelPage(models, { limit: 2, afterId: 'b' }))).toEqual(['c', 'd']);
    expect(encodeAnthropicModelPage(models, { limit: 2, afterId: 'd' })).toMatchObject({ has_more: false, first_id: 'e', last_id: 'e' });
    expect(encodeAnthropicModelPage(models, { limit: 20 })).toMatchObject({ has_more: false, first_id: 'a', last_id: 'e' });
  });

  it('pages backward before a cursor', () => {
    expect(encodeAnthropicModelPage(models, { limit: 2, beforeId: 'e' })).toMatchObject({ has_more: true, first_id: 'c', last_id: 'd' });
    expect(encodeAnthropicModelPage(models, { limit: 2, beforeId: 'c' })).toMatchObject({ has_more: false, first_id: 'a', last_id: 'b' });
  });

  it('pages from where a cursor that is gone would sort, and ends with an empty page', () => {
    expect(ids(encodeAnthropicModelPage(models, { limit: 2, afterId: 'bb' }))).toEqual(['c', 'd']);
    expect(ids(encodeAnthropicModelPage(models, { limit: 2, beforeId: 'cc' }))).toEqual(['b', 'c']);
    expect(encodeAnthropicModelPage(models, { limit: 2, afterId: 'z' })).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
  });
});
