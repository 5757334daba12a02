export { buildGateway, type GatewayDeps, type ReadinessCheck } from './app.js';
export { GatewayConfig, GatewayConfigError, loadGatewayConfig } from './config.js';
export { startGateway, type RunningGateway } from './server.js';
export { GatewayError } from './errors.js';
export { StaticDirectory, type CredentialResolver, type DeploymentRoute, type ModelDirectory } from './routing/directory.js';
export { Router } from './routing/router.js';
export { Upstream } from './upstream/upstream.js';
export { type CallerIdentity } from './identity.js';
export { RequestPrivacy, TeamSettingsView, type ContentKey, type PersonalData, type RequestPrivacyOptions } from './gdpr/request-privacy.js';
