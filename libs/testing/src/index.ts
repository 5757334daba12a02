export { engineUrl, getEngines, natsUrl, pgUrl, redisUrl } from './engine-urls.js';
export { type EngineSource, type EngineUrls, urlEnvVar } from './engine-kinds.js';
export { provisionEngines, type ProvisionedEngines, type ProvisionOptions } from './provision.js';
export { createTestDatabase, dropStaleTestDatabases, type TestDatabase, type TestDatabaseOptions } from './test-database.js';
export { redisKeyPrefix, uniquePrefix, uniqueStreamName, uniqueSuffix } from './unique-names.js';
export { startOwnNats, type OwnNats, type OwnNatsOptions } from './own-nats.js';
export { isDockerAvailable, startContainerEngine, type ContainerEngine, type ContainerEngineOptions } from './containers.js';
export { EnginesUnavailableError, InvalidTestNameError, TestingError } from './errors.js';
