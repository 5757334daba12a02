import { type z } from 'zod';
import { CATALOG_2026_12 } from './catalog/2026-12.catalog.js';
import { type CatalogEntry, CatalogIndex, type CatalogMatch, normalizeProvider, type PriceCatalog } from './catalog/catalog.js';
import { InvalidPriceError, UnknownModelPriceError } from './errors.js';
import { assertValidPrice, type ModelPrice, ZERO_PRICE } from './price.js';
import { PriceRemovedData, PriceSetData } from './price-set.schema.js';

/** The catalog a PriceBook uses unless told otherwise: the newest one shipped. */
export const DEFAULT_CATALOG: PriceCatalog = CATALOG_2026_12;

/** What a price is asked for. */
export interface PriceQuery {
  readonly provider: string;
  readonly model: string;
  /** Gateway deployment id; deployment-specific overrides win over provider-wide ones. */
  readonly deployment?: string;
  /** The time the request is priced at (its start); overrides apply from their `effectiveFrom`. */
  readonly at: Date | string;
}

/** A price ready for `costOf` / `estimateMaxCost`, with where it came from. */
export interface ResolvedPrice extends ModelPrice {
  /** Normalized requested provider. */
  readonly provider: string;
  /** Canonical model id when the catalog knows the model, else the requested id lower-cased. */
  readonly model: string;
  readonly kind: 'chat' | 'embedding';
  /**
   * Identifies exactly which price was used; store it with the cost. `catalog:<version>/<provider>/<model>`
   * for catalog prices (`<model>` is `*` for zero-cost providers), `priceset:<event id>` for an
   * override applied with its event id, else `priceset:<provider>/<model>@<deployment|*>/<effectiveFrom>`.
   */
  readonly priceVersion: string;
  readonly origin: 'catalog' | 'override';
  /** The catalog entry (source URLs, asOf, caveats) when the price comes from the catalog. */
  readonly catalogEntry?: CatalogEntry;
}

/** The events a {@link PriceBook} folds (`PriceBook.fold`). */
export const PRICE_EVENT_TYPES: readonly string[] = ['PriceSet', 'PriceRemoved'];

/** Where an applied PriceSet came from. */
export interface PriceSetMeta {
  /** Id of the event that carried the PriceSet; becomes the `priceVersion`. */
  readonly eventId?: string;
}

/** A PriceSet (or a PriceRemoved: no `price`) as held by a PriceBook. */
export interface PriceOverride {
  readonly provider: string;
  /** Canonical model id (catalog) or the lower-cased id. */
  readonly model: string;
  readonly deployment?: string;
  readonly effectiveFrom: string;
  readonly effectiveFromMs: number;
  /** Absent for a removal: from `effectiveFrom` on, the next price down applies. */
  readonly price?: ModelPrice;
  readonly priceVersion: string;
  /** Order of application; breaks ties between equal `effectiveFrom`. */
  readonly seq: number;
}

/** The data of a price event, or `TOTRA_PRICE_INVALID` naming what is wrong. */
function parseOrThrow<T>(schema: z.ZodType<T>, data: unknown, type: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new InvalidPriceError(`invalid ${type}: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ')}`, { cause: parsed.error });
}

function toMillis(at: Date | string, field: string): number {
  const ms = at instanceof Date ? at.getTime() : Date.parse(at);
  if (Number.isNaN(ms)) throw new InvalidPriceError(`${field} is not a valid date-time: ${String(at)}`);
  return ms;
}

/**
 * Prices of every model: a versioned catalog plus PriceSet overrides folded in from events.
 * Immutable: `apply` returns a new PriceBook.
 *
 * Override selection for a query: among overrides of the same provider and model whose
 * `effectiveFrom <= at`, the latest `effectiveFrom` wins (then the one applied last), first
 * among those for the query's deployment, then among provider-wide ones; a removal that wins
 * its level hands over to the next (deployment, provider-wide, catalog).
 * Without a matching override the catalog price applies; Azure OpenAI falls back to
 * OpenAI's list price; Ollama and demo models are free.
 */
export class PriceBook {
  private constructor(
    private readonly index: CatalogIndex,
    private readonly list: readonly PriceOverride[],
  ) {}

  /** A PriceBook with no overrides. */
  static fromCatalog(catalog: PriceCatalog = DEFAULT_CATALOG): PriceBook {
    for (const entry of catalog.entries) assertValidPrice(entry.price, `${entry.provider}/${entry.model}`);
    return new PriceBook(new CatalogIndex(catalog), []);
  }

  get catalog(): PriceCatalog {
    return this.index.catalog;
  }

  /** Overrides in the order they were applied. */
  get overrides(): readonly PriceOverride[] {
    return this.list;
  }

  /**
   * Folds in the data of one PriceSet event (validated with {@link PriceSetData}; throws
   * `TOTRA_PRICE_INVALID` when it does not match).
   */
  apply(data: unknown, meta: PriceSetMeta = {}): PriceBook {
    const set = parseOrThrow(PriceSetData, data, 'PriceSet');
    const price: ModelPrice = {
      inputPerMTokMicroUsd: set.inputPerMTokMicroUsd,
      outputPerMTokMicroUsd: set.outputPerMTokMicroUsd,
      ...(set.cachedInputPerMTokMicroUsd === undefined ? {} : { cachedInputPerMTokMicroUsd: set.cachedInputPerMTokMicroUsd }),
      ...(set.cacheWritePerMTokMicroUsd === undefined ? {} : { cacheWritePerMTokMicroUsd: set.cacheWritePerMTokMicroUsd }),
      ...(set.reasoningPerMTokMicroUsd === undefined ? {} : { reasoningPerMTokMicroUsd: set.reasoningPerMTokMicroUsd }),
    };
    return new PriceBook(this.index, [...this.list, this.entry(set, 'priceset', meta, price)]);
  }

  /**
   * Folds in the data of one PriceRemoved event (validated with {@link PriceRemovedData}; throws
   * `TOTRA_PRICE_INVALID` when it does not match).
   */
  remove(data: unknown, meta: PriceSetMeta = {}): PriceBook {
    const removed = parseOrThrow(PriceRemovedData, data, 'PriceRemoved');
    return new PriceBook(this.index, [...this.list, this.entry(removed, 'priceremoved', meta, undefined)]);
  }

  /** The entry of a price set (`price`) or removed (none), its version named by `kind`. */
  private entry(
    e: { provider: string; model: string; deployment?: string | undefined; effectiveFrom: string },
    kind: 'priceset' | 'priceremoved',
    meta: PriceSetMeta,
    price: ModelPrice | undefined,
  ): PriceOverride {
    const provider = normalizeProvider(e.provider);
    const model = this.modelKey(provider, e.model);
    return {
      provider,
      model,
      ...(e.deployment === undefined ? {} : { deployment: e.deployment }),
      effectiveFrom: e.effectiveFrom,
      effectiveFromMs: toMillis(e.effectiveFrom, 'effectiveFrom'),
      ...(price ? { price } : {}),
      priceVersion: meta.eventId !== undefined ? `${kind}:${meta.eventId}` : `${kind}:${provider}/${model}@${e.deployment ?? '*'}/${e.effectiveFrom}`,
      seq: this.list.length,
    };
  }

  /** Folds in one event of {@link PRICE_EVENT_TYPES}: a `PriceSet` or a `PriceRemoved`. */
  fold(type: string, data: unknown, meta: PriceSetMeta = {}): PriceBook {
    if (type === 'PriceSet') return this.apply(data, meta);
    if (type === 'PriceRemoved') return this.remove(data, meta);
    throw new InvalidPriceError(`${type} is not a price event (${PRICE_EVENT_TYPES.join(', ')})`);
  }

  /**
   * The price set in force for a provider's model at a time, as {@link priceFor} picks it: the
   * deployment's own, else the provider-wide one (with `deployment` undefined, only that);
   * undefined when the catalog's applies.
   */
  overrideFor(provider: string, model: string, deployment: string | undefined, at: Date | string): PriceOverride | undefined {
    const p = normalizeProvider(provider);
    return this.inForce(p, this.modelKey(p, model), deployment, toMillis(at, 'at'));
  }

  /** Resolves a model id (aliases, date suffixes, Bedrock geo prefixes) against the catalog. */
  resolveModel(provider: string, model: string): CatalogMatch | undefined {
    return this.index.resolve(provider, model);
  }

  /**
   * The price that applies to a request. Throws `TOTRA_PRICE_UNKNOWN_MODEL` when neither an
   * override nor the catalog prices the model.
   */
  priceFor(query: PriceQuery): ResolvedPrice {
    const provider = normalizeProvider(query.provider);
    const atMs = toMillis(query.at, 'at');
    const match = this.index.resolve(provider, query.model);
    const model = match ? match.entry.model : query.model.trim().toLowerCase();

    const best = this.inForce(provider, model, query.deployment, atMs);
    if (best?.price) {
      return {
        ...best.price,
        provider,
        model,
        kind: match?.entry.kind ?? 'chat',
        priceVersion: best.priceVersion,
        origin: 'override',
      };
    }
    if (match) {
      return {
        ...match.entry.price,
        provider,
        model,
        kind: match.entry.kind,
        priceVersion: `catalog:${this.index.catalog.version}/${match.priceProvider}/${match.entry.model}`,
        origin: 'catalog',
        catalogEntry: match.entry,
      };
    }
    if (this.index.isZeroCost(provider)) {
      return {
        ...ZERO_PRICE,
        provider,
        model,
        kind: 'chat',
        priceVersion: `catalog:${this.index.catalog.version}/${provider}/*`,
        origin: 'catalog',
      };
    }
    throw new UnknownModelPriceError(provider, query.model);
  }

  private modelKey(provider: string, model: string): string {
    return this.index.resolve(provider, model)?.entry.model ?? model.trim().toLowerCase();
  }

  /** The deployment's own latest entry decides, unless it is a removal; then the provider-wide one. */
  private inForce(provider: string, model: string, deployment: string | undefined, atMs: number): PriceOverride | undefined {
    const own = deployment === undefined ? undefined : this.latest(provider, model, atMs, (o) => o.deployment === deployment);
    if (own?.price) return own;
    const wide = this.latest(provider, model, atMs, (o) => o.deployment === undefined);
    return wide?.price ? wide : undefined;
  }

  /** The latest entry (price or removal) of a provider's model in force at `atMs` among those `which` keeps. */
  private latest(provider: string, model: string, atMs: number, which: (o: PriceOverride) => boolean): PriceOverride | undefined {
    let best: PriceOverride | undefined;
    for (const o of this.list) {
      if (o.provider !== provider || o.model !== model || o.effectiveFromMs > atMs || !which(o)) continue;
      if (!best || o.effectiveFromMs > best.effectiveFromMs || (o.effectiveFromMs === best.effectiveFromMs && o.seq > best.seq)) best = o;
    }
    return best;
  }
}
