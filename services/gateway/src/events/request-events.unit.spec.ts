import { describe, expect, it } from 'vitest';
import { coreEvents, EventRegistry } from '@totra/events';
import { type CallerIdentity } from '../identity.js';
import { type DeploymentRoute } from '../routing/directory.js';
import { outcomeEvent, type Timing } from './request-events.js';

/**
 * Every object's members listed in increasing UTF-16 order (RFC 8785's): the chain writer then
 * hashes the event with the engine's serialiser (ADR 0017's companion fast path in libs/chain).
 */
function inCanonicalOrder(v: unknown): boolean {
  if (Array.isArray(v)) return v.every(inCanonicalOrder);
  if (v === null || typeof v !== 'object') return true;
  const names = Object.keys(v);
  return names.every((n, i) => i === 0 || (names[i - 1] as string) < n) && Object.values(v).every(inCanonicalOrder);
}

const WHO = { tenant: 'acme', keyId: `key_${'0'.repeat(32)}`, userId: 'u-1', teamId: 't-1' } as CallerIdentity;
const ROUTE = { deploymentId: 'openai:gpt-4o', provider: 'openai', model: 'gpt-4o' } as DeploymentRoute;
const registry = new EventRegistry(coreEvents);

describe('outcomeEvent', () => {
  const estimate = () => ({ input: 3, output: 4 });
  type Outcome = Parameters<typeof outcomeEvent>[5];
  it.each<[string, Outcome, Timing]>([
    ['completed, with usage and a first byte', { route: ROUTE, attempts: 1, status: 200, usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 }, finishReason: 'stop', partial: false, error: undefined }, { totalUs: 100_500, upstreamUs: 100_000, firstByteUs: 20_000 }],
    ['completed, estimated, no first byte', { route: ROUTE, attempts: 2, status: 200, usage: undefined, finishReason: null, partial: false, error: undefined }, { totalUs: 100_500, upstreamUs: 100_000 }],
    ['failed before any deployment', { route: undefined, attempts: 0, status: 502, usage: undefined, finishReason: null, partial: false, error: undefined }, { totalUs: 500, upstreamUs: 0 }],
  ])('lists the data of a request %s in canonical order, and it is valid', (_name, outcome, timing) => {
    const event = outcomeEvent('req-1', 'openai.chat', WHO, 'gpt-4o', false, outcome, timing, estimate);
    expect(inCanonicalOrder(event.data)).toBe(true);
    expect(() => registry.validateInput(event)).not.toThrow();
    expect(event.data).not.toHaveProperty('unscanned');
    // Parts sent unscanned under a policy that allows them (ADR 0026) are counted, in canonical order too.
    const unscanned = outcomeEvent('req-1', 'openai.chat', WHO, 'gpt-4o', false, outcome, timing, estimate, 2);
    expect(unscanned.data).toMatchObject({ unscanned: 2 });
    expect(inCanonicalOrder(unscanned.data)).toBe(true);
    expect(() => registry.validateInput(unscanned)).not.toThrow();
  });
});
