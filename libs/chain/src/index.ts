export { canonicalBytes, canonicalJson } from './jcs.js';
export { HASH_SIZE, bytesToHex, hashAndSerialize, hashEvent, hexToBytes, leafHash, nodeHash, sealEnvelope, serializeEvent, unhashed } from './hash.js';
export {
  CompactMerkleTree,
  MemoryNodeStore,
  MerkleTree,
  assertConsistency,
  assertInclusion,
  emptyRoot,
  merkleRoot,
  merkleRootOfLeaves,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  type MerkleNodeStore,
} from './merkle.js';
export {
  ChainFindingCode,
  ChainVerifier,
  type ChainFinding,
  type ChainHead,
  type ChainVerifierOptions,
  type EventLocation,
  type AcceptedEvent,
  type KnownChainHead,
  type VerifyReport,
} from './chain-verifier.js';
export {
  CanonicalJsonError,
  ChainError,
  InclusionProofError,
  NoteFormatError,
  NoteKeyError,
  InvalidHexError,
  MerkleProofError,
  MerkleRangeError,
  VerifierOptionsError,
  VerifierStateError,
} from './errors.js';
export {
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  cosignNoteText,
  decodeNoteBytes,
  formatSignedNote,
  fromBase64,
  generateNoteSigner,
  noteKeyId,
  noteSignerFromSeed,
  parseNoteSigner,
  parseNoteVerifier,
  parseSignatureLine,
  parseSignedNote,
  signNote,
  signNoteText,
  signatureIsFrom,
  toBase64,
  verifyCosignature,
  verifyNoteSignature,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type SignedNote,
} from './signed-note.js';
export { checkpointTextHash, compareChainIds, formatCheckpoint, parseCheckpoint, type Checkpoint, type CheckpointHead } from './checkpoint.js';
export { LeafLedger, type LedgerLeaf, type LedgerProblem } from './leaf-ledger.js';
export {
  AuditFindingCode,
  AuditVerifier,
  CHECKPOINT_SIGNED,
  CHECKPOINT_WITNESSED,
  cosignedNote,
  type AcceptedCheckpoint,
  type AuditFinding,
  type AuditReport,
  type AuditVerifierOptions,
} from './audit-verifier.js';
export { InclusionProof, checkInclusionProof } from './inclusion-proof.js';
export { witnessAddCheckpoint, type WitnessAnswer, type WitnessLogState } from './witness.js';
