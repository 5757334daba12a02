export { canonicalBytes, canonicalJson } from './jcs.js';
export { HASH_SIZE, bytesToHex, hashAndSerialize, hashEvent, hexToBytes, leafHash, nodeHash, sealEnvelope, serializeEvent, unhashed } from './hash.js';
export {
  MerkleTree,
  assertConsistency,
  assertInclusion,
  emptyRoot,
  merkleRoot,
  merkleRootOfLeaves,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
export {
  ChainFindingCode,
  ChainVerifier,
  type ChainFinding,
  type ChainHead,
  type ChainVerifierOptions,
  type EventLocation,
  type KnownChainHead,
  type VerifyReport,
} from './chain-verifier.js';
export {
  CanonicalJsonError,
  ChainError,
  InvalidHexError,
  MerkleProofError,
  MerkleRangeError,
  VerifierOptionsError,
  VerifierStateError,
} from './errors.js';
