import { type EventInput } from '@totra/events';
import { type CallerIdentity } from './identity.js';
import { type GatewayMetrics } from './metrics.js';
import { type ChatExecutorDeps } from './pipeline/chat-executor.js';

/** Everything the routes use, built once per app. */
export interface GatewayContext extends ChatExecutorDeps {
  metrics: GatewayMetrics;
  /** Appends the request's terminal event and counts it. */
  record(event: EventInput, outcome: 'completed' | 'rejected' | 'failed', api: string | null, status: number): void;
  /** Whether a caller may use a model alias (all allowed when absent). */
  modelAllowed?: ((who: CallerIdentity, alias: string) => boolean) | undefined;
}
