import type { TestProject } from 'vitest/node';
import { engineKinds } from './engine-kinds.js';
import { provisionEngines, type ProvisionedEngines } from './provision.js';
import { dropStaleTestDatabases } from './test-database.js';
import { providedKey } from './vitest-context.js';

interface Shared {
  readonly engines: Promise<ProvisionedEngines>;
  users: number;
}

// Several projects (int, e2e) of one vitest run each call this setup in the same process:
// they share one set of servers, stopped when the last of them tears down.
const sharedKey = Symbol.for('totra.testing.globalSetup');
const registry = globalThis as typeof globalThis & { [sharedKey]?: Shared };

/**
 * Vitest global setup: obtains NATS, Postgres and Redis once per test run (given URLs, local
 * binaries, or containers; see `provisionEngines`), hands their URLs to the test workers through
 * `provide`, and stops what it started at teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = registry[sharedKey];
  if (shared === undefined) {
    shared = { engines: provisionEngines({ kinds: engineKinds }), users: 0 };
    registry[sharedKey] = shared;
  }
  shared.users += 1;
  const current = shared;
  let engines: ProvisionedEngines;
  try {
    engines = await current.engines;
  } catch (error) {
    current.users -= 1;
    if (current.users === 0) delete registry[sharedKey];
    throw error;
  }
  const pgUrl = engines.urls.postgres;
  if (engines.sources.postgres === 'env' && pgUrl !== undefined) {
    // A shared server collects the databases of crashed runs: drop those older than a day.
    await dropStaleTestDatabases(pgUrl, 24 * 60 * 60 * 1000);
  }
  project.provide(providedKey, engines.urls);
  return async () => {
    current.users -= 1;
    if (current.users > 0) return;
    delete registry[sharedKey];
    await engines.stop();
  };
}
