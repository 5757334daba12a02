import { EventTime, TeamModelsAllowed } from '@totra/events';
import { type CatalogEvent, type CatalogEventInput, type CatalogState, CATALOG_TENANT, catalogEventIssues, evolveCatalog } from './catalog-state.js';
import { type DeploymentConfig, type DeploymentInput, normalizeDeployment } from './deployment.js';
import {
  AliasKindConflictError,
  DeploymentExistsError,
  DeploymentNotFoundError,
  InvalidCatalogCommandError,
  UnknownAliasError,
} from './errors.js';

/** Every catalog command carries the time of the decision (no hidden clock) and may name the tenant. */
interface CommandBase {
  /** RFC 3339 UTC with milliseconds, e.g. `new Date().toISOString()` at the edge. */
  time: string;
  /** Tenant recorded on the events; `system` by default (the catalog is installation-wide). */
  tenant?: string;
}

export interface ConfigureDeploymentCommand extends CommandBase {
  /** A full configuration or an input with defaults left out (see `DeploymentInput`). */
  deployment: DeploymentInput | DeploymentConfig;
  /** `new`: the id must be free; `existing`: it must exist; `any` (default): add or reconfigure. */
  expect?: 'new' | 'existing' | 'any';
}

export interface RemoveDeploymentCommand extends CommandBase {
  deploymentId: string;
  reason?: string;
}

export interface SetDeploymentEnabledCommand extends CommandBase {
  deploymentId: string;
  enabled: boolean;
  reason?: string;
}

export interface AllowTeamModelsCommand extends CommandBase {
  teamId: string;
  /** The aliases the team's keys may use, replacing the previous list; `null` lifts the restriction. */
  aliases: readonly string[] | null;
}

/** A catalog command as data, for `decideCatalog` and the output of `diffCatalog`. */
export type CatalogCommand =
  | ({ type: 'ConfigureDeployment' } & ConfigureDeploymentCommand)
  | ({ type: 'RemoveDeployment' } & RemoveDeploymentCommand)
  | ({ type: 'SetDeploymentEnabled' } & SetDeploymentEnabledCommand)
  | ({ type: 'AllowTeamModels' } & AllowTeamModelsCommand);

function envelope<E extends CatalogEvent>(event: E, command: CommandBase): E & { tenant: string; time: string } {
  if (!EventTime.safeParse(command.time).success) {
    throw new InvalidCatalogCommandError('time must be an RFC 3339 UTC time with milliseconds, e.g. 2026-01-31T12:00:00.000Z');
  }
  const issues = catalogEventIssues(event);
  if (issues.length) throw new InvalidCatalogCommandError(`invalid ${event.type}: ${issues.join('; ')}`);
  return { ...event, tenant: command.tenant ?? CATALOG_TENANT, time: command.time };
}

/** JSON with sorted keys: equal configurations compare equal whatever the key order. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Whether two configurations are the same (optionally ignoring `enabled`). */
export function sameDeployment(a: DeploymentConfig, b: DeploymentConfig, options: { ignoreEnabled?: boolean } = {}): boolean {
  if (options.ignoreEnabled) return stable({ ...a, enabled: true }) === stable({ ...b, enabled: true });
  return stable(a) === stable(b);
}

function existing(state: CatalogState, deploymentId: string): DeploymentConfig {
  const d = state.deployments.get(deploymentId);
  if (!d) throw new DeploymentNotFoundError(deploymentId);
  return d;
}

/**
 * Adds a deployment or changes its configuration. Emits nothing when the configuration is
 * already the current one. Throws `TOTRA_CATALOG_DEPLOYMENT_INVALID` / `..._CREDENTIAL_*` for a
 * bad configuration, `..._DEPLOYMENT_EXISTS` / `..._DEPLOYMENT_UNKNOWN` when `expect` is not met,
 * and `TOTRA_CATALOG_KIND_CONFLICT` when the alias already serves the other kind of model.
 */
export function configureDeployment(command: ConfigureDeploymentCommand, state: CatalogState): CatalogEventInput[] {
  const config = normalizeDeployment(command.deployment);
  const current = state.deployments.get(config.deploymentId);
  const expect = command.expect ?? 'any';
  if (expect === 'new' && current) throw new DeploymentExistsError(config.deploymentId);
  if (expect === 'existing' && !current) throw new DeploymentNotFoundError(config.deploymentId);
  for (const other of state.deployments.values()) {
    if (other.alias === config.alias && other.deploymentId !== config.deploymentId && other.kind !== config.kind) {
      throw new AliasKindConflictError(config.alias, other.kind, config.kind);
    }
  }
  if (current && sameDeployment(current, config)) return [];
  return [envelope({ type: 'ModelDeploymentConfigured', data: config }, command)];
}

/** Removes a deployment. Throws `TOTRA_CATALOG_DEPLOYMENT_UNKNOWN` for an id the catalog does not hold. */
export function removeDeployment(command: RemoveDeploymentCommand, state: CatalogState): CatalogEventInput[] {
  const current = existing(state, command.deploymentId);
  return [
    envelope(
      {
        type: 'ModelDeploymentRemoved',
        data: { deploymentId: current.deploymentId, alias: current.alias, ...(command.reason ? { reason: command.reason } : {}) },
      },
      command,
    ),
  ];
}

/**
 * Enables or disables a deployment (a disabled one stays in the catalog but is never routed to).
 * Emits nothing when it is already in that state; throws `TOTRA_CATALOG_DEPLOYMENT_UNKNOWN`.
 */
export function setDeploymentEnabled(command: SetDeploymentEnabledCommand, state: CatalogState): CatalogEventInput[] {
  const current = existing(state, command.deploymentId);
  if (current.enabled === command.enabled) return [];
  return [
    envelope(
      {
        type: 'ModelDeploymentStateChanged',
        data: {
          deploymentId: current.deploymentId,
          alias: current.alias,
          enabled: command.enabled,
          ...(command.reason ? { reason: command.reason } : {}),
        },
      },
      command,
    ),
  ];
}

/**
 * Sets the aliases a team's keys may use. Every alias must be in the catalog
 * (`TOTRA_CATALOG_ALIAS_UNKNOWN` otherwise); emits nothing when the list is unchanged.
 */
export function allowTeamModels(command: AllowTeamModelsCommand, state: CatalogState): CatalogEventInput[] {
  const aliases = command.aliases === null ? null : [...new Set(command.aliases)].sort();
  const data = { teamId: command.teamId, aliases };
  const issues = catalogEventIssues({ type: TeamModelsAllowed.type, data });
  if (issues.length) throw new InvalidCatalogCommandError(`invalid team allowlist: ${issues.join('; ')}`);
  if (aliases) {
    const known = new Set([...state.deployments.values()].map((d) => d.alias));
    const unknown = aliases.filter((a) => !known.has(a));
    if (unknown.length) throw new UnknownAliasError(unknown);
  }
  const current = state.teamAliases.get(command.teamId);
  const same = aliases === null ? current === undefined : current !== undefined && stable([...current].sort()) === stable(aliases);
  if (same) return [];
  return [envelope({ type: 'TeamModelsAllowed', data }, command)];
}

/** Dispatches a command to its decider. */
export function decideCatalog(command: CatalogCommand, state: CatalogState): CatalogEventInput[] {
  switch (command.type) {
    case 'ConfigureDeployment':
      return configureDeployment(command, state);
    case 'RemoveDeployment':
      return removeDeployment(command, state);
    case 'SetDeploymentEnabled':
      return setDeploymentEnabled(command, state);
    case 'AllowTeamModels':
      return allowTeamModels(command, state);
  }
}

/** Decides commands one after the other, each against the state the previous ones produced. */
export function decideAll(commands: readonly CatalogCommand[], state: CatalogState): { events: CatalogEventInput[]; state: CatalogState } {
  const events: CatalogEventInput[] = [];
  let s = state;
  for (const c of commands) {
    for (const e of decideCatalog(c, s)) {
      events.push(e);
      s = evolveCatalog(s, e);
    }
  }
  return { events, state: s };
}
