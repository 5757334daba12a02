export type { EngineExit, EngineHandle, EngineKind, EngineOptions } from './engine.js';
export { startNats, type NatsOptions, type NatsServer } from './nats-server.js';
export { startRedis, type RedisOptions, type RedisServer } from './redis-server.js';
export { startPostgres, type PostgresOptions, type PostgresServer } from './postgres-server.js';
export { findBinary, findPostgresBinaries, tryFindBinary, usualBinaryDirs, type PostgresBinaries } from './find-binary.js';
export { findFreePort, isPortFree } from './free-port.js';
export {
  probeNats,
  probePostgres,
  probeRedis,
  waitUntil,
  type ProbeOptions,
  type WaitOptions,
  type WaitResult,
} from './probes.js';
export { isProcessAlive, stopAll, stopAllOnSignals } from './managed-process.js';
export {
  EngineBinaryNotFoundError,
  EngineDataDirAccessError,
  EngineDataDirBusyError,
  EnginePortInUseError,
  EngineReadyTimeoutError,
  EngineStartError,
  EnginesError,
} from './errors.js';
