import { ModelDeploymentConfigured } from '@totra/events';
import { type EnvRecord } from './credentials.js';
import { type CatalogProvider, DEMO_ALIAS, DEMO_EMBEDDINGS_ALIAS, type DeploymentConfig, type DeploymentInput, normalizeDeployment } from './deployment.js';
import { CatalogEnvError, CatalogError } from './errors.js';

/** Priority of Bedrock's copies of models other providers also serve: they are the fallback. */
export const BEDROCK_PRIORITY = 20;
/** Upstream model id of the built-in demo echo model. */
export const DEMO_MODEL = 'totra-demo-echo';
/** How the demo deployment labels itself wherever deployments are listed. */
export const DEMO_NOTE =
  'ToTra built-in demo: a local echo model that repeats the prompt; no provider is called. Set a provider key such as OPENAI_API_KEY for real models.';
/** Upstream model id of the built-in demo embeddings model. */
export const DEMO_EMBEDDINGS_MODEL = 'totra-demo-embedding';
/** How the demo embeddings deployment labels itself. */
export const DEMO_EMBEDDINGS_NOTE =
  'ToTra built-in demo: 8-dimensional vectors computed locally from the text, for trying the embeddings API; no provider is called.';

/** What seeding found for one provider. */
export interface ProviderSeedStatus {
  provider: CatalogProvider;
  label: string;
  /** True when its variables are set, so its models are offered. */
  configured: boolean;
  /** The variables that turn it on. */
  variables: readonly string[];
  /** Aliases offered (empty when not configured). */
  aliases: readonly string[];
}

/** The result of reading the environment: deployments to offer, per-provider status, and notes for the operator. */
export interface EnvSeedReport {
  deployments: DeploymentConfig[];
  providers: ProviderSeedStatus[];
  /** Half-configured providers that were skipped, and why. Never contains a secret. */
  notes: string[];
}

interface ModelEntry {
  alias: string;
  model: string;
}

interface KeyedProvider {
  provider: Extract<CatalogProvider, 'openai' | 'anthropic' | 'gemini' | 'mistral' | 'cohere'>;
  label: string;
  /** Variables holding the key; the first one set is referenced. */
  keyVars: readonly string[];
  prefix: string;
  models: readonly string[];
}

/** Providers offered from one API key, with the models they serve under their usual names. */
const KEYED: readonly KeyedProvider[] = [
  {
    provider: 'openai',
    label: 'OpenAI',
    keyVars: ['OPENAI_API_KEY'],
    prefix: 'OPENAI',
    models: ['gpt-5.5', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.4-nano', 'gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small', 'text-embedding-3-large'],
  },
  {
    provider: 'anthropic',
    label: 'Anthropic',
    keyVars: ['ANTHROPIC_API_KEY'],
    prefix: 'ANTHROPIC',
    models: ['claude-fable-5-1', 'claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'],
  },
  {
    provider: 'gemini',
    label: 'Google Gemini',
    keyVars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    prefix: 'GEMINI',
    models: ['gemini-3.1-pro-preview', 'gemini-3-flash-preview', 'gemini-2.5-pro', 'gemini-2.5-flash'],
  },
  { provider: 'mistral', label: 'Mistral', keyVars: ['MISTRAL_API_KEY'], prefix: 'MISTRAL', models: ['mistral-large-latest', 'mistral-small-latest', 'mistral-embed'] },
  { provider: 'cohere', label: 'Cohere', keyVars: ['COHERE_API_KEY', 'CO_API_KEY'], prefix: 'COHERE', models: ['command-a-03-2025', 'command-r-plus'] },
];

/** Bedrock models offered by default; the geo prefix of a cross-region inference profile is added from the region. */
const BEDROCK_MODELS: readonly ModelEntry[] = [
  { alias: 'claude-sonnet-4-5', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
  { alias: 'claude-haiku-4-5', model: 'anthropic.claude-haiku-4-5-20251001-v1:0' },
  { alias: 'nova-pro', model: 'amazon.nova-pro-v1:0' },
  { alias: 'nova-lite', model: 'amazon.nova-lite-v1:0' },
  { alias: 'nova-micro', model: 'amazon.nova-micro-v1:0' },
];
const BEDROCK_KEY_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

const aliasSchema = ModelDeploymentConfigured.data.shape.alias;

function value(env: EnvRecord, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function url(env: EnvRecord, name: string): string | undefined {
  const v = value(env, name);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new CatalogEnvError(name, 'not a URL (expected e.g. https://host:port/v1)');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CatalogEnvError(name, 'must be an http(s) URL');
  return v;
}

/**
 * Parses `alias=model,alias2,...` (an entry without `=` uses the same name for both). Entries are
 * separated by commas or new lines; blanks are ignored.
 */
export function parseModelList(variable: string, text: string): ModelEntry[] {
  const out: ModelEntry[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const alias = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const model = (eq < 0 ? entry : entry.slice(eq + 1)).trim();
    if (!aliasSchema.safeParse(alias).success) {
      throw new CatalogEnvError(variable, `"${alias}" is not a valid model alias (letters, digits and . _ : / @ + -)`);
    }
    if (!model) throw new CatalogEnvError(variable, `entry "${entry}" has no model after "="`);
    if (out.some((e) => e.alias === alias)) throw new CatalogEnvError(variable, `alias "${alias}" is listed twice`);
    out.push({ alias, model });
  }
  return out;
}

/**
 * An entry of `AZURE_OPENAI_DEPLOYMENTS`: `alias=deployment`, or `alias=deployment@model` naming
 * the public model a deployment of the customer's own name runs (ADR 0044; Azure deployment
 * names cannot hold `@`).
 */
function azureDeployment(entry: ModelEntry): ModelEntry & { baseModel?: string } {
  const at = entry.model.lastIndexOf('@');
  if (at < 0) return entry;
  const model = entry.model.slice(0, at).trim();
  const baseModel = entry.model.slice(at + 1).trim();
  if (!model || !baseModel) throw new CatalogEnvError('AZURE_OPENAI_DEPLOYMENTS', `entry "${entry.alias}=${entry.model}" needs a deployment name before "@" and a model after it`);
  return { alias: entry.alias, model, baseModel };
}

/** Cross-region inference profile prefix for a region (`us`, `eu`, `apac`); undefined for other regions. */
export function bedrockGeoPrefix(region: string): string | undefined {
  if (region.startsWith('us-') || region.startsWith('ca-')) return 'us';
  if (region.startsWith('eu-')) return 'eu';
  if (region.startsWith('ap-')) return 'apac';
  return undefined;
}

function seeded(input: DeploymentInput, variables: readonly string[]): DeploymentConfig {
  try {
    return normalizeDeployment({ ...input, source: 'env' });
  } catch (err) {
    if (err instanceof CatalogError) throw new CatalogEnvError(variables.join(', '), err.message);
    throw err;
  }
}

function envId(provider: CatalogProvider, alias: string): string {
  return `env/${provider}/${alias}`;
}

/** The built-in `demo` deployment: a local echo model, offered whatever the environment. */
export function demoDeployment(): DeploymentConfig {
  return normalizeDeployment({
    deploymentId: envId('demo', DEMO_ALIAS),
    alias: DEMO_ALIAS,
    provider: 'demo',
    model: DEMO_MODEL,
    credentialRef: 'none',
    source: 'env',
    note: DEMO_NOTE,
  });
}

/** The built-in `demo-embedding` deployment: local pseudo-embeddings, offered whatever the environment. */
export function demoEmbeddingsDeployment(): DeploymentConfig {
  return normalizeDeployment({
    deploymentId: envId('demo', DEMO_EMBEDDINGS_ALIAS),
    alias: DEMO_EMBEDDINGS_ALIAS,
    provider: 'demo',
    model: DEMO_EMBEDDINGS_MODEL,
    credentialRef: 'none',
    source: 'env',
    note: DEMO_EMBEDDINGS_NOTE,
  });
}

/**
 * Reads provider settings from an environment record (pure): for each provider whose variables
 * are set, its current models under their usual names, plus the built-in `demo` and
 * `demo-embedding` aliases. Credentials
 * are recorded as references (`env:OPENAI_API_KEY`), never as values. Throws
 * `TOTRA_CATALOG_ENV_INVALID` (naming the variable) for a value it cannot use.
 *
 * Variables: `<P>_API_KEY`, `<P>_BASE_URL` (e.g. a mock provider in tests) and `<P>_MODELS`
 * (`alias=model,...`, replaces the default list) for P in OPENAI, ANTHROPIC, GEMINI (or
 * GOOGLE_API_KEY), MISTRAL, COHERE (or CO_API_KEY); Bedrock: AWS_ACCESS_KEY_ID +
 * AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) or AWS_BEARER_TOKEN_BEDROCK, with AWS_REGION (or
 * AWS_DEFAULT_REGION), BEDROCK_BASE_URL, BEDROCK_MODELS; Azure: AZURE_OPENAI_API_KEY +
 * AZURE_OPENAI_ENDPOINT (or AZURE_OPENAI_BASE_URL) + AZURE_OPENAI_DEPLOYMENTS
 * (`alias=deployment,...`; `alias=deployment@model` names the model it runs), AZURE_OPENAI_API_VERSION; Ollama: OLLAMA_MODELS (+ OLLAMA_BASE_URL,
 * OLLAMA_API_KEY); OpenAI-compatible: OPENAI_COMPATIBLE_BASE_URL + OPENAI_COMPATIBLE_MODELS
 * (+ OPENAI_COMPATIBLE_API_KEY).
 */
export function inspectEnv(env: EnvRecord): EnvSeedReport {
  const deployments: DeploymentConfig[] = [];
  const providers: ProviderSeedStatus[] = [];
  const notes: string[] = [];
  const offer = (status: Omit<ProviderSeedStatus, 'aliases'>, configs: DeploymentConfig[]): void => {
    deployments.push(...configs);
    providers.push({ ...status, aliases: configs.map((c) => c.alias) });
  };

  for (const p of KEYED) {
    const keyVar = p.keyVars.find((v) => value(env, v) !== undefined);
    const status = { provider: p.provider, label: p.label, configured: keyVar !== undefined, variables: p.keyVars };
    if (!keyVar) {
      offer(status, []);
      continue;
    }
    const baseUrl = url(env, `${p.prefix}_BASE_URL`);
    const listVar = `${p.prefix}_MODELS`;
    const listed = value(env, listVar);
    const models = listed === undefined ? p.models.map((m) => ({ alias: m, model: m })) : parseModelList(listVar, listed);
    offer(
      status,
      models.map((m) =>
        seeded(
          {
            deploymentId: envId(p.provider, m.alias),
            alias: m.alias,
            provider: p.provider,
            model: m.model,
            credentialRef: `env:${keyVar}`,
            ...(baseUrl ? { baseUrl } : {}),
          },
          [keyVar, `${p.prefix}_BASE_URL`, listVar],
        ),
      ),
    );
  }

  // Bedrock: access keys (or a Bedrock API key) and a region.
  {
    const accessKey = value(env, 'AWS_ACCESS_KEY_ID');
    const secretKey = value(env, 'AWS_SECRET_ACCESS_KEY');
    const bearer = value(env, 'AWS_BEARER_TOKEN_BEDROCK');
    const region = value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION');
    const credentialRef =
      accessKey && secretKey
        ? 'aws-env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN'
        : bearer
          ? 'env:AWS_BEARER_TOKEN_BEDROCK'
          : undefined;
    const status = { provider: 'bedrock' as const, label: 'AWS Bedrock', variables: BEDROCK_KEY_VARS };
    if (!credentialRef && (accessKey || secretKey)) {
      notes.push(`AWS Bedrock skipped: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (only ${accessKey ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set)`);
    }
    if (credentialRef && !region) notes.push('AWS Bedrock skipped: AWS credentials are set but no region; set AWS_REGION (e.g. us-east-1)');
    if (!credentialRef || !region) {
      offer({ ...status, configured: false }, []);
    } else {
      const baseUrl = url(env, 'BEDROCK_BASE_URL');
      const listed = value(env, 'BEDROCK_MODELS');
      const geo = bedrockGeoPrefix(region);
      const models =
        listed === undefined
          ? BEDROCK_MODELS.map((m) => ({ alias: m.alias, model: geo ? `${geo}.${m.model}` : m.model }))
          : parseModelList('BEDROCK_MODELS', listed);
      offer(
        { ...status, configured: true },
        models.map((m) =>
          seeded(
            {
              deploymentId: envId('bedrock', m.alias),
              alias: m.alias,
              provider: 'bedrock',
              model: m.model,
              region,
              credentialRef,
              priority: BEDROCK_PRIORITY,
              ...(baseUrl ? { baseUrl } : {}),
            },
            ['AWS_REGION', 'BEDROCK_BASE_URL', 'BEDROCK_MODELS'],
          ),
        ),
      );
    }
  }

  // Azure OpenAI: the deployments are the customer's own names.
  {
    const key = value(env, 'AZURE_OPENAI_API_KEY');
    const endpointVar = value(env, 'AZURE_OPENAI_BASE_URL') ? 'AZURE_OPENAI_BASE_URL' : 'AZURE_OPENAI_ENDPOINT';
    const endpoint = url(env, endpointVar);
    const listed = value(env, 'AZURE_OPENAI_DEPLOYMENTS');
    const status = { provider: 'azure-openai' as const, label: 'Azure OpenAI', variables: ['AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_DEPLOYMENTS'] };
    const missing = [
      ...(key ? [] : ['AZURE_OPENAI_API_KEY']),
      ...(endpoint ? [] : ['AZURE_OPENAI_ENDPOINT']),
      ...(listed ? [] : ['AZURE_OPENAI_DEPLOYMENTS']),
    ];
    if (missing.length && missing.length < 3) notes.push(`Azure OpenAI skipped: set ${missing.join(' and ')}`);
    if (!key || !endpoint || !listed) {
      offer({ ...status, configured: false }, []);
    } else {
      const apiVersion = value(env, 'AZURE_OPENAI_API_VERSION');
      offer(
        { ...status, configured: true },
        parseModelList('AZURE_OPENAI_DEPLOYMENTS', listed).map(azureDeployment).map((m) =>
          seeded(
            {
              deploymentId: envId('azure-openai', m.alias),
              alias: m.alias,
              provider: 'azure-openai',
              model: m.model,
              ...(m.baseModel === undefined ? {} : { baseModel: m.baseModel }),
              baseUrl: endpoint,
              credentialRef: 'env:AZURE_OPENAI_API_KEY',
              ...(apiVersion ? { apiVersion } : {}),
            },
            [endpointVar, 'AZURE_OPENAI_DEPLOYMENTS', 'AZURE_OPENAI_API_VERSION'],
          ),
        ),
      );
    }
  }

  // Ollama and other OpenAI-compatible servers: the operator lists the models.
  const listedServer = (
    provider: 'ollama' | 'openai-compatible',
    label: string,
    prefix: string,
    baseUrlRequired: boolean,
  ): void => {
    const baseUrl = url(env, `${prefix}_BASE_URL`);
    const listed = value(env, `${prefix}_MODELS`);
    const keyVar = `${prefix}_API_KEY`;
    const status = { provider, label, variables: baseUrlRequired ? [`${prefix}_BASE_URL`, `${prefix}_MODELS`] : [`${prefix}_MODELS`] };
    if ((baseUrl || value(env, keyVar)) && !listed) notes.push(`${label} skipped: set ${prefix}_MODELS (e.g. ${prefix}_MODELS=llama3.2,qwen2.5)`);
    if (listed && baseUrlRequired && !baseUrl) notes.push(`${label} skipped: set ${prefix}_BASE_URL (e.g. http://localhost:8000/v1)`);
    if (!listed || (baseUrlRequired && !baseUrl)) {
      offer({ ...status, configured: false }, []);
      return;
    }
    const credentialRef = value(env, keyVar) ? `env:${keyVar}` : 'none';
    offer(
      { ...status, configured: true },
      parseModelList(`${prefix}_MODELS`, listed).map((m) =>
        seeded(
          { deploymentId: envId(provider, m.alias), alias: m.alias, provider, model: m.model, credentialRef, ...(baseUrl ? { baseUrl } : {}) },
          [`${prefix}_BASE_URL`, `${prefix}_MODELS`],
        ),
      ),
    );
  };
  listedServer('ollama', 'Ollama', 'OLLAMA', false);
  listedServer('openai-compatible', 'OpenAI-compatible server', 'OPENAI_COMPATIBLE', true);

  const demo = demoDeployment();
  const demoEmbeddings = demoEmbeddingsDeployment();
  deployments.push(demo, demoEmbeddings);
  providers.push({ provider: 'demo', label: 'ToTra demo (local echo)', configured: true, variables: [], aliases: [demo.alias, demoEmbeddings.alias] });
  return { deployments, providers, notes };
}

/** Every environment variable `inspectEnv` reads (e.g. to clear them all in a test, or to document them). */
export const SEED_VARIABLES: readonly string[] = [
  ...KEYED.flatMap((p) => [...p.keyVars, `${p.prefix}_BASE_URL`, `${p.prefix}_MODELS`]),
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_BEARER_TOKEN_BEDROCK',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'BEDROCK_BASE_URL',
  'BEDROCK_MODELS',
  'AZURE_OPENAI_API_KEY',
  'AZURE_OPENAI_ENDPOINT',
  'AZURE_OPENAI_BASE_URL',
  'AZURE_OPENAI_DEPLOYMENTS',
  'AZURE_OPENAI_API_VERSION',
  'OLLAMA_BASE_URL',
  'OLLAMA_MODELS',
  'OLLAMA_API_KEY',
  'OPENAI_COMPATIBLE_BASE_URL',
  'OPENAI_COMPATIBLE_MODELS',
  'OPENAI_COMPATIBLE_API_KEY',
];

/** The deployments the environment offers (see `inspectEnv`), the built-in `demo` always included. */
export function seedFromEnv(env: EnvRecord): DeploymentConfig[] {
  return inspectEnv(env).deployments;
}

/** How to get an alias served: the providers that offer it by default and the variables each needs. */
export interface ModelHint {
  alias: string;
  options: readonly { provider: CatalogProvider; label: string; variables: readonly string[] }[];
  /** E.g. `model "gpt-4o" is not configured: set OPENAI_API_KEY`. */
  message: string;
}

/**
 * For an alias the catalog does not serve: which variables would make seeding offer it (for the
 * gateway's 4xx "which variable to set"). Undefined for aliases no provider offers by default.
 */
export function missingModelHint(alias: string): ModelHint | undefined {
  const options: { provider: CatalogProvider; label: string; variables: readonly string[] }[] = [];
  for (const p of KEYED) if (p.models.includes(alias)) options.push({ provider: p.provider, label: p.label, variables: [p.keyVars[0] ?? ''] });
  if (BEDROCK_MODELS.some((m) => m.alias === alias)) options.push({ provider: 'bedrock', label: 'AWS Bedrock', variables: BEDROCK_KEY_VARS });
  const [first, ...others] = options;
  if (!first) return undefined;
  const list = (vars: readonly string[]): string => (vars.length > 1 ? `${vars.slice(0, -1).join(', ')} and ${vars.at(-1) ?? ''}` : (vars[0] ?? ''));
  const alternatives = others.map((o) => `${list(o.variables)} for ${o.label}`);
  return {
    alias,
    options,
    message: `model "${alias}" is not configured: set ${list(first.variables)}${alternatives.length ? ` (or ${alternatives.join(', or ')})` : ''}`,
  };
}
