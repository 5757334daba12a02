import type { RequestExtra } from './chat.js';

/**
 * The members of a request body that `known` does not name (the decoder's schema), as the client
 * sent them; undefined when there are none. Members set to `undefined` cannot come from JSON and
 * are left out.
 */
export function unreadMembers(body: unknown, known: ReadonlySet<string>, format: RequestExtra['format']): RequestExtra | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  let members: Record<string, unknown> | undefined;
  for (const key in body) {
    if (known.has(key)) continue;
    const value = (body as Record<string, unknown>)[key];
    if (value !== undefined) (members ??= {})[key] = value;
  }
  return members ? { format, members } : undefined;
}

/**
 * Members that only tune the service of the API's own provider (storage of the exchange, service
 * tier, prompt-cache routing, abuse-monitoring ids, latency hints, extra output data): a provider
 * of another API serves the same answer without them, so they are left out there. Every other
 * unread member may change what the answer is or how it comes.
 */
const SERVICE_ONLY: Readonly<Record<RequestExtra['format'], ReadonlySet<string>>> = {
  'openai-chat': new Set(['store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'prediction']),
  'openai-responses': new Set(['store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'truncation', 'include']),
  'anthropic-messages': new Set(['service_tier']),
};

/**
 * The unread members that a provider of another API cannot honour: those that are neither
 * service-only nor switched off (`null` or `false`, which ask for nothing), in body order.
 */
export function unportableMembers(extra: RequestExtra): string[] {
  const serviceOnly = SERVICE_ONLY[extra.format];
  return Object.keys(extra.members).filter((key) => {
    const value = extra.members[key];
    return value !== null && value !== false && !serviceOnly.has(key);
  });
}

/** How each API is named in messages. */
export const API_NAMES: Readonly<Record<RequestExtra['format'], string>> = {
  'openai-chat': 'OpenAI Chat Completions',
  'openai-responses': 'OpenAI Responses',
  'anthropic-messages': 'Anthropic Messages',
};

/** Copies the unread members into an encoded body, never over a member the encoder wrote. */
export function withUnreadMembers(body: Record<string, unknown>, members: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (!members) return body;
  for (const key in members) if (!(key in body)) body[key] = members[key];
  return body;
}
