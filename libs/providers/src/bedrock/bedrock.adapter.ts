import type { ChatRequest, ChatResponse, FinishReason, ReasoningPart, ToolCall, UserContentPart } from '../canonical/chat.js';
import { portableDocument } from '../canonical/documents.js';
import { opaqueRefusal, unportableMembers, unreadMembers } from '../canonical/extra.js';
import { jsonModeInstruction, offeredTools, splitSystem } from '../canonical/helpers.js';
import { claudeTraits, NO_CLAUDE_TRAITS, type ClaudeTraits } from '../anthropic/claude-models.js';
import { claudeStructuredOutputFor } from '../anthropic/structured-outputs.js';
import { mergeUsage, type StreamEvent, type UsageUpdate } from '../canonical/stream-event.js';
import { ProviderConfigError, UnsupportedFeatureError, type ProviderError, type ProviderErrorCode } from '../errors.js';
import { joinUrl, type Deployment, type PassthroughSupport, type ProviderAdapter, type ProviderHttpRequest, type StreamParser } from '../adapters/adapter.js';
import { createAnthropicPassthroughParser } from '../anthropic/anthropic.adapter.js';
import { claudeSampling, createAnthropicStreamCutter, decodeAnthropicResponse, limitMessagesBody, MESSAGES_MEMBERS } from '../anthropic/anthropic.codec.js';
import { invalidResponse, providerError } from '../wire/error-mapping.js';
import { headerValue, type HeadersLike } from '../wire/headers.js';
import { arr, bodyText, num, parseArguments, readJson, rec, str, type JsonRecord } from '../wire/json.js';
import type { SseMessage } from '../wire/sse.js';
import type { MessageFramer } from '../wire/stream-parser.js';
import { signAwsRequest } from './aws-sigv4.js';
import { AwsEventStreamDecoder } from './event-stream.decoder.js';

const IMAGE_FORMATS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * `documentName` gives each document of the request its own neutral name ("document 1", ...):
 * Bedrock wants one, in few characters, and warns that a name can carry a prompt injection; the
 * client's file name stays out of the prompt.
 */
function encodePart(p: UserContentPart, documentName: () => string): JsonRecord[] {
  const blocks: JsonRecord[] = [];
  if (p.type === 'text') {
    if (p.text.length > 0) blocks.push({ text: p.text });
  } else if (p.type === 'opaque') {
    const doc = portableDocument(p);
    if (!doc) throw opaqueRefusal('bedrock', p);
    blocks.push({ document: { format: 'pdf', name: documentName(), source: { bytes: doc.data } } });
    if (doc.cacheControl) blocks.push({ cachePoint: { type: 'default' } });
    return blocks;
  } else if (p.source.type === 'base64') {
    const format = IMAGE_FORMATS[p.source.mediaType.toLowerCase()];
    if (!format) throw new UnsupportedFeatureError('bedrock', `image type ${p.source.mediaType}`);
    blocks.push({ image: { format, source: { bytes: p.source.data } } });
  } else if (p.source.url.startsWith('s3://')) {
    const ext = p.source.url.split('.').pop()?.toLowerCase() ?? '';
    blocks.push({ image: { format: ext === 'jpg' ? 'jpeg' : ext, source: { s3Location: { uri: p.source.url } } } });
  } else {
    throw new UnsupportedFeatureError('bedrock', 'image URLs', 'bedrock accepts images as base64 data or s3:// locations, not http(s) URLs');
  }
  if (p.cacheControl && blocks.length > 0) blocks.push({ cachePoint: { type: 'default' } });
  return blocks;
}

/** Converse refuses a request with more documents than this (its own check, answered 400). */
const BEDROCK_MAX_DOCUMENTS = 5;

/**
 * Converse refuses a user turn that holds a document and no text ("A text block must be included
 * when using documents"), as a client of another API may well send it (a PDF alone, to be read):
 * such a turn gets a minimal text block, before its trailing cache point if it has one.
 */
function withTextBesideDocuments(content: JsonRecord[]): void {
  if (!content.some((b) => 'document' in b) || content.some((b) => typeof b['text'] === 'string' && b['text'].trim().length > 0)) return;
  const at = content.length > 0 && 'cachePoint' in (content[content.length - 1] as JsonRecord) ? content.length - 1 : content.length;
  content.splice(at, 0, { text: '.' });
}

/**
 * Canonical request -> Bedrock Converse / ConverseStream body. `claude`: the request rules of a
 * Claude model (`claudeTraits`, ADR 0037): with structured outputs (Claude 4.5 and later) a strict
 * JSON schema goes as `outputConfig.textFormat` (ADR 0035); reasoning and sampling as on Anthropic
 * (`claudeSampling`), thinking and effort in `additionalModelRequestFields`.
 */
export function encodeBedrockRequest(request: ChatRequest, o: { claude?: ClaudeTraits } = {}): JsonRecord {
  const req = offeredTools(request);
  const { system, conversation } = splitSystem(req.messages);
  const messages: { role: 'user' | 'assistant'; content: JsonRecord[] }[] = [];
  let documents = 0;
  const documentName = (): string => `document ${++documents}`;
  const turn = (role: 'user' | 'assistant'): JsonRecord[] => {
    const last = messages[messages.length - 1];
    if (last && last.role === role) return last.content;
    const created = { role, content: [] as JsonRecord[] };
    messages.push(created);
    return created.content;
  };
  for (const m of conversation) {
    if (m.role === 'user') {
      const content = turn('user');
      for (const p of m.content) content.push(...encodePart(p, documentName));
    } else if (m.role === 'tool') {
      const content: JsonRecord[] = [];
      for (const p of m.content) content.push(...encodePart(p, documentName).filter((b) => !('cachePoint' in b)));
      const result: JsonRecord = { toolUseId: m.toolCallId, content: content.length > 0 ? content : [{ text: '' }] };
      if (m.isError) result['status'] = 'error';
      turn('user').push({ toolResult: result });
      if (m.cacheControl) turn('user').push({ cachePoint: { type: 'default' } });
    } else if (m.role === 'assistant') {
      const content = turn('assistant');
      for (const p of m.content) {
        if (p.type === 'text') {
          if (p.text.length > 0) content.push({ text: p.text });
        } else if (p.redactedData !== undefined) {
          content.push({ reasoningContent: { redactedContent: p.redactedData } });
        } else if (p.signature !== undefined) {
          content.push({ reasoningContent: { reasoningText: { text: p.text, signature: p.signature } } });
        }
      }
      for (const c of m.toolCalls ?? []) content.push({ toolUse: { toolUseId: c.id, name: c.name, input: parseArguments(c.arguments) } });
    }
  }
  if (documents > BEDROCK_MAX_DOCUMENTS) {
    throw new UnsupportedFeatureError('bedrock', 'more than 5 documents', `bedrock takes at most ${BEDROCK_MAX_DOCUMENTS} documents in a request; this one has ${documents}`);
  }
  for (const t of messages) if (t.role === 'user') withTextBesideDocuments(t.content);
  const body: JsonRecord = { messages: messages.filter((t) => t.content.length > 0) };
  const systemBlocks: JsonRecord[] = [];
  for (const p of system) {
    if (p.text.length > 0) systemBlocks.push({ text: p.text });
    if (p.cacheControl) systemBlocks.push({ cachePoint: { type: 'default' } });
  }
  const rf = req.responseFormat;
  const traits = o.claude ?? NO_CLAUDE_TRAITS;
  const outputSchema = traits.structuredOutputs ? claudeStructuredOutputFor(req) : undefined;
  const hint = outputSchema ? undefined : jsonModeInstruction(rf);
  if (hint) systemBlocks.push({ text: hint });
  if (systemBlocks.length > 0) body['system'] = systemBlocks;

  const inference: JsonRecord = {};
  const sampling = claudeSampling(req, traits);
  // Claude's thinking counts within maxTokens, which keeps room for it (as on Anthropic); without
  // thinking, and unless the client set one, the model's own default.
  if (req.maxTokens !== undefined || sampling.thinking) inference['maxTokens'] = sampling.maxTokens;
  if (sampling.temperature !== undefined) inference['temperature'] = sampling.temperature;
  if (sampling.topP !== undefined) inference['topP'] = sampling.topP;
  if (req.stop && req.stop.length > 0) inference['stopSequences'] = req.stop;
  if (Object.keys(inference).length > 0) body['inferenceConfig'] = inference;

  if (req.tools && req.tools.length > 0) {
    const toolConfig: JsonRecord = {
      tools: req.tools.map((t) => ({
        toolSpec: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), inputSchema: { json: t.parameters } },
      })),
    };
    const tc = req.toolChoice;
    // Converse has no "none": the tools stay declared (history may reference them) and the model may choose.
    if (tc?.type === 'required') toolConfig['toolChoice'] = { any: {} };
    else if (tc?.type === 'tool') toolConfig['toolChoice'] = { tool: { name: tc.name } };
    else if (tc?.type === 'auto') toolConfig['toolChoice'] = { auto: {} };
    body['toolConfig'] = toolConfig;
  }
  const extra: JsonRecord = {};
  if (sampling.topK !== undefined) extra['top_k'] = sampling.topK;
  if (sampling.thinking) extra['thinking'] = sampling.thinking;
  if (sampling.effort) extra['output_config'] = { effort: sampling.effort };
  if (Object.keys(extra).length > 0) body['additionalModelRequestFields'] = extra;
  if (outputSchema && rf?.type === 'json_schema') {
    // Converse takes the schema as a JSON string.
    const jsonSchema: JsonRecord = { schema: JSON.stringify(outputSchema), name: rf.name };
    if (rf.description !== undefined) jsonSchema['description'] = rf.description;
    body['outputConfig'] = { textFormat: { type: 'json_schema', structure: { jsonSchema } } };
  }
  return body;
}

/** The Claude model a Bedrock model id, inference profile or ARN names (`claude-sonnet-4-5-20250929-v1:0`), if any. */
function claudeOnBedrock(model: string): string | undefined {
  const at = model.lastIndexOf('anthropic.claude');
  return at >= 0 && CLAUDE_ON_BEDROCK.test(model) ? model.slice(at + 'anthropic.'.length) : undefined;
}

export function finishFromBedrock(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Bedrock `usage` -> canonical (cache reads/writes added to input, as with Anthropic). */
export function usageFromBedrock(value: unknown): UsageUpdate | undefined {
  const u = rec(value);
  if (!u) return undefined;
  const input = num(u['inputTokens']) ?? 0;
  const read = num(u['cacheReadInputTokens']);
  const write = num(u['cacheWriteInputTokens']);
  const output = num(u['outputTokens']) ?? 0;
  const inputTokens = input + (read ?? 0) + (write ?? 0);
  const update: UsageUpdate = { inputTokens, outputTokens: output, totalTokens: num(u['totalTokens']) ?? inputTokens + output };
  if (read !== undefined) update.cachedInputTokens = read;
  if (write !== undefined) update.cacheWriteInputTokens = write;
  return update;
}

/** Bedrock Converse response JSON -> canonical. */
export function decodeBedrockResponse(json: unknown, status = 200): ChatResponse {
  const root = rec(json);
  const content = arr(rec(rec(root?.['output'])?.['message'])?.['content']);
  if (!root || !content) throw invalidResponse('bedrock', status, 'no output.message.content');
  let text = '';
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const raw of content) {
    const b = rec(raw);
    if (!b) continue;
    const tu = rec(b['toolUse']);
    const rc = rec(b['reasoningContent']);
    if (typeof b['text'] === 'string') text += b['text'];
    else if (tu) toolCalls.push({ id: str(tu['toolUseId']) ?? '', name: str(tu['name']) ?? '', arguments: JSON.stringify(tu['input'] ?? {}) });
    else if (rc) {
      const rt = rec(rc['reasoningText']);
      if (rt) {
        const part: ReasoningPart = { type: 'reasoning', text: str(rt['text']) ?? '' };
        const sig = str(rt['signature']);
        if (sig !== undefined) part.signature = sig;
        reasoning.push(part);
      } else if (str(rc['redactedContent']) !== undefined) {
        reasoning.push({ type: 'reasoning', text: '', redactedData: str(rc['redactedContent']) as string });
      }
    }
  }
  const reason = str(root['stopReason']);
  const response: ChatResponse = { id: '', model: '', created: 0, text, toolCalls, finishReason: finishFromBedrock(reason) };
  if (reason !== undefined) response.providerFinishReason = reason;
  if (reasoning.length > 0) response.reasoning = reasoning;
  const usage = usageFromBedrock(root['usage']);
  if (usage) response.usage = mergeUsage(undefined, usage);
  return response;
}

/** Bedrock exception name (`ThrottlingException`, `throttlingException`) -> canonical code. */
export function codeFromBedrockException(name: string | undefined): ProviderErrorCode | undefined {
  switch (name?.replace(/^./, (c) => c.toUpperCase())) {
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
      return 'TOTRA_PROVIDER_RATE_LIMITED';
    case 'ModelNotReadyException':
    case 'InternalServerException':
    case 'ServiceUnavailableException':
    case 'ModelErrorException':
    case 'ModelStreamErrorException':
      return 'TOTRA_PROVIDER_UNAVAILABLE';
    case 'ModelTimeoutException':
      return 'TOTRA_PROVIDER_TIMEOUT';
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
    case 'InvalidSignatureException':
      return 'TOTRA_PROVIDER_AUTH';
    case 'ResourceNotFoundException':
      return 'TOTRA_PROVIDER_NOT_FOUND';
    case 'ValidationException':
      return 'TOTRA_PROVIDER_BAD_REQUEST';
    default:
      return undefined;
  }
}

/** Maps a Bedrock error (`x-amzn-ErrorType` header or `__type`, body `{message}`). */
export function mapBedrockError(status: number, body: unknown, headers?: HeadersLike, nowMs?: number): ProviderError {
  const root = rec(readJson(body));
  const typeHeader = headerValue(headers, 'x-amzn-errortype');
  const rawType = typeHeader ?? str(root?.['__type']);
  const type = rawType?.split(':')[0]?.split('#').pop();
  const message = str(root?.['message']) ?? str(root?.['Message']) ?? bodyText(body).slice(0, 500);
  let code = codeFromBedrockException(type);
  if (code === 'TOTRA_PROVIDER_BAD_REQUEST') code = undefined; // let the message decide context-length vs bad request
  return providerError({ provider: 'bedrock', status, message, providerCode: type, code, headers, nowMs });
}

/** Decodes ConverseStream event-stream messages into canonical events. */
export class BedrockEventDecoder {
  private readonly blockTool = new Map<number, number>();
  private readonly decoder = new TextDecoder('utf-8');

  decode(headers: Record<string, { type: string; value: unknown }>, bodyBytes: Uint8Array, out: StreamEvent[]): void {
    const messageType = headers[':message-type']?.value;
    const payloadText = this.decoder.decode(bodyBytes);
    let payload: JsonRecord | undefined;
    try {
      payload = payloadText.length > 0 ? rec(JSON.parse(payloadText)) : {};
    } catch {
      payload = undefined;
    }
    if (messageType === 'exception' || messageType === 'error') {
      const name = String(headers[':exception-type']?.value ?? headers[':error-code']?.value ?? 'error');
      const message = str(payload?.['message']) ?? str(payload?.['Message']) ?? String(headers[':error-message']?.value ?? name);
      out.push({ type: 'error', code: codeFromBedrockException(name) ?? 'TOTRA_PROVIDER_UNAVAILABLE', message });
      return;
    }
    if (!payload) {
      out.push({ type: 'error', code: 'TOTRA_PROVIDER_INVALID_RESPONSE', message: 'malformed event-stream payload' });
      return;
    }
    switch (headers[':event-type']?.value) {
      case 'messageStart':
        out.push({ type: 'message_start', id: '', model: '', created: 0 });
        return;
      case 'contentBlockStart': {
        const tu = rec(rec(payload['start'])?.['toolUse']);
        if (tu) {
          const index = this.blockTool.size;
          this.blockTool.set(num(payload['contentBlockIndex']) ?? index, index);
          out.push({ type: 'tool_call_start', index, id: str(tu['toolUseId']) ?? '', name: str(tu['name']) ?? '' });
        }
        return;
      }
      case 'contentBlockDelta': {
        const delta = rec(payload['delta']);
        const text = str(delta?.['text']);
        if (text) {
          out.push({ type: 'text_delta', text });
          return;
        }
        const tu = rec(delta?.['toolUse']);
        if (tu) {
          const index = this.blockTool.get(num(payload['contentBlockIndex']) ?? -1);
          const input = str(tu['input']);
          if (index !== undefined && input) out.push({ type: 'tool_call_delta', index, argumentsDelta: input });
          return;
        }
        const rc = rec(delta?.['reasoningContent']);
        if (rc) {
          const e: StreamEvent = { type: 'reasoning_delta', text: str(rc['text']) ?? '' };
          const sig = str(rc['signature']);
          if (sig !== undefined) e.signature = sig;
          if (e.text.length > 0 || sig !== undefined) out.push(e);
        }
        return;
      }
      case 'messageStop': {
        const reason = str(payload['stopReason']);
        out.push({ type: 'finish', finishReason: finishFromBedrock(reason), ...(reason !== undefined ? { providerFinishReason: reason } : {}) });
        return;
      }
      case 'metadata': {
        const usage = usageFromBedrock(payload['usage']);
        if (usage) out.push({ type: 'usage', usage });
        return;
      }
      default:
        return; // contentBlockStop
    }
  }
}

const encoder = new TextEncoder();

function createBedrockStreamParser(): StreamParser {
  const framer = new AwsEventStreamDecoder();
  const events = new BedrockEventDecoder();
  const run = (bytes: Uint8Array): StreamEvent[] => {
    const out: StreamEvent[] = [];
    let messages;
    try {
      messages = framer.push(bytes);
    } catch (err) {
      out.push({ type: 'error', code: 'TOTRA_PROVIDER_INVALID_RESPONSE', message: `corrupt event-stream: ${(err as Error).message}` });
      return out;
    }
    for (const m of messages) events.decode(m.headers as Record<string, { type: string; value: unknown }>, m.body, out);
    return out;
  };
  return {
    push: (chunk) => run(typeof chunk === 'string' ? encoder.encode(chunk) : chunk),
    end() {
      if (framer.pendingBytes > 0) {
        return [{ type: 'error', code: 'TOTRA_PROVIDER_INVALID_RESPONSE', message: `event-stream ended inside a message (${framer.pendingBytes} bytes left)` }];
      }
      return [];
    },
  };
}

/** Claude models on Bedrock, named by model id, inference profile id or an ARN naming either. */
const CLAUDE_ON_BEDROCK = /(^|[./])anthropic\.claude/;

/** The `anthropic_version` Bedrock's InvokeModel takes for Claude in the Anthropic Messages format. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** The Anthropic error type a Bedrock stream exception stands for (a client of Anthropic's API reads these). */
function anthropicErrorType(exception: string): string {
  switch (codeFromBedrockException(exception)) {
    case 'TOTRA_PROVIDER_RATE_LIMITED':
      return 'rate_limit_error';
    case 'TOTRA_PROVIDER_UNAVAILABLE':
      return 'overloaded_error';
    case 'TOTRA_PROVIDER_TIMEOUT':
      return 'timeout_error';
    case 'TOTRA_PROVIDER_AUTH':
      return 'permission_error';
    case 'TOTRA_PROVIDER_NOT_FOUND':
      return 'not_found_error';
    case 'TOTRA_PROVIDER_BAD_REQUEST':
      return 'invalid_request_error';
    default:
      return 'api_error';
  }
}

/** An Anthropic `error` stream event. */
function streamError(type: string, message: string): SseMessage {
  return { event: 'error', data: JSON.stringify({ type: 'error', error: { type, message } }) };
}

/** Base64 -> UTF-8 text. */
function fromBase64(data: string): string {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return utf8.decode(bytes);
}

const utf8 = new TextDecoder('utf-8');

/**
 * Reads InvokeModelWithResponseStream's event stream of a Claude model into the Anthropic stream
 * events it carries: each `chunk` holds one, base64-encoded, as Anthropic's API sends it, but for
 * the invocation metrics Bedrock adds to the last (left out). An exception becomes an Anthropic
 * `error` event, and so does a corrupt or cut stream.
 */
class BedrockAnthropicFramer implements MessageFramer {
  readonly #framer = new AwsEventStreamDecoder();
  #broken = false;

  push(chunk: string | Uint8Array): SseMessage[] {
    if (this.#broken) return [];
    let messages;
    try {
      messages = this.#framer.push(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    } catch (err) {
      this.#broken = true;
      return [streamError('api_error', `corrupt event-stream: ${(err as Error).message}`)];
    }
    const out: SseMessage[] = [];
    for (const m of messages) {
      const message = this.#read(m.headers as Record<string, { value: unknown }>, m.body);
      if (message) out.push(message);
    }
    return out;
  }

  end(): SseMessage[] {
    if (this.#broken || this.#framer.pendingBytes === 0) return [];
    return [streamError('api_error', `event-stream ended inside a message (${this.#framer.pendingBytes} bytes left)`)];
  }

  #read(headers: Record<string, { value: unknown }>, body: Uint8Array): SseMessage | undefined {
    const payload = rec(readJson(body));
    const kind = headers[':message-type']?.value;
    if (kind === 'exception' || kind === 'error') {
      const name = String(headers[':exception-type']?.value ?? headers[':error-code']?.value ?? 'error');
      return streamError(anthropicErrorType(name), str(payload?.['message']) ?? str(payload?.['Message']) ?? String(headers[':error-message']?.value ?? name));
    }
    if (headers[':event-type']?.value !== 'chunk') return undefined;
    const bytes = str(payload?.['bytes']);
    if (bytes === undefined) return streamError('api_error', 'malformed event-stream chunk: no bytes');
    let data: string;
    try {
      data = fromBase64(bytes);
    } catch {
      return streamError('api_error', 'malformed event-stream chunk: bytes are not base64');
    }
    const event = rec(readJson(data));
    if (!event) return { data };
    if ('amazon-bedrock-invocationMetrics' in event) {
      delete event['amazon-bedrock-invocationMetrics'];
      data = JSON.stringify(event);
    }
    const type = str(event['type']);
    return type === undefined ? { data } : { event: type, data };
  }
}

/**
 * The top-level members InvokeModel takes for Claude: those the gateway reads, and structured
 * outputs (`output_config`, generally available on Bedrock for the Claude models that have it;
 * Bedrock judges its content, ADR 0033).
 */
const INVOKE_MEMBERS: ReadonlySet<string> = new Set([...MESSAGES_MEMBERS, 'output_config']);

/**
 * A Claude model's InvokeModel API, which takes the Anthropic Messages format: an Anthropic
 * client's body goes there as it came, with `model` and `stream` in the path and the betas in
 * the body, less the top-level members only Anthropic's own API takes (ADR 0031), and its
 * answers are Anthropic's.
 */
const anthropicInvoke: PassthroughSupport = {
  inbound: 'anthropic-messages',
  accepts: (deployment) => CLAUDE_ON_BEDROCK.test(deployment.model),
  takesOutputLimit: true,
  buildRequest(input, deployment) {
    const stream = input.parsed['stream'] === true;
    const parsed = input.maxOutputTokens === undefined ? input.parsed : limitMessagesBody(input.parsed, input.maxOutputTokens);
    const { model: _model, stream: _stream, ...members } = parsed;
    const body: Record<string, unknown> = { anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...members };
    // Top-level members the gateway does not read are Anthropic's service, not Bedrock's: those
    // that only tune it or ask for nothing are left out, the others refused before the call, as
    // on the Converse path (ADR 0025), so that another deployment can serve the request.
    const extra = unreadMembers(members, INVOKE_MEMBERS, 'anthropic-messages');
    if (extra) {
      const refused = unportableMembers(extra);
      if (refused.length > 0) {
        throw new UnsupportedFeatureError(
          'bedrock',
          refused.join(', '),
          `${refused.map((k) => `\`${k}\``).join(', ')} (of the Anthropic Messages request) cannot be sent to bedrock: its InvokeModel API for Claude does not take ${refused.length > 1 ? 'them' : 'it'}`,
        );
      }
      for (const key of Object.keys(extra.members)) delete body[key];
    }
    if (input.betas?.length) body['anthropic_beta'] = [...new Set(input.betas)];
    return bedrockRequest(deployment, stream ? 'invoke-with-response-stream' : 'invoke', stream, JSON.stringify(body));
  },
  createStreamParser: () => createAnthropicPassthroughParser(new BedrockAnthropicFramer()),
  createStreamCutter: () => createAnthropicStreamCutter(),
  parseResponse(status, body) {
    if (status < 200 || status >= 300) throw mapBedrockError(status, body);
    const json = readJson(body);
    if (json === undefined) throw invalidResponse('bedrock', status, 'body is not JSON');
    return decodeAnthropicResponse(json, 'bedrock', status);
  },
};

/** A Bedrock runtime request of `deployment`'s model: `action` is the path's last segment. */
function bedrockRequest(deployment: Deployment, action: string, stream: boolean, body: string): ProviderHttpRequest {
  if (!deployment.aws && !deployment.apiKey) {
    throw new ProviderConfigError('bedrock', `bedrock deployment "${deployment.model}" has neither AWS credentials nor an API key`);
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  headers['accept'] = stream ? 'application/vnd.amazon.eventstream' : 'application/json';
  if (!deployment.aws && deployment.apiKey) headers['authorization'] = `Bearer ${deployment.apiKey}`;
  if (deployment.headers) Object.assign(headers, deployment.headers);
  return { method: 'POST', url: joinUrl(endpoint(deployment), `model/${encodeURIComponent(deployment.model)}/${action}`), headers, body };
}

function endpoint(deployment: Deployment): string {
  if (deployment.baseUrl) return deployment.baseUrl;
  if (!deployment.region) throw new ProviderConfigError('bedrock', `bedrock deployment "${deployment.model}" needs a region`);
  return `https://bedrock-runtime.${deployment.region}.amazonaws.com`;
}

/**
 * AWS Bedrock Converse / ConverseStream, and for Claude models InvokeModel /
 * InvokeModelWithResponseStream with an Anthropic client's own body (ADR 0031). Signed with SigV4 (`signRequest`) from `deployment.aws`,
 * or authenticated with a Bedrock API key (`deployment.apiKey`, sent as a bearer token).
 */
export const bedrockAdapter: ProviderAdapter = {
  provider: 'bedrock',
  wireFormat: 'bedrock-converse',
  documents: true,
  requestIdHeader: 'x-amzn-requestid',
  buildRequest(request, deployment) {
    const claude = claudeOnBedrock(deployment.model);
    const body = encodeBedrockRequest(request, { claude: claude === undefined ? NO_CLAUDE_TRAITS : claudeTraits(claude) });
    return bedrockRequest(deployment, request.stream ? 'converse-stream' : 'converse', request.stream, JSON.stringify(body));
  },
  async signRequest(request: ProviderHttpRequest, deployment: Deployment, date: Date) {
    if (!deployment.aws) return request;
    const region = deployment.region ?? new URL(request.url).hostname.split('.')[1];
    if (!region) throw new ProviderConfigError('bedrock', `bedrock deployment "${deployment.model}" needs a region`);
    return signAwsRequest(request, { service: 'bedrock', region, credentials: deployment.aws, date });
  },
  parseResponse(status, body) {
    if (status < 200 || status >= 300) throw mapBedrockError(status, body);
    const json = readJson(body);
    if (json === undefined) throw invalidResponse('bedrock', status, 'body is not JSON');
    return decodeBedrockResponse(json, status);
  },
  createStreamParser: createBedrockStreamParser,
  mapError: mapBedrockError,
  passthroughs: [anthropicInvoke],
};
