import { z } from 'zod';
import { type EventData, ModelDeploymentConfigured } from '@totra/events';
import { type ProviderKind } from '@totra/providers';
import { credentialVariables, parseCredentialRef } from './credentials.js';
import { type DeploymentIssue, InvalidDeploymentError } from './errors.js';
import { DEFAULT_CONTEXT_WINDOW, guessKind, knownModel } from './model-table.js';

/**
 * One deployment of a model alias, exactly as `ModelDeploymentConfigured` records it: where to
 * send requests for the alias, with which credential reference, and how to rank it.
 */
export type DeploymentConfig = EventData<typeof ModelDeploymentConfigured>;
export type ModelKind = DeploymentConfig['kind'];
/** `env`: seeded from environment variables; `file`: from totra.yaml; `admin`: made by an admin (never touched by a sync). */
export type DeploymentSource = DeploymentConfig['source'];
/** Every upstream provider kind plus the built-in `demo` echo model. */
export type CatalogProvider = DeploymentConfig['provider'];

// Every provider the adapters know must be a catalog provider (compile-time check).
const _providersCovered: readonly CatalogProvider[] = [] as ProviderKind[];

/** The alias of the built-in echo model that answers with no provider key configured. */
export const DEMO_ALIAS = 'demo';
/** The alias of the built-in embeddings model of the demo (deterministic vectors, computed locally). */
export const DEMO_EMBEDDINGS_ALIAS = 'demo-embedding';
/** Priority given when none is: room is left below for preferred deployments. */
export const DEFAULT_PRIORITY = 10;
/** Deployment ids with these prefixes belong to a sync (`env/...`, `file/...`); admins cannot take them. */
export const RESERVED_ID_PREFIXES = ['env/', 'file/'] as const;

/** Environment variable each provider's key is read from by default. */
const DEFAULT_CREDENTIAL: Readonly<Record<CatalogProvider, string>> = {
  openai: 'env:OPENAI_API_KEY',
  'azure-openai': 'env:AZURE_OPENAI_API_KEY',
  anthropic: 'env:ANTHROPIC_API_KEY',
  gemini: 'env:GEMINI_API_KEY',
  mistral: 'env:MISTRAL_API_KEY',
  cohere: 'env:COHERE_API_KEY',
  bedrock: 'aws-env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN',
  ollama: 'none',
  'openai-compatible': 'none',
  demo: 'none',
};

/** The credential reference a deployment of `provider` gets when none is given. */
export function defaultCredentialRef(provider: CatalogProvider): string {
  return DEFAULT_CREDENTIAL[provider];
}

const configShape = ModelDeploymentConfigured.data.shape;

/**
 * What an admin, totra.yaml or the seeding gives to describe a deployment: the configuration
 * with defaults left out (`credentialRef` from the provider, `weight` 1, `priority` 10,
 * `contextWindow`/`kind`/`maxOutputTokens` from the model table, by `baseModel` where given,
 * `enabled` true, `source` admin).
 */
export const DeploymentInput = z
  .object({
    deploymentId: configShape.deploymentId,
    alias: configShape.alias,
    provider: configShape.provider,
    model: configShape.model,
    baseModel: configShape.baseModel,
    baseUrl: z.string().max(2048).optional(),
    // Checked by parseCredentialRef, so that a pasted secret gets its own error.
    credentialRef: z.string().max(400).optional(),
    apiVersion: configShape.apiVersion,
    region: configShape.region,
    weight: configShape.weight.optional(),
    priority: configShape.priority.optional(),
    contextWindow: configShape.contextWindow.optional(),
    maxOutputTokens: configShape.maxOutputTokens,
    kind: configShape.kind.optional(),
    enabled: configShape.enabled.optional(),
    fallbackAliases: configShape.fallbackAliases,
    source: configShape.source.optional(),
    note: configShape.note,
  })
  .strict();
export type DeploymentInput = z.input<typeof DeploymentInput>;

function issuesOf(error: z.ZodError): DeploymentIssue[] {
  return error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(root)', message: i.message }));
}

function fail(issues: DeploymentIssue[], what: string): never {
  throw new InvalidDeploymentError(`${what}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
}

/** Checks a base URL and drops trailing slashes; credentials must never ride in it. */
function normaliseBaseUrl(raw: string, issues: DeploymentIssue[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    issues.push({ field: 'baseUrl', message: 'not a URL (expected e.g. https://api.example.com/v1)' });
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') issues.push({ field: 'baseUrl', message: 'must be an http(s) URL' });
  if (url.username || url.password) {
    issues.push({ field: 'baseUrl', message: 'must not carry a user or password; reference the credential instead (env:VAR)' });
  }
  if (url.search || url.hash) issues.push({ field: 'baseUrl', message: 'must not carry a query string or fragment' });
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function providerIssues(c: DeploymentConfig): DeploymentIssue[] {
  const issues: DeploymentIssue[] = [];
  const ref = parseCredentialRef(c.credentialRef);
  const needsKey = (): void => {
    if (ref.kind !== 'env') issues.push({ field: 'credentialRef', message: `${c.provider} needs an API key reference such as ${DEFAULT_CREDENTIAL[c.provider]}` });
  };
  switch (c.provider) {
    case 'openai':
    case 'anthropic':
    case 'gemini':
    case 'mistral':
    case 'cohere':
      needsKey();
      break;
    case 'azure-openai':
      needsKey();
      if (!c.baseUrl) issues.push({ field: 'baseUrl', message: 'azure-openai needs the resource endpoint, e.g. https://<resource>.openai.azure.com' });
      break;
    case 'openai-compatible':
      if (!c.baseUrl) issues.push({ field: 'baseUrl', message: 'openai-compatible needs the server URL, e.g. http://vllm:8000/v1' });
      if (ref.kind === 'aws-env') issues.push({ field: 'credentialRef', message: 'openai-compatible takes env:VAR or none' });
      break;
    case 'ollama':
      if (ref.kind === 'aws-env') issues.push({ field: 'credentialRef', message: 'ollama takes env:VAR or none' });
      break;
    case 'bedrock':
      if (!c.region) issues.push({ field: 'region', message: 'bedrock needs an AWS region, e.g. us-east-1' });
      if (ref.kind === 'none') issues.push({ field: 'credentialRef', message: 'bedrock needs aws-env:... (access keys) or env:VAR (a Bedrock API key)' });
      break;
    case 'demo':
      if (ref.kind !== 'none') issues.push({ field: 'credentialRef', message: 'the demo echo model takes no credential (none)' });
      if (c.baseUrl) issues.push({ field: 'baseUrl', message: 'the demo echo model is answered locally and takes no base URL' });
      break;
  }
  if (ref.kind === 'aws-env' && c.provider !== 'bedrock') {
    if (!issues.some((i) => i.field === 'credentialRef')) issues.push({ field: 'credentialRef', message: 'aws-env:... credentials are for bedrock only' });
  }
  if (c.fallbackAliases?.includes(c.alias)) issues.push({ field: 'fallbackAliases', message: `an alias cannot fall back to itself (${c.alias})` });
  if (c.maxOutputTokens !== undefined && c.maxOutputTokens > c.contextWindow) {
    issues.push({ field: 'maxOutputTokens', message: `is larger than the context window (${c.contextWindow})` });
  }
  if (c.source === 'admin' && RESERVED_ID_PREFIXES.some((p) => c.deploymentId.startsWith(p))) {
    issues.push({ field: 'deploymentId', message: `ids starting with ${RESERVED_ID_PREFIXES.join(' or ')} are kept for seeded deployments` });
  }
  return issues;
}

/**
 * Validates a deployment description and fills in its defaults. Throws
 * `TOTRA_CATALOG_DEPLOYMENT_INVALID` (with every issue, by field), or
 * `TOTRA_CATALOG_CREDENTIAL_LITERAL` / `TOTRA_CATALOG_CREDENTIAL_REF_INVALID` for a bad credential.
 */
export function normalizeDeployment(input: unknown): DeploymentConfig {
  const parsed = DeploymentInput.safeParse(input);
  if (!parsed.success) fail(issuesOf(parsed.error), 'invalid model deployment');
  const d = parsed.data;
  const what = `invalid model deployment "${d.deploymentId}"`;
  const credentialRef = d.credentialRef ?? defaultCredentialRef(d.provider);
  parseCredentialRef(credentialRef);
  const issues: DeploymentIssue[] = [];
  const baseUrl = d.baseUrl === undefined ? undefined : normaliseBaseUrl(d.baseUrl, issues);
  const known = (d.baseModel === undefined ? undefined : knownModel(d.baseModel)) ?? knownModel(d.model) ?? knownModel(d.alias);
  const contextWindow = d.contextWindow ?? known?.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
  const tableMaxOutput = known?.maxOutputTokens !== undefined && known.maxOutputTokens <= contextWindow ? known.maxOutputTokens : undefined;
  const maxOutputTokens = d.maxOutputTokens ?? tableMaxOutput;
  const fallbackAliases = d.fallbackAliases ? [...new Set(d.fallbackAliases)] : undefined;
  const candidate = {
    deploymentId: d.deploymentId,
    alias: d.alias,
    provider: d.provider,
    model: d.model,
    ...(d.baseModel === undefined ? {} : { baseModel: d.baseModel }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    credentialRef,
    ...(d.apiVersion === undefined ? {} : { apiVersion: d.apiVersion }),
    ...(d.region === undefined ? {} : { region: d.region }),
    weight: d.weight ?? 1,
    priority: d.priority ?? DEFAULT_PRIORITY,
    contextWindow,
    ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
    kind: d.kind ?? known?.kind ?? guessKind(d.baseModel ?? d.model, d.alias),
    enabled: d.enabled ?? true,
    ...(fallbackAliases?.length ? { fallbackAliases } : {}),
    source: d.source ?? 'admin',
    ...(d.note === undefined ? {} : { note: d.note }),
  };
  if (issues.length) fail(issues, what);
  const checked = ModelDeploymentConfigured.data.safeParse(candidate);
  if (!checked.success) fail(issuesOf(checked.error), what);
  const more = providerIssues(checked.data);
  if (more.length) fail(more, what);
  return checked.data;
}

/** The environment variables a deployment's credential reads (to tell an operator what to set). */
export function deploymentVariables(config: DeploymentConfig): string[] {
  return credentialVariables(config.credentialRef);
}
