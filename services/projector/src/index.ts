export { ProjectorConfig, ProjectorConfigError, loadProjectorConfig } from './config.js';
export { startProjector, type RunningProjector } from './projector.js';
