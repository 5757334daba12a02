// Deployments
export {
  DEFAULT_PRIORITY,
  DEMO_ALIAS,
  DEMO_EMBEDDINGS_ALIAS,
  DeploymentInput,
  RESERVED_ID_PREFIXES,
  defaultCredentialRef,
  deploymentVariables,
  normalizeDeployment,
  type CatalogProvider,
  type DeploymentConfig,
  type DeploymentSource,
  type ModelKind,
} from './deployment.js';
export { DEFAULT_CONTEXT_WINDOW, guessKind, knownModel, type KnownModel } from './model-table.js';

// Credentials (references only; values are read at request time)
export {
  credentialVariables,
  formatCredentialRef,
  looksLikeSecret,
  parseCredentialRef,
  resolveCredential,
  toProviderDeployment,
  type CredentialRefParts,
  type EnvRecord,
  type ResolvedCredential,
} from './credentials.js';

// State, deciders, view
export {
  CATALOG_EVENT_TYPES,
  CATALOG_TENANT,
  emptyCatalog,
  evolveCatalog,
  foldCatalog,
  withDeployments,
  type CatalogEvent,
  type CatalogEventInput,
  type CatalogState,
} from './catalog-state.js';
export {
  allowTeamModels,
  configureDeployment,
  decideAll,
  decideCatalog,
  removeDeployment,
  sameDeployment,
  setDeploymentEnabled,
  type AllowTeamModelsCommand,
  type CatalogCommand,
  type ConfigureDeploymentCommand,
  type RemoveDeploymentCommand,
  type SetDeploymentEnabledCommand,
} from './catalog-decider.js';
export { CatalogView, allowedAliases, type ModelAccessPolicy } from './catalog-view.js';

// Seeding: environment, totra.yaml, sync
export {
  BEDROCK_PRIORITY,
  DEMO_EMBEDDINGS_MODEL,
  DEMO_EMBEDDINGS_NOTE,
  DEMO_MODEL,
  DEMO_NOTE,
  SEED_VARIABLES,
  bedrockGeoPrefix,
  demoDeployment,
  demoEmbeddingsDeployment,
  inspectEnv,
  missingModelHint,
  parseModelList,
  seedFromEnv,
  type EnvSeedReport,
  type ModelHint,
  type ProviderSeedStatus,
} from './env-seed.js';
export { parseCatalogFile } from './catalog-file.js';
export { diffCatalog, type DiffCatalogOptions } from './catalog-diff.js';

// Errors
export {
  AliasKindConflictError,
  CatalogEnvError,
  CatalogError,
  CatalogFileError,
  CredentialLiteralError,
  CredentialMissingError,
  DemoDeploymentError,
  DeploymentExistsError,
  DeploymentNotFoundError,
  InvalidCatalogCommandError,
  InvalidCredentialRefError,
  InvalidDeploymentError,
  UnknownAliasError,
  type DeploymentIssue,
} from './errors.js';
