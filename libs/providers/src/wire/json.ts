import type { z } from 'zod';

/** Cheap structural accessors for provider payloads on the streaming hot path (no zod per chunk). */
export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
export function rec(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
export function arr(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

const utf8 = new TextDecoder('utf-8');

/**
 * Reads a response body given as text, bytes or an already-parsed value. Returns `undefined`
 * when text is not JSON (callers decide whether that is an error).
 */
export function readJson(body: unknown): unknown {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : utf8.decode(body);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  return body;
}

/** The body as text, for error messages of non-JSON bodies. */
export function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return utf8.decode(body);
  if (body === undefined || body === null) return '';
  return JSON.stringify(body);
}

/** Parses JSON text into an object; tool-call arguments that are not an object become `{}`-wrapped. */
export function parseArguments(text: string): JsonRecord {
  if (text.trim().length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : { value: parsed };
  } catch {
    // The model produced invalid JSON; keep the raw text rather than losing it.
    return { _raw: text };
  }
}

/** `data:<mediaType>;base64,<data>` -> parts, or undefined for any other URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma === -1) return undefined;
  const meta = url.slice(5, comma);
  if (!meta.endsWith(';base64')) return undefined;
  return { mediaType: meta.slice(0, -7) || 'application/octet-stream', data: url.slice(comma + 1) };
}

export function toDataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

/** Guesses an image media type from a URL's extension (Gemini `fileData` needs one). */
export function mediaTypeFromUrl(url: string): string {
  const path = url.split(/[?#]/, 1)[0]?.toLowerCase() ?? '';
  if (path.endsWith('.png')) return 'image/png';
  if (path.endsWith('.gif')) return 'image/gif';
  if (path.endsWith('.webp')) return 'image/webp';
  if (path.endsWith('.pdf')) return 'application/pdf';
  return 'image/jpeg';
}

/** Renders zod issues as `path: message` strings for error bodies. */
export function formatIssues(error: z.ZodError): { message: string; param: string | undefined; issues: string[] } {
  const issues = error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  const first = error.issues[0];
  const param = first && first.path.length > 0 ? first.path.join('.') : undefined;
  return { message: issues[0] ?? 'invalid request', param, issues };
}
