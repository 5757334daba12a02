import { z } from 'zod';

/** Zod schemas of the Anthropic Messages request, as far as the gateway reads it (the decoder keeps the top-level members it does not name as `ChatRequest.extra`, ADR 0025). */

const CacheControlWire = z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).nullish();

const TextBlock = z.object({ type: z.literal('text'), text: z.string(), cache_control: CacheControlWire });
const ImageBlock = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal('url'), url: z.string() }),
  ]),
  cache_control: CacheControlWire,
});
/**
 * A document (a PDF, plain text or content blocks, inline or by URL or file id): carried as it
 * came, not read (`OpaquePart`, ADR 0026).
 */
const DocumentBlock = z.looseObject({ type: z.literal('document'), source: z.record(z.string(), z.unknown()) });
const ToolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
  cache_control: CacheControlWire,
});
const ToolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [TextBlock, ImageBlock, DocumentBlock]))]).optional(),
  is_error: z.boolean().optional(),
  cache_control: CacheControlWire,
});
const ThinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() });
const RedactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string() });

export const AnthropicBlockWire = z.discriminatedUnion('type', [
  TextBlock,
  ImageBlock,
  DocumentBlock,
  ToolUseBlock,
  ToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
]);
export type AnthropicBlockWire = z.infer<typeof AnthropicBlockWire>;

export const AnthropicMessageWire = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(AnthropicBlockWire)]),
});

const CustomToolWire = z.object({
  type: z.literal('custom').optional(),
  name: z.string(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  /** Strict tool use: Claude's input follows the schema (constrained decoding). */
  strict: z.boolean().optional(),
  cache_control: CacheControlWire,
});
/**
 * Anthropic's client tools (ADR 0040): tools Anthropic defines and the application runs (`bash`,
 * the text editor, computer use, memory), declared by a versioned type and their fixed name.
 * Their calls and results are ordinary `tool_use` and `tool_result` blocks.
 */
export const ANTHROPIC_CLIENT_TOOL = /^(?:bash|text_editor|computer|memory)_\d{8}$/;
/** Anthropic's toolsets (ADR 0042): one entry, no name, declaring a family of client tools (`computer`, `browser`). */
export const ANTHROPIC_TOOLSET = /^(?:computer|browser)_toolset_\d{8}$/;
const ClientToolWire = z.object({ type: z.string().regex(ANTHROPIC_CLIENT_TOOL), name: z.string() });
const ToolsetWire = z.object({ type: z.string().regex(ANTHROPIC_TOOLSET) });
const ToolWire = z.union([CustomToolWire, ClientToolWire, ToolsetWire]);

/** Whether thinking text is returned (`summarized`) or left out with its signature kept (`omitted`). */
const ThinkingDisplay = z.enum(['summarized', 'omitted']).nullish();

const common = {
  model: z.string().min(1),
  messages: z.array(AnthropicMessageWire).min(1),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  tools: z.array(ToolWire).optional(),
  tool_choice: z
    .object({
      type: z.enum(['auto', 'any', 'tool', 'none']),
      name: z.string().optional(),
      disable_parallel_tool_use: z.boolean().optional(),
    })
    .optional(),
  thinking: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1), display: ThinkingDisplay }),
      z.object({ type: z.literal('disabled') }),
      /** Claude decides when and how much to think (the latest models). */
      z.object({ type: z.literal('adaptive'), display: ThinkingDisplay }),
      z.object({ type: z.literal('between_tools') }),
    ])
    .optional(),
};

export const AnthropicRequestWire = z.object({
  ...common,
  max_tokens: z.number().int().positive(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  metadata: z.object({ user_id: z.string().nullish() }).optional(),
});
export type AnthropicRequestWire = z.infer<typeof AnthropicRequestWire>;

/** `/v1/messages/count_tokens`: the same prompt fields, no sampling parameters. */
export const AnthropicCountTokensWire = z.object(common);
export type AnthropicCountTokensWire = z.infer<typeof AnthropicCountTokensWire>;
