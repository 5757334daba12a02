import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';
import { Router, backoffMs, type RoutableDeployment } from './router.js';

const d = (id: string, over: Partial<RoutableDeployment> = {}): RoutableDeployment => ({ deploymentId: id, alias: 'm', weight: 1, priority: 0, contextWindow: 1000, ...over });

/** A deterministic "random" sequence. */
function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}

describe('CircuitBreaker', () => {
  it('opens after the threshold, half-opens after the cool-down with exactly one trial, and doubles on a failed trial', () => {
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, maxOpenMs: 3000 });
    b.failure(0);
    b.failure(0);
    expect(b.state(0)).toBe('closed');
    b.failure(0);
    expect(b.state(10)).toBe('open');
    expect(b.tryAcquire(999)).toBe(false);
    expect(b.state(1000)).toBe('half-open');
    expect(b.tryAcquire(1000)).toBe(true);
    expect(b.tryAcquire(1001)).toBe(false); // one trial at a time
    b.failure(1100);
    expect(b.tryAcquire(2000)).toBe(false); // re-opened for 2000 ms
    expect(b.tryAcquire(3100)).toBe(true);
    b.success();
    expect(b.state(3100)).toBe('closed');
    expect(b.tryAcquire(3100)).toBe(true);
  });

  it('a success resets the consecutive failure count', () => {
    const b = new CircuitBreaker({ failureThreshold: 2, openMs: 1000, maxOpenMs: 1000 });
    b.failure(0);
    b.success();
    b.failure(0);
    expect(b.state(0)).toBe('closed');
  });
});

describe('Router', () => {
  it('orders by priority, then least busy, then by weight', () => {
    const r = new Router(undefined, seq(0.99));
    const done = r.begin('b');
    const order = r.order([d('c', { priority: 1 }), d('a'), d('b')], 10, 0).map((x) => x.deploymentId);
    expect(order).toEqual(['a', 'b', 'c']);
    done();
    expect(r.inflight('b')).toBe(0);
  });

  it('splits traffic by weight', () => {
    const r = new Router(undefined, Math.random);
    const counts: Record<string, number> = { heavy: 0, light: 0 };
    for (let i = 0; i < 4000; i++) {
      const first = r.order([d('heavy', { weight: 3 }), d('light', { weight: 1 })], 10, 0)[0]?.deploymentId as string;
      counts[first] = (counts[first] ?? 0) + 1;
    }
    expect((counts['heavy'] ?? 0) / 4000).toBeGreaterThan(0.68);
    expect((counts['heavy'] ?? 0) / 4000).toBeLessThan(0.82);
  });

  it('leaves out deployments whose context window is too small, and puts open breakers last', () => {
    const r = new Router({ failureThreshold: 1, openMs: 1000, maxOpenMs: 1000 }, seq(0));
    r.breaker('a').failure(0);
    const order = r.order([d('a'), d('b'), d('small', { contextWindow: 5 })], 10, 0).map((x) => x.deploymentId);
    expect(order).toEqual(['b', 'a']);
  });

  it('a single deployment: kept with an open breaker (the only one to try), left out when its context window is too small', () => {
    const r = new Router({ failureThreshold: 1, openMs: 1000, maxOpenMs: 1000 }, seq(0));
    r.breaker('a').failure(0);
    expect(r.order([d('a')], 10, 0).map((x) => x.deploymentId)).toEqual(['a']);
    expect(r.order([d('a', { contextWindow: 0 })], 10_000, 0).map((x) => x.deploymentId)).toEqual(['a']);
    expect(r.order([d('small', { contextWindow: 5 })], 10, 0)).toEqual([]);
  });

  it('backs off with full jitter, capped', () => {
    expect(backoffMs(1, 100, 1000, () => 0.5)).toBe(50);
    expect(backoffMs(3, 100, 1000, () => 0.999)).toBe(399);
    expect(backoffMs(10, 100, 1000, () => 0.999)).toBe(999);
  });
});
