import { type StreamOptions } from '@totra/eventlog';
import { quotaHotProjection } from './quota-hot.projection.js';

/**
 * NATS subject on which the projector running quota-hot takes `rebuild` and `status` requests
 * from `totra projections` (outside the log's `<p>.chain.>`, so nothing of it is stored).
 */
export function quotaHotControlSubject(stream: StreamOptions, command: 'rebuild' | 'status'): string {
  return `${stream.subjectPrefix}.control.projections.${quotaHotProjection.name}.${command}`;
}

/** Reply of the projector to a control request. */
export interface QuotaHotControlReply {
  ok: boolean;
  /** Last stream sequence applied (after a rebuild request: when the replay started). */
  position?: number;
  error?: string;
}
