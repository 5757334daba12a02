import { describe, expect, it } from 'vitest';
import { ChatRequest } from '../canonical/chat.js';
import type { StreamEvent } from '../canonical/stream-event.js';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';
import expectedRaw from '../testdata/gemini/expected-request.json?raw';
import responseRaw from '../testdata/gemini/generate-response.json?raw';
import streamRaw from '../testdata/gemini/stream.sse?raw';
import error429Raw from '../testdata/gemini/error-429.json?raw';
import error400Raw from '../testdata/gemini/error-400-context.json?raw';
import embeddingsRaw from '../testdata/gemini/embeddings-response.json?raw';
import { geminiAdapter } from './gemini.adapter.js';

const canonical = ChatRequest.parse(JSON.parse(canonicalRaw));
const deployment = { provider: 'gemini' as const, model: 'gemini-2.5-flash', apiKey: 'AIza-test' };
const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;

describe('gemini adapter: buildRequest', () => {
  it('builds generateContent with contents/parts, functionDeclarations and generationConfig', () => {
    const req = geminiAdapter.buildRequest(canonical, deployment);
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': 'AIza-test' });
    expect(bodyOf(req.body)).toEqual(JSON.parse(expectedRaw));
  });

  it('streams with alt=sse and maps tool choice, JSON schema, URL images and thinking', () => {
    const req = geminiAdapter.buildRequest(
      {
        model: 'x',
        stream: true,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'gs://bucket/cat.png' } }] }],
        tools: canonical.tools ?? [],
        toolChoice: { type: 'tool', name: 'get_weather' },
        responseFormat: { type: 'json_schema', name: 'w', schema: { type: 'object' } },
        reasoning: { budgetTokens: 512 },
      },
      { ...deployment, model: 'models/gemini-2.0-flash' },
    );
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    const body = bodyOf(req.body);
    expect(body['contents']).toEqual([{ role: 'user', parts: [{ fileData: { mimeType: 'image/png', fileUri: 'gs://bucket/cat.png' } }] }]);
    expect(body['toolConfig']).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    expect(body['generationConfig']).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object' },
      thinkingConfig: { thinkingBudget: 512, includeThoughts: true },
    });
  });

  it('wraps non-object tool results and marks errors', () => {
    const body = bodyOf(
      geminiAdapter.buildRequest(
        {
          model: 'x',
          stream: false,
          messages: [
            { role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}', signature: 'sig1' }] },
            { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'plain text' }] },
            { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'boom' }], isError: true },
          ],
        },
        deployment,
      ).body,
    );
    expect(body['contents']).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'lookup', args: {} }, thoughtSignature: 'sig1' }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'lookup', response: { result: 'plain text' } } },
          { functionResponse: { name: 'lookup', response: { error: 'boom' } } },
        ],
      },
    ]);
  });
});

describe('gemini adapter: parseResponse', () => {
  it('parses thoughts, text, function calls with signatures and usage with cached and thought tokens', () => {
    expect(geminiAdapter.parseResponse(200, responseRaw)).toEqual({
      id: 'mAitaLmkHPPlz7IPvtfUqQ4',
      model: 'gemini-2.5-flash',
      created: 0,
      text: 'Let me look that up.',
      toolCalls: [{ id: 'call_mAitaLmkHPPlz7IPvtfUqQ4_0', name: 'get_weather', arguments: '{"city":"Paris"}', signature: 'CiQBVKhc7tLD' }],
      reasoning: [{ type: 'reasoning', text: 'The user asks about Paris weather.' }],
      finishReason: 'tool_calls',
      providerFinishReason: 'STOP',
      usage: { inputTokens: 1200, outputTokens: 65, totalTokens: 1265, cachedInputTokens: 1024, reasoningTokens: 40 },
    });
  });

  it('reports a blocked prompt as content_filter', () => {
    const res = geminiAdapter.parseResponse(200, { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } });
    expect(res.finishReason).toBe('content_filter');
  });
});

describe('gemini adapter: stream parser', () => {
  const expected: StreamEvent[] = [
    { type: 'message_start', id: 'AbCdEf', model: 'gemini-2.0-flash', created: 0 },
    { type: 'text_delta', text: 'Paris is' },
    { type: 'usage', usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11 } },
    { type: 'text_delta', text: ' sunny – 18°C.' },
    { type: 'usage', usage: { inputTokens: 9, outputTokens: 8, totalTokens: 17 } },
    { type: 'tool_call_start', index: 0, id: 'call_AbCdEf_0', name: 'get_forecast' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '{"city":"Paris","days":2}' },
    { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'STOP' },
    { type: 'usage', usage: { inputTokens: 9, outputTokens: 20, totalTokens: 29 } },
  ];
  const bytes = utf8(streamRaw);
  for (const plan of splitPlans(bytes.length)) {
    it(`yields the same canonical events fed ${plan.name}`, () => {
      expect(feed(geminiAdapter.createStreamParser(), bytes, plan.cuts)).toEqual(expected);
    });
  }
});

describe('gemini adapter: several candidates (n)', () => {
  it('reads every candidate of an answer in the order of its index', () => {
    const res = geminiAdapter.parseResponse(200, {
      responseId: 'r1',
      modelVersion: 'gemini-2.5-flash',
      candidates: [
        { index: 1, content: { role: 'model', parts: [{ functionCall: { name: 'pick', args: { c: 'blue' } } }] }, finishReason: 'STOP' },
        { content: { role: 'model', parts: [{ text: 'Red.' }] }, finishReason: 'STOP' },
        { index: 2, content: { role: 'model', parts: [{ text: 'Green, or' }] }, finishReason: 'MAX_TOKENS' },
      ],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 12, totalTokenCount: 17 },
    });
    expect(res).toMatchObject({ text: 'Red.', finishReason: 'stop', usage: { inputTokens: 5, outputTokens: 12 } });
    expect(res.moreChoices).toEqual([
      { text: '', toolCalls: [{ id: 'call_r1_0', name: 'pick', arguments: '{"c":"blue"}' }], finishReason: 'tool_calls', providerFinishReason: 'STOP' },
      { text: 'Green, or', toolCalls: [], finishReason: 'length', providerFinishReason: 'MAX_TOKENS' },
    ]);
  });

  it('follows each candidate of a stream, tool calls numbered per candidate', () => {
    const chunk = (candidates: unknown[], usage?: unknown) => `data: ${JSON.stringify({ responseId: 'r2', modelVersion: 'gemini-2.5-flash', candidates, ...(usage ? { usageMetadata: usage } : {}) })}\r\n\r\n`;
    const text = [
      chunk([{ content: { parts: [{ text: 'Red' }] }, index: 0 }, { content: { parts: [{ functionCall: { name: 'pick', args: {} } }] }, index: 1 }]),
      chunk([{ content: { parts: [{ text: '.' }] }, finishReason: 'STOP' }, { content: { parts: [{ functionCall: { name: 'pick', args: { c: 1 } } }] }, index: 1, finishReason: 'STOP' }], { promptTokenCount: 5, candidatesTokenCount: 9, totalTokenCount: 14 }),
    ].join('');
    expect(geminiAdapter.createStreamParser().push(text)).toEqual([
      { type: 'message_start', id: 'r2', model: 'gemini-2.5-flash', created: 0 },
      { type: 'text_delta', text: 'Red' },
      { type: 'tool_call_start', index: 0, id: 'call_r2_0', name: 'pick', choice: 1 },
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{}', choice: 1 },
      { type: 'text_delta', text: '.' },
      { type: 'finish', finishReason: 'stop', providerFinishReason: 'STOP' },
      { type: 'tool_call_start', index: 1, id: 'call_r2_1', name: 'pick', choice: 1 },
      { type: 'tool_call_delta', index: 1, argumentsDelta: '{"c":1}', choice: 1 },
      { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'STOP', choice: 1 },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 9, totalTokens: 14 } },
    ]);
  });
});

describe('gemini adapter: mapError', () => {
  it('maps RESOURCE_EXHAUSTED with the RetryInfo delay', () => {
    expect(geminiAdapter.mapError(429, error429Raw)).toMatchObject({ code: 'TOTRA_PROVIDER_RATE_LIMITED', retryAfterMs: 28_000, providerCode: 'RESOURCE_EXHAUSTED' });
  });

  it('maps token overflow to context length, and auth / unavailable statuses', () => {
    expect(geminiAdapter.mapError(400, error400Raw)).toMatchObject({ code: 'TOTRA_PROVIDER_CONTEXT_LENGTH' });
    expect(geminiAdapter.mapError(403, { error: { code: 403, message: 'denied', status: 'PERMISSION_DENIED' } })).toMatchObject({ code: 'TOTRA_PROVIDER_AUTH' });
    expect(geminiAdapter.mapError(503, [{ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }])).toMatchObject({
      code: 'TOTRA_PROVIDER_UNAVAILABLE',
      retryable: true,
    });
  });
});

describe('gemini adapter: embeddings', () => {
  it('uses batchEmbedContents with task type and dimensions', () => {
    const req = geminiAdapter.embeddings?.buildRequest(
      { model: 'e', input: ['a', 'b'], inputType: 'search_query', dimensions: 3 },
      { ...deployment, model: 'gemini-embedding-001' },
    );
    expect(req?.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(bodyOf(req?.body ?? '')).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, taskType: 'RETRIEVAL_QUERY', outputDimensionality: 3 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] }, taskType: 'RETRIEVAL_QUERY', outputDimensionality: 3 },
      ],
    });
    expect(geminiAdapter.embeddings?.parseResponse(200, embeddingsRaw).embeddings).toEqual([
      [0.1, 0.2, 0.3],
      [0.4, 0.5, 0.6],
    ]);
  });
});
