import { describe, expect, it } from 'vitest';
import { decodeOpenAIEmbeddingsRequest, embeddingToBase64, encodeOpenAIEmbeddingsResponse, encodeOpenAIModelList } from './openai-embeddings.codec.js';

describe('openai embeddings codec', () => {
  it('normalises string and array input', () => {
    expect(decodeOpenAIEmbeddingsRequest({ model: 'e', input: 'hello', dimensions: 256 })).toEqual({ model: 'e', input: ['hello'], dimensions: 256 });
    expect(decodeOpenAIEmbeddingsRequest({ model: 'e', input: ['a', 'b'], encoding_format: 'base64' })).toEqual({
      model: 'e',
      input: ['a', 'b'],
      encodingFormat: 'base64',
    });
  });

  it('refuses an empty input before any provider is asked', () => {
    expect(() => decodeOpenAIEmbeddingsRequest({ model: 'e', input: [] })).toThrow(expect.objectContaining({ param: 'input', message: 'input: send at least one text to embed' }));
  });

  it('refuses token arrays', () => {
    expect(() => decodeOpenAIEmbeddingsRequest({ model: 'e', input: [1, 2, 3] })).toThrow(expect.objectContaining({ param: 'input' }));
  });

  it('encodes float and base64 vectors', () => {
    const res = { model: 'm', embeddings: [[1, -2]], usage: { inputTokens: 3 } };
    expect(encodeOpenAIEmbeddingsResponse(res)).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [1, -2] }],
      model: 'm',
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0 (little endian)
    expect(embeddingToBase64([1, -2])).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]).toString('base64'));
    expect(encodeOpenAIEmbeddingsResponse(res, { encodingFormat: 'base64' })).toMatchObject({ data: [{ embedding: 'AACAPwAAAMA=' }] });
  });

  it('lists models', () => {
    expect(encodeOpenAIModelList([{ id: 'smart', ownedBy: 'acme', created: 1 }])).toEqual({
      object: 'list',
      data: [{ id: 'smart', object: 'model', created: 1, owned_by: 'acme' }],
    });
  });
});
