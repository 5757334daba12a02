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

type Issue = z.core.$ZodIssue;

/** Members that say which shape an object is meant to be (`type`, `role`). */
const DISCRIMINATORS: ReadonlySet<string> = new Set(['type', 'role']);

/** Whether a union branch refused the value's `type` or `role`: the value was not meant as that shape. */
function refusedDiscriminator(branch: readonly Issue[]): boolean {
  return branch.some((i) => i.path.length === 1 && DISCRIMINATORS.has(String(i.path[0])));
}

/** Document order of two places in a value (a place inside another comes after it): how far a branch read. */
function comparePaths(a: readonly PropertyKey[], b: readonly PropertyKey[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return 0; // different members of one object: neither is further
  }
  return a.length - b.length;
}

/** What a branch refused at the value's own place expected: a type, or the values it takes. */
function expectedOf(issue: Issue): string | undefined {
  if (issue.code === 'invalid_type') return issue.expected;
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`;
  return undefined;
}

const receivedOf = (issue: Issue | undefined): string | undefined => /received (\w+)/.exec(issue?.message ?? '')?.[1];

/**
 * What a client needs to hear of one issue. A value that matches none of a union's shapes gets
 * zod's bare "Invalid input"; this looks into the union's branches:
 * - when one branch got past the value's type (its issue lies deeper, as for an array of parts
 *   of which one is wrong), or one branch is the shape the value's `type` or `role` names, that
 *   branch's issue is the one to report, at its full path;
 * - when every branch refused the value's `type`, the message lists the types there are;
 * - when the branches refused one place for its type, the message lists the types expected
 *   there; otherwise the branch that got furthest into the value is reported.
 */
function explainIssue(issue: Issue, prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string } {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deeper = issue.errors.filter((branch) => (branch[0]?.path.length ?? 0) > 0);
    if (deeper.length === 1) return explainIssue((deeper[0] as Issue[])[0] as Issue, path);
    if (deeper.length > 1) {
      const meant = deeper.filter((branch) => !refusedDiscriminator(branch));
      if (meant.length === 1) return explainIssue((meant[0] as Issue[])[0] as Issue, path);
      if (meant.length === 0) {
        const kinds = [...new Set(deeper.flatMap((b) => b.flatMap((i) => (i.code === 'invalid_value' && i.path.length === 1 && i.path[0] === 'type' ? i.values : []))))];
        if (kinds.length > 0) return { path: [...path, 'type'], message: `Invalid input: expected one of ${kinds.map((k) => JSON.stringify(k)).join(' | ')}` };
      } else {
        const firsts = meant.map((b) => b[0] as Issue);
        const at = (i: Issue) => i.path.map(String).join('.');
        if (firsts.every((i) => i.code === 'invalid_type' && at(i) === at(firsts[0] as Issue))) {
          const expected = [...new Set(firsts.map((i) => (i.code === 'invalid_type' ? i.expected : '')))];
          const received = receivedOf(firsts[0]);
          return { path: [...path, ...(firsts[0] as Issue).path], message: `Invalid input: expected ${expected.join(' or ')}${received ? `, received ${received}` : ''}` };
        }
        const sorted = [...firsts].sort((a, b) => comparePaths(b.path, a.path));
        if (sorted.length === 1 || comparePaths((sorted[0] as Issue).path, (sorted[1] as Issue).path) > 0) return explainIssue(sorted[0] as Issue, path);
      }
    }
    const types = issue.errors.map((branch) => (branch.length === 1 && branch[0]?.path.length === 0 ? expectedOf(branch[0]) : undefined));
    if (types.every((t) => t !== undefined)) {
      const received = receivedOf(issue.errors.map((b) => b[0]).find((i) => i?.code === 'invalid_type'));
      return { path, message: `Invalid input: expected ${[...new Set(types)].join(' or ')}${received ? `, received ${received}` : ''}` };
    }
  }
  return { path, message: issue.message };
}

/** Renders zod issues as `path: message` strings for error bodies. */
export function formatIssues(error: z.ZodError): { message: string; param: string | undefined; issues: string[] } {
  const explained = error.issues.map((i) => explainIssue(i));
  const issues = explained.map((e) => (e.path.length > 0 ? `${e.path.map(String).join('.')}: ${e.message}` : e.message));
  const first = explained[0];
  const param = first && first.path.length > 0 ? first.path.map(String).join('.') : undefined;
  return { message: issues[0] ?? 'invalid request', param, issues };
}
