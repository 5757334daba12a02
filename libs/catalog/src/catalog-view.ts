import { type CatalogState } from './catalog-state.js';
import { type DeploymentConfig, type ModelKind } from './deployment.js';

/** Which aliases a caller may use: the team's allowlist (if it has one) and an optional further list. */
export interface ModelAccessPolicy {
  /** The caller's team; its `TeamModelsAllowed` allowlist applies when it has one. */
  teamId?: string;
  /** Another allowlist (e.g. the API key's own), intersected with the team's. */
  aliases?: readonly string[];
}

/** Routing order: priority ascending, then weight descending, then id (deterministic). */
function routingOrder(a: DeploymentConfig, b: DeploymentConfig): number {
  return a.priority - b.priority || b.weight - a.weight || a.deploymentId.localeCompare(b.deploymentId);
}

/**
 * Read-only queries over a catalog state, indexed once: build a new view after each event
 * (`CatalogView.of(evolveCatalog(state, e))`). Only enabled deployments are routable; an alias
 * whose deployments are all disabled is not served.
 */
export class CatalogView {
  readonly state: CatalogState;
  readonly #byAlias: ReadonlyMap<string, readonly DeploymentConfig[]>;
  readonly #aliases: readonly string[];

  private constructor(state: CatalogState) {
    this.state = state;
    const byAlias = new Map<string, DeploymentConfig[]>();
    for (const d of state.deployments.values()) {
      if (!d.enabled) continue;
      const list = byAlias.get(d.alias);
      if (list) list.push(d);
      else byAlias.set(d.alias, [d]);
    }
    for (const list of byAlias.values()) list.sort(routingOrder);
    this.#byAlias = byAlias;
    this.#aliases = [...byAlias.keys()].sort();
  }

  static of(state: CatalogState): CatalogView {
    return new CatalogView(state);
  }

  /** Enabled deployments of an alias in fallback order (priority ascending; weight breaks ties). Empty when unknown. */
  deploymentsFor(alias: string): readonly DeploymentConfig[] {
    return this.#byAlias.get(alias) ?? [];
  }

  /** Every alias with at least one enabled deployment, sorted. */
  aliases(): readonly string[] {
    return this.#aliases;
  }

  /** Whether the alias has an enabled deployment. */
  has(alias: string): boolean {
    return this.#byAlias.has(alias);
  }

  /** `chat` or `embeddings`; undefined when the alias is not served. */
  kindOf(alias: string): ModelKind | undefined {
    return this.#byAlias.get(alias)?.[0]?.kind;
  }

  /** Aliases to try after every deployment of `alias` failed, in the order its deployments list them. */
  fallbackAliasesOf(alias: string): readonly string[] {
    const out = new Set<string>();
    for (const d of this.deploymentsFor(alias)) for (const f of d.fallbackAliases ?? []) if (f !== alias) out.add(f);
    return [...out];
  }

  /** One deployment by id, enabled or not. */
  deployment(deploymentId: string): DeploymentConfig | undefined {
    return this.state.deployments.get(deploymentId);
  }

  /** Every deployment, disabled ones included, sorted by alias then routing order. */
  allDeployments(): readonly DeploymentConfig[] {
    return [...this.state.deployments.values()].sort((a, b) => a.alias.localeCompare(b.alias) || routingOrder(a, b));
  }

  /** The team's allowlist, or undefined when the team may use every alias. */
  teamAliases(teamId: string): readonly string[] | undefined {
    return this.state.teamAliases.get(teamId);
  }

  /** Whether a caller under `policy` may use `alias` (and the alias is served). */
  isAllowed(alias: string, policy: ModelAccessPolicy = {}): boolean {
    if (!this.has(alias)) return false;
    const team = policy.teamId === undefined ? undefined : this.state.teamAliases.get(policy.teamId);
    if (team && !team.includes(alias)) return false;
    return !policy.aliases || policy.aliases.includes(alias);
  }

  /** The served aliases a caller under `policy` may use, sorted (what `GET /v1/models` lists). */
  allowedAliases(policy: ModelAccessPolicy = {}): readonly string[] {
    if (policy.teamId === undefined && policy.aliases === undefined) return this.#aliases;
    return this.#aliases.filter((a) => this.isAllowed(a, policy));
  }
}

/** The aliases a caller may use; see `CatalogView.allowedAliases`. */
export function allowedAliases(catalog: CatalogView | CatalogState, policy?: ModelAccessPolicy): readonly string[] {
  return (catalog instanceof CatalogView ? catalog : CatalogView.of(catalog)).allowedAliases(policy);
}
