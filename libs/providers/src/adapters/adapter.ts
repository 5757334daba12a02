import { z } from 'zod';
import { ANTHROPIC_CLIENT_TOOL, ANTHROPIC_TOOLSET } from '../anthropic/anthropic.wire.js';
import type { ChatRequest, ChatResponse } from '../canonical/chat.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../canonical/embeddings.js';
import { portableDocument } from '../canonical/documents.js';
import { API_NAMES, opaqueParts, opaqueRefusal, unportableMembers } from '../canonical/extra.js';
import type { StreamEvent } from '../canonical/stream-event.js';
import { UnsupportedFeatureError, type ProviderError } from '../errors.js';
import { headerValue, type HeadersLike } from '../wire/headers.js';

export const ProviderKind = z.enum([
  'openai',
  'azure-openai',
  'anthropic',
  'gemini',
  'mistral',
  'cohere',
  'bedrock',
  'ollama',
  'openai-compatible',
]);
export type ProviderKind = z.infer<typeof ProviderKind>;

export const AwsCredentials = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
});
export type AwsCredentials = z.infer<typeof AwsCredentials>;

/**
 * Where and how to call one provider deployment. Credentials arrive resolved (the gateway reads
 * them from its secret store); adapters never look anything up.
 */
export const Deployment = z.object({
  provider: ProviderKind,
  /** Upstream model id. Azure: the deployment name. Bedrock: model id or inference profile id/ARN. */
  model: z.string().min(1),
  /**
   * The public model a deployment of the customer's own name runs (an Azure deployment, ADR
   * 0044): what an adapter that treats some models apart (OpenAI's completion models) looks at.
   */
  baseModel: z.string().optional(),
  /** Overrides the provider's default endpoint (required for Azure and OpenAI-compatible). */
  baseUrl: z.string().optional(),
  apiKey: z.string().optional(),
  /** Azure `api-version` query value, or the `anthropic-version` header value. */
  apiVersion: z.string().optional(),
  /** AWS region (Bedrock). */
  region: z.string().optional(),
  aws: AwsCredentials.optional(),
  /** OpenAI organization / project headers. */
  organization: z.string().optional(),
  project: z.string().optional(),
  /** Extra headers sent as they are (after the adapter's own). */
  headers: z.record(z.string(), z.string()).optional(),
});
export type Deployment = z.infer<typeof Deployment>;

/** An HTTP request ready for undici: the adapter decided everything, the gateway only sends it. */
export interface ProviderHttpRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** Incremental parser of one provider response stream into canonical events. */
export interface StreamParser {
  /** Feed the next chunk exactly as it arrived (any split, bytes or text). */
  push(chunk: string | Uint8Array): StreamEvent[];
  /** The upstream body ended: flush what is buffered. */
  end(): StreamEvent[];
}

/** A stream parser that also returns the upstream SSE text to forward to a same-format client. */
export interface PassthroughStreamParser {
  push(chunk: string | Uint8Array): { events: StreamEvent[]; forward: string };
  end(): { events: StreamEvent[]; forward: string };
  /**
   * The same, one entry per complete SSE message (its events, and its text to forward: '' for a
   * dropped one), for a reader that may stop forwarding between two messages (a metered stream).
   * Use either these or `push`/`end` on one parser, not both.
   */
  pushEach(chunk: string | Uint8Array): PassthroughMessage[];
  endEach(): PassthroughMessage[];
}

/** One SSE message of a passed-through stream: its canonical events and its text to forward. */
export interface PassthroughMessage {
  events: StreamEvent[];
  forward: string;
  /**
   * The content block this message opens (`start`: the block's type) or closes (`stop`), in
   * formats whose streams number their blocks (Anthropic Messages): what a {@link StreamCutter}
   * needs to continue the stream after the messages forwarded so far.
   */
  block?: { index: number; start?: string; stop?: true };
}

/**
 * Ends a metered pass-through stream where the gateway cuts it, in the stream's own format: after
 * the messages forwarded as the provider framed them, it writes the cut message's admitted part
 * and the end of the stream (finish reason, usage), continuing the provider's stream (its id,
 * model and content blocks) so that the client reads one stream.
 */
export interface StreamCutter {
  /** A message that went to the client as the provider framed it. */
  forwarded(message: PassthroughMessage): void;
  /**
   * The rest of the stream: `events` are those of the message that passed the cap, cut to what
   * fits, followed by the stream's usage and its finish (`length`).
   */
  cut(events: StreamEvent[]): string;
}

/** Wire format a provider speaks. Adapters sharing one can pass inbound bodies through untouched. */
export type WireFormat = 'openai-chat' | 'anthropic-messages' | 'gemini' | 'cohere-v2' | 'bedrock-converse' | 'ollama';

/** Inbound APIs the gateway serves. */
export type InboundFormat = 'openai-chat' | 'openai-responses' | 'anthropic-messages' | 'openai-completions';

/** The inbound body as received: raw bytes for forwarding and the parsed object for inspection. */
export interface PassthroughInput {
  raw: string | Uint8Array;
  parsed: Record<string, unknown>;
  /** The Anthropic betas the client switched on (`ChatRequest.betas`). */
  betas?: readonly string[];
  /**
   * A lower output limit than the client's, to write into its body (a budget affords no more on
   * this deployment): only for a pass-through with `takesOutputLimit`.
   */
  maxOutputTokens?: number;
}

/**
 * Fast path for an inbound request whose API is the provider's own: the body is forwarded as it
 * came (re-serialised only when the model id or the usage option must change), and the stream is
 * forwarded message by message while still being parsed for usage.
 */
export interface PassthroughSupport {
  readonly inbound: InboundFormat;
  /**
   * Present when only some of the provider's models take this API (Bedrock takes Anthropic
   * Messages bodies for Claude models only): whether `deployment` does.
   */
  accepts?(deployment: Deployment): boolean;
  /**
   * It writes `PassthroughInput.maxOutputTokens` into the body, so a request whose output limit a
   * budget lowered still goes as the client's body, with the tools only that body carries
   * (OpenAI's local tools, ADR 0038; Anthropic's client tools, ADR 0040); without it such a
   * request is translated.
   */
  readonly takesOutputLimit?: boolean;
  buildRequest(input: PassthroughInput, deployment: Deployment): ProviderHttpRequest;
  /** `stripUsageChunk`: drop the usage-only chunk the gateway forced but the client did not ask for. */
  createStreamParser(options?: { stripUsageChunk?: boolean }): PassthroughStreamParser;
  /**
   * Present when a metered stream can be passed through: the writer of its end at a cut.
   * `includeUsage`: the client asked for usage in the stream (OpenAI chat's `include_usage`);
   * `legacyFunctions`: it declared OpenAI chat's deprecated `functions` (ADR 0043).
   */
  createStreamCutter?(options: { includeUsage: boolean; legacyFunctions?: boolean }): StreamCutter;
  /**
   * For an API other than the adapter's `wireFormat` (`ProviderAdapter.passthroughs`): its
   * answers, read into the canonical model (the adapter's own `parseResponse` reads its format).
   * Throws ProviderError on non-2xx.
   */
  parseResponse?(status: number, body: unknown): ChatResponse;
}

export interface EmbeddingsAdapter {
  /**
   * The encoding whose token ids the provider takes as input (OpenAI, Azure OpenAI: `cl100k_base`).
   * A request's `tokens` of that encoding are sent as they are; any other adapter sends `input`.
   */
  readonly takesTokens?: string;
  buildRequest(request: EmbeddingsRequest, deployment: Deployment): ProviderHttpRequest;
  parseResponse(status: number, body: unknown): EmbeddingsResponse;
}

/**
 * The closed contract of a provider adapter. Everything is pure: no I/O, no clock (the signing
 * date comes in as an argument), no randomness except where an id must be invented.
 */
export interface ProviderAdapter {
  readonly provider: ProviderKind;
  readonly wireFormat: WireFormat;
  /** Canonical request -> provider HTTP request. Throws UnsupportedFeatureError / ProviderConfigError. */
  buildRequest(request: ChatRequest, deployment: Deployment): ProviderHttpRequest;
  /**
   * Present when requests must be signed after they are built (Bedrock SigV4). Deterministic for a
   * given `date`. Async only because the signer's hash interface is.
   */
  signRequest?(request: ProviderHttpRequest, deployment: Deployment, date: Date): Promise<ProviderHttpRequest>;
  /** Provider JSON body (text, bytes or parsed) -> canonical response. Throws ProviderError on non-2xx. */
  parseResponse(status: number, body: unknown): ChatResponse;
  createStreamParser(): StreamParser;
  /** Error response -> coded error with retry policy. `nowMs` lets HTTP-date `Retry-After` be used. */
  mapError(status: number, body: unknown, headers?: HeadersLike, nowMs?: number): ProviderError;
  readonly embeddings?: EmbeddingsAdapter;
  readonly passthrough?: PassthroughSupport;
  /**
   * Further APIs of the provider that take a client's body as it came (OpenAI's Responses API,
   * ADR 0029). Only a client's own body goes there; a request the gateway writes itself is written
   * in `wireFormat`.
   */
  readonly passthroughs?: readonly PassthroughSupport[];
  /**
   * Members of another API's request body that this provider's own API takes under the same name
   * (Mistral's `safe_prompt` in an OpenAI chat body): sent as they came instead of refused (ADR 0025).
   */
  readonly foreignMembers?: Readonly<Partial<Record<InboundFormat, ReadonlySet<string>>>>;
  /**
   * The provider takes PDF documents: a client's PDF given in another API's terms is written in
   * its own ({@link portableDocument}; ADR 0027).
   */
  readonly documents?: boolean;
  /**
   * The provider writes several choices for one request (`ChatRequest.choices`, OpenAI chat's
   * `n`), numbered in its answers and streams. An adapter without it is not sent such a request
   * (ADR 0034).
   */
  readonly choices?: boolean;
  /**
   * The provider takes OpenAI's custom tools (free-text input, `ToolDefinition.custom`): an adapter
   * without it is not sent a request that declares or calls one (ADR 0036).
   */
  readonly customTools?: boolean;
  /**
   * The response header in which the provider names each request it answers (lower case), when
   * it documents one: the id its support and logs know a request by.
   */
  readonly requestIdHeader?: string;
}

/** The provider's id of a request, from its answer's headers (undefined when it names none). */
export function upstreamRequestId(adapter: Pick<ProviderAdapter, 'requestIdHeader'>, headers: HeadersLike | undefined): string | undefined {
  if (!adapter.requestIdHeader || !headers) return undefined;
  const id = headerValue(headers, adapter.requestIdHeader)?.trim();
  return id ? id.slice(0, 200) : undefined;
}

/**
 * The provider API that takes a client's body of the inbound API as it came: the adapter's own
 * (`passthrough`, the same wire format) or one of its `passthroughs` that `deployment` takes;
 * undefined when none does.
 */
export function passthroughFor(adapter: Pick<ProviderAdapter, 'passthrough' | 'passthroughs'>, inbound: InboundFormat, deployment: Deployment): PassthroughSupport | undefined {
  if (adapter.passthrough?.inbound === inbound) return adapter.passthrough;
  return adapter.passthroughs?.find((p) => p.inbound === inbound && (p.accepts?.(deployment) ?? true));
}

/**
 * The members of the client's body that the canonical model does not read (`ChatRequest.extra`),
 * as `adapter` must treat them (ADR 0025): an adapter of their own API sends them on (they are
 * returned); any other sends those its own API takes under the same name (`foreignMembers`),
 * leaves out those that only tune a service, are switched off or were translated into the
 * canonical request (`RequestExtra.translated`), and refuses a request with any
 * other with {@link UnsupportedFeatureError}, so that the executor tries a deployment that can
 * honour them instead of sending a different request.
 */
export function extraMembersFor(request: ChatRequest, adapter: Pick<ProviderAdapter, 'provider' | 'passthrough' | 'foreignMembers'>): Record<string, unknown> | undefined {
  const extra = request.extra;
  if (!extra) return undefined;
  if (adapter.passthrough?.inbound === extra.format) return extra.members;
  const taken = adapter.foreignMembers?.[extra.format];
  const unportable = unportableMembers(extra).filter((k) => !taken?.has(k));
  if (unportable.length > 0) {
    const names = unportable.map((k) => `\`${k}\``).join(', ');
    throw new UnsupportedFeatureError(
      adapter.provider,
      unportable.join(', '),
      `${names} (of the ${API_NAMES[extra.format]} request) cannot be sent to ${adapter.provider}: the gateway does not translate ${unportable.length > 1 ? 'them' : 'it'} into another API`,
    );
  }
  if (!taken) return undefined;
  const sent = Object.keys(extra.members).filter((k) => taken.has(k) && !extra.translated?.includes(k));
  return sent.length > 0 ? Object.fromEntries(sent.map((k) => [k, extra.members[k]])) : undefined;
}

/**
 * Builds the provider request and signs it when the adapter requires signing. The one way to
 * build a chat request: it also refuses unread members the adapter cannot honour, and content
 * of another API it cannot take.
 */
export async function prepareRequest(
  adapter: ProviderAdapter,
  request: ChatRequest,
  deployment: Deployment,
  date: Date,
): Promise<ProviderHttpRequest> {
  extraMembersFor(request, adapter);
  if (request.batchedPrompts !== undefined) {
    throw new UnsupportedFeatureError(
      adapter.provider,
      'prompt',
      `prompt: several prompts in one request (this one has ${request.batchedPrompts}) are answered by a provider's own Completions API only (OpenAI's completion models, OpenAI-compatible servers), and ${adapter.provider} would be sent them as a chat; send each prompt in a request of its own`,
    );
  }
  if (request.choices !== undefined && !adapter.choices) {
    throw new UnsupportedFeatureError(adapter.provider, 'n', `n: ${adapter.provider} writes one choice per request, and this one asks for ${request.choices}`);
  }
  // OpenAI's local tools and Anthropic's client tools travel only in the client's own body
  // (ADR 0038, ADR 0040): never translated.
  const local = request.localTools?.[0];
  if (local !== undefined) {
    const served = ANTHROPIC_CLIENT_TOOL.test(local) || ANTHROPIC_TOOLSET.test(local)
      ? `Anthropic's client tool \`${local}\` is served by Claude only, through Anthropic's Messages API (on Anthropic and on Bedrock)`
      : `the local tool \`${local}\` is served through OpenAI's and Azure OpenAI's Responses API only`;
    throw new UnsupportedFeatureError(adapter.provider, 'tools', `tools: ${served}, and ${adapter.provider} would be sent this request in another API`);
  }
  if (request.compacted) {
    throw new UnsupportedFeatureError(
      adapter.provider,
      'input',
      `input: a compaction item (OpenAI's encrypted summary of earlier turns) is read by OpenAI only, through its and Azure OpenAI's Responses API, and ${adapter.provider} would be sent this request in another API`,
    );
  }
  // Looked for only where it would be refused: OpenAI's own adapters take custom tools.
  const custom = adapter.customTools ? undefined : customToolOf(request);
  if (custom !== undefined) {
    throw new UnsupportedFeatureError(
      adapter.provider,
      'tools',
      `custom tools: ${adapter.provider} takes function tools only, and this request ${custom.called ? 'calls' : 'declares'} the custom tool ${JSON.stringify(custom.name)}`,
    );
  }
  // Content the canonical model does not translate goes only to an adapter of its own API (ADR 0026),
  // but for a PDF, which an adapter that takes documents writes in its own API's terms (ADR 0027).
  for (const part of opaqueParts(request)) {
    if (part.api !== adapter.passthrough?.inbound && !(adapter.documents && portableDocument(part))) throw opaqueRefusal(adapter.provider, part);
  }
  const built = adapter.buildRequest(request, deployment);
  return adapter.signRequest ? adapter.signRequest(built, deployment, date) : built;
}

/** Joins a base URL and a path without doubling slashes. */
export function joinUrl(base: string, path: string): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  return path.startsWith('/') ? b + path : `${b}/${path}`;
}

/** The first custom tool a request declares or calls in its history, if any (ADR 0036). */
export function customToolOf(request: Pick<ChatRequest, 'tools' | 'messages'>): { name: string; called: boolean } | undefined {
  const declared = request.tools?.find((t) => t.custom !== undefined);
  if (declared) return { name: declared.name, called: false };
  for (const m of request.messages) {
    const call = m.role === 'assistant' ? m.toolCalls?.find((c) => c.custom) : undefined;
    if (call) return { name: call.name, called: true };
  }
  return undefined;
}
