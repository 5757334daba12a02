import type { StreamEvent } from '../canonical/stream-event.js';

interface Parser {
  push(chunk: string | Uint8Array): StreamEvent[];
  end(): StreamEvent[];
}

/** Feeds `bytes` to a fresh parser cut at the given offsets and returns every event. */
export function feed(parser: Parser, bytes: Uint8Array, cuts: readonly number[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut <= start) continue;
    events.push(...parser.push(bytes.slice(start, cut)));
    start = cut;
  }
  events.push(...parser.end());
  return events;
}

/** Deterministic awkward split plans: whole, byte by byte, fixed sizes and seeded random cuts. */
export function splitPlans(length: number): { name: string; cuts: number[] }[] {
  const every = (n: number) => Array.from({ length: Math.ceil(length / n) }, (_, i) => (i + 1) * n).filter((c) => c < length);
  let seed = 42;
  const random: number[] = [];
  for (let at = 0; at < length; ) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    at += 1 + (seed % 23);
    if (at < length) random.push(at);
  }
  return [
    { name: 'whole', cuts: [] },
    { name: 'byte by byte', cuts: every(1) },
    { name: '3-byte chunks', cuts: every(3) },
    { name: '17-byte chunks', cuts: every(17) },
    { name: 'random cuts', cuts: random },
  ];
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
