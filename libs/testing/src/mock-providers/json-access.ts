/** Cheap structural accessors for the request bodies the mock reads (lenient, like a real server). */
export type JsonRecord = Record<string, unknown>;

export function rec(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
export function arr(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Text of a message `content` as most chat APIs carry it: a string, or a list of parts whose
 * `text` is taken (tool results' nested `content` too). Images and other parts add nothing.
 */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  const parts = arr(content);
  if (!parts) return '';
  let out = '';
  for (const p of parts) {
    const part = rec(p);
    if (!part) continue;
    const text = str(part['text']);
    if (text !== undefined) out += text;
    else if (part['content'] !== undefined) out += contentText(part['content']);
  }
  return out;
}

/**
 * The texts of a chat `messages` list (after any `leading` texts, e.g. a system prompt) and the
 * text of its last user message. `textOf` reads one message's content (default `contentText`).
 */
export function messageTexts(
  messages: readonly unknown[],
  leading: readonly string[] = [],
  textOf: (message: Record<string, unknown> | undefined) => string = (m) => contentText(m?.['content']),
): { texts: string[]; lastUserText: string } {
  const texts = [...leading];
  let lastUserText = '';
  for (const raw of messages) {
    const m = rec(raw);
    const text = textOf(m);
    texts.push(text);
    if (str(m?.['role']) === 'user') lastUserText = text;
  }
  return { texts, lastUserText };
}
