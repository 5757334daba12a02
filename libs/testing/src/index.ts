export { engineUrl, getEngines, natsUrl, pgUrl, redisUrl } from './engine-urls.js';
export { type EngineSource, type EngineUrls, urlEnvVar } from './engine-kinds.js';
export { provisionEngines, type ProvisionedEngines, type ProvisionOptions } from './provision.js';
export { createTestDatabase, dropStaleTestDatabases, type TestDatabase, type TestDatabaseOptions } from './test-database.js';
export { redisKeyPrefix, uniquePrefix, uniqueStreamName, uniqueSuffix } from './unique-names.js';
export { startOwnNats, type OwnNats, type OwnNatsOptions } from './own-nats.js';
export { isDockerAvailable, startContainerEngine, type ContainerEngine, type ContainerEngineOptions } from './containers.js';
export { EnginesUnavailableError, InvalidTestNameError, TestingError } from './errors.js';
export {
  startMockProvider,
  type MockProvider,
  type MockProviderOptions,
} from './mock-providers/mock-provider.js';
export {
  MOCK_CREATED,
  MOCK_FAST_REPLY,
  mockEmbedding,
  mockTokenCount,
  type MockBehaviour,
  type MockChatRequest,
  type MockFault,
  type MockFrameInfo,
  type MockToolCall,
  type MockUsage,
} from './mock-providers/behaviour.js';
export { type MockOperation, type RecordedRequest } from './mock-providers/request-recorder.js';
export { createStreamGate, type StreamGate } from './mock-providers/stream-gate.js';
export { MockProviderError } from './mock-providers/errors.js';
export { prng } from './prng.js';
