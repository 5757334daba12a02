import { describe, expect, it } from 'vitest';
import { ChatRequest } from '../canonical/chat.js';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';
import responseRaw from '../testdata/mistral/chat-response.json?raw';
import streamRaw from '../testdata/mistral/stream.sse?raw';
import error422Raw from '../testdata/mistral/error-422.json?raw';
import { mistralAdapter, mistralToolCallId } from './mistral.adapter.js';

const canonical = ChatRequest.parse(JSON.parse(canonicalRaw));
const deployment = { provider: 'mistral' as const, model: 'mistral-large-latest', apiKey: 'mk' };
const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;

describe('mistral adapter: buildRequest', () => {
  it('applies Mistral differences: max_tokens, random_seed, 9-char tool ids, string image URLs, no stream_options', () => {
    const req = mistralAdapter.buildRequest({ ...canonical, stream: true, user: 'u1', toolChoice: { type: 'required' } }, deployment);
    expect(req.url).toBe('https://api.mistral.ai/v1/chat/completions');
    expect(req.headers['authorization']).toBe('Bearer mk');
    const body = bodyOf(req.body);
    const id = mistralToolCallId('call_abc123');
    expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(body['messages']).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is the weather in Paris? Here is a photo.' },
          { type: 'image_url', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
        ],
      },
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: id, content: '{"temp_c":18}', name: 'get_weather' },
      { role: 'user', content: 'Thanks. And tomorrow?' },
    ]);
    expect(body).toMatchObject({ max_tokens: 256, random_seed: 7, tool_choice: 'any', stream: true });
    expect(body['seed']).toBeUndefined();
    expect(body['stream_options']).toBeUndefined();
    expect(body['user']).toBeUndefined();
  });

  it('maps foreign tool ids deterministically and keeps valid ones', () => {
    expect(mistralToolCallId('toolu_01A09q90qw90lq917835lq9')).toBe(mistralToolCallId('toolu_01A09q90qw90lq917835lq9'));
    expect(mistralToolCallId('toolu_01A')).not.toBe(mistralToolCallId('toolu_01B'));
    expect(mistralToolCallId('D681PevKs')).toBe('D681PevKs');
  });
});

describe('mistral adapter: responses and streams', () => {
  it('parses tool calls and usage', () => {
    expect(mistralAdapter.parseResponse(200, responseRaw)).toMatchObject({
      id: 'cmpl-e5cc70bb28c444948073e77776eb30ef',
      toolCalls: [{ id: 'D681PevKs', name: 'get_weather', arguments: '{"city": "Paris"}' }],
      finishReason: 'tool_calls',
      usage: { inputTokens: 90, outputTokens: 22, totalTokens: 112 },
    });
  });

  const bytes = utf8(streamRaw);
  for (const plan of splitPlans(bytes.length)) {
    it(`reads usage from the final chunk fed ${plan.name}`, () => {
      expect(feed(mistralAdapter.createStreamParser(), bytes, plan.cuts)).toEqual([
        { type: 'message_start', id: '6b9c4b8e1d2f4a5b', model: 'mistral-small-latest', created: 1720000000 },
        { type: 'text_delta', text: 'Bonjour !' },
        { type: 'finish', finishReason: 'stop', providerFinishReason: 'stop' },
        { type: 'usage', usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14 } },
      ]);
    });
  }

  it('maps validation errors to bad request', () => {
    const err = mistralAdapter.mapError(422, error422Raw);
    expect(err).toMatchObject({ code: 'TOTRA_PROVIDER_BAD_REQUEST', provider: 'mistral', retryable: false });
    expect(err.message).toContain('Extra inputs are not permitted');
  });

  it('embeds with output_dimension', () => {
    const req = mistralAdapter.embeddings?.buildRequest({ model: 'e', input: ['x'], dimensions: 8 }, { ...deployment, model: 'mistral-embed' });
    expect(req?.url).toBe('https://api.mistral.ai/v1/embeddings');
    expect(bodyOf(req?.body ?? '')).toEqual({ model: 'mistral-embed', input: ['x'], output_dimension: 8 });
  });
});
