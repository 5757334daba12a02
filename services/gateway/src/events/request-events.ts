import { type EventInput, type InboundApi, type RejectionReason } from '@totra/events';
import { ProviderError, type Usage } from '@totra/providers';
import { type z } from 'zod';
import { type CallerIdentity } from '../identity.js';
import { type ChatOutcome } from '../pipeline/chat-executor.js';

/** Where the gateway appends its events (the chain writer in production). */
export interface EventSink {
  append(input: EventInput): unknown;
}

type Api = z.infer<typeof InboundApi>;
type Reason = z.infer<typeof RejectionReason>;

export interface Timing {
  totalUs: number;
  upstreamUs: number;
  firstByteUs?: number | undefined;
}

function tokens(usage: Usage | undefined, estimate: () => { input: number; output: number }) {
  // Members of event data are listed in canonical order here: the chain writer then hashes the
  // event on its fastest path (a test keeps it so).
  if (!usage) {
    const e = estimate();
    return { cachedInput: 0, estimated: true, input: e.input, output: e.output, reasoning: 0 };
  }
  return {
    cachedInput: usage.cachedInputTokens ?? 0,
    estimated: false,
    input: usage.inputTokens,
    output: usage.outputTokens,
    reasoning: usage.reasoningTokens ?? 0,
  };
}

function latency(t: Timing) {
  const upstreamUs = Math.min(t.upstreamUs, t.totalUs);
  const overheadUs = Math.max(0, t.totalUs - upstreamUs);
  return t.firstByteUs !== undefined ? { firstByteUs: t.firstByteUs, overheadUs, totalUs: t.totalUs, upstreamUs } : { overheadUs, totalUs: t.totalUs, upstreamUs };
}

/** `RequestCompleted` or, when the outcome carries an error, `RequestFailed`. */
export function outcomeEvent(
  requestId: string,
  api: Api,
  who: CallerIdentity,
  modelRequested: string,
  stream: boolean,
  outcome: ChatOutcome | { route: ChatOutcome['route']; attempts: number; status: number; usage: Usage | undefined; finishReason: string | null; partial: boolean; error: ChatOutcome['error']; upstreamRequestId?: string | undefined },
  timing: Timing,
  estimate: () => { input: number; output: number },
  /** Parts sent unscanned under a policy that allows them (ADR 0026); 0 or absent: none. */
  unscanned = 0,
): EventInput {
  const base = { tenant: who.tenant, subject: who.userId, id: requestId };
  const sentUnscanned = unscanned > 0 ? { unscanned } : {};
  // The provider's id of the request: from its answer, or from the error it answered with.
  const upstreamId = outcome.upstreamRequestId ?? (outcome.error instanceof ProviderError ? outcome.error.upstreamRequestId : undefined);
  const upstream = upstreamId ? { upstreamRequestId: upstreamId } : {};
  if (outcome.error || !outcome.route) {
    return {
      ...base,
      type: 'RequestFailed',
      data: {
        api,
        attempts: outcome.attempts,
        deploymentId: outcome.route?.deploymentId ?? null,
        errorCode: outcome.error?.code ?? 'TOTRA_PROVIDER_UNAVAILABLE',
        keyId: who.keyId,
        latency: latency(timing),
        modelRequested,
        partial: outcome.partial,
        provider: outcome.route?.provider ?? null,
        requestId,
        status: outcome.error && 'status' in outcome.error && outcome.error.status >= 100 ? outcome.error.status : 502,
        stream,
        teamId: who.teamId,
        tokens: tokens(outcome.usage, estimate),
        ...sentUnscanned,
        ...upstream,
        userId: who.userId,
      },
    };
  }
  return {
    ...base,
    type: 'RequestCompleted',
    data: {
      api,
      attempts: outcome.attempts,
      deploymentId: outcome.route.deploymentId,
      finishReason: outcome.finishReason,
      keyId: who.keyId,
      latency: latency(timing),
      modelRequested,
      modelServed: outcome.route.model,
      provider: outcome.route.provider,
      requestId,
      status: outcome.status,
      stream,
      teamId: who.teamId,
      tokens: tokens(outcome.usage, estimate),
      ...sentUnscanned,
      ...upstream,
      userId: who.userId,
    },
  };
}

/** `RequestRejected`: refused by the gateway before any provider was contacted. */
export function rejectedEvent(
  requestId: string,
  api: Api | null,
  who: CallerIdentity | undefined,
  modelRequested: string | null,
  status: number,
  reason: Reason,
  code: string,
): EventInput {
  return {
    type: 'RequestRejected',
    id: requestId,
    tenant: who?.tenant ?? 'unauthenticated',
    ...(who ? { subject: who.userId } : {}),
    data: {
      requestId,
      api,
      keyId: who?.keyId ?? null,
      userId: who?.userId ?? null,
      teamId: who?.teamId ?? null,
      modelRequested: modelRequested ? modelRequested.slice(0, 200) : null,
      status,
      reason,
      code,
    },
  };
}

/** The rejection reason for a 4xx the gateway answered, when no more specific one is known. */
export function reasonForStatus(status: number): Reason {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'network_policy';
    case 404:
      return 'not_found';
    case 413:
      return 'body_too_large';
    case 422:
      return 'pii_blocked';
    case 429:
      return 'rate_limited';
    default:
      return 'invalid_request';
  }
}
