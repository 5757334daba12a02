import { type ModelPrice, type PriceRates, usdPerMTok } from '../price.js';
import { type CatalogEntry, type KnownProvider, type PriceCatalog, type PriceVerification } from './catalog.js';

// Prices below are written as the pricing pages print them (USD per 1M tokens, standard /
// on-demand tier, no batch discounts; `withServiceTiers` adds a model's priority and flex
// processing prices) and converted exactly to integer micro-USD per 1M tokens by `usdPerMTok`.

const AS_OF = '2026-12-04';

const OPENAI = ['https://developers.openai.com/api/docs/pricing', 'https://openai.com/api/pricing/'];
/** OpenAI's prices for priority processing (`service_tier: "priority"`). */
const OPENAI_PRIORITY = [...OPENAI, 'https://openai.com/api-priority-processing/'];
const openaiModelPage = (id: string): string => `https://developers.openai.com/api/docs/models/${id}`;
const ANTHROPIC = ['https://platform.claude.com/docs/en/about-claude/pricing'];
const GEMINI = ['https://ai.google.dev/gemini-api/docs/pricing'];
const MISTRAL = ['https://mistral.ai/pricing#api-pricing', 'https://docs.mistral.ai/getting-started/models/'];
const COHERE = ['https://cohere.com/pricing'];
const BEDROCK = ['https://aws.amazon.com/bedrock/pricing/'];

interface RateStrings {
  cached?: string;
  write?: string;
  write1h?: string;
}

function rates(input: string, output: string, extra: RateStrings = {}): PriceRates {
  return {
    inputPerMTokMicroUsd: usdPerMTok(input),
    outputPerMTokMicroUsd: usdPerMTok(output),
    ...(extra.cached === undefined ? {} : { cachedInputPerMTokMicroUsd: usdPerMTok(extra.cached) }),
    ...(extra.write === undefined ? {} : { cacheWritePerMTokMicroUsd: usdPerMTok(extra.write) }),
    ...(extra.write1h === undefined ? {} : { cacheWrite1hPerMTokMicroUsd: usdPerMTok(extra.write1h) }),
  };
}

function tiered(base: PriceRates, aboveInputTokens: number, long: PriceRates): ModelPrice {
  return { ...base, tiers: [{ aboveInputTokens, ...long }] };
}

/** A price with its priority and flex processing prices (OpenAI's `service_tier`). */
function withServiceTiers(standard: ModelPrice, serviceTiers: NonNullable<ModelPrice['serviceTiers']>): ModelPrice {
  return { ...standard, serviceTiers };
}


interface EntryOptions {
  aliases?: string[];
  kind?: 'chat' | 'embedding';
  source: readonly string[];
  verification: PriceVerification;
  note?: string;
}

function entry(provider: KnownProvider, model: string, price: ModelPrice, options: EntryOptions): CatalogEntry {
  return {
    provider,
    model,
    ...(options.aliases ? { aliases: options.aliases } : {}),
    kind: options.kind ?? 'chat',
    price,
    source: options.source,
    verification: options.verification,
    asOf: AS_OF,
    ...(options.note ? { note: options.note } : {}),
  };
}

const embedding = (usd: string): PriceRates => rates(usd, '0');

const MEMORY_NOTE = 'Not seen on the provider page in this review; carried from the earlier published list price.';
/** OpenAI's processing tiers (`service_tier`), where the tier's own prices are listed. */
const PRIORITY_NOTE = "Priority processing at the rates of OpenAI's priority processing page (a prompt estimated above 128K tokens is served, and reported, at the standard tier).";
const FLEX_NOTE = 'Flex processing at the Batch rates (half).';

// --- OpenAI (also the default for Azure OpenAI) -------------------------------------------
// Reasoning tokens are billed as output tokens; cached input has no separate price where absent.
const openai: CatalogEntry[] = [
  entry(
    'openai',
    'gpt-5.5',
    withServiceTiers(tiered(rates('5.00', '30.00', { cached: '0.50' }), 272_000, rates('10.00', '45.00', { cached: '1.00' })), {
      priority: tiered(rates('12.50', '75.00', { cached: '1.25' }), 272_000, rates('25.00', '112.50', { cached: '2.50' })),
      flex: tiered(rates('2.50', '15.00', { cached: '0.25' }), 272_000, rates('5.00', '22.50', { cached: '0.50' })),
    }),
    {
      aliases: ['gpt-5.5-2026-04-23'],
      source: [...OPENAI, openaiModelPage('gpt-5.5')],
      verification: 'secondary',
      note: 'Prompts above 272K input tokens are billed at 2x input and 1.5x output for the whole request. Priority processing at 2.5x and flex at 0.5x the standard rates (secondary sources quoting the pricing page); their long-context rates assumed to follow the same rule.',
    },
  ),
  entry('openai', 'gpt-5.5-pro', tiered(rates('30.00', '180.00'), 272_000, rates('60.00', '270.00')), {
    aliases: ['gpt-5.5-pro-2026-04-23'],
    source: [...OPENAI, openaiModelPage('gpt-5.5-pro')],
    verification: 'secondary',
    note: 'Long-context tier assumed to follow the documented gpt-5.4-pro rule (2x input, 1.5x output above 272K).',
  }),
  entry(
    'openai',
    'gpt-5.4',
    withServiceTiers(tiered(rates('2.50', '15.00', { cached: '0.25' }), 272_000, rates('5.00', '22.50', { cached: '0.50' })), {
      priority: tiered(rates('5.00', '30.00', { cached: '0.50' }), 272_000, rates('10.00', '45.00', { cached: '1.00' })),
      flex: tiered(rates('1.25', '7.50', { cached: '0.125' }), 272_000, rates('2.50', '11.25', { cached: '0.25' })),
    }),
    {
      aliases: ['gpt-5.4-2026-03-05'],
      source: [...OPENAI, openaiModelPage('gpt-5.4')],
      verification: 'official',
      note: 'Prompts with >272K input tokens are priced at 2x input and 1.5x output for the full session. Priority processing at 2x and flex at 0.5x the standard rates (secondary sources quoting the pricing page); their long-context rates assumed to follow the same rule.',
    },
  ),
  entry('openai', 'gpt-5.4-pro', tiered(rates('30.00', '180.00'), 272_000, rates('60.00', '270.00')), {
    aliases: ['gpt-5.4-pro-2026-03-05'],
    source: [...OPENAI, openaiModelPage('gpt-5.4-pro')],
    verification: 'secondary',
    note: 'Long-context rule read on the official model page; base rates from secondary sources.',
  }),
  entry('openai', 'gpt-5.4-mini', withServiceTiers(rates('0.75', '4.50', { cached: '0.075' }), { priority: rates('1.50', '9.00', { cached: '0.15' }), flex: rates('0.375', '2.25', { cached: '0.0375' }) }), {
    aliases: ['gpt-5.4-mini-2026-03-17'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: `${FLEX_NOTE} ${PRIORITY_NOTE}`,
  }),
  entry('openai', 'gpt-5.4-nano', withServiceTiers(rates('0.20', '1.25', { cached: '0.02' }), { flex: rates('0.10', '0.625', { cached: '0.01' }) }), {
    aliases: ['gpt-5.4-nano-2026-03-17'],
    source: OPENAI,
    verification: 'secondary',
    note: FLEX_NOTE,
  }),
  entry('openai', 'gpt-5.2', withServiceTiers(rates('1.75', '14.00', { cached: '0.175' }), { priority: rates('3.50', '28.00', { cached: '0.35' }), flex: rates('0.875', '7.00', { cached: '0.0875' }) }), {
    aliases: ['gpt-5.2-2025-12-11', 'gpt-5.2-chat-latest', 'gpt-5.2-codex'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: `${PRIORITY_NOTE} ${FLEX_NOTE}`,
  }),
  entry('openai', 'gpt-5.2-pro', rates('21.00', '168.00'), {
    aliases: ['gpt-5.2-pro-2025-12-11'],
    source: OPENAI,
    verification: 'secondary',
  }),
  entry('openai', 'gpt-5.1', withServiceTiers(rates('1.25', '10.00', { cached: '0.125' }), { priority: rates('2.50', '20.00', { cached: '0.25' }), flex: rates('0.625', '5.00', { cached: '0.0625' }) }), {
    aliases: ['gpt-5.1-2025-11-13', 'gpt-5.1-chat-latest', 'gpt-5.1-codex', 'gpt-5.1-codex-max'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: `${PRIORITY_NOTE} ${FLEX_NOTE}`,
  }),
  entry('openai', 'gpt-5.1-codex-mini', rates('0.25', '2.00', { cached: '0.025' }), {
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'gpt-5', withServiceTiers(rates('1.25', '10.00', { cached: '0.125' }), { priority: rates('2.50', '20.00', { cached: '0.25' }), flex: rates('0.625', '5.00', { cached: '0.0625' }) }), {
    aliases: ['gpt-5-2025-08-07', 'gpt-5-chat-latest', 'gpt-5-codex'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: `${PRIORITY_NOTE} ${FLEX_NOTE}`,
  }),
  entry('openai', 'gpt-5-mini', withServiceTiers(rates('0.25', '2.00', { cached: '0.025' }), { priority: rates('0.45', '3.60', { cached: '0.045' }), flex: rates('0.125', '1.00', { cached: '0.0125' }) }), {
    aliases: ['gpt-5-mini-2025-08-07'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: `${PRIORITY_NOTE} ${FLEX_NOTE}`,
  }),
  entry('openai', 'gpt-5-nano', withServiceTiers(rates('0.05', '0.40', { cached: '0.005' }), { flex: rates('0.025', '0.20', { cached: '0.0025' }) }), {
    aliases: ['gpt-5-nano-2025-08-07'],
    source: OPENAI,
    verification: 'secondary',
    note: FLEX_NOTE,
  }),
  entry('openai', 'gpt-5-pro', rates('15.00', '120.00'), {
    aliases: ['gpt-5-pro-2025-10-06'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'gpt-4.1', withServiceTiers(rates('2.00', '8.00', { cached: '0.50' }), { priority: rates('3.50', '14.00', { cached: '0.875' }) }), {
    aliases: ['gpt-4.1-2025-04-14'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: PRIORITY_NOTE,
  }),
  entry('openai', 'gpt-4.1-mini', withServiceTiers(rates('0.40', '1.60', { cached: '0.10' }), { priority: rates('0.70', '2.80', { cached: '0.175' }) }), {
    aliases: ['gpt-4.1-mini-2025-04-14'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: PRIORITY_NOTE,
  }),
  entry('openai', 'gpt-4.1-nano', withServiceTiers(rates('0.10', '0.40', { cached: '0.025' }), { priority: rates('0.20', '0.80', { cached: '0.05' }) }), {
    aliases: ['gpt-4.1-nano-2025-04-14'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: PRIORITY_NOTE,
  }),
  entry('openai', 'gpt-4o', withServiceTiers(rates('2.50', '10.00', { cached: '1.25' }), { priority: rates('4.25', '17.00', { cached: '2.125' }) }), {
    aliases: ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: PRIORITY_NOTE,
  }),
  entry('openai', 'gpt-4o-2024-05-13', withServiceTiers(rates('5.00', '15.00'), { priority: rates('8.75', '26.25') }), {
    source: OPENAI_PRIORITY,
    verification: 'unverified',
    note: `The first gpt-4o snapshot kept its launch price. ${MEMORY_NOTE} ${PRIORITY_NOTE}`,
  }),
  entry('openai', 'chatgpt-4o-latest', rates('5.00', '15.00'), {
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'gpt-4o-mini', withServiceTiers(rates('0.15', '0.60', { cached: '0.075' }), { priority: rates('0.25', '1.00', { cached: '0.125' }) }), {
    aliases: ['gpt-4o-mini-2024-07-18'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: PRIORITY_NOTE,
  }),
  entry('openai', 'o1', rates('15.00', '60.00', { cached: '7.50' }), {
    aliases: ['o1-2024-12-17'],
    source: OPENAI,
    verification: 'secondary',
  }),
  entry('openai', 'o1-mini', rates('1.10', '4.40', { cached: '0.55' }), {
    aliases: ['o1-mini-2024-09-12'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'o1-pro', rates('150.00', '600.00'), {
    aliases: ['o1-pro-2025-03-19'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'o3', withServiceTiers(rates('2.00', '8.00', { cached: '0.50' }), { priority: rates('3.50', '14.00', { cached: '0.875' }), flex: rates('1.00', '4.00', { cached: '0.25' }) }), {
    aliases: ['o3-2025-04-16'],
    source: OPENAI_PRIORITY,
    verification: 'secondary',
    note: `Price after the June 2025 reduction (was $10 / $40). ${PRIORITY_NOTE} ${FLEX_NOTE}`,
  }),
  entry('openai', 'o3-pro', rates('20.00', '80.00'), {
    aliases: ['o3-pro-2025-06-10'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'o3-mini', rates('1.10', '4.40', { cached: '0.55' }), {
    aliases: ['o3-mini-2025-01-31'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'o4-mini', withServiceTiers(rates('1.10', '4.40', { cached: '0.275' }), { priority: rates('2.00', '8.00', { cached: '0.50' }), flex: rates('0.55', '2.20', { cached: '0.1375' }) }), {
    aliases: ['o4-mini-2025-04-16'],
    source: OPENAI_PRIORITY,
    verification: 'unverified',
    note: `${MEMORY_NOTE} ${PRIORITY_NOTE} ${FLEX_NOTE}`,
  }),
  entry('openai', 'gpt-4-turbo', rates('10.00', '30.00'), {
    aliases: ['gpt-4-turbo-2024-04-09'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'gpt-3.5-turbo', rates('0.50', '1.50'), {
    aliases: ['gpt-3.5-turbo-0125'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  // Completion models, served through the legacy Completions API only (ADR 0045).
  entry('openai', 'gpt-3.5-turbo-instruct', rates('1.50', '2.00'), {
    aliases: ['gpt-3.5-turbo-instruct-0914'],
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('openai', 'davinci-002', rates('2.00', '2.00'), { source: OPENAI, verification: 'unverified', note: MEMORY_NOTE }),
  entry('openai', 'babbage-002', rates('0.40', '0.40'), { source: OPENAI, verification: 'unverified', note: MEMORY_NOTE }),
  entry('openai', 'text-embedding-3-small', embedding('0.02'), { kind: 'embedding', source: OPENAI, verification: 'secondary' }),
  entry('openai', 'text-embedding-3-large', embedding('0.13'), { kind: 'embedding', source: OPENAI, verification: 'secondary' }),
  entry('openai', 'text-embedding-ada-002', embedding('0.10'), {
    kind: 'embedding',
    source: OPENAI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
];

// --- Anthropic -----------------------------------------------------------------------------
// Cache writes: 5-minute TTL at 1.25x input, 1-hour TTL at 2x input; cache hits at 0.1x input
// unless stated. Thinking tokens are output tokens.
const claude = (input: string, output: string, write: string, write1h: string, cached: string): PriceRates =>
  rates(input, output, { write, write1h, cached });

const anthropic: CatalogEntry[] = [
  // Mythos is Fable without some of its safeguards, for approved organizations: the same prices.
  ...(['fable', 'mythos'] as const).flatMap((line) => {
    const limited = line === 'mythos' ? 'Limited availability. ' : '';
    return [
      entry('anthropic', `claude-${line}-5-1`, claude('10.00', '50.00', '12.50', '20.00', '0.25'), {
        source: ANTHROPIC,
        verification: 'official',
        note: `${limited}Cache hits at 0.025x input.`,
      }),
      entry('anthropic', `claude-${line}-5`, claude('10.00', '50.00', '12.50', '20.00', '1.00'), {
        source: ANTHROPIC,
        verification: 'official',
        ...(limited ? { note: limited.trim() } : {}),
      }),
    ];
  }),
  entry('anthropic', 'claude-opus-5-5', claude('4.00', '20.00', '5.00', '8.00', '0.20'), {
    source: ANTHROPIC,
    verification: 'secondary',
    note: '$4 / $20 read on the models overview; cache rates (hits at 0.05x input) from secondary sources quoting the pricing page.',
  }),
  entry('anthropic', 'claude-opus-5', claude('5.00', '25.00', '6.25', '10.00', '0.50'), { source: ANTHROPIC, verification: 'official' }),
  entry('anthropic', 'claude-opus-4-8', claude('5.00', '25.00', '6.25', '10.00', '0.50'), { source: ANTHROPIC, verification: 'official' }),
  entry('anthropic', 'claude-opus-4-7', claude('5.00', '25.00', '6.25', '10.00', '0.50'), { source: ANTHROPIC, verification: 'official' }),
  entry('anthropic', 'claude-opus-4-6', claude('5.00', '25.00', '6.25', '10.00', '0.50'), { source: ANTHROPIC, verification: 'official' }),
  entry('anthropic', 'claude-opus-4-5-20251101', claude('5.00', '25.00', '6.25', '10.00', '0.50'), {
    aliases: ['claude-opus-4-5'],
    source: ANTHROPIC,
    verification: 'official',
  }),
  entry('anthropic', 'claude-opus-4-1-20250805', claude('15.00', '75.00', '18.75', '30.00', '1.50'), {
    aliases: ['claude-opus-4-1'],
    source: ANTHROPIC,
    verification: 'official',
    note: 'Retired on the Claude API (still served on Bedrock and Google Cloud).',
  }),
  entry('anthropic', 'claude-opus-4-20250514', claude('15.00', '75.00', '18.75', '30.00', '1.50'), {
    aliases: ['claude-opus-4-0'],
    source: ANTHROPIC,
    verification: 'official',
  }),
  entry('anthropic', 'claude-sonnet-5-5', claude('2.00', '10.00', '2.50', '4.00', '0.10'), {
    source: ANTHROPIC,
    verification: 'secondary',
    note: 'Cache hits cut from $0.20 to $0.10 on 2026-10-07 (secondary sources); input/output read on the model page.',
  }),
  entry('anthropic', 'claude-sonnet-5', claude('2.00', '10.00', '2.50', '4.00', '0.20'), { source: ANTHROPIC, verification: 'official' }),
  entry('anthropic', 'claude-sonnet-4-6', claude('3.00', '15.00', '3.75', '6.00', '0.30'), { source: ANTHROPIC, verification: 'official' }),
  entry('anthropic', 'claude-sonnet-4-5-20250929', claude('3.00', '15.00', '3.75', '6.00', '0.30'), {
    aliases: ['claude-sonnet-4-5'],
    source: ANTHROPIC,
    verification: 'official',
    note: 'Deprecated; retirement announced for 2026-11-30.',
  }),
  entry('anthropic', 'claude-sonnet-4-20250514', claude('3.00', '15.00', '3.75', '6.00', '0.30'), {
    aliases: ['claude-sonnet-4-0'],
    source: ANTHROPIC,
    verification: 'official',
  }),
  entry(
    'anthropic',
    'claude-haiku-5-5',
    tiered(claude('0.10', '0.50', '0.125', '0.20', '0.01'), 100_000, claude('0.50', '2.50', '0.625', '1.00', '0.05')),
    {
      source: ANTHROPIC,
      verification: 'secondary',
      note: 'Prompts (input + cache reads + cache writes) above 100K tokens pay the higher band on every token of the request.',
    },
  ),
  entry('anthropic', 'claude-haiku-4-5-20251001', claude('1.00', '5.00', '1.25', '2.00', '0.10'), {
    aliases: ['claude-haiku-4-5'],
    source: ANTHROPIC,
    verification: 'official',
  }),
  entry('anthropic', 'claude-3-5-haiku-20241022', claude('0.80', '4.00', '1.00', '1.60', '0.08'), {
    aliases: ['claude-3-5-haiku', 'claude-3-5-haiku-latest'],
    source: ANTHROPIC,
    verification: 'official',
  }),
  entry('anthropic', 'claude-3-haiku-20240307', claude('0.25', '1.25', '0.30', '0.50', '0.03'), {
    source: ANTHROPIC,
    verification: 'official',
  }),
];

// --- Google Gemini API -----------------------------------------------------------------------
// Thinking tokens are billed at the output rate. Context-cache storage (per hour) is not a
// per-request charge and is not modeled.
const gemini: CatalogEntry[] = [
  entry('gemini', 'gemini-3.5-flash', rates('1.50', '9.00', { cached: '0.15' }), {
    source: GEMINI,
    verification: 'secondary',
  }),
  entry(
    'gemini',
    'gemini-3.1-pro-preview',
    tiered(rates('2.00', '12.00', { cached: '0.20' }), 200_000, rates('4.00', '18.00', { cached: '0.40' })),
    {
      source: GEMINI,
      verification: 'unverified',
      note: 'Assumed to keep the gemini-3-pro-preview prices; confirm on the pricing page.',
    },
  ),
  entry(
    'gemini',
    'gemini-3-pro-preview',
    tiered(rates('2.00', '12.00', { cached: '0.20' }), 200_000, rates('4.00', '18.00', { cached: '0.40' })),
    { source: GEMINI, verification: 'secondary', note: 'Prompts above 200K tokens use the higher tier.' },
  ),
  entry('gemini', 'gemini-3-flash-preview', rates('0.50', '3.00', { cached: '0.05' }), {
    source: GEMINI,
    verification: 'secondary',
    note: 'Audio input is billed at twice the text rate; this entry carries the text/image/video rate.',
  }),
  entry(
    'gemini',
    'gemini-2.5-pro',
    tiered(rates('1.25', '10.00', { cached: '0.125' }), 200_000, rates('2.50', '15.00', { cached: '0.25' })),
    { source: GEMINI, verification: 'secondary', note: 'Prompts above 200K tokens use the higher tier.' },
  ),
  entry('gemini', 'gemini-2.5-flash', rates('0.30', '2.50', { cached: '0.03' }), {
    source: GEMINI,
    verification: 'secondary',
    note: 'Audio input is billed at $1.00 / 1M; this entry carries the text/image/video rate.',
  }),
  entry('gemini', 'gemini-2.5-flash-lite', rates('0.10', '0.40', { cached: '0.01' }), {
    source: GEMINI,
    verification: 'secondary',
  }),
  entry('gemini', 'gemini-2.0-flash', rates('0.10', '0.40', { cached: '0.025' }), {
    aliases: ['gemini-2.0-flash-001'],
    source: GEMINI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('gemini', 'gemini-2.0-flash-lite', rates('0.075', '0.30'), {
    aliases: ['gemini-2.0-flash-lite-001'],
    source: GEMINI,
    verification: 'secondary',
  }),
  entry('gemini', 'gemini-embedding-001', embedding('0.15'), {
    kind: 'embedding',
    source: GEMINI,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
];

// --- Mistral ---------------------------------------------------------------------------------
const mistral: CatalogEntry[] = [
  entry('mistral', 'mistral-large-2512', rates('0.50', '1.50'), {
    aliases: ['mistral-large-latest'],
    source: MISTRAL,
    verification: 'secondary',
    note: 'Mistral Large 3; `mistral-large-latest` points here.',
  }),
  entry('mistral', 'mistral-large-2411', rates('2.00', '6.00'), { source: MISTRAL, verification: 'secondary' }),
  entry('mistral', 'mistral-medium-2508', rates('0.40', '2.00'), {
    aliases: ['mistral-medium-latest', 'mistral-medium-2505'],
    source: MISTRAL,
    verification: 'secondary',
  }),
  entry('mistral', 'mistral-small-2506', rates('0.10', '0.30'), {
    aliases: ['mistral-small-latest', 'mistral-small-2503'],
    source: MISTRAL,
    verification: 'secondary',
  }),
  entry('mistral', 'codestral-2508', rates('0.30', '0.90'), {
    aliases: ['codestral-latest', 'codestral-2501'],
    source: MISTRAL,
    verification: 'secondary',
  }),
  entry('mistral', 'magistral-medium-2509', rates('2.00', '5.00'), {
    aliases: ['magistral-medium-latest'],
    source: MISTRAL,
    verification: 'secondary',
  }),
  entry('mistral', 'magistral-small-2509', rates('0.50', '1.50'), {
    aliases: ['magistral-small-latest'],
    source: MISTRAL,
    verification: 'secondary',
  }),
  entry('mistral', 'pixtral-large-2411', rates('2.00', '6.00'), {
    aliases: ['pixtral-large-latest'],
    source: MISTRAL,
    verification: 'secondary',
  }),
  entry('mistral', 'ministral-8b-2410', rates('0.10', '0.10'), {
    aliases: ['ministral-8b-latest'],
    source: MISTRAL,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('mistral', 'ministral-3b-2410', rates('0.04', '0.04'), {
    aliases: ['ministral-3b-latest'],
    source: MISTRAL,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('mistral', 'open-mistral-nemo-2407', rates('0.15', '0.15'), {
    aliases: ['open-mistral-nemo'],
    source: MISTRAL,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('mistral', 'mistral-embed', embedding('0.10'), { kind: 'embedding', source: MISTRAL, verification: 'secondary' }),
  entry('mistral', 'codestral-embed-2505', embedding('0.15'), {
    aliases: ['codestral-embed'],
    kind: 'embedding',
    source: MISTRAL,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
];

// --- Cohere ----------------------------------------------------------------------------------
// Cohere bills `billed_units`, which can be lower than `tokens`; price the billed units.
const cohere: CatalogEntry[] = [
  entry('cohere', 'command-a-03-2025', rates('2.50', '10.00'), {
    aliases: ['command-a'],
    source: COHERE,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('cohere', 'command-r-plus-08-2024', rates('2.50', '10.00'), { source: COHERE, verification: 'unverified', note: MEMORY_NOTE }),
  entry('cohere', 'command-r-plus-04-2024', rates('3.00', '15.00'), {
    aliases: ['command-r-plus'],
    source: COHERE,
    verification: 'unverified',
    note: `\`command-r-plus\` is Cohere's alias of the 04-2024 snapshot. ${MEMORY_NOTE}`,
  }),
  entry('cohere', 'command-r-08-2024', rates('0.15', '0.60'), { source: COHERE, verification: 'unverified', note: MEMORY_NOTE }),
  entry('cohere', 'command-r-03-2024', rates('0.50', '1.50'), {
    aliases: ['command-r'],
    source: COHERE,
    verification: 'unverified',
    note: `\`command-r\` is Cohere's alias of the 03-2024 snapshot. ${MEMORY_NOTE}`,
  }),
  entry('cohere', 'command-r7b-12-2024', rates('0.0375', '0.15'), {
    aliases: ['command-r7b'],
    source: COHERE,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('cohere', 'embed-v4.0', embedding('0.12'), { kind: 'embedding', source: COHERE, verification: 'unverified', note: MEMORY_NOTE }),
  entry('cohere', 'embed-english-v3.0', embedding('0.10'), { kind: 'embedding', source: COHERE, verification: 'unverified', note: MEMORY_NOTE }),
  entry('cohere', 'embed-multilingual-v3.0', embedding('0.10'), {
    kind: 'embedding',
    source: COHERE,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
];

// --- AWS Bedrock (on-demand, us-east-1) --------------------------------------------------------
// Claude on Bedrock is billed at Anthropic's list price. Cross-region inference profiles
// (`us.`, `eu.`, `apac.`, `global.` prefixes) resolve to the base model id.
const GEO_NOTE =
  'Regional (geo-prefixed) inference profiles of Claude 4.5 and later cost 10% more than global ones: price such deployments with a PriceSet override.';
const bedrock: CatalogEntry[] = [
  entry('bedrock', 'anthropic.claude-opus-4-5-20251101-v1:0', claude('5.00', '25.00', '6.25', '10.00', '0.50'), {
    source: [...BEDROCK, ...ANTHROPIC],
    verification: 'secondary',
    note: GEO_NOTE,
  }),
  entry('bedrock', 'anthropic.claude-opus-4-1-20250805-v1:0', claude('15.00', '75.00', '18.75', '30.00', '1.50'), {
    source: [...BEDROCK, ...ANTHROPIC],
    verification: 'secondary',
  }),
  entry('bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0', claude('3.00', '15.00', '3.75', '6.00', '0.30'), {
    source: [...BEDROCK, ...ANTHROPIC],
    verification: 'secondary',
    note: GEO_NOTE,
  }),
  entry('bedrock', 'anthropic.claude-sonnet-4-20250514-v1:0', claude('3.00', '15.00', '3.75', '6.00', '0.30'), {
    source: [...BEDROCK, ...ANTHROPIC],
    verification: 'secondary',
  }),
  entry('bedrock', 'anthropic.claude-haiku-4-5-20251001-v1:0', claude('1.00', '5.00', '1.25', '2.00', '0.10'), {
    source: [...BEDROCK, ...ANTHROPIC],
    verification: 'secondary',
    note: GEO_NOTE,
  }),
  entry('bedrock', 'anthropic.claude-3-5-haiku-20241022-v1:0', claude('0.80', '4.00', '1.00', '1.60', '0.08'), {
    source: [...BEDROCK, ...ANTHROPIC],
    verification: 'secondary',
  }),
  entry('bedrock', 'meta.llama4-maverick-17b-instruct-v1:0', rates('0.24', '0.97'), { source: BEDROCK, verification: 'unverified', note: MEMORY_NOTE }),
  entry('bedrock', 'meta.llama4-scout-17b-instruct-v1:0', rates('0.17', '0.66'), { source: BEDROCK, verification: 'unverified', note: MEMORY_NOTE }),
  entry('bedrock', 'meta.llama3-3-70b-instruct-v1:0', rates('0.72', '0.72'), { source: BEDROCK, verification: 'unverified', note: MEMORY_NOTE }),
  entry('bedrock', 'meta.llama3-1-70b-instruct-v1:0', rates('0.72', '0.72'), { source: BEDROCK, verification: 'unverified', note: MEMORY_NOTE }),
  entry('bedrock', 'meta.llama3-1-8b-instruct-v1:0', rates('0.22', '0.22'), { source: BEDROCK, verification: 'secondary' }),
  entry('bedrock', 'amazon.nova-premier-v1:0', rates('2.50', '12.50'), { source: BEDROCK, verification: 'unverified', note: MEMORY_NOTE }),
  entry('bedrock', 'amazon.nova-pro-v1:0', rates('0.80', '3.20', { cached: '0.20' }), { source: BEDROCK, verification: 'secondary' }),
  entry('bedrock', 'amazon.nova-lite-v1:0', rates('0.06', '0.24', { cached: '0.015' }), { source: BEDROCK, verification: 'secondary' }),
  entry('bedrock', 'amazon.nova-micro-v1:0', rates('0.035', '0.14', { cached: '0.00875' }), {
    source: BEDROCK,
    verification: 'unverified',
    note: MEMORY_NOTE,
  }),
  entry('bedrock', 'amazon.titan-embed-text-v2:0', embedding('0.02'), { kind: 'embedding', source: BEDROCK, verification: 'secondary' }),
];

/**
 * The December 2026 price catalog. Azure OpenAI is billed at OpenAI's list prices unless a
 * PriceSet override says otherwise; Ollama (local) and the demo provider cost nothing.
 */
export const CATALOG_2026_12: PriceCatalog = {
  version: '2026-12',
  entries: [...openai, ...anthropic, ...gemini, ...mistral, ...cohere, ...bedrock],
  zeroCostProviders: ['ollama', 'demo'],
  providerFallbacks: { 'azure-openai': 'openai' },
};
