import { existsSync, readFileSync } from 'node:fs';
import { type NatsConnection } from '@nats-io/nats-core';
import {
  CATALOG_EVENT_TYPES,
  CatalogError,
  CatalogView,
  decideAll,
  diffCatalog,
  emptyCatalog,
  evolveCatalog,
  missingModelHint,
  parseCatalogFile,
  seedFromEnv,
  toProviderDeployment,
  type CatalogState,
  type DeploymentConfig,
  type EnvRecord,
} from '@totra/catalog';
import { EventRegistry, type DecodedEvent, type EventInput } from '@totra/events';
import { followEvents, type Following, type StreamOptions } from '@totra/eventlog';
import { replayFromEventLog, settingsLog, type EventLog, type EventLogLoad } from '@totra/projection-reporting';
import { type Deployment } from '@totra/providers';
import { GatewayError } from '../errors.js';
import { type CallerIdentity } from '../identity.js';
import { type DeploymentRoute, type ModelDirectory } from '../routing/directory.js';

const CATALOG_TYPES = new Set<string>(CATALOG_EVENT_TYPES);

function toRoute(d: DeploymentConfig): DeploymentRoute {
  return {
    deploymentId: d.deploymentId,
    alias: d.alias,
    weight: d.weight,
    priority: d.priority,
    contextWindow: d.contextWindow,
    provider: d.provider,
    model: d.model,
    baseModel: d.baseModel,
    kind: d.kind,
    baseUrl: d.baseUrl,
    credentialRef: d.credentialRef,
    apiVersion: d.apiVersion,
    region: d.region,
    fallbackAliases: d.fallbackAliases,
    maxOutputTokens: d.maxOutputTokens,
  };
}

/** Freezes an object and the objects it holds: a shared resolution nobody may change. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The model catalog as the gateway reads it: a fold of the catalog events, kept current. */
export class CatalogDirectory implements ModelDirectory {
  #state: CatalogState;
  #view: CatalogView;
  #routes = new Map<string, DeploymentRoute[]>();
  /**
   * Resolved provider deployments by catalog entry. Entries are replaced, never changed, when
   * catalog events arrive, so an entry's resolution stays right for as long as the entry lives;
   * only successes are kept (a missing variable is reported on every request).
   */
  #resolved = new WeakMap<DeploymentConfig, Deployment>();

  constructor(state: CatalogState = emptyCatalog(), private readonly env: EnvRecord = process.env) {
    this.#state = state;
    this.#view = CatalogView.of(state);
  }

  get state(): CatalogState {
    return this.#state;
  }

  /** Alias -> Unix seconds of the first deployment configured under it. */
  #offeredSince = new Map<string, number>();

  /** Applies a catalog event: read from the log (its envelope has the time), or just decided (`time`). */
  apply(event: Pick<DecodedEvent, 'type' | 'data'> & { time?: string; envelope?: { time: string } }): void {
    this.#state = evolveCatalog(this.#state, event);
    this.#view = CatalogView.of(this.#state);
    this.#routes.clear();
    if (event.type === 'ModelDeploymentConfigured') {
      const alias = (event.data as { alias?: unknown }).alias;
      const ms = Date.parse(event.envelope?.time ?? event.time ?? '');
      if (typeof alias === 'string' && !Number.isNaN(ms) && !this.#offeredSince.has(alias)) this.#offeredSince.set(alias, Math.floor(ms / 1000));
    }
  }

  offeredSince(alias: string): number | undefined {
    return this.#offeredSince.get(alias);
  }

  deploymentsFor(alias: string): readonly DeploymentRoute[] {
    let routes = this.#routes.get(alias);
    if (!routes) {
      routes = this.#view.deploymentsFor(alias).map(toRoute);
      this.#routes.set(alias, routes);
    }
    return routes;
  }

  aliases(): readonly string[] {
    return this.#view.aliases();
  }

  explainMissing(alias: string): string | undefined {
    return missingModelHint(alias)?.message;
  }

  isAllowed(who: CallerIdentity, alias: string): boolean {
    return this.#view.isAllowed(alias, { teamId: who.teamId });
  }

  /**
   * The provider deployment of a route, its credentials read from the environment the first
   * time the route's catalog entry is used (the environment of a running process does not
   * change from outside; a catalog change makes a new entry, read afresh).
   */
  resolve(route: DeploymentRoute): Deployment {
    const config = this.#view.deployment(route.deploymentId);
    if (!config) {
      throw new GatewayError({ code: 'TOTRA_UNKNOWN_MODEL', status: 404, reason: 'unknown_model', message: `deployment ${route.deploymentId} was removed` });
    }
    const known = this.#resolved.get(config);
    if (known) return known;
    try {
      const resolved = deepFreeze(toProviderDeployment(config, this.env));
      this.#resolved.set(config, resolved);
      return resolved;
    } catch (err) {
      if (err instanceof CatalogError) {
        throw new GatewayError({ code: 'TOTRA_PROVIDER_NOT_CONFIGURED', status: 400, reason: 'provider_not_configured', param: 'model', message: `model \`${route.alias}\`: ${err.message}` }, { cause: err });
      }
      throw err;
    }
  }
}

/** The catalog's running parts: the directory and its subscription to new catalog events. */
export interface RunningCatalog {
  directory: CatalogDirectory;
  /** Events appended at start to bring the catalog to the environment / totra.yaml seed. */
  synced: number;
  stop(): Promise<void>;
}

/**
 * Loads the catalog from the event log, seeds it from the environment (and `totra.yaml` when
 * given) by appending only the events needed, and follows later catalog events.
 */
export async function startCatalog(opts: {
  nc: NatsConnection;
  stream: StreamOptions;
  append: (e: EventInput) => unknown;
  env?: EnvRecord;
  catalogFile?: string | undefined;
  onError?: (err: unknown) => void;
  /** Other folds fed from the same replay and subscription (e.g. PII policies). */
  also?: { types: ReadonlySet<string>; apply: (e: DecodedEvent) => void };
  /**
   * The settings events of the stream up to a point, read from a read model (ADR 0018): folded
   * first, and the stream is read only past that point. Without it, or when it cannot be used,
   * the whole stream is read.
   */
  settingsLog?: () => Promise<EventLog | undefined>;
  /** Told how the settings were loaded. */
  onLoaded?: (how: EventLogLoad) => void;
}): Promise<RunningCatalog> {
  const env = opts.env ?? process.env;
  const directory = new CatalogDirectory(emptyCatalog(), env);
  const types = new Set<string>([...CATALOG_TYPES, ...(opts.also?.types ?? [])]);
  const dispatch = (e: DecodedEvent) => {
    if (CATALOG_TYPES.has(e.type)) directory.apply(e);
    else opts.also?.apply(e);
  };
  const registry = new EventRegistry();
  const log = opts.settingsLog ? { name: settingsLog.name, read: opts.settingsLog } : undefined;
  const { last, load } = await replayFromEventLog({ nc: opts.nc, stream: opts.stream, types, onEvent: dispatch, registry, log, onError: opts.onError });
  opts.onLoaded?.(load);
  const desired = [...seedFromEnv(env)];
  if (opts.catalogFile && existsSync(opts.catalogFile)) desired.push(...parseCatalogFile(readFileSync(opts.catalogFile, 'utf8')));
  const { events } = decideAll(diffCatalog(directory.state, desired, { time: new Date().toISOString() }), directory.state);
  for (const e of events) {
    opts.append(e);
    directory.apply(e);
  }
  const following: Following = await followEvents(opts.nc, opts.stream, types, last, dispatch, {
    registry,
    ...(opts.onError ? { onError: opts.onError } : {}),
  });
  return { directory, synced: events.length, stop: () => following.stop() };
}

