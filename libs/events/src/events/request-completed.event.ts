import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { Caller, InboundApi, Latency, REQUEST_SEALED_FIELDS, TokenCounts, UnscannedParts, UpstreamRequestId } from './request-shared.js';

/** A request a provider answered (2xx to the client), streaming or not. */
export const RequestCompleted = defineEvent({
  type: 'RequestCompleted',
  v: 1,
  description: 'A request that a provider answered: who (pseudonymous), which model and deployment, tokens and latency.',
  /** The client's address and user agent, sealed under the caller's identity key (never in clear). */
  sealedFields: REQUEST_SEALED_FIELDS,
  data: z
    .object({
      requestId: z.string().min(1).max(100),
      api: InboundApi,
      ...Caller,
      modelRequested: z.string().min(1).max(200),
      modelServed: z.string().min(1).max(200),
      provider: z.string().min(1).max(50),
      deploymentId: z.string().min(1).max(200),
      /** Upstream attempts, retries and fallbacks included. */
      attempts: z.number().int().min(1),
      status: z.number().int().min(100).max(599),
      stream: z.boolean(),
      finishReason: z.string().max(50).nullable(),
      tokens: TokenCounts,
      unscanned: UnscannedParts.optional(),
      upstreamRequestId: UpstreamRequestId.optional(),
      latency: Latency,
    })
    .strict(),
});
