export { connectNats, type ConnectNatsOptions } from './connect.js';
export {
  DEFAULT_STREAM,
  chainIdOfSubject,
  chainSubject,
  ensureStream,
  immutabilityViolations,
  streamConfig,
  type StreamOptions,
} from './stream.js';
export { ChainWriter, TYPES_HEADER, typesOfLines, type ChainWriterOptions, type ChainWriterStats } from './chain-writer.js';
export { Spool, listSpools, spoolPath } from './spool.js';
export { durableConsumerLag, messageHolds, readStream, streamState, type ReadStreamOptions, type StoredBatch } from './reader.js';
export { pullSize } from './pull-size.js';
export { lineMatcher } from './line-matcher.js';
export {
  ChainConflictError,
  EventLogError,
  NatsUnavailableError,
  SpoolError,
  StreamNotImmutableError,
  WriterClosedError,
} from './errors.js';
export { followEvents, replayEvents, type EventHandler, type Following } from './follow.js';
export { NotaryError } from './errors.js';
export { LocalKeyProvider, type NotaryKeyProvider } from './notary-keys.js';
export { Notary, fileSink, httpSink, httpWitness, type CheckpointSink, type NotaryOptions, type NotaryStart, type WitnessClient } from './notary.js';
export { FileNodeStore } from './tree-files.js';
