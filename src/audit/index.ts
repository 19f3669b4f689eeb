/**
 * The audit log core: RFC 9162 Merkle proofs, C2SP checkpoints signed with Ed25519 and ML-DSA-65, and audit
 * events. Web APIs only; the stores live in `arrowseal/store`.
 *
 * @module
 */
export {
  type Checkpoint,
  type CheckpointBody,
  type OpenCheckpointOptions,
  openCheckpoint,
  signCheckpoint,
} from './checkpoint.js'
export {
  type AuditDecision,
  type AuditEvent,
  type AuditPrincipal,
  type AuditTarget,
  decodeAuditEvent,
  encodeAuditEvent,
  MAX_AUDIT_EVENT_BYTES,
} from './event.js'
export {
  completedSubtrees,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  type SubtreeId,
  type SubtreeReader,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'
export { type LogKey, logKey, parseLogKey, parseVerifierKey, type VerifierKey } from './vkey.js'
