import type { PassthroughInput } from '../adapters/adapter.js';

/**
 * The client's own body with the texts a scanner rewrote (ADR 0028): `rewrites` maps each text of
 * the request as the decoder read it (`forEachRequestText`) to the text to send instead. Every
 * string of the body equal to such a text is replaced, and, in an Anthropic body, the `input` of
 * a `tool_use` block whose JSON (the canonical call's arguments) was rewritten is the rewritten
 * JSON; everything else stays as the client sent it, members the gateway does not read included.
 *
 * Returns undefined unless every rewritten text was found (a text the decoder derived, rather than
 * read as it stood, cannot be put back in place): the caller then sends the request translated
 * from the canonical model, which carries every rewrite.
 */
export function rewriteClientBody(
  body: Record<string, unknown>,
  format: 'openai-chat' | 'openai-responses' | 'anthropic-messages' | 'openai-completions',
  rewrites: ReadonlyMap<string, string>,
): PassthroughInput | undefined {
  const found = new Set<string>();
  let broken = false;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const next = rewrites.get(value);
      if (next === undefined) return value;
      found.add(value);
      return next;
    }
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      value.forEach((v, i) => {
        const next = walk(v);
        if (next !== v) (out ??= value.slice())[i] = next;
      });
      return out ?? value;
    }
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key in record) {
      const v = record[key];
      let next: unknown;
      if (key === 'input' && format === 'anthropic-messages' && record['type'] === 'tool_use') {
        // The canonical call's arguments are this input as JSON: a rewritten one is parsed back.
        const json = JSON.stringify(v ?? {});
        const rewritten = rewrites.get(json);
        if (rewritten === undefined) continue;
        found.add(json);
        try {
          next = JSON.parse(rewritten);
        } catch {
          broken = true;
          continue;
        }
      } else next = walk(v);
      if (next !== v) (out ??= { ...record })[key] = next;
    }
    return out ?? record;
  };
  const parsed = walk(body) as Record<string, unknown>;
  if (broken || found.size < rewrites.size) return undefined;
  return { raw: JSON.stringify(parsed), parsed };
}
