import { LineCounter, isMap, isNode, isScalar, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ModelDeploymentConfigured } from '@totra/events';
import { type DeploymentConfig, type DeploymentInput, normalizeDeployment } from './deployment.js';
import { CatalogError, CatalogFileError, InvalidDeploymentError } from './errors.js';
import { guessKind } from './model-table.js';

const shape = {
  provider: ModelDeploymentConfigured.data.shape.provider,
  count: z.number().int().min(0).max(1_000_000),
  tokens: z.number().int().min(1).max(100_000_000),
};

const FileDeployment = z
  .object({
    /** Optional stable id; `file/<alias>/<provider>` otherwise. */
    id: z.string().min(1).max(200).optional(),
    provider: shape.provider,
    model: z.string().min(1).max(512),
    /** The public model a deployment of the customer's own name runs (Azure OpenAI): priced and sized as that model. */
    base_model: z.string().min(1).max(512).optional(),
    base_url: z.string().max(2048).optional(),
    /** `env:VAR`, `aws-env:ACCESS_VAR:SECRET_VAR[:SESSION_VAR]` or `none`; the provider's usual variable when absent. */
    credential: z.string().max(400).optional(),
    api_version: z.string().min(1).max(64).optional(),
    region: z.string().min(1).max(32).optional(),
    weight: shape.count.optional(),
    priority: shape.count.optional(),
    context_window: shape.tokens.optional(),
    max_output_tokens: shape.tokens.optional(),
    enabled: z.boolean().optional(),
    note: z.string().max(500).optional(),
  })
  .strict();

const FileModel = z
  .object({
    alias: ModelDeploymentConfigured.data.shape.alias,
    kind: z.enum(['chat', 'embeddings']).optional(),
    fallback_aliases: z.array(ModelDeploymentConfigured.data.shape.alias).max(16).optional(),
    deployments: z.array(FileDeployment).min(1, 'list at least one deployment'),
  })
  .strict();

/** totra.yaml: other top-level sections are left to their own readers. */
const CatalogFile = z.looseObject({ models: z.array(FileModel).optional() });
export type CatalogFile = z.infer<typeof CatalogFile>;

type Path = readonly (string | number)[];

function formatPath(path: Path): string {
  if (!path.length) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** 1-based line of the node at `path` (or of its closest existing parent; of `key` inside it when given). */
function lineOf(doc: Document, counter: LineCounter, path: Path, key?: string): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (!isNode(node) || !node.range) continue;
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair && isNode(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
    }
    return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Config field of a deployment -> its name in totra.yaml, and whether it sits on the model entry. */
const FILE_FIELDS: Readonly<Record<string, { name: string; onModel?: true }>> = {
  deploymentId: { name: 'id' },
  alias: { name: 'alias', onModel: true },
  kind: { name: 'kind', onModel: true },
  fallbackAliases: { name: 'fallback_aliases', onModel: true },
  baseUrl: { name: 'base_url' },
  baseModel: { name: 'base_model' },
  credentialRef: { name: 'credential' },
  apiVersion: { name: 'api_version' },
  contextWindow: { name: 'context_window' },
  maxOutputTokens: { name: 'max_output_tokens' },
};

/**
 * Parses the `models:` section of a totra.yaml text into deployments (`source: 'file'`). Pure:
 * the caller reads the file. Throws `TOTRA_CATALOG_FILE_INVALID` whose `path` (and `line`) point
 * at the bad field, e.g. `models[0].deployments[1].credential (line 9): ...`.
 *
 * ```yaml
 * models:
 *   - alias: gpt-4o
 *     fallback_aliases: [gpt-4o-mini]
 *     deployments:
 *       - provider: azure-openai
 *         model: my-gpt4o-deployment
 *         base_model: gpt-4o
 *         base_url: https://acme.openai.azure.com
 *         credential: env:AZURE_OPENAI_API_KEY
 *         priority: 5
 *       - provider: openai
 *         model: gpt-4o
 *         credential: env:OPENAI_API_KEY
 *         weight: 2
 *         context_window: 128000
 * ```
 */
export function parseCatalogFile(text: string): DeploymentConfig[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    // Only the first line of the parser's message: the rest quotes the file, which may hold a pasted secret.
    throw new CatalogFileError('(root)', `not valid YAML: ${syntax.message.split('\n')[0] ?? syntax.code}`, counter.linePos(syntax.pos[0]).line);
  }
  const fail: (path: Path, detail: string, key?: string) => never = (path, detail, key) => {
    throw new CatalogFileError(formatPath(key === undefined ? path : [...path, key]), detail, lineOf(doc, counter, path, key));
  };

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) fail([], 'expected a mapping with a "models:" list');
  const parsed = CatalogFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) fail([], 'invalid');
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') fail(path, `unknown field (check the spelling)`, issue.keys[0]);
    fail(path, issue.message);
  }

  const out: DeploymentConfig[] = [];
  const aliases = new Map<string, number>();
  const ids = new Map<string, string>();
  (parsed.data.models ?? []).forEach((m, i) => {
    const seen = aliases.get(m.alias);
    if (seen !== undefined) fail(['models', i], `alias "${m.alias}" is already listed at models[${seen}]`, 'alias');
    aliases.set(m.alias, i);
    const kind = m.kind ?? guessKind(m.alias, ...m.deployments.map((d) => d.model));
    const perProvider = new Map<string, number>();
    m.deployments.forEach((d, j) => {
      const n = (perProvider.get(d.provider) ?? 0) + 1;
      perProvider.set(d.provider, n);
      const deploymentId = `file/${d.id ?? `${m.alias}/${d.provider}${n > 1 ? `-${n}` : ''}`}`;
      const at: Path = ['models', i, 'deployments', j];
      const other = ids.get(deploymentId);
      if (other) fail(at, `deployment id "${deploymentId}" is also used at ${other}`, d.id === undefined ? 'provider' : 'id');
      ids.set(deploymentId, formatPath(at));
      const input: DeploymentInput = {
        deploymentId,
        alias: m.alias,
        provider: d.provider,
        model: d.model,
        ...(d.base_model === undefined ? {} : { baseModel: d.base_model }),
        kind,
        source: 'file',
        ...(m.fallback_aliases ? { fallbackAliases: m.fallback_aliases } : {}),
        ...(d.base_url === undefined ? {} : { baseUrl: d.base_url }),
        ...(d.credential === undefined ? {} : { credentialRef: d.credential }),
        ...(d.api_version === undefined ? {} : { apiVersion: d.api_version }),
        ...(d.region === undefined ? {} : { region: d.region }),
        ...(d.weight === undefined ? {} : { weight: d.weight }),
        ...(d.priority === undefined ? {} : { priority: d.priority }),
        ...(d.context_window === undefined ? {} : { contextWindow: d.context_window }),
        ...(d.max_output_tokens === undefined ? {} : { maxOutputTokens: d.max_output_tokens }),
        ...(d.enabled === undefined ? {} : { enabled: d.enabled }),
        ...(d.note === undefined ? {} : { note: d.note }),
      };
      try {
        out.push(normalizeDeployment(input));
      } catch (err) {
        if (err instanceof InvalidDeploymentError) {
          const first = err.issues[0];
          const top = first?.field.split('.')[0] ?? '(root)';
          const field = FILE_FIELDS[top] ?? { name: top };
          fail(field.onModel ? ['models', i] : at, first?.message ?? err.message, field.name);
        }
        if (err instanceof CatalogError && err.code.startsWith('TOTRA_CATALOG_CREDENTIAL_')) fail(at, err.message, 'credential');
        throw err;
      }
    });
  });
  return out;
}
