import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { InboundApi, REQUEST_SEALED_FIELDS } from './request-shared.js';

/** Why the gateway refused a request before any provider was contacted. */
export const RejectionReason = z.enum([
  'unauthenticated',
  'network_policy',
  'invalid_request',
  'unknown_model',
  'model_not_allowed',
  'provider_not_configured',
  'body_too_large',
  'rate_limited',
  'quota_exceeded',
  'pii_blocked',
  'not_found',
  /** A dependency the gateway needs to decide (e.g. the key store) was unreachable: refused, fail closed. */
  'unavailable',
]);

/** A request the gateway refused itself (4xx) without contacting a provider. */
export const RequestRejected = defineEvent({
  type: 'RequestRejected',
  v: 1,
  description: 'A request refused by the gateway before any provider was contacted, with the reason.',
  /** The client's address and user agent, sealed under the caller's identity key (never in clear). */
  sealedFields: REQUEST_SEALED_FIELDS,
  data: z
    .object({
      requestId: z.string().min(1).max(100),
      api: InboundApi.nullable(),
      /** Absent when the caller could not be identified. */
      keyId: z.string().min(1).max(100).nullable(),
      userId: z.string().min(1).max(128).nullable(),
      teamId: z.string().min(1).max(128).nullable(),
      modelRequested: z.string().max(200).nullable(),
      /** 4xx, or 503 when the gateway refused because it could not decide safely (fail closed). */
      status: z.number().int().min(400).max(599),
      reason: RejectionReason,
      code: z.string().regex(/^TOTRA_[A-Z0-9_]+$/),
    })
    .strict(),
});
