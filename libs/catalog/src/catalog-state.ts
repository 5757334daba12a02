import {
  type EventData,
  ModelDeploymentConfigured,
  ModelDeploymentRemoved,
  ModelDeploymentStateChanged,
  TeamModelsAllowed,
} from '@totra/events';
import { type DeploymentConfig } from './deployment.js';
import { CatalogError } from './errors.js';

/** Everything the catalog events say, folded. Immutable: `evolveCatalog` returns a new state. */
export interface CatalogState {
  /** Every deployment by id, enabled or not. */
  readonly deployments: ReadonlyMap<string, DeploymentConfig>;
  /** Team id -> the aliases its keys may use (absent: no restriction). */
  readonly teamAliases: ReadonlyMap<string, readonly string[]>;
}

/** The events the catalog is made of, with typed data. */
export type CatalogEvent =
  | { type: 'ModelDeploymentConfigured'; data: DeploymentConfig }
  | { type: 'ModelDeploymentRemoved'; data: EventData<typeof ModelDeploymentRemoved> }
  | { type: 'ModelDeploymentStateChanged'; data: EventData<typeof ModelDeploymentStateChanged> }
  | { type: 'TeamModelsAllowed'; data: EventData<typeof TeamModelsAllowed> };

/** A catalog event ready for `ChainWriter.append` (an `EventInput`). */
export type CatalogEventInput = CatalogEvent & { tenant: string; time: string };

/** Tenant recorded on catalog events: the catalog is shared by the whole installation. */
export const CATALOG_TENANT = 'system';

/** Event types that change the catalog; a reader may skip every other type. */
export const CATALOG_EVENT_TYPES: readonly CatalogEvent['type'][] = [
  ModelDeploymentConfigured.type,
  ModelDeploymentRemoved.type,
  ModelDeploymentStateChanged.type,
  TeamModelsAllowed.type,
];

const schemas = {
  ModelDeploymentConfigured: ModelDeploymentConfigured.data,
  ModelDeploymentRemoved: ModelDeploymentRemoved.data,
  ModelDeploymentStateChanged: ModelDeploymentStateChanged.data,
  TeamModelsAllowed: TeamModelsAllowed.data,
} as const;

/** The catalog before any event. */
export function emptyCatalog(): CatalogState {
  return { deployments: new Map(), teamAliases: new Map() };
}

function isCatalogType(type: string): type is CatalogEvent['type'] {
  return Object.hasOwn(schemas, type);
}

/** Problems of the data of a catalog event (`field: message`), none when it is valid. */
export function catalogEventIssues(event: { type: CatalogEvent['type']; data: unknown }): string[] {
  const parsed = schemas[event.type].safeParse(event.data);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/** Checks the data of an event of a catalog type (events read from the log were checked by the registry too). */
function toCatalogEvent(event: { type: string; data: unknown }): CatalogEvent | undefined {
  if (!isCatalogType(event.type)) return undefined;
  const parsed = schemas[event.type].safeParse(event.data);
  if (!parsed.success) {
    throw new CatalogError('TOTRA_CATALOG_EVENT_INVALID', `${event.type}: invalid data (${catalogEventIssues({ type: event.type, data: event.data }).join('; ')})`);
  }
  return { type: event.type, data: parsed.data } as CatalogEvent;
}

/**
 * Applies one event to the catalog. Events of other types leave the state as it is, so the
 * whole stream can be folded through it; removing or toggling an unknown id is a no-op.
 */
export function evolveCatalog(state: CatalogState, event: { type: string; data: unknown }): CatalogState {
  const e = toCatalogEvent(event);
  if (!e) return state;
  switch (e.type) {
    case 'ModelDeploymentConfigured': {
      const deployments = new Map(state.deployments);
      deployments.set(e.data.deploymentId, e.data);
      return { ...state, deployments };
    }
    case 'ModelDeploymentRemoved': {
      if (!state.deployments.has(e.data.deploymentId)) return state;
      const deployments = new Map(state.deployments);
      deployments.delete(e.data.deploymentId);
      return { ...state, deployments };
    }
    case 'ModelDeploymentStateChanged': {
      const current = state.deployments.get(e.data.deploymentId);
      if (!current || current.enabled === e.data.enabled) return state;
      const deployments = new Map(state.deployments);
      deployments.set(current.deploymentId, { ...current, enabled: e.data.enabled });
      return { ...state, deployments };
    }
    case 'TeamModelsAllowed': {
      const teamAliases = new Map(state.teamAliases);
      if (e.data.aliases === null) teamAliases.delete(e.data.teamId);
      else teamAliases.set(e.data.teamId, [...new Set(e.data.aliases)]);
      return { ...state, teamAliases };
    }
  }
}

/** Folds events (any types, in log order) into a catalog. */
export function foldCatalog(events: Iterable<{ type: string; data: unknown }>, state: CatalogState = emptyCatalog()): CatalogState {
  let s = state;
  for (const e of events) s = evolveCatalog(s, e);
  return s;
}

/**
 * Adds deployments that the state does not hold yet (by id), without events: lets a gateway
 * serve what it seeded from its own environment before (or without) a `totra models sync`.
 */
export function withDeployments(state: CatalogState, configs: readonly DeploymentConfig[]): CatalogState {
  const missing = configs.filter((c) => !state.deployments.has(c.deploymentId));
  if (!missing.length) return state;
  const deployments = new Map(state.deployments);
  for (const c of missing) deployments.set(c.deploymentId, c);
  return { ...state, deployments };
}
