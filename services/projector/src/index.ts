export { ProjectorConfig, ProjectorConfigError, loadProjectorConfig } from './config.js';
export { startProjector, type RunningProjector } from './projector.js';
export { loadAlertTargets } from './alerts/alert-targets.js';
export {
  BudgetAlertNotifier,
  alertNotifierKeys,
  type AlertDeliveryResult,
  type AlertPollResult,
  type BudgetAlertNotifierOptions,
} from './alerts/budget-alert.notifier.js';
export { serveProjectorControl } from './control.js';
export { AnomalyAlertEmitter, type AnomalyAlertEmitterOptions, type AnomalyEmitResult } from './alerts/anomaly-alert.emitter.js';
export { ErasureWatcher, erasureOverdueNotice, erasureWatcherKeys, type ErasurePassResult, type ErasureWatcherOptions, type SubjectDataPurger } from './gdpr/erasure-watcher.js';
