import { z } from 'zod';
import type { ChatChoice, ChatRequest, ChatResponse, Usage } from '../canonical/chat.js';
import { unreadMembers } from '../canonical/extra.js';
import { mergeUsage, type StreamEvent } from '../canonical/stream-event.js';
import { InboundRequestError } from '../errors.js';
import { invalidResponse } from '../wire/error-mapping.js';
import { arr, formatIssues, num, rec, str, type JsonRecord } from '../wire/json.js';
import { finishFromOpenAI, finishToOpenAI, OpenAIChunkDecoder, usageFromOpenAI } from './openai-chat.codec.js';

/**
 * OpenAI's legacy Completions API (`POST /v1/completions`, ADR 0045): a prompt in, text out.
 * The gateway reads one prompt as one user message of the canonical model, so every chat model of
 * every provider answers it; a provider that serves the API itself for the deployment's model
 * (OpenAI's completion models, OpenAI-compatible servers) is sent the client's own body.
 */

/** The sampling members the API shares with Chat Completions, and the prompt. */
export const OpenAICompletionsRequestWire = z.object({
  model: z.string().min(1),
  /** Text, a list of texts, token ids, or a list of token id lists; the gateway reads one text (see the decoder). */
  prompt: z.union([z.string(), z.array(z.string()), z.array(z.number().int()), z.array(z.array(z.number().int()))]),
  /** OpenAI's default is 16 tokens. */
  max_tokens: z.number().int().nonnegative().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().optional(),
});
export type OpenAICompletionsRequestWire = z.infer<typeof OpenAICompletionsRequestWire>;

const COMPLETIONS_MEMBERS: ReadonlySet<string> = new Set(Object.keys(OpenAICompletionsRequestWire.shape));

/** The output limit OpenAI applies to a Completions request that sets none. */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/**
 * OpenAI's models that answer the Completions API only (not Chat Completions): a request for one
 * goes to OpenAI's own `/completions` as the client's body.
 */
const COMPLETION_MODELS = /^(gpt-3\.5-turbo-instruct(-\d{4})?|davinci-002|babbage-002)$/;

/** Whether `model` is one of OpenAI's completion models (an Azure deployment may carry the same name). */
export function isOpenAICompletionModel(model: string): boolean {
  return COMPLETION_MODELS.test(model);
}

/**
 * Parses a `/v1/completions` body into the canonical request: the prompt is the text of one user
 * message, `max_tokens` defaults to OpenAI's 16. Several prompts are one user message each, marked
 * `batchedPrompts`, with `choices` counting every prompt's answers: only a provider's own
 * Completions API takes them. Members the canonical model has no field for (`suffix`, `echo`,
 * `logprobs`, `best_of`, `logit_bias`) are `extra`: sent as they came to a provider of the API,
 * refused by any other. `suffix` (the text after the one to write) is also in `unreadTexts`, so that
 * the PII stage scans it. Throws {@link InboundRequestError} (400) for a body the API does not
 * take, for token ids (which the gateway can neither scan nor translate), and for more than 128
 * completions in one request.
 */
export function decodeOpenAICompletionsRequest(body: unknown): ChatRequest {
  const parsed = OpenAICompletionsRequestWire.safeParse(body);
  if (!parsed.success) {
    const { message, param, issues } = formatIssues(parsed.error);
    throw new InboundRequestError(message, param, issues, { cause: parsed.error });
  }
  const w = parsed.data;
  const prompts = promptTexts(w.prompt);
  const req: ChatRequest = {
    model: w.model,
    messages: prompts.map((text) => ({ role: 'user', content: [{ type: 'text', text }] })),
    maxTokens: w.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS,
    stream: w.stream === true,
  };
  if (req.maxTokens === 0) {
    // Zero asks for no text at all (an `echo` of the prompt's log probabilities): only OpenAI's API does that.
    throw new InboundRequestError('max_tokens must be at least 1: the gateway serves completions that write text', 'max_tokens');
  }
  if (w.temperature != null) req.temperature = w.temperature;
  if (w.top_p != null) req.topP = w.top_p;
  const answers = prompts.length * (w.n ?? 1);
  if (answers > MAX_ANSWERS) {
    throw new InboundRequestError(`prompt: ${prompts.length} prompts with n = ${w.n ?? 1} ask for ${answers} completions; a request may ask for at most ${MAX_ANSWERS}`, 'prompt');
  }
  if (answers > 1) req.choices = answers;
  if (prompts.length > 1) req.batchedPrompts = prompts.length;
  if (w.stop != null) req.stop = typeof w.stop === 'string' ? [w.stop] : w.stop;
  if (w.seed != null) req.seed = w.seed;
  if (w.frequency_penalty != null) req.frequencyPenalty = w.frequency_penalty;
  if (w.presence_penalty != null) req.presencePenalty = w.presence_penalty;
  if (w.user !== undefined) req.user = w.user;
  if (req.stream && w.stream_options?.include_usage === true) req.includeUsage = true;
  const extra = unreadMembers(body, COMPLETIONS_MEMBERS, 'openai-completions');
  if (extra) {
    req.extra = extra;
    const suffix = extra.members['suffix'];
    if (typeof suffix === 'string' && suffix.length > 0) req.unreadTexts = [suffix];
  }
  return req;
}

/** The most completions one request may ask for (prompts x n), as many as OpenAI chat's `n` takes. */
const MAX_ANSWERS = 128;

function promptTexts(prompt: OpenAICompletionsRequestWire['prompt']): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (prompt.length === 0) throw new InboundRequestError('prompt must not be empty', 'prompt');
  if (!prompt.every((p) => typeof p === 'string')) {
    throw new InboundRequestError(
      'prompt: token ids are not taken here, since the gateway can neither scan them for personal data nor translate them for another model; send the prompt as text',
      'prompt',
    );
  }
  return prompt;
}

// ---------------------------------------------------------------------------------------------
// Answers: canonical -> the client

/** The text of a choice as a completion: its text (a completion has no tool calls), or the refusal a provider reported instead. */
const completionText = (c: ChatChoice): string => (c.text.length > 0 ? c.text : (c.refusal ?? ''));

function usageToCompletions(u: Usage): JsonRecord {
  return { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.totalTokens };
}

/** Canonical response -> the `text_completion` body (one entry of `choices` per choice). */
export function encodeOpenAICompletionsResponse(res: ChatResponse, o: { model?: string } = {}): JsonRecord {
  const choices = [res, ...(res.moreChoices ?? [])].map((c, index) => ({ text: completionText(c), index, logprobs: null, finish_reason: finishToOpenAI(c.finishReason === 'tool_calls' ? 'stop' : c.finishReason) }));
  const body: JsonRecord = { id: res.id, object: 'text_completion', created: res.created, model: o.model ?? res.model, choices };
  if (res.usage) body['usage'] = usageToCompletions(res.usage);
  return body;
}

/** Stateful encoder of canonical events into the `text_completion` chunks of a Completions stream. */
export interface OpenAICompletionsStreamEncoder {
  push(event: StreamEvent): string;
  /** The usage chunk (when the client asked for it) and `data: [DONE]`. */
  end(): string;
}

export function createOpenAICompletionsStreamEncoder(o: { model?: string; includeUsage?: boolean } = {}): OpenAICompletionsStreamEncoder {
  let id = '';
  let created = 0;
  let model = o.model ?? '';
  let usage: Usage | undefined;
  const finished = new Set<number>();
  let ended = false;
  const tail = o.includeUsage ? ',"usage":null}' : '}';
  const head = () => `{"id":${JSON.stringify(id)},"object":"text_completion","created":${created},`;
  const chunk = (index: number, text: string, finish: string | null) =>
    `data: ${head()}"choices":[{"text":${JSON.stringify(text)},"index":${index},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}],"model":${JSON.stringify(model)}${tail}\n\n`;
  return {
    push(event) {
      switch (event.type) {
        case 'message_start':
          id ||= event.id;
          created ||= event.created;
          model ||= event.model;
          return '';
        case 'text_delta':
          return event.text.length > 0 ? chunk(event.choice ?? 0, event.text, null) : '';
        case 'usage':
          usage = mergeUsage(usage, event.usage);
          return '';
        case 'finish': {
          const index = event.choice ?? 0;
          if (finished.has(index)) return '';
          finished.add(index);
          return chunk(index, '', finishToOpenAI(event.finishReason === 'tool_calls' ? 'stop' : event.finishReason));
        }
        case 'error':
          return `data: ${JSON.stringify({ error: { message: event.message, type: 'server_error', code: event.code, param: null } })}\n\n`;
        default:
          // Reasoning and tool calls have no place in a completion (the request declares no tools).
          return '';
      }
    },
    end() {
      if (ended) return '';
      ended = true;
      const last = o.includeUsage && usage ? `data: ${head()}"choices":[],"model":${JSON.stringify(model)},"usage":${JSON.stringify(usageToCompletions(usage))}}\n\n` : '';
      return `${last}data: [DONE]\n\n`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A provider's own Completions API -> canonical

/** A Completions response body of a provider -> canonical response (choices in the order of their `index`). */
export function decodeOpenAICompletionsResponse(json: unknown, provider = 'openai', status = 200): ChatResponse {
  const root = rec(json);
  const read = (arr(root?.['choices']) ?? []).map(rec).filter((c) => c !== undefined && typeof c['text'] === 'string') as JsonRecord[];
  if (!root || read.length === 0) throw invalidResponse(provider, status, 'no choices[0].text');
  read.sort((a, b) => (num(a['index']) ?? 0) - (num(b['index']) ?? 0));
  const [first, ...rest] = read.map((c): ChatChoice => {
    const reason = str(c['finish_reason']);
    return { text: c['text'] as string, toolCalls: [], finishReason: finishFromOpenAI(reason), ...(reason !== undefined ? { providerFinishReason: reason } : {}) };
  }) as [ChatChoice, ...ChatChoice[]];
  const response: ChatResponse = { id: str(root['id']) ?? '', model: str(root['model']) ?? '', created: num(root['created']) ?? 0, ...first };
  if (rest.length > 0) response.moreChoices = rest;
  const usage = usageFromOpenAI(root['usage']);
  if (usage) response.usage = { ...usage, inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0, totalTokens: usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) };
  return response;
}

/**
 * Stateful decoder of a provider's `text_completion` stream chunks (JSON-parsed) into canonical
 * events: the chat chunk decoder (errors, the start, choices by index, finish reasons, usage),
 * each choice's `text` read where a chat chunk has its `delta`.
 */
export class OpenAICompletionsChunkDecoder extends OpenAIChunkDecoder {
  protected override content(choice: JsonRecord, _n: number, which: { choice?: number }, out: StreamEvent[]): void {
    const text = str(choice['text']);
    if (text) out.push({ type: 'text_delta', text, ...which });
  }
}
