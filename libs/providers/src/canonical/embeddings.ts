import { z } from 'zod';

/** Token ids of one BPE encoding: what OpenAI's embeddings API takes in place of texts. */
export const EmbeddingsTokens = z.object({
  /** The encoding the ids belong to (`cl100k_base`, that of OpenAI's embedding models). */
  encoding: z.string(),
  /** One array per input, in input order. */
  arrays: z.array(z.array(z.number().int().nonnegative())),
});
export type EmbeddingsTokens = z.infer<typeof EmbeddingsTokens>;

/**
 * Canonical embeddings request: always a list of texts. A client that sent token arrays (LangChain's
 * `OpenAIEmbeddings` does by default) has them here as `tokens`, and their decoded texts as `input`
 * (what the PII stage scans and other providers are sent; ADR 0032).
 */
export const EmbeddingsRequest = z.object({
  model: z.string(),
  input: z.array(z.string()),
  /** The client's token arrays, for adapters that take them (`EmbeddingsAdapter.takesTokens`). */
  tokens: EmbeddingsTokens.optional(),
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
