export { defineProjection, type AnyDb, type AnyProjection, type ProjectedEvent, type Projection } from './projection.js';
export {
  startProjection,
  type ProjectionLag,
  type ProjectionRole,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionStats,
} from './runner.js';
export { RebuildInProgressError, rebuildProjection, rebuildSchemaOf, withSearchPath, type RebuildOptions, type RebuildReport } from './rebuild.js';
export { projectionStatus, type ProjectionStatus } from './status.js';
export { formatProjectionMetrics } from './metrics.js';
export { readCheckpoints, type Checkpoint } from './checkpoint.js';
export { isTransientError, type DeadLetter } from './apply-batch.js';
export { migrateRunnerTables } from './runner-tables.js';
export { CheckpointMovedError, InvalidProjectionError, ProjectionError, ProjectionStoppedError, UnknownProjectionError } from './errors.js';
