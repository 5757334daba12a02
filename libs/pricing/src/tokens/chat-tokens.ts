import { type TextTokenCounter } from './encodings.js';
import { type ImagePart, imageTokens } from './image-tokens.js';
import { type ChatCountingRule } from './token-profile.js';

/** A text part of a message. */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

/** A part whose token count the caller already knows (audio, files, provider-specific blocks). */
export interface CountedPart {
  readonly type: 'tokens';
  readonly tokens: number;
}

export type ChatContentPart = TextPart | ImagePart | CountedPart;

/** A tool call made by an assistant message; `arguments` is the JSON text the model produced. */
export interface ToolCallInput {
  readonly name: string;
  readonly arguments: string;
}

/** One message of a conversation in a provider-neutral shape. */
export interface ChatMessageInput {
  readonly role: string;
  readonly name?: string;
  readonly content?: string | readonly ChatContentPart[] | null;
  readonly toolCalls?: readonly ToolCallInput[];
}

/** A function tool definition; `parameters` is its JSON Schema. */
export interface ToolDefinitionInput {
  readonly name: string;
  readonly description?: string;
  readonly parameters?: unknown;
}

/** What is sent as input: an optional top-level system prompt (Anthropic, Gemini), messages, tools. */
export interface ChatTokenInput {
  readonly system?: string | readonly ChatContentPart[];
  readonly messages: readonly ChatMessageInput[];
  readonly tools?: readonly ToolDefinitionInput[];
}

/** Raw counts before any safety factor. */
export interface ChatTokenBreakdown {
  /** Message overheads, roles, names, text and tool calls, plus reply priming. */
  readonly messages: number;
  /** Image parts by the rule of `imageTokens`. */
  readonly images: number;
  /** Tool definitions by the cookbook rule. */
  readonly tools: number;
  /** Parts the caller counted. */
  readonly counted: number;
}

/** Tokens added per tool call in an assistant message: not documented by OpenAI, an estimate. */
const TOOL_CALL_OVERHEAD = 3;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutFinalDot(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

function contentTokens(
  content: string | readonly ChatContentPart[] | null | undefined,
  count: TextTokenCounter,
  totals: { messages: number; images: number; counted: number },
): void {
  if (content === undefined || content === null) return;
  if (typeof content === 'string') {
    totals.messages += count(content);
    return;
  }
  for (const part of content) {
    if (part.type === 'text') totals.messages += count(part.text);
    else if (part.type === 'image') totals.images += imageTokens(part);
    else totals.counted += Number.isSafeInteger(part.tokens) && part.tokens > 0 ? part.tokens : 0;
  }
}

/**
 * Tool definitions by the cookbook's rule: `name:description` per function, and
 * `key:type:description` per top-level property, enum values counted one by one (descriptions
 * lose a final period). Schema keywords the rule does not cover (nested `properties`,
 * `items`, `anyOf`, ...) are counted as their JSON text, and so is a schema without
 * top-level `properties`.
 */
function toolTokens(tools: readonly ToolDefinitionInput[], count: TextTokenCounter, rule: ChatCountingRule): number {
  if (tools.length === 0) return 0;
  let total = 0;
  for (const tool of tools) {
    total += rule.funcInit + count(`${tool.name}:${withoutFinalDot(tool.description ?? '')}`);
    const parameters = tool.parameters;
    const properties = isRecord(parameters) && isRecord(parameters['properties']) ? parameters['properties'] : undefined;
    if (!properties) {
      const isEmptyObject = isRecord(parameters) && Object.keys(parameters).every((key) => key === 'type' || key === 'required');
      if (parameters !== undefined && !isEmptyObject) total += count(JSON.stringify(parameters));
      continue;
    }
    const keys = Object.keys(properties);
    if (keys.length === 0) continue;
    total += rule.propInit;
    for (const key of keys) {
      total += rule.propKey;
      const schema = properties[key];
      const property = isRecord(schema) ? schema : {};
      const { type, description, enum: values, ...rest } = property;
      const typeText = typeof type === 'string' ? type : type === undefined ? '' : JSON.stringify(type);
      const descriptionText = typeof description === 'string' ? withoutFinalDot(description) : '';
      if (Array.isArray(values)) {
        total += rule.enumInit;
        for (const value of values) total += rule.enumItem + count(typeof value === 'string' ? value : JSON.stringify(value));
      }
      total += count(`${key}:${typeText}:${descriptionText}`);
      if (Object.keys(rest).length > 0) total += count(JSON.stringify(rest));
    }
  }
  return total + rule.funcEnd;
}

/** Counts a chat input with a loaded encoding and a counting rule (no safety factor). */
export function countChatInput(input: ChatTokenInput, count: TextTokenCounter, rule: ChatCountingRule): ChatTokenBreakdown {
  const totals = { messages: 0, images: 0, counted: 0 };
  const messages: ChatMessageInput[] =
    input.system === undefined ? [...input.messages] : [{ role: 'system', content: input.system }, ...input.messages];
  for (const message of messages) {
    totals.messages += rule.tokensPerMessage + count(message.role);
    contentTokens(message.content, count, totals);
    if (message.name !== undefined) totals.messages += rule.tokensPerName + count(message.name);
    for (const call of message.toolCalls ?? []) {
      totals.messages += TOOL_CALL_OVERHEAD + count(call.name) + count(call.arguments);
    }
  }
  totals.messages += rule.replyPriming;
  return { ...totals, tools: toolTokens(input.tools ?? [], count, rule) };
}
