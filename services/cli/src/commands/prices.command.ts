import { type NatsConnection } from '@nats-io/nats-core';
import { type StreamOptions } from '@totra/eventlog';
import { ModelProvider, PriceRemoved, PriceSet } from '@totra/events';
import { PRICE_EVENT_TYPES, PriceBook, UnknownModelPriceError, normalizeProvider, type ModelPrice, type PriceRemovedData, type PriceSetData } from '@totra/pricing';
import { formatMicroUsd, usdToMicroUsd } from '@totra/quota';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { type EventLogReader, foldFromEventLog, type LogOptions, logOptions, withNats, withSettingsLog, withWriter } from '../log-context.js';

const PRICE_TYPES: ReadonlySet<string> = new Set(PRICE_EVENT_TYPES);
/** Prices are the gateway's, not one tenant's: every gateway folds every PriceSet. */
const PRICES_TENANT = 'system';

/**
 * A price set or removed, as listed: its data, the event that carried it (and the price version
 * it gives) and when.
 */
export type PriceEntryView = { eventId: string; priceVersion: string; time: string } & (
  | { type: 'PriceSet'; data: PriceSetData }
  | { type: 'PriceRemoved'; data: PriceRemovedData }
);

/**
 * The PriceSets and PriceRemoveds of the whole stream, in log order: from the `settings_log` read
 * model up to its checkpoint when there is one, then from the stream past it (ADR 0018).
 */
export function loadPriceEntries(nc: NatsConnection, stream: StreamOptions, log?: EventLogReader): Promise<PriceEntryView[]> {
  return foldFromEventLog<PriceEntryView[]>(nc, stream, PRICE_TYPES, [], (all, e) => {
    const base = { eventId: e.envelope.id, time: e.envelope.time };
    if (e.type === 'PriceRemoved') all.push({ ...base, type: 'PriceRemoved', priceVersion: `priceremoved:${e.envelope.id}`, data: e.data as PriceRemovedData });
    else all.push({ ...base, type: 'PriceSet', priceVersion: `priceset:${e.envelope.id}`, data: e.data as PriceSetData });
    return all;
  }, log);
}

/** The price book a gateway holds: the shipped catalog and every price event, as the gateway folds them. */
export function priceBookOf(entries: readonly PriceEntryView[]): PriceBook {
  return entries.reduce((book, s) => book.fold(s.type, s.data, { eventId: s.eventId }), PriceBook.fromCatalog());
}

/** `every deployment` or `deployment <id>`. */
function scopeOf(deployment: string | undefined): string {
  return deployment !== undefined ? `deployment ${deployment}` : 'every deployment';
}

/** `--from` as given, or now; refused when it is not an RFC 3339 date-time. */
function fromOption(from: string | undefined): string {
  return from ?? new Date().toISOString();
}

/** USD per million tokens (`2.50`) as integer micro-USD per million tokens. */
function rate(text: string, flag: string): number {
  try {
    return usdToMicroUsd(text);
  } catch {
    throw new CliError('TOTRA_CLI_USAGE', `${flag}: "${text}" is not a price in USD per million tokens (at most 6 decimals, e.g. 2.50)`);
  }
}

function usd(microUsd: number | undefined): string {
  return microUsd === undefined ? '-' : formatMicroUsd(microUsd);
}

function describeRates(p: Pick<ModelPrice, 'inputPerMTokMicroUsd' | 'outputPerMTokMicroUsd' | 'cachedInputPerMTokMicroUsd' | 'cacheWritePerMTokMicroUsd' | 'reasoningPerMTokMicroUsd'>): string {
  const parts = [`input ${usd(p.inputPerMTokMicroUsd)}`, `output ${usd(p.outputPerMTokMicroUsd)}`];
  if (p.cachedInputPerMTokMicroUsd !== undefined) parts.push(`cached input ${usd(p.cachedInputPerMTokMicroUsd)}`);
  if (p.cacheWritePerMTokMicroUsd !== undefined) parts.push(`cache write ${usd(p.cacheWritePerMTokMicroUsd)}`);
  if (p.reasoningPerMTokMicroUsd !== undefined) parts.push(`reasoning ${usd(p.reasoningPerMTokMicroUsd)}`);
  return `${parts.join(', ')} USD per 1M tokens`;
}

interface SetOptions extends LogOptions {
  provider: string;
  model: string;
  deployment?: string;
  input: string;
  output: string;
  cachedInput?: string;
  cacheWrite?: string;
  reasoning?: string;
  from?: string;
}

/** `totra prices set|remove|list|show`: negotiated or custom prices (`PriceSet`, `PriceRemoved`) and the price in force. */
export const pricesCommands: CommandGroup = (program, io, setExitCode) => {
  const prices = program.command('prices').description('set negotiated or custom model prices, list them, and show the price a request is charged');

  logOptions(
    prices
      .command('set')
      .description('set the price of a model (every deployment of the provider serving it, or one deployment) from a date on; gateways charge it from then')
      .requiredOption('--provider <provider>', 'provider, as in `totra models list` (openai, anthropic, openai-compatible ...)')
      .requiredOption('--model <model>', 'model id as the deployment sends it upstream')
      .option('--deployment <id>', 'only this deployment (default: every deployment of the provider serving the model)')
      .requiredOption('--input <usd>', 'USD per million input tokens (e.g. 2.50)')
      .requiredOption('--output <usd>', 'USD per million output tokens')
      .option('--cached-input <usd>', 'USD per million cached input tokens (default: the input price)')
      .option('--cache-write <usd>', 'USD per million tokens written to the prompt cache (default: the input price)')
      .option('--reasoning <usd>', 'USD per million reasoning tokens (default: the output price)')
      .option('--from <date-time>', 'RFC 3339 date-time from which it applies, e.g. 2027-01-01T00:00:00Z (default: now)'),
  ).action(async (o: SetOptions) => {
    // A price for a provider no deployment can name would never apply: refused, not recorded.
    if (!ModelProvider.safeParse(normalizeProvider(o.provider)).success) {
      throw new CliError('TOTRA_CLI_USAGE', `--provider: "${o.provider}" is not a provider; one of ${ModelProvider.options.join(', ')}`);
    }
    const data = {
      ...(o.deployment !== undefined ? { deployment: o.deployment } : {}),
      model: o.model,
      provider: o.provider,
      inputPerMTokMicroUsd: rate(o.input, '--input'),
      outputPerMTokMicroUsd: rate(o.output, '--output'),
      ...(o.cachedInput !== undefined ? { cachedInputPerMTokMicroUsd: rate(o.cachedInput, '--cached-input') } : {}),
      ...(o.cacheWrite !== undefined ? { cacheWritePerMTokMicroUsd: rate(o.cacheWrite, '--cache-write') } : {}),
      ...(o.reasoning !== undefined ? { reasoningPerMTokMicroUsd: rate(o.reasoning, '--reasoning') } : {}),
      effectiveFrom: fromOption(o.from),
    };
    const checked = PriceSet.data.safeParse(data);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => `${i.path.join('.') === 'effectiveFrom' ? '--from' : `--${String(i.path[0] ?? '')}`}: ${i.message}`);
      throw new CliError('TOTRA_CLI_USAGE', issues.join('; '));
    }
    await withWriter(o, (writer) => {
      writer.append({ type: 'PriceSet', tenant: PRICES_TENANT, data: checked.data });
    });
    io.stdout(`price set: ${o.provider} ${o.model} (${scopeOf(o.deployment)}) from ${checked.data.effectiveFrom}: ${describeRates(checked.data)}\n`);
  });

  logOptions(
    prices
      .command('remove')
      .description('stop applying the price set for a model (one deployment, or provider-wide) from a date on: the provider-wide price set, or else the shipped catalog\'s, applies again')
      .requiredOption('--provider <provider>', 'provider, as given to `totra prices set`')
      .requiredOption('--model <model>', 'model id, as given to `totra prices set`')
      .option('--deployment <id>', 'the deployment\'s own price (default: the provider-wide price)')
      .option('--from <date-time>', 'RFC 3339 date-time from which it no longer applies (default: now); requests before keep the price they were charged'),
  ).action(async (o: LogOptions & { provider: string; model: string; deployment?: string; from?: string }) => {
    const data = { ...(o.deployment !== undefined ? { deployment: o.deployment } : {}), model: o.model, provider: o.provider, effectiveFrom: fromOption(o.from) };
    const checked = PriceRemoved.data.safeParse(data);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => `${i.path.join('.') === 'effectiveFrom' ? '--from' : `--${String(i.path[0] ?? '')}`}: ${i.message}`);
      throw new CliError('TOTRA_CLI_USAGE', issues.join('; '));
    }
    // Removing what is not in force at that date would record nothing: refused, saying what is set.
    const entries = await withSettingsLog(o, io.stderr, (log) => withNats(o, (nc, stream) => loadPriceEntries(nc, stream, log)));
    const inForce = priceBookOf(entries).overrideFor(o.provider, o.model, o.deployment, checked.data.effectiveFrom);
    const was = inForce?.price;
    if (inForce && o.deployment !== undefined && inForce.deployment === undefined) {
      throw new CliError(
        'TOTRA_CLI_NOT_FOUND',
        `deployment ${o.deployment} has no price of its own for ${o.provider} ${o.model} at ${checked.data.effectiveFrom}: it is charged the provider-wide price set (${inForce.priceVersion}), which \`totra prices remove\` without --deployment removes`,
      );
    }
    if (!inForce || !was || inForce.deployment !== o.deployment) {
      throw new CliError(
        'TOTRA_CLI_NOT_FOUND',
        `no price is set for ${o.provider} ${o.model} (${scopeOf(o.deployment)}) at ${checked.data.effectiveFrom}; \`totra prices list\` shows the prices set`,
      );
    }
    await withWriter(o, (writer) => {
      writer.append({ type: 'PriceRemoved', tenant: PRICES_TENANT, data: checked.data });
    });
    const next = o.deployment !== undefined ? 'the provider-wide price set, or else the shipped catalog\'s' : 'the shipped catalog\'s';
    io.stdout(`price removed: ${o.provider} ${o.model} (${scopeOf(o.deployment)}) from ${checked.data.effectiveFrom} (was ${describeRates(was)}, ${inForce.priceVersion}); ${next} applies\n`);
  });

  logOptions(prices.command('list').description('list the prices set and removed, in the order they were (the shipped catalog\'s are not listed: `totra prices show` gives the price in force)').option('--json', 'machine-readable output')).action(
    async (o: LogOptions & { json?: boolean }) => {
      const entries = await withSettingsLog(o, io.stderr, (log) => withNats(o, (nc, stream) => loadPriceEntries(nc, stream, log)));
      if (o.json) io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
      else if (!entries.length) io.stdout('no prices set: every model is charged at the shipped catalog\'s price\n');
      else {
        for (const s of entries) {
          const what = s.type === 'PriceSet' ? describeRates(s.data) : 'removed';
          io.stdout(`${s.data.provider} ${s.data.model}  ${scopeOf(s.data.deployment)}  from ${s.data.effectiveFrom}  ${what}  (${s.priceVersion})\n`);
        }
      }
    },
  );

  logOptions(
    prices
      .command('show')
      .description('the price a request of this model is charged: a price set, or the shipped catalog\'s')
      .requiredOption('--provider <provider>', 'provider')
      .requiredOption('--model <model>', 'model id as the deployment sends it upstream')
      .option('--deployment <id>', 'deployment id')
      .option('--at <date-time>', 'when (default: now)')
      .option('--json', 'machine-readable output'),
  ).action(async (o: LogOptions & { provider: string; model: string; deployment?: string; at?: string; json?: boolean }) => {
    const at = o.at ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(at))) throw new CliError('TOTRA_CLI_USAGE', `--at: "${at}" is not a date-time`);
    const entries = await withSettingsLog(o, io.stderr, (log) => withNats(o, (nc, stream) => loadPriceEntries(nc, stream, log)));
    try {
      const { catalogEntry: _entry, ...price } = priceBookOf(entries).priceFor({ provider: o.provider, model: o.model, ...(o.deployment !== undefined ? { deployment: o.deployment } : {}), at });
      if (o.json) io.stdout(`${JSON.stringify(price, null, 2)}\n`);
      else io.stdout(`${price.provider} ${price.model}: ${describeRates(price)}${price.tiers?.length ? ' (long-context tiers apply)' : ''}  (${price.priceVersion})\n`);
    } catch (err) {
      if (!(err instanceof UnknownModelPriceError)) throw err;
      io.stderr(`totra: no price is known for ${o.provider} ${o.model}: the gateway refuses its requests unless TOTRA_UNPRICED=allow; set one with \`totra prices set --provider ${o.provider} --model ${o.model} --input <USD> --output <USD>\`\n`);
      setExitCode(EXIT.failed);
    }
  });
};
