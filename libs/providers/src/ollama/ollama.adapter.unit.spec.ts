import { describe, expect, it } from 'vitest';
import { ChatRequest } from '../canonical/chat.js';
import { feed, splitPlans, utf8 } from '../testdata/feed.js';
import canonicalRaw from '../testdata/canonical/chat-request.json?raw';
import expectedRaw from '../testdata/ollama/expected-request.json?raw';
import responseRaw from '../testdata/ollama/chat-response.json?raw';
import streamRaw from '../testdata/ollama/stream.ndjson?raw';
import streamToolsRaw from '../testdata/ollama/stream-tools.ndjson?raw';
import error404Raw from '../testdata/ollama/error-404.json?raw';
import embedRaw from '../testdata/ollama/embed-response.json?raw';
import { ollamaAdapter } from './ollama.adapter.js';

const canonical = ChatRequest.parse(JSON.parse(canonicalRaw));
const deployment = { provider: 'ollama' as const, model: 'llama3.2-vision' };
const bodyOf = (body: string | Uint8Array): Record<string, unknown> =>
  JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)) as Record<string, unknown>;

describe('ollama adapter: buildRequest', () => {
  it('builds /api/chat with base64 images, object tool arguments, options and stream:false', () => {
    const req = ollamaAdapter.buildRequest(canonical, deployment);
    expect(req.url).toBe('http://localhost:11434/api/chat');
    expect(req.headers).toEqual({ 'content-type': 'application/json' });
    expect(bodyOf(req.body)).toEqual(JSON.parse(expectedRaw));
  });

  it('refuses image URLs and maps JSON mode', () => {
    expect(() =>
      ollamaAdapter.buildRequest({ model: 'x', stream: false, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://e/x.png' } }] }] }, deployment),
    ).toThrow(expect.objectContaining({ code: 'TOTRA_PROVIDER_UNSUPPORTED' }));
    const body = bodyOf(ollamaAdapter.buildRequest({ ...canonical, responseFormat: { type: 'json_schema', name: 'n', schema: { type: 'object' } } }, deployment).body);
    expect(body['format']).toEqual({ type: 'object' });
  });
});

describe('ollama adapter: responses', () => {
  it('parses tool calls (ids invented), created_at and eval counts', () => {
    expect(ollamaAdapter.parseResponse(200, responseRaw)).toEqual({
      id: '',
      model: 'llama3.2',
      created: 1702390423,
      text: '',
      toolCalls: [{ id: 'call_0', name: 'get_current_weather', arguments: '{"format":"celsius","location":"Paris, FR"}' }],
      finishReason: 'tool_calls',
      providerFinishReason: 'stop',
      usage: { inputTokens: 26, outputTokens: 298, totalTokens: 324 },
    });
  });

  const bytes = utf8(streamRaw);
  for (const plan of splitPlans(bytes.length)) {
    it(`parses the NDJSON stream fed ${plan.name}`, () => {
      expect(feed(ollamaAdapter.createStreamParser(), bytes, plan.cuts)).toEqual([
        { type: 'message_start', id: '', model: 'llama3.2', created: 1691164339 },
        { type: 'text_delta', text: 'The' },
        { type: 'text_delta', text: ' sky is blue – ☀️' },
        { type: 'finish', finishReason: 'length', providerFinishReason: 'length' },
        { type: 'usage', usage: { inputTokens: 26, outputTokens: 282 } },
      ]);
    });
  }

  it('streams tool calls and a final line without trailing newline', () => {
    const events = feed(ollamaAdapter.createStreamParser(), utf8(streamToolsRaw.trimEnd()), [10, 200]);
    expect(events).toEqual([
      { type: 'message_start', id: '', model: 'qwen3', created: 1748386497 },
      { type: 'tool_call_start', index: 0, id: 'call_0', name: 'get_current_weather' },
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{"format":"celsius","location":"Toronto"}' },
      { type: 'finish', finishReason: 'tool_calls', providerFinishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 180, outputTokens: 30 } },
    ]);
  });

  it('maps a missing model to not found, and embeds via /api/embed', () => {
    expect(ollamaAdapter.mapError(404, error404Raw)).toMatchObject({ code: 'TOTRA_PROVIDER_NOT_FOUND', message: 'model "llama9" not found, try pulling it first' });
    const req = ollamaAdapter.embeddings?.buildRequest({ model: 'e', input: ['a', 'b'] }, { ...deployment, model: 'all-minilm', baseUrl: 'http://gpu:11434' });
    expect(req?.url).toBe('http://gpu:11434/api/embed');
    expect(ollamaAdapter.embeddings?.parseResponse(200, embedRaw)).toMatchObject({ model: 'all-minilm', usage: { inputTokens: 8 } });
  });
});
