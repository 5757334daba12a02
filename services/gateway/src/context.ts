import { type FastifyRequest } from 'fastify';
import { type EventInput } from '@totra/events';
import { type PersonalData, type RequestPrivacy } from './gdpr/request-privacy.js';
import { type EventSink } from './events/request-events.js';
import { type PiiStage } from './pii/pii-stage.js';
import { type QuotaStage } from './quota/quota-stage.js';
import { type CallerIdentity } from './identity.js';
import { type GatewayMetrics } from './metrics.js';
import { type ChatExecutorDeps } from './pipeline/chat-executor.js';
import { type AfterResponse } from './pipeline/after-response.js';

/** Everything the routes use, built once per app. */
export interface GatewayContext extends ChatExecutorDeps {
  metrics: GatewayMetrics;
  /** Bookkeeping after the client has its answer; drained before the app closes. */
  after: AfterResponse;
  /**
   * Appends the request's terminal event (with `personal` sealed, when given and a key store is
   * configured) and counts it. Await it before appending the request's later events (order).
   */
  record(event: EventInput, outcome: 'completed' | 'rejected' | 'failed', api: string | null, status: number, personal?: PersonalData): Promise<void>;
  /** The client's address (after trusted proxies) and user agent: personal, only ever sealed. */
  personalOf(request: FastifyRequest): PersonalData;
  /** GDPR duties: sealing personal data, content logging (nothing recorded when absent). */
  privacy?: RequestPrivacy | undefined;
  /** Where events other than the terminal one go (PII findings). */
  events?: EventSink | undefined;
  /** Budgets and rate limits (no admission control when absent). */
  quota?: QuotaStage | undefined;
  /** The PII stage (no scanning when absent). */
  pii?: PiiStage | undefined;
  /** Whether a caller may use a model alias (all allowed when absent). */
  modelAllowed?: ((who: CallerIdentity, alias: string) => boolean) | undefined;
}
