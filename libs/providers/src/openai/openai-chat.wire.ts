import { z } from 'zod';
import { ImageDetail, ReasoningEffort } from '../canonical/chat.js';

/** Zod schemas of the OpenAI Chat Completions request, as far as the gateway reads it (the decoder keeps the top-level members it does not name as `ChatRequest.extra`, ADR 0025). */

/**
 * Anthropic's prompt-cache marker, as OpenAI-format clients of Anthropic models send it on content
 * parts and tools (the convention of LiteLLM and OpenRouter): carried to providers that cache on
 * request (Anthropic, Bedrock); OpenAI caches by itself and is not sent it.
 */
const CacheControlWire = z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).nullish();

const TextContentPart = z.object({ type: z.literal('text'), text: z.string(), cache_control: CacheControlWire });
const ImageContentPart = z.object({
  type: z.literal('image_url'),
  image_url: z.union([
    z.string(),
    z.object({ url: z.string(), detail: ImageDetail.optional() }),
  ]),
  cache_control: CacheControlWire,
});
const RefusalContentPart = z.object({ type: z.literal('refusal'), refusal: z.string() });
/** A file (a PDF, by id or inline) and audio: carried as they came, not read (`OpaquePart`, ADR 0026). */
const FileContentPart = z.looseObject({ type: z.literal('file'), file: z.record(z.string(), z.unknown()) });
const AudioContentPart = z.looseObject({ type: z.literal('input_audio'), input_audio: z.record(z.string(), z.unknown()) });

export const OpenAIToolCallWire = z.union([
  z.object({
    id: z.string(),
    type: z.literal('function').optional(),
    function: z.object({ name: z.string(), arguments: z.string() }),
  }),
  /** A call of a custom tool: its input is free text (ADR 0036). */
  z.object({ id: z.string(), type: z.literal('custom'), custom: z.object({ name: z.string(), input: z.string() }) }),
]);

const SystemLike = z.object({
  role: z.enum(['system', 'developer']),
  content: z.union([z.string(), z.array(TextContentPart)]),
  name: z.string().optional(),
});
const User = z.object({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [TextContentPart, ImageContentPart, FileContentPart, AudioContentPart]))]),
  name: z.string().optional(),
});
const Assistant = z.object({
  role: z.literal('assistant'),
  content: z
    .union([z.string(), z.array(z.discriminatedUnion('type', [TextContentPart, RefusalContentPart]))])
    .nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(OpenAIToolCallWire).nullish(),
  name: z.string().optional(),
  /** The call of OpenAI's deprecated function calling (`functions`): one per message, without an id. */
  function_call: z.object({ name: z.string(), arguments: z.string() }).nullish(),
  /** DeepSeek / vLLM style reasoning text echoed back. */
  reasoning_content: z.string().nullish(),
});
const Tool = z.object({
  role: z.literal('tool'),
  tool_call_id: z.string(),
  content: z.union([z.string(), z.array(TextContentPart)]),
});

/** The result of a call of OpenAI's deprecated function calling: it names the function, not a call id. */
const FunctionResult = z.object({
  role: z.literal('function'),
  name: z.string(),
  content: z.string().nullable(),
});

export const OpenAIChatMessageWire = z.discriminatedUnion('role', [SystemLike, User, Assistant, Tool, FunctionResult]);
export type OpenAIChatMessageWire = z.infer<typeof OpenAIChatMessageWire>;

export const OpenAIToolWire = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('function'),
    cache_control: CacheControlWire,
    function: z.object({
      name: z.string(),
      description: z.string().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
  /** OpenAI's custom tool: free-text input, in a `format` of plain text or a grammar (ADR 0036). */
  z.object({
    type: z.literal('custom'),
    cache_control: CacheControlWire,
    custom: z.object({ name: z.string(), description: z.string().optional(), format: z.record(z.string(), z.unknown()).optional() }),
  }),
]);

/** A tool named by a tool choice: a function or a custom tool. */
const NamedFunctionWire = z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) });
const NamedCustomWire = z.object({ type: z.literal('custom'), custom: z.object({ name: z.string() }) });
const NamedToolWire = z.discriminatedUnion('type', [NamedFunctionWire, NamedCustomWire]);

export const OpenAIChatRequestWire = z.object({
  model: z.string().min(1),
  messages: z.array(OpenAIChatMessageWire).min(1),
  tools: z.array(OpenAIToolWire).optional(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      NamedFunctionWire,
      NamedCustomWire,
      z.object({
        type: z.literal('allowed_tools'),
        allowed_tools: z.object({ mode: z.enum(['auto', 'required']), tools: z.array(NamedToolWire).min(1) }),
      }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  /**
   * OpenAI's deprecated function calling, the predecessor of `tools` and `tool_choice`: read as
   * function tools and a tool choice, and the answer's call written back as `function_call`.
   */
  functions: z
    .array(z.object({ name: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }))
    .optional(),
  function_call: z.union([z.enum(['none', 'auto']), z.object({ name: z.string() })]).optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: z.number().int().nullish(),
  /** How many choices to write; OpenAI takes 1 to 128. */
  n: z.number().int().min(1).max(128).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string(),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        }),
      }),
    ])
    .optional(),
  reasoning_effort: ReasoningEffort.nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  /** Non-standard but common in OpenAI-compatible servers (vLLM, Together). */
  top_k: z.number().int().nullish(),
});
export type OpenAIChatRequestWire = z.infer<typeof OpenAIChatRequestWire>;

/** OpenAI finish reasons (plus Mistral's `model_length` and `error`). */
export const OPENAI_FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'] as const;
