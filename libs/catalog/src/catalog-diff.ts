import { type CatalogCommand, sameDeployment } from './catalog-decider.js';
import { type CatalogState } from './catalog-state.js';
import { type DeploymentConfig, type DeploymentSource } from './deployment.js';
import { InvalidCatalogCommandError } from './errors.js';

export interface DiffCatalogOptions {
  /** Time of the resulting commands. */
  time: string;
  /** Sources the desired list stands for: their deployments missing from it are removed. Default `env` and `file`. */
  managedSources?: readonly Exclude<DeploymentSource, 'admin'>[];
  /** Reason recorded on removals. */
  reason?: string;
}

/**
 * The commands that bring the seeded part of the catalog to `desired` (the output of
 * `seedFromEnv` plus `parseCatalogFile`): add what is missing, reconfigure what changed, remove
 * seeded deployments no longer desired. Admin-made deployments are never touched (a desired
 * deployment whose id an admin owns is skipped), and an admin's enable/disable of a seeded
 * deployment is kept. Removals come first, so an alias can change kind in one sync.
 */
export function diffCatalog(current: CatalogState, desired: readonly DeploymentConfig[], options: DiffCatalogOptions): CatalogCommand[] {
  const managed = new Set<DeploymentSource>(options.managedSources ?? ['env', 'file']);
  const wanted = new Map<string, DeploymentConfig>();
  for (const d of desired) {
    if (d.source === 'admin') throw new InvalidCatalogCommandError(`desired deployment "${d.deploymentId}" is an admin deployment; a sync only manages seeded ones`);
    if (wanted.has(d.deploymentId)) throw new InvalidCatalogCommandError(`deployment id "${d.deploymentId}" is desired twice`);
    wanted.set(d.deploymentId, d);
  }
  const { time } = options;
  const removals: CatalogCommand[] = [];
  for (const c of current.deployments.values()) {
    if (managed.has(c.source) && !wanted.has(c.deploymentId)) {
      removals.push({ type: 'RemoveDeployment', deploymentId: c.deploymentId, time, ...(options.reason ? { reason: options.reason } : {}) });
    }
  }
  const configures: CatalogCommand[] = [];
  for (const d of wanted.values()) {
    const c = current.deployments.get(d.deploymentId);
    if (c?.source === 'admin') continue;
    const target = c ? { ...d, enabled: c.enabled } : d;
    if (c && sameDeployment(c, target)) continue;
    configures.push({ type: 'ConfigureDeployment', deployment: target, time });
  }
  return [...removals, ...configures];
}
