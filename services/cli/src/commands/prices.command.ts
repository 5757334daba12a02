import { type NatsConnection } from '@nats-io/nats-core';
import { type StreamOptions } from '@totra/eventlog';
import { ModelProvider, PriceSet } from '@totra/events';
import { PriceBook, UnknownModelPriceError, normalizeProvider, type ModelPrice, type PriceSetData } from '@totra/pricing';
import { formatMicroUsd, usdToMicroUsd } from '@totra/quota';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { type EventLogReader, foldFromEventLog, type LogOptions, logOptions, withNats, withSettingsLog, withWriter } from '../log-context.js';

const PRICE_TYPES: ReadonlySet<string> = new Set(['PriceSet']);
/** Prices are the gateway's, not one tenant's: every gateway folds every PriceSet. */
const PRICES_TENANT = 'system';

/** A price set, as listed: its data, the event that carried it (and the price version it gives) and when. */
export interface PriceSetView {
  eventId: string;
  priceVersion: string;
  time: string;
  data: PriceSetData;
}

/**
 * The PriceSets of the whole stream, in log order: from the `settings_log` read model up to its
 * checkpoint when there is one, then from the stream past it (ADR 0018).
 */
export function loadPriceSets(nc: NatsConnection, stream: StreamOptions, log?: EventLogReader): Promise<PriceSetView[]> {
  return foldFromEventLog<PriceSetView[]>(nc, stream, PRICE_TYPES, [], (all, e) => {
    all.push({ eventId: e.envelope.id, priceVersion: `priceset:${e.envelope.id}`, time: e.envelope.time, data: e.data as PriceSetData });
    return all;
  }, log);
}

/** The price book a gateway holds: the shipped catalog and every PriceSet, as the gateway folds them. */
export function priceBookOf(sets: readonly PriceSetView[]): PriceBook {
  return sets.reduce((book, s) => book.apply(s.data, { eventId: s.eventId }), PriceBook.fromCatalog());
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

/** `totra prices set|list|show`: negotiated or custom prices (`PriceSet`) and the price in force. */
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
      effectiveFrom: o.from ?? new Date().toISOString(),
    };
    const checked = PriceSet.data.safeParse(data);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => `${i.path.join('.') === 'effectiveFrom' ? '--from' : `--${String(i.path[0] ?? '')}`}: ${i.message}`);
      throw new CliError('TOTRA_CLI_USAGE', issues.join('; '));
    }
    await withWriter(o, (writer) => {
      writer.append({ type: 'PriceSet', tenant: PRICES_TENANT, data: checked.data });
    });
    const where = o.deployment !== undefined ? `deployment ${o.deployment}` : 'every deployment';
    io.stdout(`price set: ${o.provider} ${o.model} (${where}) from ${checked.data.effectiveFrom}: ${describeRates(checked.data)}\n`);
  });

  logOptions(prices.command('list').description('list the prices set (the shipped catalog\'s are not listed: `totra prices show` gives the price in force)').option('--json', 'machine-readable output')).action(
    async (o: LogOptions & { json?: boolean }) => {
      const sets = await withSettingsLog(o, io.stderr, (log) => withNats(o, (nc, stream) => loadPriceSets(nc, stream, log)));
      if (o.json) io.stdout(`${JSON.stringify(sets, null, 2)}\n`);
      else if (!sets.length) io.stdout('no prices set: every model is charged at the shipped catalog\'s price\n');
      else {
        for (const s of sets) {
          io.stdout(`${s.data.provider} ${s.data.model}  ${s.data.deployment !== undefined ? `deployment ${s.data.deployment}` : 'every deployment'}  from ${s.data.effectiveFrom}  ${describeRates(s.data)}  (${s.priceVersion})\n`);
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
    const sets = await withSettingsLog(o, io.stderr, (log) => withNats(o, (nc, stream) => loadPriceSets(nc, stream, log)));
    try {
      const { catalogEntry: _entry, ...price } = priceBookOf(sets).priceFor({ provider: o.provider, model: o.model, ...(o.deployment !== undefined ? { deployment: o.deployment } : {}), at });
      if (o.json) io.stdout(`${JSON.stringify(price, null, 2)}\n`);
      else io.stdout(`${price.provider} ${price.model}: ${describeRates(price)}${price.tiers?.length ? ' (long-context tiers apply)' : ''}  (${price.priceVersion})\n`);
    } catch (err) {
      if (!(err instanceof UnknownModelPriceError)) throw err;
      io.stderr(`totra: no price is known for ${o.provider} ${o.model}: the gateway refuses its requests unless TOTRA_UNPRICED=allow; set one with \`totra prices set --provider ${o.provider} --model ${o.model} --input <USD> --output <USD>\`\n`);
      setExitCode(EXIT.failed);
    }
  });
};
