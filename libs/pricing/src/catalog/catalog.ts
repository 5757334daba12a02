import { InvalidPriceError } from '../errors.js';
import { type ModelPrice } from '../price.js';

/** Provider ids as the gateway routes them. Other strings are accepted (priced by overrides only). */
export const PROVIDERS = [
  'openai',
  'azure-openai',
  'anthropic',
  'gemini',
  'mistral',
  'cohere',
  'bedrock',
  'ollama',
  'demo',
] as const;
export type KnownProvider = (typeof PROVIDERS)[number];

/** Other spellings of provider ids, mapped to the canonical one. */
export const PROVIDER_ALIASES: Readonly<Record<string, KnownProvider>> = {
  google: 'gemini',
  'google-gemini': 'gemini',
  azure: 'azure-openai',
  'aws-bedrock': 'bedrock',
  'amazon-bedrock': 'bedrock',
};

/** How far a catalog price was checked against the provider's own pricing page. */
export type PriceVerification =
  /** Read on the provider's pricing or model page on `asOf`. */
  | 'official'
  /** Read on dated secondary sources quoting the provider's page; not seen on the page itself. */
  | 'secondary'
  /** Carried over or inferred (see `note`); confirm before relying on it for invoicing. */
  | 'unverified';

/** One priced model in a catalog. */
export interface CatalogEntry {
  readonly provider: KnownProvider;
  /** Canonical model id as the provider's API names it. */
  readonly model: string;
  /** Other ids billed at this price: dated snapshots, `-latest` aliases, and so on. */
  readonly aliases?: readonly string[];
  readonly kind: 'chat' | 'embedding';
  readonly price: ModelPrice;
  /** URLs of the provider's public pricing pages this price comes from. */
  readonly source: readonly string[];
  readonly verification: PriceVerification;
  /** ISO date (YYYY-MM-DD) on which the price was read. */
  readonly asOf: string;
  /** Anything a reader of the price should know (billing caveats, why it is unverified). */
  readonly note?: string;
}

/** A versioned price list shipped as data. A new price list is a new version, never an edit. */
export interface PriceCatalog {
  /** e.g. `2026-12`; part of every `priceVersion` that comes from this catalog. */
  readonly version: string;
  readonly entries: readonly CatalogEntry[];
  /** Providers whose every model costs nothing (local inference, the built-in demo echo). */
  readonly zeroCostProviders: readonly KnownProvider[];
  /** Providers billed at another provider's list prices (Azure OpenAI at OpenAI's). */
  readonly providerFallbacks: Readonly<Partial<Record<KnownProvider, KnownProvider>>>;
}

/** Where a model id resolved to in a catalog. */
export interface CatalogMatch {
  readonly entry: CatalogEntry;
  /** The provider whose list price applies (differs from the requested one for fallbacks). */
  readonly priceProvider: KnownProvider;
}

/** Bedrock cross-region inference profile prefixes (`us.anthropic.claude-...`). */
const BEDROCK_GEO_PREFIX = /^(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\./;
/** Date-suffixed snapshots: `-2025-08-07`, `-20250929`, Vertex-style `@20250929`. */
const DATE_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$/;

/** Lower-cased, trimmed provider id with aliases applied. */
export function normalizeProvider(provider: string): string {
  const key = provider.trim().toLowerCase();
  return PROVIDER_ALIASES[key] ?? key;
}

function isKnownProvider(provider: string): provider is KnownProvider {
  return (PROVIDERS as readonly string[]).includes(provider);
}

/**
 * Candidate spellings of a model id, most specific first: as given; without an
 * `<provider>/` or `models/` prefix; without a Bedrock geo prefix; without a date suffix.
 */
export function modelIdCandidates(provider: string, model: string): string[] {
  const out: string[] = [];
  const push = (id: string): void => {
    if (id.length > 0 && !out.includes(id)) out.push(id);
  };
  let id = model.trim().toLowerCase();
  push(id);
  for (const prefix of [`${provider}/`, 'models/']) {
    if (id.startsWith(prefix)) {
      id = id.slice(prefix.length);
      push(id);
    }
  }
  if (provider === 'bedrock' && BEDROCK_GEO_PREFIX.test(id)) {
    id = id.replace(BEDROCK_GEO_PREFIX, '');
    push(id);
  }
  for (const candidate of [...out]) push(candidate.replace(DATE_SUFFIX, ''));
  return out;
}

/** Index of a catalog: `provider` -> lower-cased model id or alias -> entry. */
/** Most (provider, model) resolutions an index remembers. */
const RESOLVED_MAX = 4096;

export class CatalogIndex {
  private readonly byProvider = new Map<string, Map<string, CatalogEntry>>();
  private readonly resolved = new Map<string, CatalogMatch | null>();

  constructor(readonly catalog: PriceCatalog) {
    for (const entry of catalog.entries) {
      let models = this.byProvider.get(entry.provider);
      if (!models) {
        models = new Map();
        this.byProvider.set(entry.provider, models);
      }
      for (const id of [entry.model, ...(entry.aliases ?? [])]) {
        const key = id.toLowerCase();
        const existing = models.get(key);
        if (existing && existing !== entry) {
          throw new InvalidPriceError(`catalog ${catalog.version}: ${entry.provider}/${key} is listed twice`);
        }
        models.set(key, entry);
      }
    }
  }

  /** Resolves a (provider, model id) pair to a catalog entry, aliases and date suffixes included. */
  resolve(provider: string, model: string): CatalogMatch | undefined {
    // The index never changes, and every request prices its deployment's model: remembered.
    const key = `${provider}\n${model}`;
    const known = this.resolved.get(key);
    if (known !== undefined) return known ?? undefined;
    const match = this.lookup(provider, model);
    if (this.resolved.size >= RESOLVED_MAX) this.resolved.clear();
    this.resolved.set(key, match ?? null);
    return match;
  }

  private lookup(provider: string, model: string): CatalogMatch | undefined {
    const requested = normalizeProvider(provider);
    if (!isKnownProvider(requested)) return undefined;
    const priceProvider = this.catalog.providerFallbacks[requested] ?? requested;
    const models = this.byProvider.get(priceProvider);
    if (!models) return undefined;
    for (const candidate of modelIdCandidates(priceProvider, model)) {
      const entry = models.get(candidate);
      if (entry) return { entry, priceProvider };
    }
    // Azure deployments are often addressed as "azure-openai/<model>".
    if (priceProvider !== requested) {
      for (const candidate of modelIdCandidates(requested, model)) {
        const entry = models.get(candidate);
        if (entry) return { entry, priceProvider };
      }
    }
    return undefined;
  }

  /** Whether every model of this provider is free in this catalog. */
  isZeroCost(provider: string): boolean {
    const requested = normalizeProvider(provider);
    return isKnownProvider(requested) && this.catalog.zeroCostProviders.includes(requested);
  }
}
