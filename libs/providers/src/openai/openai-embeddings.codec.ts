import { z } from 'zod';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../canonical/embeddings.js';
import { InboundRequestError } from '../errors.js';
import { formatIssues, type JsonRecord } from '../wire/json.js';

const EmbeddingsRequestWire = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number()), z.array(z.array(z.number()))]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

/** Parses an OpenAI `/v1/embeddings` body. Token-array inputs are refused (providers differ in tokenizers). */
export function decodeOpenAIEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const parsed = EmbeddingsRequestWire.safeParse(body);
  if (!parsed.success) {
    const { message, param, issues } = formatIssues(parsed.error);
    throw new InboundRequestError(message, param, issues, { cause: parsed.error });
  }
  const w = parsed.data;
  const input = typeof w.input === 'string' ? [w.input] : w.input;
  // `[]` passes the schema as an empty token array; no provider takes it.
  if (input.length === 0) throw new InboundRequestError('input: send at least one text to embed', 'input');
  if (!input.every((x): x is string => typeof x === 'string')) {
    throw new InboundRequestError('token-array input is not supported; send text', 'input');
  }
  const req: EmbeddingsRequest = { model: w.model, input };
  if (w.encoding_format) req.encodingFormat = w.encoding_format;
  if (w.dimensions !== undefined) req.dimensions = w.dimensions;
  if (w.user !== undefined) req.user = w.user;
  return req;
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
