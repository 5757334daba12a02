import { type EventInput } from '@totra/events';
import { PRICE_EVENT_TYPES, PriceBook, affordableOutputTokens, costOf, estimateMaxCost, loadTokenizer, priceAtServiceTier, type ChatContentPart, type ChatTokenInput, type ResolvedPrice } from '@totra/pricing';
import { type ChatRequest, type Usage } from '@totra/providers';
import { type QuotaGate, type Reservation } from '@totra/quota-redis';
import { GatewayError } from '../errors.js';
import { type CallerIdentity } from '../identity.js';
import { type DeploymentRoute } from '../routing/directory.js';

/** The event types the quota stage folds into its prices (negotiated or custom prices, and their removal). */
export const PRICE_TYPES: ReadonlySet<string> = new Set(PRICE_EVENT_TYPES);

/** What to do when no price is known for a model: refuse (fail closed) or serve at cost 0. */
export type UnpricedPolicy = 'reject' | 'allow';

/**
 * The prices in force: the shipped catalog and the `PriceSet`s and `PriceRemoved`s folded from the
 * log (`totra prices set|remove`). Separate from the stage so that the settings a gateway loads
 * before it builds the stage reach it.
 */
export class Prices {
  #book: PriceBook;

  constructor(book: PriceBook = PriceBook.fromCatalog()) {
    this.#book = book;
  }

  get book(): PriceBook {
    return this.#book;
  }

  /**
   * Folds in a `PriceSet` (from its date on, requests it matches are estimated and charged at it,
   * and their `SpendRecorded` names it: `priceset:<event id>`) or a `PriceRemoved` (from its date
   * on, the next price down applies).
   */
  apply(type: string, data: unknown, eventId: string): void {
    this.#book = this.#book.fold(type, data, { eventId });
  }
}

export interface QuotaStageOptions {
  gate: QuotaGate;
  prices?: Prices;
  /** Output tokens assumed when neither the client nor the deployment sets a maximum. */
  defaultMaxOutputTokens?: number;
  unpriced?: UnpricedPolicy;
}

/** A request admitted against its budgets, to settle (or release) when it ends. */
export interface Admitted {
  reservation: Reservation;
  /**
   * The prompt's input tokens, counted with the model's tokenizer when the admission needed
   * them; undefined when it did not (a caller nothing limits, admitted from the gate's cached
   * verdict): `countInput` counts them then, for a settlement without the provider's usage.
   */
  inputTokens: number | undefined;
  countInput(): Promise<number>;
  /** The processing tier the client asked for (OpenAI's `service_tier`), reserved and capped at its price. */
  serviceTier?: string | undefined;
}

/** The processing tier a request asks for: OpenAI's `service_tier` of a Chat Completions or Responses body. */
export function askedServiceTier(request: Pick<ChatRequest, 'extra'>): string | undefined {
  const extra = request.extra;
  if (!extra || extra.format === 'anthropic-messages') return undefined;
  const tier = extra.members['service_tier'];
  return typeof tier === 'string' ? tier : undefined;
}

/** Whether a reservation holds anything: only then is a stream metered against it. */
export function holdsReservation(a: Admitted): boolean {
  return a.reservation.state !== 'untracked';
}

/**
 * What content the gateway does not translate (a document, a file, audio) is reserved for: its
 * size at 4 characters a token, as text is (its base64 bytes included). Providers count a PDF page
 * as its text and an image of the page, some thousands of tokens at most; a reservation errs on
 * the high side (it is settled at the provider's count).
 */
function opaqueTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value).length / 4);
}

/**
 * A chat request as the tokenizer counts it: every message's text and reasoning, its images (at
 * the most tiles an image can have: their sizes are not read), content it does not translate
 * (by its size), the tool calls of assistant messages, and the tools offered.
 */
export function tokenInput(request: Pick<ChatRequest, 'messages' | 'tools' | 'unreadTexts'>): ChatTokenInput {
  // Texts the provider gets in the client's own body only (a reasoning summary, what a local
  // tool's command printed, ADR 0038) are prompt tokens too: counted as one more message.
  const unread = request.unreadTexts?.length ? [{ role: 'user', content: [{ type: 'text' as const, text: request.unreadTexts.join('\n') }] }] : [];
  return {
    messages: [...request.messages.map((m) => ({
      role: m.role,
      content: m.content.map((p): ChatContentPart => {
        if (p.type === 'image') return { type: 'image', ...(p.detail ? { detail: p.detail } : {}) };
        if (p.type === 'opaque') return { type: 'tokens', tokens: opaqueTokens(p.value) };
        return { type: 'text', text: p.text };
      }),
      ...(m.role === 'assistant' && m.toolCalls?.length ? { toolCalls: m.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments })) } : {}),
    })), ...unread],
    ...(request.tools ? { tools: request.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), ...(t.parameters ? { parameters: t.parameters } : {}) })) } : {}),
  };
}

/**
 * Budgets and rate limits on the request path: before any provider is contacted, one Redis
 * round trip reserves the request's worst-case cost (input tokens counted with the tokenizer,
 * output at its maximum) against every applicable budget; when it ends, the reservation becomes
 * the actual cost and `SpendRecorded` is appended, which the quota-hot projection turns into
 * spent exactly once.
 */
export class QuotaStage {
  readonly #gate: QuotaGate;
  readonly #prices: Prices;
  readonly #defaultMaxOut: number;
  readonly #unpriced: UnpricedPolicy;

  constructor(o: QuotaStageOptions) {
    this.#gate = o.gate;
    this.#prices = o.prices ?? new Prices();
    this.#defaultMaxOut = o.defaultMaxOutputTokens ?? 4096;
    this.#unpriced = o.unpriced ?? 'reject';
  }

  /** The price of a deployment now; undefined when unknown and the policy allows that. */
  price(route: Pick<DeploymentRoute, 'provider' | 'model' | 'baseModel' | 'deploymentId' | 'alias'>): ResolvedPrice | undefined {
    // A deployment of the customer's own name (Azure) is priced as the public model it runs
    // (ADR 0044), unless an admin priced it under its own name.
    const model = route.baseModel ?? route.model;
    const at = new Date();
    try {
      if (route.baseModel !== undefined) {
        const own = this.#ownNamePrice(route, at);
        if (own) return own;
      }
      return this.#prices.book.priceFor({ provider: route.provider, model, deployment: route.deploymentId, at });
    } catch (err) {
      if (this.#unpriced === 'allow') return undefined;
      throw new GatewayError(
        {
          code: 'TOTRA_PRICE_UNKNOWN',
          status: 400,
          reason: 'invalid_request',
          param: 'model',
          message: `no price is known for \`${route.alias}\` (${route.provider} ${model}), so its cost cannot be accounted; an admin can set one (\`totra prices set --provider ${route.provider} --model ${model} --input <USD per 1M tokens> --output <USD per 1M tokens>\`)${route.baseModel === undefined && route.provider === 'azure-openai' ? ', name the public model the deployment runs (`totra models add ... --base-model gpt-4o`)' : ''} or allow unpriced models (TOTRA_UNPRICED=allow)`,
        },
        { cause: err },
      );
    }
  }

  /** A price an admin set under a deployment's own name (`totra prices set --model <deployment name>`), if any. */
  #ownNamePrice(route: Pick<DeploymentRoute, 'provider' | 'model' | 'deploymentId'>, at: Date): ResolvedPrice | undefined {
    const book = this.#prices.book;
    // Asked without a throw: most such deployments have none, and this runs on every request.
    if (!book.overrideFor(route.provider, route.model, route.deploymentId, at)) return undefined;
    return book.priceFor({ provider: route.provider, model: route.model, deployment: route.deploymentId, at });
  }

  /** Counts the input tokens of a chat request with the model's tokenizer. */
  async inputTokens(request: ChatRequest, alias: string): Promise<number> {
    const tokenizer = await loadTokenizer(alias);
    return tokenizer.estimateChatInput(tokenInput(request)).inputTokens;
  }

  /** Reserves the worst-case cost of a chat request, or refuses with 429 naming the scope. */
  async admit(requestId: string, who: CallerIdentity, alias: string, route: DeploymentRoute & { maxOutputTokens?: number | undefined }, request: ChatRequest): Promise<Admitted> {
    const countInput = () => this.inputTokens(request, alias);
    // A caller nothing limits, known as such: no estimate is needed (nothing is reserved), so
    // the prompt is not tokenized on the way to the provider.
    const serviceTier = askedServiceTier(request);
    const known = this.#knownUntracked(requestId, who, alias, route, countInput, serviceTier);
    if (known) return known;
    const inputTokens = await countInput();
    return this.#reserve(requestId, who, alias, route, inputTokens, this.#worstOutput(request, route), countInput, serviceTier);
  }

  /**
   * The most output a request can cost: what the client asked for, but never more than the
   * deployment's model can write (a `max_tokens` above it would only be refused by the provider,
   * and must not be refused here as over budget first); the model's maximum, or the default, when
   * the client asked for nothing. Each choice of a request for several (`n`) may write that much.
   */
  #worstOutput(request: ChatRequest, route: { maxOutputTokens?: number | undefined }): number {
    const asked = request.maxTokens;
    const most = route.maxOutputTokens;
    const each = asked !== undefined && most !== undefined ? Math.min(asked, most) : (asked ?? most ?? this.#defaultMaxOut);
    return each * (request.choices ?? 1);
  }

  /** Reserves the cost of an embeddings request (its input tokens at the input price; no output), or refuses with 429. */
  async admitEmbeddings(requestId: string, who: CallerIdentity, alias: string, route: DeploymentRoute, texts: readonly string[]): Promise<Admitted> {
    const countInput = async () => {
      const tokenizer = await loadTokenizer(alias);
      return texts.reduce((n, t) => n + tokenizer.count(t), 0);
    };
    const known = this.#knownUntracked(requestId, who, alias, route, countInput);
    if (known) return known;
    const inputTokens = await countInput();
    return this.#reserve(requestId, who, alias, route, inputTokens, 0, countInput);
  }

  #knownUntracked(requestId: string, who: CallerIdentity, alias: string, route: DeploymentRoute, countInput: () => Promise<number>, serviceTier?: string): Admitted | undefined {
    const reservation = this.#gate.admitKnownUntracked({ requestId, tenant: who.tenant, keyId: who.keyId, userId: who.userId, teamId: who.teamId, model: alias, now: Date.now() });
    if (!reservation) return undefined;
    // Refused all the same when the model has no price (fail closed), as on the estimated path.
    this.price(route);
    // The tier asked for is kept: a settlement without the provider's usage charges it.
    return { reservation, inputTokens: undefined, countInput, ...(serviceTier !== undefined ? { serviceTier } : {}) };
  }

  async #reserve(
    requestId: string,
    who: CallerIdentity,
    alias: string,
    route: DeploymentRoute,
    inputTokens: number,
    maxOut: number,
    countInput: () => Promise<number>,
    serviceTier?: string,
  ): Promise<Admitted> {
    const price = this.price(route);
    // At the price of the processing tier asked for: priority costs more than standard.
    const microUsd = price ? estimateMaxCost({ inputTokens, maxOutputTokens: maxOut }, priceAtServiceTier(price, serviceTier).price) : 0;
    const admission = await this.#gate.admit({
      requestId,
      tenant: who.tenant,
      keyId: who.keyId,
      userId: who.userId,
      teamId: who.teamId,
      model: alias,
      estimate: { microUsd, tokens: inputTokens + maxOut },
      now: Date.now(),
    });
    if (admission.ok) return { reservation: admission.reservation, inputTokens, countInput, ...(serviceTier !== undefined ? { serviceTier } : {}) };
    // What this request may take, in the unit of the budget that refused it.
    const worst = admission.unit === 'tokens' ? `may use up to ${inputTokens + maxOut} tokens` : `may cost up to ${(microUsd / 1e6).toFixed(6)} USD`;
    const what = admission.unit === 'microUsd' ? `${(admission.used / 1e6).toFixed(6)} of ${(admission.limit / 1e6).toFixed(6)} USD` : `${admission.used} of ${admission.limit} ${admission.unit}`;
    if (admission.reason === 'rate_limit') {
      throw new GatewayError({
        code: 'TOTRA_RATE_LIMITED',
        status: 429,
        reason: 'rate_limited',
        message: `rate limit of ${admission.scope} reached (${what}); retry later`,
        ...(admission.retryAfterSeconds !== undefined ? { retryAfterSeconds: admission.retryAfterSeconds } : {}),
      });
    }
    if (admission.held) {
      // It fits once requests in flight settle; they did not within the wait.
      throw new GatewayError({
        code: 'TOTRA_QUOTA_EXCEEDED',
        status: 429,
        reason: 'quota_exceeded',
        message: `budget${admission.budgetId ? ` ${admission.budgetId}` : ''} of ${admission.scope} is held by requests in flight (${what} used or reserved, this request ${worst}); retry shortly`,
        retryAfterSeconds: 1,
      });
    }
    throw new GatewayError({
      code: 'TOTRA_QUOTA_EXCEEDED',
      status: 429,
      reason: 'quota_exceeded',
      message: `budget${admission.budgetId ? ` ${admission.budgetId}` : ''} of ${admission.scope} does not allow this request (${what} used, this request ${worst}); ask for more with \`totra quota request\``,
    });
  }

  /**
   * The most output tokens the reservation pays for on `route`: the stream is cut there, so a
   * provider that ignores the request's maximum cannot spend more than was reserved. Computed
   * for the deployment that serves the request: a fallback with a higher price affords fewer.
   */
  outputCap(a: Admitted, route: DeploymentRoute): number {
    // Nothing reserved, nothing to cut at (such admissions are not metered: see `holdsReservation`).
    if (!holdsReservation(a) || a.inputTokens === undefined) return Number.POSITIVE_INFINITY;
    const price = this.price(route);
    if (price) return affordableOutputTokens(a.reservation.estimate.microUsd, a.inputTokens, priceAtServiceTier(price, a.serviceTier).price);
    // Unpriced: the reservation's token count is the bound.
    return Math.max(0, a.reservation.estimate.tokens - a.inputTokens);
  }

  /** Gives the reservation back (nothing was charged). */
  async release(a: Admitted): Promise<void> {
    await this.#gate.release(a.reservation).catch(() => undefined);
  }

  /**
   * Turns the reservation into the request's actual cost (from the provider's usage, or the
   * token estimate when it gave none) and returns the `SpendRecorded` to append, whatever
   * happened to the hot ledger: the event is the record of the spend. When Redis could not be
   * told (`ledgerError`), the reservation expires by its TTL and the quota-hot projection still
   * moves the cost to spent from the event, so no cent is lost.
   */
  async settle(a: Admitted, who: CallerIdentity, route: DeploymentRoute, usage: Usage | undefined, outputChars: number): Promise<{ spend: EventInput; ledgerError?: unknown }> {
    const input = usage?.inputTokens ?? a.inputTokens ?? (await a.countInput());
    const output = usage?.outputTokens ?? Math.ceil(outputChars / 4);
    // Reads and writes of the prompt cache are parts of the input; counts a provider reported
    // beyond it are held to it, so that a cost is always recorded.
    const cached = Math.min(usage?.cachedInputTokens ?? 0, input);
    const cacheWrite = Math.min(usage?.cacheWriteInputTokens ?? 0, input - cached);
    const cacheWrite1h = Math.min(usage?.cacheWrite1hInputTokens ?? 0, cacheWrite);
    const reasoning = Math.min(usage?.reasoningTokens ?? 0, output);
    const price = this.price(route);
    // At the price of the tier the provider served the request at (when it gave no usage, an
    // OpenAI deployment's the tier asked for); a tier without a price of its own at the
    // standard price, and the event says so.
    const served = usage ? usage.serviceTier : route.provider === 'openai' || route.provider === 'azure-openai' ? a.serviceTier : undefined;
    const tiered = price ? priceAtServiceTier(price, served) : undefined;
    // Cache writes at their own rates (Anthropic: 1.25x input for five minutes, 2x for an hour).
    const tokens = { inputTokens: input, outputTokens: output, cachedInputTokens: cached, cacheWriteTokens: cacheWrite, cacheWrite1hTokens: cacheWrite1h, reasoningTokens: reasoning };
    const microUsd = tiered ? costOf({ ...tokens, convention: 'openai' }, tiered.price) : 0;
    let ledgerError: unknown;
    try {
      await this.#gate.settle(a.reservation, { microUsd, tokens: input + output });
    } catch (err) {
      ledgerError = err;
    }
    const spend: EventInput = {
      type: 'SpendRecorded',
      tenant: who.tenant,
      subject: who.userId,
      // Members in canonical order: the chain writer then hashes the event on its fastest path.
      data: {
        deploymentId: route.deploymentId,
        keyId: who.keyId,
        microUsd,
        model: route.model,
        priceVersion: price?.priceVersion ?? 'unpriced',
        provider: route.provider,
        requestId: a.reservation.requestId,
        scopes: a.reservation.scopes,
        ...(tiered?.tier ? { serviceTier: tiered.tier, ...(tiered.priced ? {} : { serviceTierUnpriced: true }) } : {}),
        teamId: who.teamId,
        // Canonical member order (`cacheWrite` < `cacheWrite1h` < `cachedInput`); writes only where there were some.
        tokens: { ...(cacheWrite > 0 ? { cacheWrite, ...(cacheWrite1h > 0 ? { cacheWrite1h } : {}) } : {}), cachedInput: cached, input, output, reasoning },
        userId: who.userId,
      },
    };
    return ledgerError === undefined ? { spend } : { spend, ledgerError };
  }
}
