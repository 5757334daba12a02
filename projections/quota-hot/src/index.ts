export { ProjectionStoppedError, QuotaHotError } from './errors.js';
export {
  SPEND_MARKER_TTL_SECONDS,
  handlesEventType,
  opsFor,
  quotaHotProjection,
  type HotOp,
  type QuotaHotEventType,
  type QuotaOpsContext,
} from './quota-hot.projection.js';
export {
  resetQuotaHotState,
  startQuotaHotProjection,
  type QuotaHotProjection,
  type QuotaHotProjectionOptions,
} from './quota-hot.runner.js';
export { quotaHotControlSubject, type QuotaHotControlReply } from './quota-hot.control.js';
