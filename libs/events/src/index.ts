export {
  ChainId,
  Envelope,
  EventTime,
  EventTypeName,
  GENESIS_PREV,
  HashHex,
  Sealed,
  UnhashedEnvelope,
  type EventInput,
  type TypedEnvelope,
} from './envelope.js';
export { defineEvent, type EventData, type EventDefinition, type Upcaster } from './define-event.js';
export { EventRegistry, coreEvents, type DecodedEvent } from './registry.js';
export { buildJsonSchemas, fileNameOf, formatJsonSchema } from './json-schemas.js';
export { EventRegistryError, EventsError, InvalidEventError, UnknownEventTypeError } from './errors.js';
export { newEventId } from './ids.js';
export { ChainOpened } from './events/chain-opened.event.js';
export { CheckpointSigned } from './events/checkpoint-signed.event.js';
export { CheckpointWitnessed } from './events/checkpoint-witnessed.event.js';
export { TestEventRecorded } from './events/test-event-recorded.event.js';
export { ApiKeyIssued } from './events/api-key-issued.event.js';
export { ApiKeyRevoked } from './events/api-key-revoked.event.js';
export { TeamNetworkPolicySet } from './events/team-network-policy-set.event.js';
export { RequestCompleted } from './events/request-completed.event.js';
export { RequestFailed } from './events/request-failed.event.js';
export { RejectionReason, RequestRejected } from './events/request-rejected.event.js';
export { InboundApi, REQUEST_SEALED_FIELDS, TokenCounts } from './events/request-shared.js';
export { ModelDeploymentConfigured, ModelProvider } from './events/model-deployment-configured.event.js';
export { ModelDeploymentRemoved } from './events/model-deployment-removed.event.js';
export { ModelDeploymentStateChanged } from './events/model-deployment-state-changed.event.js';
export { TeamModelsAllowed } from './events/team-models-allowed.event.js';
export { PiiBlocked } from './events/pii-blocked.event.js';
export { PiiPolicyRemoved } from './events/pii-policy-removed.event.js';
export { PiiPolicySet } from './events/pii-policy-set.event.js';
export { PiiRedacted } from './events/pii-redacted.event.js';
export { BudgetSet } from './events/budget-set.event.js';
export { BudgetRemoved } from './events/budget-removed.event.js';
export { RateLimitSet } from './events/rate-limit-set.event.js';
export { MicroUsdPerMTok, PriceRemoved, PriceSet } from './events/price-set.event.js';
export { SpendRecorded } from './events/spend-recorded.event.js';
export { BudgetThresholdCrossed } from './events/budget-threshold-crossed.event.js';
export { AnomalyMetric, AnomalyScope, SpendAnomalyDetected } from './events/spend-anomaly-detected.event.js';
export { QuotaIncreaseApproved, QuotaIncreaseRejected, QuotaIncreaseRequested } from './events/quota-increase.event.js';
export { BudgetId, BudgetPeriod, BudgetPeriodRef, BudgetScope, MicroUsd, PeriodKey, QuotaRequestId, TokenAmount } from './events/quota-fields.js';
export { PERSONAL_FIELDS, PERSONAL_FIELD_EXCEPTIONS, personalFieldsInClear } from './personal-fields.js';
export { ErasureReceipt, GdprReason, KeyId, RetentionPeriod } from './events/gdpr-fields.js';
export { UserCreated } from './events/user-created.event.js';
export { TeamSettingsChanged } from './events/team-settings-changed.event.js';
export { SubjectErasureRequested } from './events/subject-erasure-requested.event.js';
export { SubjectErasureApproved } from './events/subject-erasure-approved.event.js';
export { SubjectKeyShredded } from './events/subject-key-shredded.event.js';
export { RetentionHoldPlaced } from './events/retention-hold-placed.event.js';
export { RetentionHoldReleased } from './events/retention-hold-released.event.js';
export { ErasureReceiptIssued } from './events/erasure-receipt-issued.event.js';
export { SubjectErasureOverdue } from './events/subject-erasure-overdue.event.js';
export { RequestContentLogged } from './events/request-content-logged.event.js';
export { PseudonymousId } from './events/identity-fields.js';
