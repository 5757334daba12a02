import { z } from 'zod';

/** Canonical embeddings request: always a list of texts (token-array inputs are not supported). */
export const EmbeddingsRequest = z.object({
  model: z.string(),
  input: z.array(z.string()),
  dimensions: z.number().int().positive().optional(),
  /** Retrieval role of the texts, for providers that ask for it (Cohere `input_type`, Gemini `taskType`). */
  inputType: z.enum(['search_document', 'search_query', 'classification', 'clustering']).optional(),
  /** How the client wants vectors back; adapters always return floats, inbound codecs re-encode. */
  encodingFormat: z.enum(['float', 'base64']).optional(),
  user: z.string().optional(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

export const EmbeddingsResponse = z.object({
  model: z.string(),
  /** One vector per input, in input order. */
  embeddings: z.array(z.array(z.number())),
  usage: z.object({ inputTokens: z.number().int().nonnegative() }).optional(),
});
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponse>;
