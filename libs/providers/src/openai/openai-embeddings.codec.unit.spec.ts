import { describe, expect, it } from 'vitest';
import { decodeOpenAIEmbeddingsRequest, embeddingsInputHasTokens, embeddingToBase64, encodeOpenAIEmbeddingsResponse, encodeOpenAIModelList, type TokenTextCodec } from './openai-embeddings.codec.js';

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

  it('refuses token arrays when it is given no codec to read them', () => {
    expect(() => decodeOpenAIEmbeddingsRequest({ model: 'e', input: [1, 2, 3] })).toThrow(expect.objectContaining({ param: 'input', message: 'token-array input is not supported; send text' }));
  });

  // A toy encoding: ids 0-25 are the letters a-z.
  const letters: TokenTextCodec = {
    encoding: 'letters',
    decode: (ids) => {
      const bad = ids.findIndex((t) => t > 25);
      return bad >= 0 ? { invalidAt: bad } : String.fromCharCode(...ids.map((t) => 97 + t));
    },
    encode: (text) => [...text].map((c) => c.charCodeAt(0) - 97),
  };

  it('reads token arrays with the codec: their texts are the input, the arrays go along', () => {
    expect(decodeOpenAIEmbeddingsRequest({ model: 'e', input: [7, 8] }, letters)).toEqual({ model: 'e', input: ['hi'], tokens: { encoding: 'letters', arrays: [[7, 8]] } });
    expect(decodeOpenAIEmbeddingsRequest({ model: 'e', input: [[0], [1, 2]], dimensions: 8 }, letters)).toEqual({
      model: 'e',
      input: ['a', 'bc'],
      tokens: { encoding: 'letters', arrays: [[0], [1, 2]] },
      dimensions: 8,
    });
    expect(embeddingsInputHasTokens({ input: [[0]] })).toBe(true);
    expect(embeddingsInputHasTokens({ input: [3] })).toBe(true);
    expect(embeddingsInputHasTokens({ input: ['a'] })).toBe(false);
    expect(embeddingsInputHasTokens({ input: [] })).toBe(false);
    expect(embeddingsInputHasTokens('not a body')).toBe(false);
  });

  it.each([
    ['an id that is not a token', { input: [[0], [1, 99, 2]] }, 'input[1][1]: 99 is not a token id of letters'],
    ['an id of a flat array that is not a token', { input: [3, 40] }, 'input[1]: 40 is not a token id of letters'],
    ['an empty token array', { input: [[0], []] }, 'input[0]: an empty token array; send at least one token'.replace('[0]', '[1]')],
    ['a fractional id', { input: [[1.5]] }, 'input.0.0: a token id is a whole number'],
    ['a negative id', { input: [-1] }, 'input.0: a token id is 0 or more'],
    ['texts and ids mixed', { input: ['a', [1]] }, 'input: send texts or token ids, not both (input[0] is a text, input[1] an array)'],
    ['ids and texts mixed', { input: [3, 'a'] }, 'input: send texts or token ids, not both (input[0] is a token id, input[1] a text)'],
  ])('refuses %s with a message that says where', (_name, body, message) => {
    expect(() => decodeOpenAIEmbeddingsRequest({ model: 'e', ...body }, letters)).toThrow(expect.objectContaining({ param: expect.stringMatching(/^input/), message: expect.stringContaining(message) }));
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
