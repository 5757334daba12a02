import { describe, expect, it } from 'vitest';
import { prepareRequest } from '../adapters/adapter.js';
import { providerAdapters } from '../adapters/registry.js';
import { ChatRequest } from '../canonical/chat.js';
import { createStreamAccumulator, isCountedUsage, responseToStreamEvents, type StreamEvent } from '../canonical/stream-event.js';
import { SseDecoder } from '../wire/sse.js';
import requestRaw from '../testdata/openai/chat-request.json?raw';
import choicesRaw from '../testdata/openai/chat-response-choices.json?raw';
import choicesStreamRaw from '../testdata/openai/chat-stream-choices.sse?raw';
import functionCallRaw from '../testdata/openai/chat-response-function-call.json?raw';
import functionCallStreamRaw from '../testdata/openai/chat-stream-function-call.sse?raw';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import { openaiAdapter } from './openai.adapter.js';
import { createOpenAIChatStreamEncoder, decodeOpenAIChatRequest, decodeOpenAIChatResponse, encodeOpenAIChatRequest, encodeOpenAIChatResponse } from './openai-chat.codec.js';

describe('decodeOpenAIChatRequest', () => {
  it('decodes every documented field into the canonical request', () => {
    const req = decodeOpenAIChatRequest(JSON.parse(requestRaw));
    expect(ChatRequest.safeParse(req).success).toBe(true);
    expect(req).toEqual({
      model: 'gpt-4o',
      stream: true,
      includeUsage: true,
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Answer briefly.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Paris and Berlin?' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/sky.jpg' }, detail: 'low' },
            { type: 'image', source: { type: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
          ],
        },
        {
          role: 'assistant',
          content: [],
          toolCalls: [
            { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { id: 'call_2', name: 'get_weather', arguments: '{"city":"Berlin"}' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: [{ type: 'text', text: '18C' }] },
        { role: 'tool', toolCallId: 'call_2', name: 'get_weather', content: [{ type: 'text', text: '12C' }] },
      ],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Current weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: true,
        },
      ],
      toolChoice: { type: 'tool', name: 'get_weather' },
      parallelToolCalls: false,
      temperature: 0.7,
      maxTokens: 300,
      stop: ['STOP'],
      responseFormat: { type: 'json_object' },
      user: 'user-42',
      // A member the decoder does not read travels as it came (ADR 0025).
      extra: { format: 'openai-chat', members: { logit_bias: { '50256': -100 } } },
    });
  });

  it('rejects malformed bodies with the offending field', () => {
    expect(() => decodeOpenAIChatRequest({ model: 'x', messages: [{ role: 'user' }] })).toThrow(
      expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST', param: 'messages.0.content' }),
    );
    expect(() => decodeOpenAIChatRequest({ model: 'x', messages: [] })).toThrow(expect.objectContaining({ param: 'messages' }));
    for (const n of [0, 129, 1.5, '2']) {
      expect(() => decodeOpenAIChatRequest({ model: 'x', messages: [{ role: 'user', content: 'a' }], n }), String(n)).toThrow(expect.objectContaining({ param: 'n' }));
    }
    expect(() => decodeOpenAIChatRequest('not json')).toThrow(expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST' }));
  });

  it('refuses a spoken answer, naming the member, and lets a text-only one through', () => {
    const messages = [{ role: 'user', content: 'Say hi.' }];
    expect(() => decodeOpenAIChatRequest({ model: 'gpt-4o-audio-preview', messages, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } })).toThrow(
      expect.objectContaining({ param: 'modalities', message: expect.stringContaining('spoken answers are not supported') }),
    );
    expect(() => decodeOpenAIChatRequest({ model: 'gpt-4o-audio-preview', messages, audio: { voice: 'alloy', format: 'wav' } })).toThrow(expect.objectContaining({ param: 'audio' }));
    expect(decodeOpenAIChatRequest({ model: 'gpt-4o', messages, modalities: ['text'], audio: null }).extra?.members).toEqual({ modalities: ['text'], audio: null });
  });

  it('round-trips through the outbound encoder to the same OpenAI request', () => {
    const original = JSON.parse(requestRaw) as Record<string, unknown>;
    const body = encodeOpenAIChatRequest(decodeOpenAIChatRequest(original), { model: 'gpt-4o', maxTokensField: 'max_tokens' });
    expect(body['messages']).toEqual([
      { role: 'developer', content: 'Answer briefly.' },
      (original['messages'] as unknown[])[1],
      (original['messages'] as unknown[])[2],
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: '12C' },
    ]);
    expect(body['tool_choice']).toEqual(original['tool_choice']);
    expect(body['max_tokens']).toBe(300);
    expect(body['stop']).toEqual(['STOP']);
  });

  it('reads the prompt-cache marker OpenAI-format clients of Anthropic models set, for Anthropic only', async () => {
    const ephemeral = { type: 'ephemeral' as const };
    const request = decodeOpenAIChatRequest({
      model: 'claude',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'long rules', cache_control: ephemeral }] },
        { role: 'user', content: [{ type: 'text', text: 'look', cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' }, cache_control: ephemeral }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'result', cache_control: ephemeral }] },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } }, cache_control: ephemeral }],
    });
    const anthropic = await prepareRequest(providerAdapters.anthropic, request, { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' }, new Date('2026-12-01T00:00:00Z'));
    const body = JSON.parse(anthropic.body as string) as Record<string, unknown>;
    expect(body['system']).toEqual([{ type: 'text', text: 'long rules', cache_control: ephemeral }]);
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'look', cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, cache_control: ephemeral }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: [{ type: 'text', text: 'result', cache_control: ephemeral }] }] },
    ]);
    expect((body['tools'] as Record<string, unknown>[])[0]?.['cache_control']).toEqual(ephemeral);
    // OpenAI caches by itself: the marker is not sent there.
    expect(JSON.stringify(encodeOpenAIChatRequest(request, { model: 'gpt-4o' }))).not.toContain('cache_control');
    // A marker Anthropic would not take is refused at the door, naming it.
    expect(() => decodeOpenAIChatRequest({ model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: 'a', cache_control: { type: 'forever' } }] }] })).toThrow(
      expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST', param: 'messages.0.content.0.cache_control.type' }),
    );
  });
});

describe('processing tiers', () => {
  it('are read from answers and chunks with the usage, written back in OpenAI’s names only, and are not counts', () => {
    const answer = openaiAdapter.parseResponse(200, JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-5.4', service_tier: 'priority', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
    expect(answer.usage?.serviceTier).toBe('priority');
    expect(encodeOpenAIChatResponse(answer)['service_tier']).toBe('priority');
    const parser = openaiAdapter.createStreamParser();
    const events = parser.push(`data: ${JSON.stringify({ id: 'c', model: 'm', created: 1, service_tier: 'flex', choices: [], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } })}\n\n`);
    expect(events.find((e) => e.type === 'usage')).toMatchObject({ usage: { serviceTier: 'flex', inputTokens: 5 } });
    expect(isCountedUsage({ inputTokens: 5, serviceTier: 'flex' })).toBe(true);
    // Anthropic's tier names are not OpenAI's: not written to an OpenAI client.
    expect(encodeOpenAIChatResponse({ ...answer, usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6, serviceTier: 'standard' } })).not.toHaveProperty('service_tier');
  });
});

describe('encodeOpenAIChatResponse', () => {
  it('writes a chat.completion with tool calls and detailed usage', () => {
    const body = encodeOpenAIChatResponse(
      {
        id: 'chatcmpl-1',
        model: 'claude-sonnet-4',
        created: 1700000000,
        text: '',
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        finishReason: 'tool_calls',
        usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cachedInputTokens: 50 },
      },
      { model: 'smart' },
    );
    expect(body).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'smart',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 50 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });
});

describe('createOpenAIChatStreamEncoder', () => {
  const events: StreamEvent[] = [
    { type: 'message_start', id: 'chatcmpl-9', model: 'claude', created: 1700000000 },
    { type: 'text_delta', text: 'Hi "there"' },
    { type: 'tool_call_start', index: 0, id: 'toolu_1', name: 'f' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '{"a":' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '1}' },
    { type: 'usage', usage: { inputTokens: 10, outputTokens: 1 } },
    { type: 'finish', finishReason: 'tool_calls' },
    { type: 'usage', usage: { outputTokens: 7 } },
  ];
  const decode = (text: string) => new SseDecoder().push(text).map((m) => (m.data === '[DONE]' ? m.data : (JSON.parse(m.data) as Record<string, unknown>)));

  it('emits OpenAI chunks and the final usage chunk when asked', () => {
    const enc = createOpenAIChatStreamEncoder({ includeUsage: true, model: 'smart' });
    const text = events.map((e) => enc.push(e)).join('') + enc.end();
    const chunks = decode(text);
    expect(chunks.at(-1)).toBe('[DONE]');
    expect(chunks[0]).toEqual({
      id: 'chatcmpl-9',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'smart',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
      usage: null,
    });
    expect(chunks[1]).toMatchObject({ choices: [{ delta: { content: 'Hi "there"' } }] });
    expect(chunks[2]).toMatchObject({ choices: [{ delta: { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '' } }] } }] });
    expect(chunks[4]).toMatchObject({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }] });
    expect(chunks[5]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'tool_calls' }] });
    expect(chunks[6]).toMatchObject({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 } });
    expect(chunks).toHaveLength(8);
  });

  it('lets the gateway set the id and time when the provider gives none', () => {
    const enc = createOpenAIChatStreamEncoder({ id: 'chatcmpl-gw', created: 1750000000 });
    const first = decode(enc.push({ type: 'message_start', id: '', model: 'amazon.nova', created: 0 }))[0];
    expect(first).toMatchObject({ id: 'chatcmpl-gw', created: 1750000000, model: 'amazon.nova' });
  });

  it('omits usage entirely when the client did not ask', () => {
    const enc = createOpenAIChatStreamEncoder();
    const text = events.map((e) => enc.push(e)).join('') + enc.end();
    expect(text).not.toContain('usage');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('replays a complete response as a stream', () => {
    const enc = createOpenAIChatStreamEncoder();
    const replay = responseToStreamEvents({ id: 'c', model: 'm', created: 1, text: 'cached answer', toolCalls: [], finishReason: 'stop' });
    const chunks = decode(replay.map((e) => enc.push(e)).join('') + enc.end());
    expect(chunks.map((c) => (typeof c === 'string' ? c : (c['choices'] as { delta: unknown }[])[0]?.delta))).toEqual([
      { role: 'assistant', content: '' },
      { content: 'cached answer' },
      {},
      '[DONE]',
    ]);
  });
});

describe('several choices (n)', () => {
  const ask = (n: unknown) => decodeOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Name a colour.' }], n });
  const decode = (text: string) => new SseDecoder().push(text).map((m) => (m.data === '[DONE]' ? m.data : (JSON.parse(m.data) as Record<string, unknown>)));

  it('reads n into the request and writes it for providers of the OpenAI chat format', async () => {
    expect(ask(3).choices).toBe(3);
    expect(ask(1).choices).toBeUndefined();
    expect(ask(null).choices).toBeUndefined();
    expect(encodeOpenAIChatRequest(ask(3))['n']).toBe(3);
    expect(encodeOpenAIChatRequest(ask(1))).not.toHaveProperty('n');
    for (const provider of ['openai', 'azure-openai', 'openai-compatible', 'mistral'] as const) {
      const req = await prepareRequest(providerAdapters[provider], ask(4), { provider, model: 'm', apiKey: 'k', baseUrl: 'http://upstream/v1', apiVersion: '2024-10-21' }, new Date());
      expect(JSON.parse(req.body as string), provider).toMatchObject({ n: 4 });
    }
    // Gemini's candidates, up to eight.
    const gemini = { provider: 'gemini' as const, model: 'gemini-2.5-flash', apiKey: 'k' };
    expect(JSON.parse((await prepareRequest(providerAdapters.gemini, ask(4), gemini, new Date())).body as string)).toMatchObject({ generationConfig: { candidateCount: 4 } });
    await expect(prepareRequest(providerAdapters.gemini, ask(9), gemini, new Date())).rejects.toMatchObject({ feature: 'n', message: 'n: gemini writes at most 8 choices per request, and this one asks for 9' });
  });

  it('is refused by name for a provider that writes one choice per request', async () => {
    for (const provider of ['anthropic', 'cohere', 'ollama'] as const) {
      const refusal = prepareRequest(providerAdapters[provider], ask(2), { provider, model: 'm', apiKey: 'k', baseUrl: 'http://upstream' }, new Date());
      await expect(refusal, provider).rejects.toMatchObject({ feature: 'n', message: `n: ${provider} writes one choice per request, and this one asks for 2` });
    }
  });

  it('reads every choice of an answer in the order of its index, and writes them back', () => {
    const answer = {
      id: 'chatcmpl-3',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-4o',
      choices: [
        { index: 2, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'pick', arguments: '{"c":"blue"}' } }] }, finish_reason: 'tool_calls' },
        { index: 0, message: { role: 'assistant', content: 'Red.' }, finish_reason: 'stop' },
        { index: 1, message: { role: 'assistant', content: 'Green, or' }, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 },
    };
    const res = decodeOpenAIChatResponse(answer);
    expect(res).toMatchObject({ text: 'Red.', finishReason: 'stop', usage: { inputTokens: 5, outputTokens: 12 } });
    expect(res.moreChoices).toEqual([
      { text: 'Green, or', toolCalls: [], finishReason: 'length', providerFinishReason: 'length' },
      { text: '', toolCalls: [{ id: 'call_9', name: 'pick', arguments: '{"c":"blue"}' }], finishReason: 'tool_calls', providerFinishReason: 'tool_calls' },
    ]);
    const back = encodeOpenAIChatResponse(res) as { choices: { index: number; message: { content: string | null }; finish_reason: string }[] };
    expect(back.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'Red.', 'stop'],
      [1, 'Green, or', 'length'],
      [2, null, 'tool_calls'],
    ]);
    // One choice, as before: no `moreChoices`.
    expect(decodeOpenAIChatResponse({ ...answer, choices: [answer.choices[1]] })).not.toHaveProperty('moreChoices');
  });

  it('follows each choice of an interleaved stream, and streams them back by index', () => {
    const chunk = (choices: unknown[], usage?: unknown) => `data: ${JSON.stringify({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices, ...(usage ? { usage } : {}) })}\n\n`;
    const upstream = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' } }]),
      chunk([{ index: 1, delta: { role: 'assistant', content: '' } }]),
      chunk([{ index: 0, delta: { content: 'Red' } }]),
      chunk([{ index: 1, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'pick', arguments: '' } }] } }]),
      chunk([{ index: 0, delta: { content: '.' } }, { index: 1, delta: { tool_calls: [{ index: 0, function: { arguments: '{"c":"blue"}' } }] } }]),
      chunk([{ index: 1, delta: {}, finish_reason: 'tool_calls' }]),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      chunk([], { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 }),
      'data: [DONE]\n\n',
    ].join('');
    const events = providerAdapters.openai.createStreamParser().push(upstream);
    expect(events.filter((e) => e.type === 'finish')).toEqual([
      { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'tool_calls', choice: 1 },
      { type: 'finish', finishReason: 'stop', providerFinishReason: 'stop' },
    ]);
    const acc = createStreamAccumulator();
    acc.pushAll(events);
    expect(acc.result()).toMatchObject({
      text: 'Red.',
      finishReason: 'stop',
      moreChoices: [{ text: '', toolCalls: [{ id: 'call_1', name: 'pick', arguments: '{"c":"blue"}' }], finishReason: 'tool_calls' }],
      usage: { inputTokens: 5, outputTokens: 9 },
    });
    // Written back for an OpenAI client: each choice opens with its role, then its deltas, then its finish.
    const enc = createOpenAIChatStreamEncoder({ includeUsage: true });
    const chunks = decode(events.map((e) => enc.push(e)).join('') + enc.end()).filter((c) => typeof c !== 'string') as { choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[] }[];
    const of = (index: number) => chunks.flatMap((c) => c.choices.filter((x) => x.index === index));
    expect(of(0).map((c) => [c.delta, c.finish_reason])).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'Red' }, null],
      [{ content: '.' }, null],
      [{}, 'stop'],
    ]);
    expect(of(1).map((c) => [c.delta, c.finish_reason])).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'pick', arguments: '' } }] }, null],
      [{ tool_calls: [{ index: 0, function: { arguments: '{"c":"blue"}' } }] }, null],
      [{}, 'tool_calls'],
    ]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 9 } });
    // Replayed from a whole answer, the choices come back the same.
    const replayed = createStreamAccumulator();
    replayed.pushAll(responseToStreamEvents(acc.result()));
    expect(replayed.result()).toEqual(acc.result());
    // A provider's far-off choice number costs nothing: the choices are kept by number, in order.
    const far = createStreamAccumulator();
    far.pushAll([...events, { type: 'text_delta', text: 'odd', choice: 1_000_000_000 }]);
    expect(far.result().moreChoices?.map((c) => c.text)).toEqual(['', 'odd']);
  });

  it("reads OpenAI's answer and stream of several choices (fixtures), fed in any split", () => {
    const res = providerAdapters.openai.parseResponse(200, choicesRaw);
    expect([res.text, ...(res.moreChoices ?? []).map((c) => c.text)]).toEqual(['Blue.', 'Green, the colour of', '']);
    expect(res.moreChoices?.[1]?.toolCalls).toEqual([{ id: 'call_Xq2', name: 'pick_colour', arguments: '{"hue":"red"}' }]);
    const bytes = utf8(choicesStreamRaw);
    for (const plan of splitPlans(bytes.length)) {
      const acc = createStreamAccumulator();
      acc.pushAll(feed(providerAdapters.openai.createStreamParser(), bytes, plan.cuts));
      expect(acc.result(), plan.name).toMatchObject({
        text: 'Blue – like the sea 🌊.',
        finishReason: 'stop',
        moreChoices: [{ text: '', toolCalls: [{ id: 'call_Yz', name: 'pick_colour', arguments: '{"hue":"red"}' }], finishReason: 'tool_calls' }],
        usage: { inputTokens: 12, outputTokens: 17 },
      });
    }
  });
});

describe("OpenAI's deprecated function calling (functions, function_call)", () => {
  const functions = [
    { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    { name: 'get_time' },
  ];
  const history = [
    { role: 'user', content: 'Weather in Zürich and Bern, and the time?' },
    { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"Zürich"}' } },
    { role: 'function', name: 'get_weather', content: '18C' },
    { role: 'assistant', content: 'Now Bern.', function_call: { name: 'get_weather', arguments: '{"city":"Bern"}' } },
    { role: 'assistant', content: null, function_call: { name: 'get_time', arguments: '{}' } },
    { role: 'function', name: 'get_weather', content: '12C' },
    { role: 'function', name: 'get_time', content: null },
  ];

  it('reads functions as tools, function_call as the choice, and pairs each result with the earliest open call of its function', () => {
    const req = decodeOpenAIChatRequest({ model: 'gpt-4o', messages: history, functions, function_call: { name: 'get_weather' } });
    expect(req.tools).toEqual([
      { type: 'function', name: 'get_weather', description: 'The weather in a city', parameters: functions[0]?.parameters },
      { type: 'function', name: 'get_time', parameters: { type: 'object', properties: {} } },
    ]);
    expect(req.toolChoice).toEqual({ type: 'tool', name: 'get_weather' });
    expect(req.parallelToolCalls).toBe(false);
    expect(req.legacyFunctions).toBe(true);
    expect(req.extra).toBeUndefined();
    expect(req.messages.slice(1)).toEqual([
      { role: 'assistant', content: [], toolCalls: [{ id: 'call_fn_1', name: 'get_weather', arguments: '{"city":"Zürich"}' }] },
      { role: 'tool', toolCallId: 'call_fn_1', name: 'get_weather', content: [{ type: 'text', text: '18C' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Now Bern.' }], toolCalls: [{ id: 'call_fn_3', name: 'get_weather', arguments: '{"city":"Bern"}' }] },
      { role: 'assistant', content: [], toolCalls: [{ id: 'call_fn_4', name: 'get_time', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'call_fn_3', name: 'get_weather', content: [{ type: 'text', text: '12C' }] },
      { role: 'tool', toolCallId: 'call_fn_4', name: 'get_time', content: [{ type: 'text', text: '' }] },
    ]);
    expect(decodeOpenAIChatRequest({ model: 'gpt-4o', messages: history, functions, function_call: 'none' }).toolChoice).toEqual({ type: 'none' });
    expect(decodeOpenAIChatRequest({ model: 'gpt-4o', messages: history, functions }).toolChoice).toBeUndefined();
    // A result no call asked for keeps an id of its own.
    const lone = decodeOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'function', name: 'get_time', content: '9:00' }], functions });
    expect(lone.messages[0]).toMatchObject({ role: 'tool', toolCallId: 'call_fn_0', name: 'get_time' });
  });

  it('refuses what OpenAI refuses, and mixing it with tools, naming the member', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const tools = [{ type: 'function', function: { name: 'f' } }];
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ function_call: 'auto' }, 'function_call', /'function_call' is only allowed when 'functions' are specified/],
      [{ functions: [], function_call: { name: 'get_time' } }, 'function_call', /only allowed when 'functions'/],
      [{ functions, tools }, 'functions', /functions and tools cannot be combined/],
      [{ functions, tool_choice: 'auto' }, 'tool_choice', /chooses one with function_call/],
      [{ functions, function_call: { name: 'send_mail' } }, 'function_call.name', /"send_mail", which is not one of the request's functions/],
      [{ functions, function_call: 'required' }, 'function_call', /./],
      [{ functions: [{ description: 'no name' }] }, 'functions.0.name', /./],
    ];
    for (const [members, param, message] of cases) {
      expect(() => decodeOpenAIChatRequest({ model: 'gpt-4o', messages, ...members }), JSON.stringify(members)).toThrow(
        expect.objectContaining({ code: 'TOTRA_INBOUND_INVALID_REQUEST', param, message: expect.stringMatching(message) }),
      );
    }
    expect(() => decodeOpenAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'function', content: 'x' }] })).toThrow(expect.objectContaining({ param: 'messages.0.name' }));
  });

  it('reaches Claude as tool use, one call at a time, and OpenAI as tools when translated', async () => {
    const req = decodeOpenAIChatRequest({ model: 'claude', messages: history.slice(0, 3), functions, function_call: 'auto' });
    const anthropic = await prepareRequest(providerAdapters.anthropic, req, { provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' }, new Date('2026-12-01T00:00:00Z'));
    const body = JSON.parse(anthropic.body as string) as Record<string, unknown>;
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Zürich and Bern, and the time?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_fn_1', name: 'get_weather', input: { city: 'Zürich' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fn_1', content: '18C' }] },
    ]);
    expect(body['tool_choice']).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect((body['tools'] as { name: string }[]).map((t) => t.name)).toEqual(['get_weather', 'get_time']);
    const openai = encodeOpenAIChatRequest(req, { model: 'gpt-4o' });
    expect(openai['functions']).toBeUndefined();
    expect(openai['parallel_tool_calls']).toBe(false);
    expect((openai['messages'] as unknown[])[2]).toEqual({ role: 'tool', tool_call_id: 'call_fn_1', content: '18C' });
  });

  it("reads OpenAI's answer and stream of a function call (fixtures), fed in any split", () => {
    const res = providerAdapters.openai.parseResponse(200, functionCallRaw);
    expect(res.toolCalls).toEqual([{ id: 'call_fn_0', name: 'get_weather', arguments: '{\n  "city": "Zürich"\n}' }]);
    expect(res.finishReason).toBe('tool_calls');
    expect(res.providerFinishReason).toBe('function_call');
    const bytes = utf8(functionCallStreamRaw);
    for (const plan of splitPlans(bytes.length)) {
      const acc = createStreamAccumulator();
      acc.pushAll(feed(providerAdapters.openai.createStreamParser(), bytes, plan.cuts));
      expect(acc.result(), plan.name).toMatchObject({
        text: '',
        toolCalls: [{ id: 'call_fn_0', name: 'get_weather', arguments: '{"city":"Zürich"}' }],
        finishReason: 'tool_calls',
        usage: { inputTokens: 82, outputTokens: 12 },
      });
    }
  });

  it("ends a metered pass-through stream of a function call, cut in its arguments, in the client's protocol", () => {
    const parser = openaiAdapter.passthrough?.createStreamParser({ stripUsageChunk: true });
    const cutter = openaiAdapter.passthrough?.createStreamCutter?.({ includeUsage: false, legacyFunctions: true });
    if (!parser || !cutter) throw new Error('no passthrough');
    const messages = parser.pushEach(utf8(functionCallStreamRaw));
    // Forwarded as they came: the role and the name; cut at the first piece of the arguments.
    const cutAt = messages.findIndex((m) => m.events.some((e) => e.type === 'tool_call_delta' && e.argumentsDelta.length > 0));
    expect(cutAt).toBeGreaterThan(0);
    let out = '';
    for (const m of messages.slice(0, cutAt)) {
      cutter.forwarded(m);
      out += m.forward;
    }
    out += cutter.cut([{ type: 'tool_call_delta', index: 0, argumentsDelta: '{"' }, { type: 'usage', usage: { outputTokens: 3 } }, { type: 'finish', finishReason: 'length' }]);
    const chunks = new SseDecoder()
      .push(out)
      .filter((m) => m.data !== '[DONE]')
      .map((m) => (JSON.parse(m.data) as { choices: { delta: Record<string, unknown>; finish_reason: string | null }[] }).choices[0]);
    expect(chunks.map((c) => c?.delta['function_call'] ?? null).filter(Boolean)).toEqual([{ name: 'get_weather', arguments: '' }, { arguments: '{"' }]);
    expect(chunks.some((c) => c?.delta['tool_calls'] !== undefined)).toBe(false);
    expect(chunks.at(-1)?.finish_reason).toBe('length');
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('writes the first call back as function_call, streamed or not; other clients get tool_calls', () => {
    const response = {
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      created: 1,
      text: '',
      toolCalls: [
        { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Bern"}' },
        { id: 'toolu_2', name: 'get_time', arguments: '{}' },
      ],
      finishReason: 'tool_calls' as const,
    };
    const legacy = encodeOpenAIChatResponse(response, { legacyFunctions: true }) as { choices: { message: Record<string, unknown>; finish_reason: string }[] };
    expect(legacy.choices[0]?.message).toEqual({ role: 'assistant', content: null, refusal: null, function_call: { name: 'get_weather', arguments: '{"city":"Bern"}' } });
    expect(legacy.choices[0]?.finish_reason).toBe('function_call');
    const plain = encodeOpenAIChatResponse(response) as typeof legacy;
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    expect(plain.choices[0]?.message['tool_calls']).toHaveLength(2);
    // An answer without a call is the same either way.
    expect(encodeOpenAIChatResponse({ ...response, text: 'Sunny.', toolCalls: [], finishReason: 'stop' }, { legacyFunctions: true })).toEqual(
      encodeOpenAIChatResponse({ ...response, text: 'Sunny.', toolCalls: [], finishReason: 'stop' }),
    );

    const enc = createOpenAIChatStreamEncoder({ legacyFunctions: true });
    const text = responseToStreamEvents(response).map((e) => enc.push(e)).join('') + enc.end();
    const deltas = new SseDecoder()
      .push(text)
      .filter((m) => m.data !== '[DONE]')
      .map((m) => (JSON.parse(m.data) as { choices: { delta: unknown; finish_reason: string | null }[] }).choices[0]);
    expect(deltas.map((c) => c?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { function_call: { name: 'get_weather', arguments: '' } },
      { function_call: { arguments: '{"city":"Bern"}' } },
      {},
    ]);
    expect(deltas.at(-1)?.finish_reason).toBe('function_call');
  });
});
