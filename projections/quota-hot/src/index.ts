export { ProjectionStoppedError, QuotaHotError } from './errors.js';
export { handlesEventType, opsFor, quotaHotProjection, type HotOp, type QuotaHotEventType } from './quota-hot.projection.js';
export {
  resetQuotaHotState,
  startQuotaHotProjection,
  type QuotaHotProjection,
  type QuotaHotProjectionOptions,
} from './quota-hot.runner.js';
