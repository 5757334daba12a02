export {
  QuotaGate,
  type Admission,
  type AdmitRequest,
  type QuotaEstimate,
  type QuotaGateOptions,
  type QuotaRefusal,
  type Reservation,
  type SettleResult,
} from './quota-gate.js';
export { ADMIT_SCRIPT, LEASE_SCRIPT, QUOTA_LUA_HELPERS, RELEASE_SCRIPT, SETTLE_SCRIPT, UNTRACKED_SCRIPT } from './quota-scripts.js';
export { readQuotaAlerts, type QuotaAlert } from './quota-alerts.js';
export { InvalidGateArgumentError, QuotaGateError, UnexpectedGateReplyError } from './errors.js';
