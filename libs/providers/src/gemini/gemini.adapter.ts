import type { ChatChoice, ChatRequest, ChatResponse, FinishReason, ReasoningPart, ToolCall, UserContentPart } from '../canonical/chat.js';
import { portableDocument } from '../canonical/documents.js';
import { opaqueRefusal } from '../canonical/extra.js';
import type { EmbeddingsResponse } from '../canonical/embeddings.js';
import { offeredTools, splitSystem } from '../canonical/helpers.js';
import { mergeUsage, type StreamEvent, type UsageUpdate } from '../canonical/stream-event.js';
import { ProviderConfigError, UnsupportedFeatureError, type ProviderError, type ProviderErrorCode } from '../errors.js';
import { joinUrl, type Deployment, type EmbeddingsAdapter, type ProviderAdapter, type ProviderHttpRequest } from '../adapters/adapter.js';
import { invalidResponse, providerError } from '../wire/error-mapping.js';
import { parseDurationMs, type HeadersLike } from '../wire/headers.js';
import { arr, bodyText, isRecord, mediaTypeFromUrl, num, parseArguments, readJson, rec, str, type JsonRecord } from '../wire/json.js';
import { createSseStreamParser, parseEventJson } from '../wire/stream-parser.js';
import { geminiThinkingConfig } from './gemini-models.js';

const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';
/** The most candidates Gemini writes for one request (`candidateCount`). */
export const GEMINI_MAX_CANDIDATES = 8;
/**
 * Gemini 3 and later refuse a function call of the current turn that comes back without the
 * thought signature it was answered with (400: "Function call is missing a thought_signature").
 * A client of another API cannot keep it (OpenAI's and Anthropic's tool calls have no place for
 * it), so such a call gets the value Google documents for calls written elsewhere, which skips
 * the check. A call that kept its signature keeps it.
 */
export const GEMINI_SKIP_SIGNATURE = 'skip_thought_signature_validator';

/** Whether a Gemini model checks the thought signatures of function calls: Gemini 3 and later. */
export function geminiChecksSignatures(model: string): boolean {
  const m = /^(?:models\/)?gemini-(\d+)/.exec(model);
  return m !== null && Number(m[1]) >= 3;
}

function modelPath(model: string): string {
  return model.startsWith('models/') || model.startsWith('tunedModels/') ? model : `models/${model}`;
}

function encodePart(p: UserContentPart): JsonRecord | undefined {
  if (p.type === 'text') return p.text.length > 0 ? { text: p.text } : undefined;
  if (p.type === 'opaque') {
    const doc = portableDocument(p);
    if (!doc) throw opaqueRefusal('gemini', p);
    return { inlineData: { mimeType: doc.mediaType, data: doc.data } };
  }
  if (p.source.type === 'base64') return { inlineData: { mimeType: p.source.mediaType, data: p.source.data } };
  return { fileData: { mimeType: mediaTypeFromUrl(p.source.url), fileUri: p.source.url } };
}

/** A tool result as the JSON object Gemini's `functionResponse.response` must be. */
function toolResponseObject(text: string, isError: boolean | undefined): JsonRecord {
  if (!isError) {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (isRecord(parsed)) return parsed;
      } catch {
        // not JSON: wrapped below
      }
    }
  }
  return isError ? { error: text } : { result: text };
}

/** Canonical request -> Gemini `generateContent` body. */
export function encodeGeminiRequest(request: ChatRequest, o: { checksSignatures?: boolean; model?: string } = {}): JsonRecord {
  const req = offeredTools(request);
  const { system, conversation } = splitSystem(req.messages);
  const contents: { role: 'user' | 'model'; parts: JsonRecord[] }[] = [];
  const turn = (role: 'user' | 'model'): JsonRecord[] => {
    const last = contents[contents.length - 1];
    if (last && last.role === role) return last.parts;
    const created = { role, parts: [] as JsonRecord[] };
    contents.push(created);
    return created.parts;
  };
  const toolNames = new Map<string, string>();
  for (const m of conversation) {
    if (m.role === 'user') {
      const parts = turn('user');
      for (const p of m.content) {
        const part = encodePart(p);
        if (part) parts.push(part);
      }
    } else if (m.role === 'assistant') {
      const parts = turn('model');
      // Reasoning parts are not sent back: their signatures may come from another provider, and
      // Gemini only needs the signatures carried on function calls.
      for (const p of m.content) if (p.type === 'text' && p.text.length > 0) parts.push({ text: p.text });
      for (const c of m.toolCalls ?? []) {
        toolNames.set(c.id, c.name);
        const part: JsonRecord = { functionCall: { name: c.name, args: parseArguments(c.arguments) } };
        if (c.signature !== undefined) part['thoughtSignature'] = c.signature;
        else if (o.checksSignatures) part['thoughtSignature'] = GEMINI_SKIP_SIGNATURE;
        parts.push(part);
      }
    } else if (m.role === 'tool') {
      let text = '';
      const extra: JsonRecord[] = [];
      for (const p of m.content) {
        if (p.type === 'text') text += p.text;
        else {
          const part = encodePart(p);
          if (part) extra.push(part);
        }
      }
      const name = m.name ?? toolNames.get(m.toolCallId) ?? m.toolCallId;
      turn('user').push({ functionResponse: { name, response: toolResponseObject(text, m.isError) } }, ...extra);
    }
  }
  const body: JsonRecord = { contents: contents.filter((c) => c.parts.length > 0) };
  const systemText = system.map((p) => p.text).filter((t) => t.length > 0);
  if (systemText.length > 0) body['systemInstruction'] = { parts: systemText.map((text) => ({ text })) };
  if (req.tools && req.tools.length > 0) {
    body['tools'] = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined ? { description: t.description } : {}),
          parametersJsonSchema: t.parameters,
        })),
      },
    ];
    if (req.toolChoice) {
      const tc = req.toolChoice;
      body['toolConfig'] = {
        functionCallingConfig:
          tc.type === 'tool'
            ? { mode: 'ANY', allowedFunctionNames: [tc.name] }
            : { mode: tc.type === 'required' ? 'ANY' : tc.type === 'none' ? 'NONE' : 'AUTO' },
      };
    }
  }
  const gen: JsonRecord = {};
  if (req.temperature !== undefined) gen['temperature'] = req.temperature;
  if (req.topP !== undefined) gen['topP'] = req.topP;
  if (req.topK !== undefined) gen['topK'] = req.topK;
  if (req.maxTokens !== undefined) gen['maxOutputTokens'] = req.maxTokens;
  if (req.choices !== undefined) {
    if (req.choices > GEMINI_MAX_CANDIDATES) throw new UnsupportedFeatureError('gemini', 'n', `n: gemini writes at most ${GEMINI_MAX_CANDIDATES} choices per request, and this one asks for ${req.choices}`);
    gen['candidateCount'] = req.choices;
  }
  if (req.stop && req.stop.length > 0) gen['stopSequences'] = req.stop;
  if (req.seed !== undefined) gen['seed'] = req.seed;
  if (req.frequencyPenalty !== undefined) gen['frequencyPenalty'] = req.frequencyPenalty;
  if (req.presencePenalty !== undefined) gen['presencePenalty'] = req.presencePenalty;
  if (req.responseFormat && req.responseFormat.type !== 'text') {
    gen['responseMimeType'] = 'application/json';
    if (req.responseFormat.type === 'json_schema') gen['responseJsonSchema'] = req.responseFormat.schema;
  }
  if (req.reasoning) gen['thinkingConfig'] = geminiThinkingConfig(o.model ?? req.model, req.reasoning);
  if (Object.keys(gen).length > 0) body['generationConfig'] = gen;
  return body;
}

export function finishFromGemini(reason: string | undefined, sawToolCall: boolean): FinishReason {
  switch (reason) {
    case undefined:
    case 'STOP':
    case 'FINISH_REASON_UNSPECIFIED':
    case 'OTHER':
      return sawToolCall ? 'tool_calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
      return 'error';
    default:
      // SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY, LANGUAGE ...
      return 'content_filter';
  }
}

/** Gemini `usageMetadata` -> canonical (output = candidates + thoughts; prompt includes cached). */
export function usageFromGemini(value: unknown): UsageUpdate | undefined {
  const u = rec(value);
  if (!u) return undefined;
  const prompt = num(u['promptTokenCount']) ?? 0;
  const candidates = num(u['candidatesTokenCount']) ?? 0;
  const thoughts = num(u['thoughtsTokenCount']);
  const update: UsageUpdate = {
    inputTokens: prompt,
    outputTokens: candidates + (thoughts ?? 0),
    totalTokens: num(u['totalTokenCount']) ?? prompt + candidates + (thoughts ?? 0),
  };
  const cached = num(u['cachedContentTokenCount']);
  if (cached !== undefined) update.cachedInputTokens = cached;
  if (thoughts !== undefined) update.reasoningTokens = thoughts;
  return update;
}

function callId(responseId: string, index: number, given: string | undefined): string {
  return given ?? (responseId ? `call_${responseId}_${index}` : `call_${index}`);
}

/** One candidate of a Gemini answer as a choice (`responseId` names the tool calls it has no ids for). */
function decodeCandidate(candidate: JsonRecord | undefined, responseId: string, blocked: boolean): ChatChoice {
  let text = '';
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const raw of arr(rec(candidate?.['content'])?.['parts']) ?? []) {
    const p = rec(raw);
    if (!p) continue;
    const fc = rec(p['functionCall']);
    const signature = str(p['thoughtSignature']);
    if (fc) {
      const call: ToolCall = {
        id: callId(responseId, toolCalls.length, str(fc['id'])),
        name: str(fc['name']) ?? '',
        arguments: JSON.stringify(fc['args'] ?? {}),
      };
      if (signature !== undefined) call.signature = signature;
      toolCalls.push(call);
    } else if (p['thought'] === true) {
      const part: ReasoningPart = { type: 'reasoning', text: str(p['text']) ?? '' };
      if (signature !== undefined) part.signature = signature;
      reasoning.push(part);
    } else {
      text += str(p['text']) ?? '';
    }
  }
  const reason = str(candidate?.['finishReason']);
  const choice: ChatChoice = { text, toolCalls, finishReason: blocked ? 'content_filter' : finishFromGemini(reason, toolCalls.length > 0) };
  if (reason !== undefined) choice.providerFinishReason = reason;
  if (reasoning.length > 0) choice.reasoning = reasoning;
  return choice;
}

/**
 * The places of a list of candidates among the choices: their `index`, where one without it is
 * candidate 0 (proto3 JSON leaves zeros out) when another names its index, else its position.
 */
function candidateIndexes(candidates: readonly unknown[]): number[] {
  const given = candidates.map((c) => num(rec(c)?.['index']));
  const named = given.some((i) => i !== undefined);
  return given.map((i, position) => i ?? (named ? 0 : position));
}

/**
 * Gemini `GenerateContentResponse` JSON -> canonical response. Several candidates (a request with
 * `candidateCount`) are read in the order of their `index`: the first is the response's own, the
 * rest `moreChoices`.
 */
export function decodeGeminiResponse(json: unknown, status = 200): ChatResponse {
  const root = rec(json);
  if (!root) throw invalidResponse('gemini', status, 'body is not an object');
  const list = arr(root['candidates']) ?? [];
  const at = candidateIndexes(list);
  const candidates = list
    .map((c, i) => ({ c: rec(c), n: at[i] ?? i }))
    .filter((x): x is { c: JsonRecord; n: number } => x.c !== undefined)
    .sort((a, b) => a.n - b.n);
  const responseId = str(root['responseId']) ?? '';
  const blocked = candidates.length === 0 && str(rec(root['promptFeedback'])?.['blockReason']) !== undefined;
  const response: ChatResponse = {
    id: responseId,
    model: str(root['modelVersion']) ?? '',
    created: 0,
    ...decodeCandidate(candidates[0]?.c, responseId, blocked),
  };
  if (candidates.length > 1) response.moreChoices = candidates.slice(1).map((x) => decodeCandidate(x.c, responseId, false));
  const usage = usageFromGemini(root['usageMetadata']);
  if (usage) response.usage = mergeUsage(undefined, usage);
  return response;
}

/**
 * Stateful decoder of streamed `GenerateContentResponse` chunks (each a JSON SSE `data`). A chunk
 * carries one candidate, or one of each when several were asked for (each names its `index`).
 */
export class GeminiChunkDecoder {
  private started = false;
  /** Tool calls seen so far, per candidate. */
  private readonly tools = new Map<number, number>();
  private responseId = '';

  decode(value: unknown, out: StreamEvent[]): void {
    const root = rec(Array.isArray(value) ? value[0] : value);
    if (!root) return;
    const err = rec(root['error']);
    if (err) {
      const message = str(err['message']) ?? 'stream error';
      out.push({ type: 'error', code: codeFromGeminiStatus(str(err['status'])) ?? 'TOTRA_PROVIDER_UNAVAILABLE', message });
      return;
    }
    if (!this.started) {
      this.started = true;
      this.responseId = str(root['responseId']) ?? '';
      out.push({ type: 'message_start', id: this.responseId, model: str(root['modelVersion']) ?? '', created: 0 });
    }
    const candidates = arr(root['candidates']) ?? [];
    const at = candidateIndexes(candidates);
    for (let position = 0; position < candidates.length; position++) {
      const candidate = rec(candidates[position]);
      if (!candidate) continue;
      const n = at[position] ?? position;
      const which = n > 0 && Number.isSafeInteger(n) ? { choice: n } : {};
      for (const raw of arr(rec(candidate['content'])?.['parts']) ?? []) {
        const p = rec(raw);
        if (!p) continue;
        const fc = rec(p['functionCall']);
        const signature = str(p['thoughtSignature']);
        if (fc) {
          const index = this.tools.get(n) ?? 0;
          this.tools.set(n, index + 1);
          const start: StreamEvent = { type: 'tool_call_start', index, id: callId(this.responseId, index, str(fc['id'])), name: str(fc['name']) ?? '', ...which };
          if (signature !== undefined) start.signature = signature;
          out.push(start, { type: 'tool_call_delta', index, argumentsDelta: JSON.stringify(fc['args'] ?? {}), ...which });
          continue;
        }
        const text = str(p['text']);
        if (p['thought'] === true) {
          if (text || signature !== undefined) {
            const e: StreamEvent = { type: 'reasoning_delta', text: text ?? '', ...which };
            if (signature !== undefined) e.signature = signature;
            out.push(e);
          }
        } else if (text) out.push({ type: 'text_delta', text, ...which });
      }
      const reason = str(candidate['finishReason']);
      if (reason) out.push({ type: 'finish', finishReason: finishFromGemini(reason, (this.tools.get(n) ?? 0) > 0), providerFinishReason: reason, ...which });
    }
    if (candidates.length === 0 && str(rec(root['promptFeedback'])?.['blockReason'])) {
      out.push({ type: 'finish', finishReason: 'content_filter', providerFinishReason: str(rec(root['promptFeedback'])?.['blockReason']) });
    }
    const usage = usageFromGemini(root['usageMetadata']);
    if (usage) out.push({ type: 'usage', usage });
  }
}

/** Google RPC status -> canonical code. */
export function codeFromGeminiStatus(status: string | undefined): ProviderErrorCode | undefined {
  switch (status) {
    case 'RESOURCE_EXHAUSTED':
      return 'TOTRA_PROVIDER_RATE_LIMITED';
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return 'TOTRA_PROVIDER_AUTH';
    case 'NOT_FOUND':
      return 'TOTRA_PROVIDER_NOT_FOUND';
    case 'UNAVAILABLE':
    case 'INTERNAL':
      return 'TOTRA_PROVIDER_UNAVAILABLE';
    case 'DEADLINE_EXCEEDED':
      return 'TOTRA_PROVIDER_TIMEOUT';
    default:
      return undefined;
  }
}

/** Maps a Google API error body (`{error:{code,message,status,details}}`, or a one-element array of it). */
export function mapGeminiError(status: number, body: unknown, headers?: HeadersLike, nowMs?: number): ProviderError {
  const json = readJson(body);
  const root = rec(Array.isArray(json) ? json[0] : json);
  const err = rec(root?.['error']);
  const rpcStatus = str(err?.['status']);
  let bodyRetry: number | undefined;
  for (const d of arr(err?.['details']) ?? []) {
    const delay = str(rec(d)?.['retryDelay']);
    if (delay) bodyRetry = parseDurationMs(delay);
  }
  return providerError({
    provider: 'gemini',
    status,
    message: str(err?.['message']) ?? bodyText(body).slice(0, 500),
    providerCode: rpcStatus,
    code: codeFromGeminiStatus(rpcStatus),
    headers,
    nowMs,
    bodyRetryAfterMs: bodyRetry,
  });
}

function httpRequest(deployment: Deployment, method: string, body: string, stream: boolean): ProviderHttpRequest {
  if (!deployment.apiKey) throw new ProviderConfigError('gemini', `gemini deployment "${deployment.model}" has no API key`);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-goog-api-key': deployment.apiKey };
  if (stream) headers['accept'] = 'text/event-stream';
  if (deployment.headers) Object.assign(headers, deployment.headers);
  const url = joinUrl(deployment.baseUrl ?? GEMINI_BASE_URL, `${modelPath(deployment.model)}:${method}${stream ? '?alt=sse' : ''}`);
  return { method: 'POST', url, headers, body };
}

const TASK_TYPES = {
  search_document: 'RETRIEVAL_DOCUMENT',
  search_query: 'RETRIEVAL_QUERY',
  classification: 'CLASSIFICATION',
  clustering: 'CLUSTERING',
} as const;

const geminiEmbeddings: EmbeddingsAdapter = {
  buildRequest(req, deployment) {
    const model = modelPath(deployment.model);
    const requests = req.input.map((text) => {
      const r: JsonRecord = { model, content: { parts: [{ text }] } };
      if (req.inputType) r['taskType'] = TASK_TYPES[req.inputType];
      if (req.dimensions !== undefined) r['outputDimensionality'] = req.dimensions;
      return r;
    });
    return httpRequest(deployment, 'batchEmbedContents', JSON.stringify({ requests }), false);
  },
  parseResponse(status, body): EmbeddingsResponse {
    if (status < 200 || status >= 300) throw mapGeminiError(status, body);
    const list = arr(rec(readJson(body))?.['embeddings']);
    if (!list) throw invalidResponse('gemini', status, 'no embeddings[]');
    return {
      model: '',
      embeddings: list.map((e, i) => {
        const values = arr(rec(e)?.['values']);
        if (!values) throw invalidResponse('gemini', status, `embeddings[${i}].values missing`);
        return values as number[];
      }),
    };
  },
};

/** Google Gemini API (`generateContent`, `streamGenerateContent?alt=sse`, `x-goog-api-key`). */
export const geminiAdapter: ProviderAdapter = {
  provider: 'gemini',
  wireFormat: 'gemini',
  documents: true,
  // `candidateCount`, up to GEMINI_MAX_CANDIDATES.
  choices: true,
  buildRequest(request, deployment) {
    return httpRequest(
      deployment,
      request.stream ? 'streamGenerateContent' : 'generateContent',
      JSON.stringify(encodeGeminiRequest(request, { checksSignatures: geminiChecksSignatures(deployment.model), model: deployment.model })),
      request.stream,
    );
  },
  parseResponse(status, body) {
    if (status < 200 || status >= 300) throw mapGeminiError(status, body);
    const json = readJson(body);
    if (json === undefined) throw invalidResponse('gemini', status, 'body is not JSON');
    return decodeGeminiResponse(json, status);
  },
  createStreamParser() {
    const decoder = new GeminiChunkDecoder();
    return createSseStreamParser((m, out) => {
      const value = parseEventJson(m.data, out);
      if (value !== undefined) decoder.decode(value, out);
    });
  },
  mapError: mapGeminiError,
  embeddings: geminiEmbeddings,
};
