import { type Deployment, type ProviderKind } from '@totra/providers';
import { type RoutableDeployment } from './router.js';

/** A deployment as the gateway routes to it (credentials still as a reference). */
export interface DeploymentRoute extends RoutableDeployment {
  provider: ProviderKind | 'demo';
  /** The provider's model id (Azure: deployment name; Bedrock: model id). */
  model: string;
  /** The public model a deployment of the customer's own name runs: it is priced as that model. */
  baseModel?: string | undefined;
  kind: 'chat' | 'embeddings';
  baseUrl?: string | undefined;
  /** `env:VAR` reference, or `none`. Never the secret itself. */
  credentialRef?: string | undefined;
  apiVersion?: string | undefined;
  region?: string | undefined;
  /** Largest answer the deployment gives, when known (worst case for budget reservations). */
  maxOutputTokens?: number | undefined;
  /** Aliases to try when every deployment of this one failed or has too small a context window. */
  fallbackAliases?: readonly string[] | undefined;
}

/** What the gateway reads of the model catalog. */
export interface ModelDirectory {
  /** Enabled deployments of an alias (any order; the router orders them). */
  deploymentsFor(alias: string): readonly DeploymentRoute[];
  /** Every alias served. */
  aliases(): readonly string[];
  /**
   * Why an alias is not served, when the gateway can tell (e.g. the provider's key is not
   * set): the message names what to configure.
   */
  explainMissing?(alias: string): string | undefined;
  /** When the alias was first configured (Unix seconds), when the directory knows. */
  offeredSince?(alias: string): number | undefined;
}

/** Turns a route into a provider `Deployment` with its credentials resolved at request time. */
export type CredentialResolver = (route: DeploymentRoute) => Deployment;

/** A directory over a fixed list (tests, `totra.yaml` without the event log). */
export class StaticDirectory implements ModelDirectory {
  readonly #byAlias = new Map<string, DeploymentRoute[]>();
  constructor(routes: readonly DeploymentRoute[]) {
    for (const r of routes) this.#byAlias.set(r.alias, [...(this.#byAlias.get(r.alias) ?? []), r]);
  }
  deploymentsFor(alias: string): readonly DeploymentRoute[] {
    return this.#byAlias.get(alias) ?? [];
  }
  aliases(): readonly string[] {
    return [...this.#byAlias.keys()].sort();
  }
}
