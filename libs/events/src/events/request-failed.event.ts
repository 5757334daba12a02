import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { Caller, InboundApi, Latency, REQUEST_SEALED_FIELDS, TokenCounts, UnscannedParts, UpstreamRequestId } from './request-shared.js';

/** A request the gateway accepted but no provider answered successfully (or a stream that broke). */
export const RequestFailed = defineEvent({
  type: 'RequestFailed',
  v: 1,
  description: 'An accepted request that failed upstream (after retries and fallbacks), or a stream that broke midway.',
  /** The client's address and user agent, sealed under the caller's identity key (never in clear). */
  sealedFields: REQUEST_SEALED_FIELDS,
  data: z
    .object({
      requestId: z.string().min(1).max(100),
      api: InboundApi,
      ...Caller,
      modelRequested: z.string().min(1).max(200),
      provider: z.string().max(50).nullable(),
      deploymentId: z.string().max(200).nullable(),
      attempts: z.number().int().min(0),
      status: z.number().int().min(100).max(599),
      stream: z.boolean(),
      /** Whether some of the answer had reached the client before it failed. */
      partial: z.boolean(),
      errorCode: z.string().regex(/^TOTRA_[A-Z0-9_]+$/),
      tokens: TokenCounts,
      unscanned: UnscannedParts.optional(),
      upstreamRequestId: UpstreamRequestId.optional(),
      latency: Latency,
    })
    .strict(),
});
