/** Response headers as undici, fetch or a plain record give them. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Case-insensitive header lookup; the first value when repeated. */
export function headerValue(headers: HeadersLike | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let value = record[name];
  if (value === undefined) {
    const lower = name.toLowerCase();
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === lower) {
        value = record[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

/** Go-style duration (`1s`, `6m0s`, `20ms`, `1.5s`, `28s`) -> milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (const m of text.matchAll(re)) {
    matched = true;
    const value = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? value : unit === 's' ? value * 1000 : unit === 'm' ? value * 60_000 : value * 3_600_000;
  }
  return matched ? Math.ceil(total) : undefined;
}

/**
 * Retry delay from `retry-after-ms`, `retry-after` (seconds, or an HTTP date when `nowMs` is given)
 * and OpenAI's `x-ratelimit-reset-*` durations (the longest one).
 */
export function retryAfterMs(headers: HeadersLike | undefined, nowMs?: number): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const ra = headerValue(headers, 'retry-after');
  if (ra !== undefined) {
    const trimmed = ra.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
    if (nowMs !== undefined) {
      const at = Date.parse(trimmed);
      if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
    }
  }
  let best: number | undefined;
  for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    const v = headerValue(headers, name);
    const d = v === undefined ? undefined : parseDurationMs(v);
    if (d !== undefined && (best === undefined || d > best)) best = d;
  }
  return best;
}
