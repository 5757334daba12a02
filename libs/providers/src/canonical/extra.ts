import { UnsupportedFeatureError } from '../errors.js';
import type { ChatRequest, OpaquePart, RequestExtra } from './chat.js';
import { portableDocument } from './documents.js';
import { providerToolMember } from '../inbound/unsupported-content.js';

/**
 * The members of a request body that `known` does not name (the decoder's schema), as the client
 * sent them; undefined when there are none. Members set to `undefined` cannot come from JSON and
 * are left out. Throws an `InboundRequestError` for a member that has the provider run tools of
 * its own (`mcp_servers`, `web_search_options`: `providerToolMember`).
 */
export function unreadMembers(body: unknown, known: ReadonlySet<string>, format: RequestExtra['format']): RequestExtra | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  let members: Record<string, unknown> | undefined;
  for (const key in body) {
    if (known.has(key)) continue;
    const value = (body as Record<string, unknown>)[key];
    if (value !== undefined) (members ??= {})[key] = value;
  }
  if (!members) return undefined;
  const refused = providerToolMember(members, format);
  if (refused) throw refused;
  return { format, members };
}

/**
 * Members that only tune the service of the API's own provider (storage of the exchange, service
 * tier, prompt-cache routing, abuse-monitoring ids, latency hints, extra output data): a provider
 * of another API serves the same answer without them, so they are left out there. So is
 * `verbosity`, GPT-5's hint at how long an answer should be, which no other provider takes (the
 * Responses API's `text.verbosity` is left out alike). Every other unread member may change what
 * the answer is or how it comes.
 */
const SERVICE_ONLY: Readonly<Record<RequestExtra['format'], ReadonlySet<string>>> = {
  'openai-chat': new Set(['store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'prediction', 'verbosity']),
  'openai-responses': new Set(['store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'truncation', 'include']),
  'anthropic-messages': new Set(['service_tier']),
  'openai-completions': new Set(),
};

/**
 * The unread members that a provider of another API cannot honour: those that are neither
 * service-only, nor switched off (`null` or `false`, which ask for nothing), nor translated into
 * the canonical request (`RequestExtra.translated`), in body order.
 */
export function unportableMembers(extra: RequestExtra): string[] {
  const serviceOnly = SERVICE_ONLY[extra.format];
  return Object.keys(extra.members).filter((key) => {
    const value = extra.members[key];
    return !asksForNothing(key, value) && !serviceOnly.has(key) && !extra.translated?.includes(key);
  });
}

/**
 * A member switched off (`null`, `false`), or asking for what every answer is: text only
 * (`modalities: ["text"]`), one candidate per choice (Completions' `best_of: 1`), no bias (an
 * empty `logit_bias`).
 */
function asksForNothing(key: string, value: unknown): boolean {
  if (value === null || value === false) return true;
  if (key === 'best_of') return value === 1;
  if (key === 'logit_bias') return typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0;
  return key === 'modalities' && Array.isArray(value) && value.every((m) => m === 'text');
}

/** How each API is named in messages. */
export const API_NAMES: Readonly<Record<RequestExtra['format'], string>> = {
  'openai-chat': 'OpenAI Chat Completions',
  'openai-responses': 'OpenAI Responses',
  'anthropic-messages': 'Anthropic Messages',
  'openai-completions': 'OpenAI Completions',
};

/** Copies the unread members into an encoded body, never over a member the encoder wrote. */
export function withUnreadMembers(body: Record<string, unknown>, members: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (!members) return body;
  for (const key in members) if (!(key in body)) body[key] = members[key];
  return body;
}

/** What each kind of opaque content is, for messages. */
const OPAQUE_KINDS: Readonly<Record<string, string>> = { document: 'a document', file: 'a file', input_file: 'a file', input_audio: 'audio' };

/** `a document (Anthropic Messages \`document\` content)`: an opaque part as messages name it. */
export function describeOpaque(part: OpaquePart): string {
  return `${OPAQUE_KINDS[part.kind] ?? 'content'} (${API_NAMES[part.api]} \`${part.kind}\` content)`;
}

/** The opaque parts of a request (user messages and tool results), in order. */
export function opaqueParts(request: Pick<ChatRequest, 'messages'>): OpaquePart[] {
  const out: OpaquePart[] = [];
  for (const m of request.messages) {
    if (m.role !== 'user' && m.role !== 'tool') continue;
    for (const p of m.content) if (p.type === 'opaque') out.push(p);
  }
  return out;
}

/** Where a PDF document can go when it is not sent to its own API (ADR 0027). */
export const DOCUMENT_PROVIDERS = 'OpenAI, Azure OpenAI, Anthropic, Gemini and Bedrock';

/**
 * The refusal of opaque content by an adapter that does not speak its API (ADR 0026) and cannot
 * take it as a portable document (ADR 0027).
 */
export function opaqueRefusal(provider: string, part: OpaquePart): UnsupportedFeatureError {
  const why = portableDocument(part)
    ? `the gateway sends PDF documents to deployments of ${DOCUMENT_PROVIDERS} only`
    : `only a deployment that speaks the ${API_NAMES[part.api]} API takes it as it is`;
  return new UnsupportedFeatureError(provider, part.kind, `${describeOpaque(part)} cannot be sent to ${provider}: ${why}`);
}

/**
 * Members whose strings are tokens a provider issued or reads back, never text: ids (`id`,
 * `tool_use_id`, `call_id` ...), signatures and encrypted reasoning, and types. A rewritten one
 * would break the request, and none is written by a person.
 */
function isTokenMember(key: string): boolean {
  return key === 'type' || key === 'id' || key === 'signature' || key === 'encrypted_content' || key.endsWith('_id');
}

/** Media inline (`data:image/png;base64,...`, a screenshot of computer use): bytes, not text. */
function isDataUrl(value: string): boolean {
  return value.startsWith('data:') && value.includes(';base64,');
}

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') {
    if (value.length > 0 && !isDataUrl(value)) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const key in value) if (!isTokenMember(key)) collectStrings((value as Record<string, unknown>)[key], out);
  }
}

/** Walks a member as sent (`raw`) beside the schema's reading of it (`read`): see {@link unreadNestedTexts}. */
function collectUnread(raw: unknown, read: unknown, out: string[]): void {
  if (Array.isArray(raw)) {
    if (!Array.isArray(read)) return;
    for (let i = 0; i < raw.length; i++) collectUnread(raw[i], read[i], out);
    return;
  }
  if (raw === null || typeof raw !== 'object' || read === null || typeof read !== 'object' || Array.isArray(read)) return;
  for (const key in raw) {
    const value = (raw as Record<string, unknown>)[key];
    if (key in read) collectUnread(value, (read as Record<string, unknown>)[key], out);
    else if (!isTokenMember(key)) collectStrings(value, out);
  }
}

/**
 * The strings of the members a decoder's schema does not name *inside* the members it reads (in
 * messages, content parts, input items, tools: an earlier answer's citations, a reasoning item's
 * summary), in body order; undefined when there are none (ADR 0030). `read` is the schema's
 * output for `body`: zod leaves out what it does not name, so a member of the body absent from
 * it at the same place is unread. Top-level members are not walked (they are `extra`), nor
 * strings of members that are tokens rather than text (ids, signatures, encrypted content).
 */
export function unreadNestedTexts(body: unknown, read: unknown): string[] | undefined {
  if (body === null || typeof body !== 'object' || read === null || typeof read !== 'object') return undefined;
  const out: string[] = [];
  for (const key in read) {
    const value = (body as Record<string, unknown>)[key];
    if (value !== null && typeof value === 'object') collectUnread(value, (read as Record<string, unknown>)[key], out);
  }
  return out.length > 0 ? out : undefined;
}
