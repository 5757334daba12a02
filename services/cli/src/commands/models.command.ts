import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { type NatsConnection } from '@nats-io/nats-core';
import {
  CATALOG_EVENT_TYPES,
  CatalogError,
  CatalogView,
  type CatalogCommand,
  type CatalogEventInput,
  type CatalogState,
  type DeploymentConfig,
  type DeploymentInput,
  InvalidDeploymentError,
  configureDeployment,
  decideAll,
  diffCatalog,
  emptyCatalog,
  evolveCatalog,
  inspectEnv,
  normalizeDeployment,
  parseCatalogFile,
  removeDeployment,
  setDeploymentEnabled,
} from '@totra/catalog';
import { type StreamOptions } from '@totra/eventlog';
import { UnknownModelPriceError } from '@totra/pricing';
import { CliError, EXIT } from '../cli-error.js';
import type { CliIo, CommandGroup } from '../cli.js';
import { foldFromEventLog, type LogOptions, logOptions, type EventLogReader, withNats, withSettingsLog, withWriter } from '../log-context.js';
import { loadPriceEntries, priceBookOf } from './prices.command.js';

const CATALOG_TYPES = new Set<string>(CATALOG_EVENT_TYPES);

/**
 * Tells the admin who adds a deployment of a model without a known price (neither the shipped
 * catalog nor a `totra prices set`) that gateways refuse its requests by default, and how to
 * price it: found now rather than by the first caller's 400.
 */
async function notePrice(o: LogOptions, io: CliIo, provider: string, model: string, deploymentId: string, alias: string): Promise<void> {
  const sets = await withSettingsLog(o, io.stderr, (log) => withNats(o, (nc, stream) => loadPriceEntries(nc, stream, log)));
  try {
    priceBookOf(sets).priceFor({ provider, model, deployment: deploymentId, at: new Date() });
  } catch (err) {
    if (!(err instanceof UnknownModelPriceError)) throw err;
    io.stderr(
      `note: no price is known for ${provider} ${model}: gateways refuse requests for ${alias} on this deployment (unless TOTRA_UNPRICED=allow, which serves them at cost 0) until one is set: totra prices set --provider ${provider} --model ${model} --input <USD per 1M tokens> --output <USD per 1M tokens>${provider === 'azure-openai' ? ', or name the public model the deployment runs (--base-model gpt-4o)' : ''}\n`,
    );
  }
}

/** The catalog: its events of the whole stream folded (from the settings_log read model when there is one; ADR 0018). */
export function loadCatalog(nc: NatsConnection, stream: StreamOptions, settingsLog?: EventLogReader): Promise<CatalogState> {
  return foldFromEventLog(nc, stream, CATALOG_TYPES, emptyCatalog(), evolveCatalog, settingsLog);
}

/** Config field -> the `models add` flag that sets it, so errors speak the user's language. */
const FLAG_OF: Readonly<Record<string, string>> = {
  deploymentId: '--id',
  alias: '--alias',
  provider: '--provider',
  model: '--model',
  baseModel: '--base-model',
  baseUrl: '--base-url',
  credentialRef: '--credential',
  apiVersion: '--api-version',
  region: '--region',
  weight: '--weight',
  priority: '--priority',
  contextWindow: '--context-window',
  maxOutputTokens: '--max-output-tokens',
  kind: '--kind',
  fallbackAliases: '--fallback',
  note: '--note',
};

/** Catalog errors are bad input: one line, exit 2. */
function asUsageError(err: unknown): unknown {
  if (err instanceof InvalidDeploymentError) {
    const issues = err.issues.map((i) => `${FLAG_OF[i.field.split('.')[0] ?? ''] ?? i.field}: ${i.message}`);
    return new CliError(err.code, `invalid model deployment: ${issues.join('; ')}`, EXIT.usage, { cause: err });
  }
  if (err instanceof CatalogError) return new CliError(err.code, err.message, EXIT.usage, { cause: err });
  return err;
}

async function guarded<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asUsageError(err);
  }
}

function integer(flag: string, min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new CliError('TOTRA_CLI_USAGE', `${flag}: "${v}" is not an integer >= ${min}`);
    return n;
  };
}

/** Decides against the current catalog, then appends the events (no chain is opened when there is nothing to append). */
async function decideAndAppend(o: LogOptions, io: CliIo, decide: (state: CatalogState) => CatalogEventInput[]): Promise<CatalogEventInput[]> {
  const events = await withSettingsLog(o, io.stderr, (settings) =>
    withNats(o, async (nc, stream) => {
      const state = await loadCatalog(nc, stream, settings);
      return guarded(() => decide(state));
    }),
  );
  if (events.length) {
    await withWriter(o, (writer) => {
      for (const e of events) writer.append(e);
    });
  }
  return events;
}

function freeId(state: CatalogState, base: string): string {
  if (!state.deployments.has(base)) return base;
  for (let n = 2; ; n++) if (!state.deployments.has(`${base}-${n}`)) return `${base}-${n}`;
}

const COLUMNS = ['ALIAS', 'DEPLOYMENT', 'PROVIDER', 'MODEL', 'PRIORITY', 'WEIGHT', 'ENABLED', 'SOURCE'] as const;

function formatTable(deployments: readonly DeploymentConfig[]): string {
  const rows = deployments.map((d) => [d.alias, d.deploymentId, d.provider, d.baseModel ? `${d.model} (${d.baseModel})` : d.model, String(d.priority), String(d.weight), d.enabled ? 'yes' : 'no', d.source]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  const notes = deployments.filter((d) => d.note).map((d) => `note: ${d.deploymentId}: ${d.note ?? ''}`);
  return [line(COLUMNS), ...rows.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n') + '\n';
}

function describe(d: DeploymentConfig): string {
  return `${d.deploymentId}  (${d.alias} -> ${d.provider} ${d.model}${d.baseModel ? `, runs ${d.baseModel}` : ''})`;
}

function readCatalogFile(path: string | undefined): { file: string; deployments: DeploymentConfig[] } | undefined {
  const file = resolve(path ?? 'totra.yaml');
  if (path === undefined && !existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('TOTRA_CLI_USAGE', `cannot read ${file}: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
  try {
    return { file, deployments: parseCatalogFile(text) };
  } catch (err) {
    if (err instanceof CatalogError) throw new CliError(err.code, `${file}: ${err.message}`, EXIT.usage, { cause: err });
    throw err;
  }
}

interface AddOptions extends LogOptions {
  alias: string;
  provider: string;
  model: string;
  baseModel?: string;
  id?: string;
  baseUrl?: string;
  credential?: string;
  apiVersion?: string;
  region?: string;
  weight?: number;
  priority?: number;
  contextWindow?: number;
  maxOutputTokens?: number;
  kind?: string;
  fallback?: string;
  disabled?: boolean;
  note?: string;
}

function addInput(o: AddOptions, deploymentId: string): DeploymentInput {
  return {
    deploymentId,
    alias: o.alias,
    provider: o.provider as DeploymentInput['provider'],
    model: o.model,
    source: 'admin',
    ...(o.baseModel === undefined ? {} : { baseModel: o.baseModel }),
    ...(o.baseUrl === undefined ? {} : { baseUrl: o.baseUrl }),
    ...(o.credential === undefined ? {} : { credentialRef: o.credential }),
    ...(o.apiVersion === undefined ? {} : { apiVersion: o.apiVersion }),
    ...(o.region === undefined ? {} : { region: o.region }),
    ...(o.weight === undefined ? {} : { weight: o.weight }),
    ...(o.priority === undefined ? {} : { priority: o.priority }),
    ...(o.contextWindow === undefined ? {} : { contextWindow: o.contextWindow }),
    ...(o.maxOutputTokens === undefined ? {} : { maxOutputTokens: o.maxOutputTokens }),
    ...(o.kind === undefined ? {} : { kind: o.kind as DeploymentInput['kind'] }),
    ...(o.fallback === undefined ? {} : { fallbackAliases: o.fallback.split(',').map((s) => s.trim()).filter(Boolean) }),
    ...(o.disabled ? { enabled: false } : {}),
    ...(o.note === undefined ? {} : { note: o.note }),
  };
}

function stateCommand(models: Command, io: CliIo, name: 'enable' | 'disable'): void {
  logOptions(
    models
      .command(`${name} <deploymentId>`)
      .description(name === 'enable' ? 'route to a deployment again' : 'keep a deployment in the catalog but stop routing to it')
      .option('--reason <text>', 'why (recorded in the event)'),
  ).action(async (deploymentId: string, o: LogOptions & { reason?: string }) => {
    const enabled = name === 'enable';
    const events = await decideAndAppend(o, io, (state) =>
      setDeploymentEnabled({ deploymentId, enabled, time: new Date().toISOString(), ...(o.reason ? { reason: o.reason } : {}) }, state),
    );
    io.stdout(events.length ? `${name}d ${deploymentId}\n` : `${deploymentId} is already ${name}d\n`);
  });
}

/** `totra models list|add|remove|enable|disable|sync`: the model catalog, as events. */
export const modelsCommands: CommandGroup = (program, io) => {
  const models = program.command('models').description('list and change the model catalog (aliases -> provider deployments)');

  logOptions(models.command('list').description('show every deployment of every model alias').option('--json', 'machine-readable output')).action(
    async (o: LogOptions & { json?: boolean }) => {
      const state = await withSettingsLog(o, io.stderr, (settings) => withNats(o, (nc, stream) => loadCatalog(nc, stream, settings)));
      const all = CatalogView.of(state).allDeployments();
      // The configuration holds credential references only, never values.
      if (o.json) io.stdout(`${JSON.stringify(all, null, 2)}\n`);
      else if (!all.length) io.stdout('no models configured yet: run `totra models sync` (provider keys from the environment, totra.yaml) or `totra models add`\n');
      else io.stdout(formatTable(all));
    },
  );

  logOptions(
    models
      .command('add')
      .description('add a deployment of a model alias (made by an admin: `models sync` never changes it)')
      .requiredOption('--alias <alias>', 'the model name clients send, e.g. gpt-4o')
      .requiredOption('--provider <provider>', 'openai, azure-openai, anthropic, gemini, mistral, cohere, bedrock, ollama, openai-compatible')
      .requiredOption('--model <model>', "the provider's model id (Azure: the deployment name; Bedrock: model or inference profile id)")
      .option('--base-model <model>', 'the public model a deployment of your own name runs (Azure: e.g. gpt-4o): priced, and its limits looked up, as that model')
      .option('--id <deploymentId>', 'deployment id (default <provider>/<alias>, numbered if taken)')
      .option('--base-url <url>', 'provider endpoint (required for azure-openai and openai-compatible)')
      .option('--credential <ref>', "env:VAR (or aws-env:ACCESS_VAR:SECRET_VAR, or none); default: the provider's usual variable")
      .option('--api-version <version>', 'Azure api-version or anthropic-version')
      .option('--region <region>', 'AWS region (bedrock)')
      .option('--weight <n>', 'share of traffic among deployments of the same priority (default 1)', integer('--weight', 0))
      .option('--priority <n>', 'lower is tried first; higher ones are fallbacks (default 10)', integer('--priority', 0))
      .option('--context-window <tokens>', 'context window (default: known models table)', integer('--context-window', 1))
      .option('--max-output-tokens <tokens>', 'largest completion', integer('--max-output-tokens', 1))
      .addOption(new Option('--kind <kind>', 'chat or embeddings (default: from the model)').choices(['chat', 'embeddings']))
      .option('--fallback <aliases>', 'comma-separated aliases to try when this alias fails')
      .option('--disabled', 'add it disabled')
      .option('--note <text>', 'a note shown next to the deployment'),
  ).action(async (o: AddOptions) => {
    // Check the input before touching NATS: bad input never opens a chain.
    const proposed = o.id ?? `${o.provider}/${o.alias}`;
    await guarded(() => normalizeDeployment(addInput(o, proposed)));
    const events = await decideAndAppend(o, io, (state) =>
      configureDeployment(
        { deployment: addInput(o, o.id ?? freeId(state, proposed)), time: new Date().toISOString(), expect: 'new' },
        state,
      ),
    );
    const added = events[0];
    if (added?.type === 'ModelDeploymentConfigured') {
      io.stdout(`added ${describe(added.data)}\n`);
      await notePrice(o, io, added.data.provider, added.data.baseModel ?? added.data.model, added.data.deploymentId, o.alias);
    }
  });

  logOptions(
    models.command('remove <deploymentId>').description('remove a deployment from the catalog').option('--reason <text>', 'why (recorded in the event)'),
  ).action(async (deploymentId: string, o: LogOptions & { reason?: string }) => {
    await decideAndAppend(o, io, (state) => removeDeployment({ deploymentId, time: new Date().toISOString(), ...(o.reason ? { reason: o.reason } : {}) }, state));
    io.stdout(`removed ${deploymentId}\n`);
  });

  stateCommand(models, io, 'enable');
  stateCommand(models, io, 'disable');

  logOptions(
    models
      .command('sync')
      .description('seed the catalog from provider keys in the environment and totra.yaml (appends only what changed; admin deployments untouched)')
      .option('--file <path>', 'catalog file (default: ./totra.yaml when it exists)')
      .option('--dry-run', 'show what would change without appending anything'),
  ).action(async (o: LogOptions & { file?: string; dryRun?: boolean }) => {
    const seeded = await guarded(() => inspectEnv(process.env));
    const file = readCatalogFile(o.file);
    const desired = [...seeded.deployments, ...(file?.deployments ?? [])];
    for (const note of seeded.notes) io.stderr(`note: ${note}\n`);
    const configured = seeded.providers.filter((p) => p.configured).map((p) => p.provider);
    io.stdout(`providers from the environment: ${configured.join(', ')}${file ? `; ${file.deployments.length} deployments from ${file.file}` : ''}\n`);

    const plan = await withSettingsLog(o, io.stderr, (settings) =>
      withNats(o, async (nc, stream) => {
        const state = await loadCatalog(nc, stream, settings);
        const commands = diffCatalog(state, desired, { time: new Date().toISOString(), reason: 'no longer in the environment or totra.yaml' });
        const { events } = await guarded(() => decideAll(commands, state));
        return { state, commands, events };
      }),
    );
    const lines = plan.commands.map((c: CatalogCommand) => {
      if (c.type === 'RemoveDeployment') {
        const d = plan.state.deployments.get(c.deploymentId);
        return d ? `- ${describe(d)}` : `- ${c.deploymentId}`;
      }
      if (c.type === 'ConfigureDeployment') {
        const id = c.deployment.deploymentId;
        const d = plan.events.find((e) => e.type === 'ModelDeploymentConfigured' && e.data.deploymentId === id);
        return d?.type === 'ModelDeploymentConfigured' ? `${plan.state.deployments.has(id) ? '~' : '+'} ${describe(d.data)}` : `~ ${id}`;
      }
      return `? ${c.type}`;
    });
    for (const l of lines) io.stdout(`${l}\n`);
    const count = (sign: string) => lines.filter((l) => l.startsWith(sign)).length;
    const summary = `${count('+')} added, ${count('~')} changed, ${count('-')} removed`;
    if (!plan.events.length) {
      io.stdout('models sync: the catalog is up to date (admin deployments are never changed by a sync)\n');
      return;
    }
    if (o.dryRun) {
      io.stdout(`models sync (dry run): would append ${plan.events.length} events: ${summary}\n`);
      return;
    }
    await withWriter(o, (writer) => {
      for (const e of plan.events) writer.append(e);
    });
    io.stdout(`models sync: ${summary} (admin deployments untouched)\n`);
  });
};
