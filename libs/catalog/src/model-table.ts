import { type ModelKind } from './deployment.js';

/** What ToTra knows about a model without asking its provider. */
export interface KnownModel {
  /** Input + output tokens the model accepts. */
  contextWindow: number;
  /** Largest completion the model can produce, where the provider documents one. */
  maxOutputTokens?: number;
  kind: ModelKind;
}

/** Context window given to models the table does not know; set `context_window` in totra.yaml to be exact. */
export const DEFAULT_CONTEXT_WINDOW = 32_768;

const chat = (contextWindow: number, maxOutputTokens?: number): KnownModel => ({
  contextWindow,
  ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
  kind: 'chat',
});
const embeddings = (contextWindow: number): KnownModel => ({ contextWindow, kind: 'embeddings' });

// Provider documentation as of late 2026. Keyed by the provider's usual name; Bedrock ids and
// dated snapshots are normalised to these keys by `knownModel`.
const TABLE: Readonly<Record<string, KnownModel>> = {
  // OpenAI
  'gpt-5.5': chat(1_050_000, 128_000),
  'gpt-5.5-pro': chat(1_050_000, 128_000),
  'gpt-5.4': chat(1_050_000, 128_000),
  'gpt-5.4-mini': chat(400_000, 128_000),
  'gpt-5.4-nano': chat(400_000, 128_000),
  'gpt-5': chat(400_000, 128_000),
  'gpt-5-mini': chat(400_000, 128_000),
  'gpt-5-nano': chat(400_000, 128_000),
  'gpt-4o': chat(128_000, 16_384),
  'gpt-4o-mini': chat(128_000, 16_384),
  'gpt-4.1': chat(1_047_576, 32_768),
  'gpt-4.1-mini': chat(1_047_576, 32_768),
  'gpt-4.1-nano': chat(1_047_576, 32_768),
  'o3': chat(200_000, 100_000),
  'o4-mini': chat(200_000, 100_000),
  // Completion models (the legacy Completions API only, ADR 0045)
  'gpt-3.5-turbo-instruct': chat(4_096, 4_096),
  'davinci-002': chat(16_384),
  'babbage-002': chat(16_384),
  'text-embedding-3-small': embeddings(8_191),
  'text-embedding-3-large': embeddings(8_191),
  'text-embedding-ada-002': embeddings(8_191),
  // Anthropic
  'claude-opus-4-8': chat(1_000_000, 128_000),
  'claude-opus-4-7': chat(1_000_000, 128_000),
  'claude-opus-4-6': chat(1_000_000, 128_000),
  'claude-sonnet-4-5': chat(200_000, 64_000),
  'claude-haiku-4-5': chat(200_000, 64_000),
  'claude-opus-4-1': chat(200_000, 32_000),
  'claude-sonnet-4': chat(200_000, 64_000),
  // Google Gemini
  'gemini-2.5-pro': chat(1_048_576, 65_536),
  'gemini-2.5-flash': chat(1_048_576, 65_536),
  'gemini-2.5-flash-lite': chat(1_048_576, 65_536),
  'gemini-embedding-001': embeddings(2_048),
  // Mistral
  'mistral-large-latest': chat(131_072),
  'mistral-small-latest': chat(131_072),
  'codestral-latest': chat(256_000),
  'mistral-embed': embeddings(8_192),
  // Cohere
  'command-a-03-2025': chat(256_000, 8_000),
  'command-r-plus': chat(128_000, 4_000),
  'command-r': chat(128_000, 4_000),
  'embed-v4.0': embeddings(128_000),
  'embed-english-v3.0': embeddings(512),
  // Amazon (Bedrock)
  'nova-pro': chat(300_000),
  'nova-lite': chat(300_000),
  'nova-micro': chat(128_000),
  'titan-embed-text': embeddings(8_192),
  // Common Ollama / open-weight families (the tag after `:` is ignored)
  'llama3.1': chat(131_072),
  'llama3.2': chat(131_072),
  'llama3.3': chat(131_072),
  'qwen2.5': chat(32_768),
  'qwen3': chat(40_960),
  'gemma3': chat(131_072),
  'mistral': chat(32_768),
  'phi4': chat(16_384),
  'nomic-embed-text': embeddings(8_192),
  'mxbai-embed-large': embeddings(512),
  // The built-in demo models
  'totra-demo-echo': chat(8_192, 1_024),
  'totra-demo-embedding': embeddings(8_192),
};

const normalisers: readonly ((id: string) => string)[] = [
  (id) => id.replace(/^models\//, ''),
  (id) => id.replace(/^(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\./, ''),
  (id) => id.replace(/^(?:anthropic|amazon|meta|mistral|cohere)\./, ''),
  (id) => id.replace(/-v\d+(?::\d+)?$/, ''),
  (id) => id.replace(/-\d{8}$/, ''),
  (id) => id.replace(/:[^:/]+$/, ''),
];

/**
 * Families whose members share their limits, for a member the table has no row for yet (a new
 * GPT-5 point release, a Claude 5 model, a Gemini 3 model): provider documentation, late 2026.
 */
const FAMILIES: readonly (readonly [RegExp, KnownModel])[] = [
  [/^gpt-5\.\d+-(?:mini|nano)$/, chat(400_000, 128_000)],
  [/^gpt-5\.(?:[4-9]|\d{2,})(?:-pro)?$/, chat(1_050_000, 128_000)],
  [/^gpt-5(?:\.[0-3])?(?:-[a-z-]+)?$/, chat(400_000, 128_000)],
  [/^claude-[a-z]+-(?:[5-9]|\d{2,})(?:-\d{1,2})?$/, chat(1_000_000, 128_000)],
  [/^gemini-3(?:\.\d+)?-(?:pro|flash|flash-lite)(?:-preview)?$/, chat(1_048_576, 65_536)],
];

/**
 * Looks a model up by its usual name, a dated snapshot (`claude-sonnet-4-5-20250929`), a Bedrock
 * id or inference profile (`us.anthropic.claude-haiku-4-5-20251001-v1:0`) or an Ollama tag
 * (`llama3.2:3b`), then by its family ({@link FAMILIES}). Undefined when ToTra does not know the
 * model.
 */
export function knownModel(name: string): KnownModel | undefined {
  let id = name.trim().toLowerCase();
  if (TABLE[id]) return TABLE[id];
  for (const normalise of normalisers) {
    id = normalise(id);
    if (TABLE[id]) return TABLE[id];
  }
  return FAMILIES.find(([pattern]) => pattern.test(id))?.[1];
}

/** Kind of a model the table does not know: embeddings when its name says so, chat otherwise. */
export function guessKind(...names: readonly string[]): ModelKind {
  for (const n of names) {
    const known = knownModel(n);
    if (known) return known.kind;
  }
  return names.some((n) => /embed/i.test(n)) ? 'embeddings' : 'chat';
}
