export { buildGateway, type GatewayDeps, type ReadinessCheck } from './app.js';
export { GatewayConfig, GatewayConfigError, loadGatewayConfig } from './config.js';
export { startGateway, type RunningGateway } from './server.js';
