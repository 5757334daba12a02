import { z } from 'zod';

/**
 * The canonical chat model: one internal shape that every inbound API (OpenAI Chat Completions,
 * OpenAI Responses, Anthropic Messages) decodes into and every provider adapter encodes from.
 * It is a superset of what those APIs express for text, images, tools, sampling and usage.
 */

/** Anthropic-style prompt caching marker; adapters without prompt caching ignore it. */
export const CacheControl = z.object({
  type: z.literal('ephemeral'),
  ttl: z.enum(['5m', '1h']).optional(),
});
export type CacheControl = z.infer<typeof CacheControl>;

export const TextPart = z.object({
  type: z.literal('text'),
  text: z.string(),
  cacheControl: CacheControl.optional(),
});
export type TextPart = z.infer<typeof TextPart>;

/** Image bytes (base64) or a URL. `data:` URLs are always decoded into the base64 form. */
export const ImageSource = z.discriminatedUnion('type', [
  z.object({ type: z.literal('url'), url: z.string() }),
  z.object({ type: z.literal('base64'), mediaType: z.string(), data: z.string() }),
]);
export type ImageSource = z.infer<typeof ImageSource>;

/** OpenAI's image detail: `original` (the latest models) reads the image at its own resolution. */
export const ImageDetail = z.enum(['auto', 'low', 'high', 'original']);
export type ImageDetail = z.infer<typeof ImageDetail>;

export const ImagePart = z.object({
  type: z.literal('image'),
  source: ImageSource,
  detail: ImageDetail.optional(),
  cacheControl: CacheControl.optional(),
});
export type ImagePart = z.infer<typeof ImagePart>;

/** Model reasoning ("thinking") kept in the history; `signature` is the provider's opaque proof. */
export const ReasoningPart = z.object({
  type: z.literal('reasoning'),
  text: z.string(),
  signature: z.string().optional(),
  /** Encrypted reasoning the provider returned instead of text (Anthropic `redacted_thinking`). */
  redactedData: z.string().optional(),
});
export type ReasoningPart = z.infer<typeof ReasoningPart>;

/**
 * Content the canonical model does not translate (a PDF or text document, a file, audio), kept as
 * the client's API wrote it: only an adapter of that API sends it (every other refuses the
 * request), and the PII scanner cannot read it, so it goes only where a policy allows content
 * sent unscanned (`allowUnscannable`; ADR 0026).
 */
export const OpaquePart = z.object({
  type: z.literal('opaque'),
  api: z.enum(['openai-chat', 'openai-responses', 'anthropic-messages']),
  /** Its type in that API: `document` (Anthropic), `file` or `input_audio` (OpenAI chat). */
  kind: z.string(),
  /** The part as the client sent it. */
  value: z.record(z.string(), z.unknown()),
});
export type OpaquePart = z.infer<typeof OpaquePart>;

export const UserContentPart = z.discriminatedUnion('type', [TextPart, ImagePart, OpaquePart]);
export type UserContentPart = z.infer<typeof UserContentPart>;

/**
 * OpenAI's tools that the application runs though the model calls them in a form of their own
 * (Responses API only; ADR 0038), by the type of their call items: `shell_call` (the `shell`
 * tool), `local_shell_call` (`local_shell`), `apply_patch_call` (`apply_patch`) and
 * `computer_call` (computer use: `computer`, `computer_use_preview`).
 */
export const LocalToolItem = z.enum(['shell_call', 'local_shell_call', 'apply_patch_call', 'computer_call']);
export type LocalToolItem = z.infer<typeof LocalToolItem>;
/** The local tool each Responses item of one belongs to: its calls and their outputs. */
export const LOCAL_TOOL_ITEMS = {
  shell_call: 'shell',
  shell_call_output: 'shell',
  local_shell_call: 'local_shell',
  local_shell_call_output: 'local_shell',
  apply_patch_call: 'apply_patch',
  apply_patch_call_output: 'apply_patch',
  computer_call: 'computer',
  computer_call_output: 'computer',
} as const;
/** The tool whose calls each {@link LocalToolItem} is. */
export const LOCAL_TOOL_OF_ITEM: Readonly<Record<LocalToolItem, string>> = LOCAL_TOOL_ITEMS;

/** A tool invocation by the model. `arguments` is the JSON text, as OpenAI carries it. */
export const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.string(),
  /** Opaque provider signature that must travel back with the call (Gemini `thoughtSignature`). */
  signature: z.string().optional(),
  /** A prompt-cache breakpoint after this call (Anthropic `tool_use.cache_control`). */
  cacheControl: CacheControl.optional(),
  /** A call of a custom tool (`ToolDefinition.custom`): `arguments` is its input text, not JSON. */
  custom: z.literal(true).optional(),
  /**
   * A call of one of OpenAI's local tools (ADR 0038): the type of its Responses item; `name` is the
   * tool's type, and `arguments` the JSON object of the item's members but `type`, `id`, `call_id`
   * and `status` (`{"action":{...}}`, `{"operation":{...}}`).
   */
  item: LocalToolItem.optional(),
  /**
   * Members of the call as Anthropic wrote it that the fields above do not read (`caller`, and
   * a toolset's `toolset_name`; ADR 0042): written back to Anthropic clients as they came.
   */
  members: z.record(z.string(), z.unknown()).optional(),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const SystemMessage = z.object({
  /** `developer` is OpenAI's newer name for system instructions; other providers treat both alike. */
  role: z.enum(['system', 'developer']),
  content: z.array(TextPart),
});
export type SystemMessage = z.infer<typeof SystemMessage>;

export const UserMessage = z.object({
  role: z.literal('user'),
  content: z.array(UserContentPart),
  name: z.string().optional(),
});
export type UserMessage = z.infer<typeof UserMessage>;

export const AssistantMessage = z.object({
  role: z.literal('assistant'),
  content: z.array(z.discriminatedUnion('type', [TextPart, ReasoningPart])),
  toolCalls: z.array(ToolCall).optional(),
  name: z.string().optional(),
});
export type AssistantMessage = z.infer<typeof AssistantMessage>;

/** The result of one tool call, answered by the client. */
export const ToolMessage = z.object({
  role: z.literal('tool'),
  toolCallId: z.string(),
  /** The function name, when known (Gemini and Ollama need it; filled from the matching call). */
  name: z.string().optional(),
  content: z.array(UserContentPart),
  isError: z.boolean().optional(),
  /** A prompt-cache breakpoint after this result (Anthropic `tool_result.cache_control`). */
  cacheControl: CacheControl.optional(),
});
export type ToolMessage = z.infer<typeof ToolMessage>;

export const Message = z.discriminatedUnion('role', [SystemMessage, UserMessage, AssistantMessage, ToolMessage]);
export type Message = z.infer<typeof Message>;

/** A function the model may call. `parameters` is a JSON Schema object. */
export const ToolDefinition = z.object({
  type: z.literal('function'),
  name: z.string(),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()),
  strict: z.boolean().optional(),
  cacheControl: CacheControl.optional(),
  /**
   * OpenAI's custom tool: the model writes its input as free text, not JSON, in the tool's
   * `format` (`{ type: 'text' }`, or `{ type: 'grammar', syntax: 'lark' | 'regex', definition }`
   * as the Responses API writes it), and `parameters` is empty. Only providers that take custom
   * tools are sent a request that declares or calls one (ADR 0036).
   */
  custom: z.object({ format: z.record(z.string(), z.unknown()).optional() }).optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

export const ToolChoice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto') }),
  z.object({ type: z.literal('none') }),
  /** The model must call some tool (OpenAI `required`, Anthropic `any`, Gemini `ANY`). */
  z.object({ type: z.literal('required') }),
  z.object({ type: z.literal('tool'), name: z.string() }),
  /**
   * OpenAI's `allowed_tools`: the model may call only the tools named, all tools staying in the
   * prompt (for the provider's prompt cache); `required`, it must call one of them. Other APIs
   * cannot name a subset: they are offered the named tools alone (`offeredTools`).
   */
  z.object({ type: z.literal('allowed'), mode: z.enum(['auto', 'required']), names: z.array(z.string()).min(1) }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

export const ResponseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string(),
    description: z.string().optional(),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().optional(),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

/**
 * How much a model should reason, in OpenAI's words (`reasoning_effort`, Responses'
 * `reasoning.effort`): `none` asks for no reasoning at all (GPT-5.1 and later), `xhigh` and `max`
 * for more than `high` (the latest models). Every level is accepted from any client; each
 * provider gets its nearest equivalent.
 */
export const ReasoningEffort = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);
export type ReasoningEffort = z.infer<typeof ReasoningEffort>;

export const ReasoningConfig = z.object({
  effort: ReasoningEffort.optional(),
  /** Explicit thinking budget in tokens (Anthropic `budget_tokens`, Gemini `thinkingBudget`). */
  budgetTokens: z.number().int().nonnegative().optional(),
  /**
   * The model decides whether and how much to think (Claude's adaptive thinking, and thinking
   * between tool calls): no level and no budget. Claude gets adaptive thinking; other providers
   * their model's default, with thoughts shown where that is asked for (Gemini, Ollama).
   */
  adaptive: z.literal(true).optional(),
});
export type ReasoningConfig = z.infer<typeof ReasoningConfig>;

export const ChatRequest = z.object({
  /** The model the client asked for (an alias until routing resolves it to a deployment). */
  model: z.string(),
  messages: z.array(Message),
  tools: z.array(ToolDefinition).optional(),
  toolChoice: ToolChoice.optional(),
  parallelToolCalls: z.boolean().optional(),
  temperature: z.number().optional(),
  topP: z.number().optional(),
  topK: z.number().int().optional(),
  /** The most output tokens of each choice (with `choices`, the request may write that many times this). */
  maxTokens: z.number().int().positive().optional(),
  /**
   * How many alternative answers (choices) to write for the one prompt (OpenAI chat's `n`); unset
   * for one. Only adapters with `choices` take it (ADR 0034).
   */
  choices: z.number().int().min(2).max(128).optional(),
  stop: z.array(z.string()).optional(),
  /**
   * A Completions request with several prompts (ADR 0045): each prompt is one of `messages` (a
   * user message), not a turn of one conversation, and `choices` counts the answers of all of
   * them (prompts x n, numbered prompt by prompt, as OpenAI numbers them). Only a provider's own
   * Completions API takes it, as the client's body; no adapter translates it.
   */
  batchedPrompts: z.number().int().min(2).optional(),
  seed: z.number().int().optional(),
  frequencyPenalty: z.number().optional(),
  presencePenalty: z.number().optional(),
  responseFormat: ResponseFormat.optional(),
  reasoning: ReasoningConfig.optional(),
  stream: z.boolean(),
  /**
   * The client asked to receive usage in the stream (OpenAI `stream_options.include_usage`).
   * Adapters always ask providers for streamed usage, whatever this says.
   */
  includeUsage: z.boolean().optional(),
  /**
   * The client declared its tools with OpenAI's deprecated function calling (Chat Completions
   * `functions` and `function_call`, ADR 0043): they are in `tools` and `toolChoice`, parallel
   * calls are off (`parallelToolCalls`), and the answer's call goes back to the client as the
   * message's `function_call`, with the finish reason `function_call`.
   */
  legacyFunctions: z.literal(true).optional(),
  /** End-user id the client passed (OpenAI `user`, Anthropic `metadata.user_id`). */
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /**
   * Anthropic beta features the client switched on (`anthropic-beta` header of the Messages API):
   * sent to Anthropic deployments with the request. They are switches of Anthropic's service,
   * not parts of the request; other providers serve it without them.
   */
  betas: z.array(z.string()).optional(),
  /**
   * The members of the client's request body that no field above reads (top level only), as the
   * client sent them, with the API they belong to: an adapter that speaks that API sends them on;
   * any other drops the few that only tune one provider's service and refuses the rest (ADR 0025).
   */
  extra: z
    .object({
      format: z.enum(['openai-chat', 'openai-responses', 'anthropic-messages', 'openai-completions']),
      members: z.record(z.string(), z.unknown()),
      /**
       * Members also read into the fields above (Anthropic `output_config` holding only a JSON
       * schema is `responseFormat`): sent as they came to a provider of their API, left out for
       * others, which get the fields (ADR 0033).
       */
      translated: z.array(z.string()).optional(),
    })
    .optional(),
  /**
   * The strings of members the decoder does not read inside the members it reads (an earlier
   * answer's citations, a reasoning item's summary), as sent, ids and other tokens left out
   * (`unreadNestedTexts`, ADR 0030). They reach a provider only in the client's own body (a
   * provider of the client's API); a translated request has no place for them. They are here to
   * be scanned: a rewrite of one is put into that body (`rewriteClientBody`).
   */
  unreadTexts: z.array(z.string()).optional(),
  /**
   * The types of tools that only the client's own body carries to a provider of its API, which
   * the request declares or whose calls its history holds: OpenAI's local tools (`shell`,
   * `local_shell`, `apply_patch`; ADR 0038), through OpenAI's Responses API, and Anthropic's
   * client tools (`bash_20250124`, ...; ADR 0040), to Claude. They are not in `tools`; the texts
   * of local tools' items are in `unreadTexts`, the calls of client tools are ordinary calls.
   */
  localTools: z.array(z.string()).optional(),
  /**
   * The history holds an OpenAI compaction item (an encrypted summary of earlier turns, in place
   * of them): only OpenAI reads it, so the request reaches a provider only in the client's own
   * Responses body, like one with local tools.
   */
  compacted: z.literal(true).optional(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;
/** Members of a request body the canonical model does not read (see `ChatRequest.extra`). */
export type RequestExtra = NonNullable<ChatRequest['extra']>;

/**
 * Token usage. `inputTokens` counts every input token, cached ones included (OpenAI semantics);
 * `cachedInputTokens` and `cacheWriteInputTokens` are subsets of it (`cacheWrite1hInputTokens` a
 * subset of the latter). `reasoningTokens` is a subset of `outputTokens`.
 */
export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative().optional(),
  cacheWriteInputTokens: z.number().int().nonnegative().optional(),
  /** The part of `cacheWriteInputTokens` written with a one-hour lifetime (Anthropic bills it at 2x input, 5-minute writes at 1.25x). */
  cacheWrite1hInputTokens: z.number().int().nonnegative().optional(),
  reasoningTokens: z.number().int().nonnegative().optional(),
  /**
   * The processing tier the provider served the request at, as it reported it (OpenAI's
   * `service_tier`: `default`, `priority`, `flex`; Anthropic's `standard`, `priority`): the
   * tokens are billed at that tier's prices.
   */
  serviceTier: z.string().max(40).optional(),
});
export type Usage = z.infer<typeof Usage>;

export const FinishReason = z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'error']);
export type FinishReason = z.infer<typeof FinishReason>;

/** One answer of a response: the first is the response's own fields, further ones `ChatResponse.moreChoices`. */
export const ChatChoice = z.object({
  text: z.string(),
  toolCalls: z.array(ToolCall),
  reasoning: z.array(ReasoningPart).optional(),
  /** A refusal the provider reported separately from text (OpenAI `refusal`). */
  refusal: z.string().optional(),
  finishReason: FinishReason,
  /** The stop sequence that ended generation, when the provider says which. */
  stopSequence: z.string().optional(),
  /** The provider's own finish reason string, kept for logs. */
  providerFinishReason: z.string().optional(),
});
export type ChatChoice = z.infer<typeof ChatChoice>;

export const ChatResponse = ChatChoice.extend({
  id: z.string(),
  /** The model that answered, as the provider named it. */
  model: z.string(),
  /** Unix seconds. */
  created: z.number().int(),
  /**
   * The choices after the first, in order (choice 1, 2, ...), when the request asked for several
   * (`ChatRequest.choices`). `usage` counts every choice's output.
   */
  moreChoices: z.array(ChatChoice).optional(),
  usage: Usage.optional(),
});
export type ChatResponse = z.infer<typeof ChatResponse>;
