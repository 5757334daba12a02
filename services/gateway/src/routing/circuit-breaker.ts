/** Settings of a per-deployment circuit breaker. */
export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker refuses traffic before letting one trial request through. */
  openMs: number;
  /** Upper bound of `openMs` after repeated failed trials (doubling). */
  maxOpenMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, openMs: 10_000, maxOpenMs: 120_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Consecutive-failure circuit breaker. Open: no traffic until `openMs` passed; then half-open:
 * exactly one trial request; its success closes the breaker, its failure re-opens it for twice
 * as long (capped). Time comes from the caller, so behaviour is deterministic in tests.
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #openUntil = 0;
  #openFor: number;
  #trialInFlight = false;

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER) {
    this.#openFor = options.openMs;
  }

  state(nowMs: number): BreakerState {
    if (this.#state === 'open' && nowMs >= this.#openUntil) return 'half-open';
    return this.#state;
  }

  /** Whether a request may go to this deployment now; a half-open breaker admits one trial. */
  tryAcquire(nowMs: number): boolean {
    const s = this.state(nowMs);
    if (s === 'closed') return true;
    if (s === 'open' || this.#trialInFlight) return false;
    this.#state = 'half-open';
    this.#trialInFlight = true;
    return true;
  }

  success(): void {
    this.#state = 'closed';
    this.#failures = 0;
    this.#trialInFlight = false;
    this.#openFor = this.options.openMs;
  }

  failure(nowMs: number): void {
    if (this.#state === 'half-open') {
      this.#trialInFlight = false;
      this.#openFor = Math.min(this.#openFor * 2, this.options.maxOpenMs);
      this.#open(nowMs);
      return;
    }
    this.#failures++;
    if (this.#failures >= this.options.failureThreshold) this.#open(nowMs);
  }

  /** A trial that ended without telling success from failure (e.g. client went away). */
  release(): void {
    if (this.#trialInFlight) {
      this.#trialInFlight = false;
      this.#state = 'open';
      this.#openUntil = 0;
    }
  }

  #open(nowMs: number): void {
    this.#state = 'open';
    this.#openUntil = nowMs + this.#openFor;
    this.#failures = 0;
  }
}
