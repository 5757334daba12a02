import { z } from 'zod';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../canonical/embeddings.js';
import { InboundRequestError } from '../errors.js';
import { formatIssues, type JsonRecord } from '../wire/json.js';

const TokenId = z.number().int({ error: 'a token id is a whole number' }).nonnegative({ error: 'a token id is 0 or more' });

const EmbeddingsRequestWire = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(TokenId), z.array(z.array(TokenId))]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

/**
 * Reads and writes the token ids of one encoding. The gateway gives one (`cl100k_base`) to
 * {@link decodeOpenAIEmbeddingsRequest} so that token-array inputs can be read (ADR 0032).
 */
export interface TokenTextCodec {
  readonly encoding: string;
  /** The text of a token array, or the index of its first id that is not a token of the encoding. */
  decode(tokens: readonly number[]): string | { readonly invalidAt: number };
  /** The token ids of a text, special-token text such as `<|endoftext|>` read as plain text. */
  encode(text: string): number[];
}

/** Whether an embeddings body's `input` holds token ids rather than texts (before any checking). */
export function embeddingsInputHasTokens(body: unknown): boolean {
  const input = typeof body === 'object' && body !== null ? (body as { input?: unknown }).input : undefined;
  if (!Array.isArray(input) || input.length === 0) return false;
  const first: unknown = input[0];
  return typeof first === 'number' || Array.isArray(first);
}

/**
 * Parses an OpenAI `/v1/embeddings` body. Token-array inputs are read with `codec` (their texts
 * become `input`, the arrays `tokens`); without one they are refused.
 */
export function decodeOpenAIEmbeddingsRequest(body: unknown, codec?: TokenTextCodec): EmbeddingsRequest {
  const parsed = EmbeddingsRequestWire.safeParse(body);
  if (!parsed.success) {
    const input = (body as { input?: unknown } | null)?.input;
    if (Array.isArray(input) && input.some((x) => typeof x === 'string') && input.some((x) => typeof x !== 'string')) {
      const other = input.findIndex((x) => (typeof x === 'string') !== (typeof input[0] === 'string'));
      throw new InboundRequestError(`input: send texts or token ids, not both (input[0] is ${kindOf(input[0])}, input[${other}] ${kindOf(input[other])})`, 'input');
    }
    const { message, param, issues } = formatIssues(parsed.error);
    throw new InboundRequestError(message, param, issues, { cause: parsed.error });
  }
  const w = parsed.data;
  const input = typeof w.input === 'string' ? [w.input] : w.input;
  // `[]` passes the schema as an empty token array; no provider takes it.
  if (input.length === 0) throw new InboundRequestError('input: send at least one text to embed', 'input');
  let req: EmbeddingsRequest;
  if (input.every((x): x is string => typeof x === 'string')) req = { model: w.model, input };
  else {
    if (!codec) throw new InboundRequestError('token-array input is not supported; send text', 'input');
    // A flat array is one input; an array of arrays, one input each.
    const arrays = typeof input[0] === 'number' ? [input as number[]] : (input as number[][]);
    req = { model: w.model, input: decodeTokenArrays(arrays, codec, Array.isArray(input[0])), tokens: { encoding: codec.encoding, arrays } };
  }
  if (w.encoding_format) req.encodingFormat = w.encoding_format;
  if (w.dimensions !== undefined) req.dimensions = w.dimensions;
  if (w.user !== undefined) req.user = w.user;
  return req;
}

function kindOf(item: unknown): string {
  if (typeof item === 'string') return 'a text';
  if (typeof item === 'number') return 'a token id';
  return Array.isArray(item) ? 'an array' : item === null ? 'null' : `a${typeof item === 'object' ? 'n' : ''} ${typeof item}`;
}

function decodeTokenArrays(arrays: readonly number[][], codec: TokenTextCodec, nested: boolean): string[] {
  return arrays.map((tokens, i) => {
    const where = nested ? `input[${i}]` : 'input';
    if (tokens.length === 0) throw new InboundRequestError(`${where}: an empty token array; send at least one token`, 'input');
    const text = codec.decode(tokens);
    if (typeof text === 'string') return text;
    const at = text.invalidAt;
    throw new InboundRequestError(
      `${where}[${at}]: ${tokens[at]} is not a token id of ${codec.encoding}, the encoding of OpenAI's embedding models, in which the gateway reads token arrays`,
      'input',
    );
  });
}

/** Little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"` returns them. */
export function embeddingToBase64(vector: readonly number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  // btoa over 8 KiB slices: works in Node and browsers without Buffer.
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) parts.push(String.fromCharCode(...bytes.subarray(i, i + 8192)));
  return btoa(parts.join(''));
}

/** Canonical embeddings -> OpenAI `/v1/embeddings` JSON body. */
export function encodeOpenAIEmbeddingsResponse(
  res: EmbeddingsResponse,
  o: { model?: string; encodingFormat?: 'float' | 'base64' } = {},
): JsonRecord {
  const tokens = res.usage?.inputTokens ?? 0;
  return {
    object: 'list',
    data: res.embeddings.map((embedding, index) => ({
      object: 'embedding',
      index,
      embedding: o.encodingFormat === 'base64' ? embeddingToBase64(embedding) : embedding,
    })),
    model: o.model ?? res.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** One entry of `/v1/models`. */
export interface ModelListEntry {
  id: string;
  ownedBy?: string;
  /** Unix seconds. */
  created?: number;
}

/** One model of `/v1/models`, and the body of `/v1/models/{model}`. */
export function encodeOpenAIModel(m: ModelListEntry): JsonRecord {
  return { id: m.id, object: 'model', created: m.created ?? 0, owned_by: m.ownedBy ?? 'totra' };
}

/** `/v1/models` JSON body. */
export function encodeOpenAIModelList(models: readonly ModelListEntry[]): JsonRecord {
  return { object: 'list', data: models.map(encodeOpenAIModel) };
}
