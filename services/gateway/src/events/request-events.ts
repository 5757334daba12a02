import { type EventInput, type InboundApi, type RejectionReason } from '@totra/events';
import { type Usage } from '@totra/providers';
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
  if (!usage) {
    const e = estimate();
    return { input: e.input, output: e.output, cachedInput: 0, reasoning: 0, estimated: true };
  }
  return {
    input: usage.inputTokens,
    output: usage.outputTokens,
    cachedInput: usage.cachedInputTokens ?? 0,
    reasoning: usage.reasoningTokens ?? 0,
    estimated: false,
  };
}

function latency(t: Timing) {
  const upstreamUs = Math.min(t.upstreamUs, t.totalUs);
  return {
    overheadUs: Math.max(0, t.totalUs - upstreamUs),
    upstreamUs,
    totalUs: t.totalUs,
    ...(t.firstByteUs !== undefined ? { firstByteUs: t.firstByteUs } : {}),
  };
}

/** `RequestCompleted` or, when the outcome carries an error, `RequestFailed`. */
export function outcomeEvent(
  requestId: string,
  api: Api,
  who: CallerIdentity,
  modelRequested: string,
  stream: boolean,
  outcome: ChatOutcome | { route: ChatOutcome['route']; attempts: number; status: number; usage: Usage | undefined; finishReason: string | null; partial: boolean; error: ChatOutcome['error'] },
  timing: Timing,
  estimate: () => { input: number; output: number },
): EventInput {
  const common = { requestId, api, keyId: who.keyId, userId: who.userId, teamId: who.teamId, modelRequested };
  const base = { tenant: who.tenant, subject: who.userId, id: requestId };
  if (outcome.error || !outcome.route) {
    return {
      ...base,
      type: 'RequestFailed',
      data: {
        ...common,
        provider: outcome.route?.provider ?? null,
        deploymentId: outcome.route?.deploymentId ?? null,
        attempts: outcome.attempts,
        status: outcome.error && 'status' in outcome.error && outcome.error.status >= 100 ? outcome.error.status : 502,
        stream,
        partial: outcome.partial,
        errorCode: outcome.error?.code ?? 'TOTRA_PROVIDER_UNAVAILABLE',
        tokens: tokens(outcome.usage, estimate),
        latency: latency(timing),
      },
    };
  }
  return {
    ...base,
    type: 'RequestCompleted',
    data: {
      ...common,
      modelServed: outcome.route.model,
      provider: outcome.route.provider,
      deploymentId: outcome.route.deploymentId,
      attempts: outcome.attempts,
      status: outcome.status,
      stream,
      finishReason: outcome.finishReason,
      tokens: tokens(outcome.usage, estimate),
      latency: latency(timing),
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
