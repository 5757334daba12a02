import { CircuitBreaker, type BreakerOptions, DEFAULT_BREAKER } from './circuit-breaker.js';

/** What the router needs to know of a deployment. */
export interface RoutableDeployment {
  deploymentId: string;
  alias: string;
  weight: number;
  priority: number;
  contextWindow: number;
}

/**
 * Orders the deployments of an alias for one request: by priority (lower first); inside a
 * priority level, the least busy first and, among equally busy ones, a weighted random
 * choice. Deployments whose breaker is open go last (they are tried only if all else failed
 * and their breaker lets a trial through). Tracks in-flight counts for least-busy balancing.
 */
export class Router {
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #inflight = new Map<string, number>();

  constructor(
    private readonly breakerOptions: BreakerOptions = DEFAULT_BREAKER,
    private readonly random: () => number = Math.random,
  ) {}

  breaker(deploymentId: string): CircuitBreaker {
    let b = this.#breakers.get(deploymentId);
    if (!b) {
      b = new CircuitBreaker(this.breakerOptions);
      this.#breakers.set(deploymentId, b);
    }
    return b;
  }

  inflight(deploymentId: string): number {
    return this.#inflight.get(deploymentId) ?? 0;
  }

  /** Marks a request as running on a deployment; call the returned function when it ends. */
  begin(deploymentId: string): () => void {
    this.#inflight.set(deploymentId, this.inflight(deploymentId) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#inflight.set(deploymentId, Math.max(0, this.inflight(deploymentId) - 1));
    };
  }

  /**
   * The order in which to try `deployments` for a request of about `inputTokens` tokens.
   * Deployments whose context window is too small are left out.
   */
  order<T extends RoutableDeployment>(deployments: readonly T[], inputTokens: number, nowMs: number): T[] {
    // One deployment (the usual alias): nothing to order, open breaker or not.
    if (deployments.length === 1) {
      const only = deployments[0] as T;
      return only.contextWindow <= 0 || inputTokens <= only.contextWindow ? [only] : [];
    }
    const fitting = deployments.filter((d) => d.contextWindow <= 0 || inputTokens <= d.contextWindow);
    const byPriority = new Map<number, T[]>();
    for (const d of fitting) {
      const level = byPriority.get(d.priority) ?? [];
      level.push(d);
      byPriority.set(d.priority, level);
    }
    const healthy: T[] = [];
    const tripped: T[] = [];
    for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
      for (const d of this.#orderLevel(byPriority.get(priority) ?? [])) {
        (this.breaker(d.deploymentId).state(nowMs) === 'open' ? tripped : healthy).push(d);
      }
    }
    return [...healthy, ...tripped];
  }

  #orderLevel<T extends RoutableDeployment>(level: T[]): T[] {
    const remaining = [...level];
    const out: T[] = [];
    while (remaining.length) {
      const least = Math.min(...remaining.map((d) => this.inflight(d.deploymentId)));
      const candidates = remaining.filter((d) => this.inflight(d.deploymentId) === least);
      const total = candidates.reduce((s, d) => s + Math.max(d.weight, 0), 0);
      let pick = candidates[0] as T;
      if (total > 0) {
        let r = this.random() * total;
        for (const d of candidates) {
          r -= Math.max(d.weight, 0);
          if (r < 0) {
            pick = d;
            break;
          }
        }
      }
      out.push(pick);
      remaining.splice(remaining.indexOf(pick), 1);
    }
    return out;
  }
}

/** Full-jitter exponential backoff (AWS architecture blog's "full jitter"), in ms. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * exp);
}
