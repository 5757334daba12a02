export { type AeadCipher, nobleAesGcm } from './aead.js';
export { fromBase64Url, toBase64Url } from './bytes.js';
export {
  DATA_KEY_BYTES,
  IV_BYTES,
  associatedData,
  openSealed,
  sealFields,
  type DataKey,
  type RandomBytes,
  type SealContext,
} from './seal.js';
export { KEK_BYTES, unwrapKey, wrapKey } from './key-wrap.js';
export { LocalKms, type Kms, type WrappedKey } from './kms.js';
export { KeyringFile, kmsFromKeyring, parseKeyring } from './keyring.js';
export {
  ErasureReceiptData,
  receiptPublicKey,
  signErasureReceipt,
  verifyErasureReceipt,
  type SignedErasureReceipt,
} from './receipt.js';
export { CryptoError, ErasureRefusedError, InvalidKeyError, OpenFailedError, ReceiptSignatureError, UnknownKekError, UnwrapFailedError } from './errors.js';
export {
  ERASURE_EVENT_TYPES,
  ERASURE_REVOKE_REASON,
  addOneMonth,
  decideExecution,
  decideOverdueAlerts,
  erasureFactOf,
  erasureOverdueEventId,
  erasureStatus,
  foldErasure,
  keyShredded,
  requestErasure,
  type ErasureFact,
  type ErasureRequestView,
  type ErasureState,
  type ErasureStatusRow,
  type ExecutionDecision,
  type RequestErasureCommand,
  type RetentionHoldView,
  type SubjectErasureView,
} from './erasure.decider.js';
export { foldTeamSettings, isPeriodExpired, periodOf, retentionCutoff, shiftPeriod, type KeyCategory, type TeamDataSettings } from './retention.js';
