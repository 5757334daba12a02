import { type EventInput } from '@totra/events';
import {
  PII_POLICY_EVENT_TYPES,
  applyPolicy,
  applyPolicyToTexts,
  createOutputStreamScanner,
  createScannerCache,
  createStreamRestorer,
  createVault,
  emptyPiiPolicies,
  evolvePiiPolicies,
  piiEventsFor,
  resolvePolicy,
  restore,
  type PiiPolicyState,
  type PiiVault,
  type ScannerCache,
} from '@totra/pii';
import { describeOpaque, forEachRequestText, mapRequestText, opaqueParts, type ChatRequest } from '@totra/providers';
import { GatewayError } from '../errors.js';
import { type CallerIdentity } from '../identity.js';

export const PII_POLICY_TYPES = new Set<string>(PII_POLICY_EVENT_TYPES);

/** Turns what reaches the client back into the caller's own values (pseudonymize-and-restore). */
export interface OutputTransform {
  text(text: string): string;
  /** A fresh incremental restorer for one streamed text (placeholders may be split across chunks). */
  stream(): { push(chunk: string): string; flush(): string };
}

/** The result of the request-side PII stage. */
export interface PiiOutcome {
  request: ChatRequest;
  /** True when the texts sent upstream differ from what the client sent. */
  changed: boolean;
  /**
   * When changed: each text the client sent that is sent otherwise, and what is sent instead, for
   * putting the rewrites into the client's own body (`rewriteClientBody`, ADR 0028).
   */
  rewrites?: ReadonlyMap<string, string>;
  /** Set when placeholders must be restored in the answer. */
  output: OutputTransform | undefined;
  /** Parts sent unscanned because a policy allows content the scanner cannot read (ADR 0026). */
  unscanned: number;
}

/**
 * The PII policies (a fold of the policy events) and the request stage: scan every text of the
 * request (messages, system prompt, tool arguments and results, never raw JSON), then block
 * (422, naming the types, never the values), redact, pseudonymize or just record, per the most
 * specific policy. A scanner failure fails closed.
 */
export class PiiStage {
  #policies: PiiPolicyState = emptyPiiPolicies();
  readonly #scanners: ScannerCache = createScannerCache();

  /** Resolved policies by (tenant, team, key, model); cleared whenever a policy changes. */
  readonly #resolved = new Map<string, ReturnType<typeof resolvePolicy>>();

  apply(event: { type: string; data: unknown }): void {
    this.#policies = evolvePiiPolicies(this.#policies, event as Parameters<typeof evolvePiiPolicies>[1]);
    this.#resolved.clear();
  }

  #effective(who: CallerIdentity, model: string) {
    const key = `${who.tenant}\u0000${who.teamId}\u0000${who.keyId}\u0000${model}`;
    let effective = this.#resolved.get(key);
    if (!effective) {
      effective = resolvePolicy(this.#policies.policies.values(), { tenant: who.tenant, teamId: who.teamId, keyId: who.keyId, model });
      if (this.#resolved.size >= 10_000) this.#resolved.clear();
      this.#resolved.set(key, effective);
    }
    return effective;
  }

  /**
   * Applies the policy to a list of texts of one request (as one unit: one blocked type blocks
   * the whole request). Returns the texts to send and the vault of placeholders.
   */
  runTexts(texts: readonly string[], who: CallerIdentity, model: string, requestId: string, append: (e: EventInput) => unknown): { texts: readonly string[]; changed: boolean; vault: PiiVault; scanOutput: boolean } {
    const effective = this.#effective(who, model);
    const vault: PiiVault = createVault();
    if (effective.scansNothing || !texts.length) return { texts, changed: false, vault, scanOutput: effective.scanOutput };
    let outcome: ReturnType<typeof applyPolicyToTexts>;
    try {
      outcome = applyPolicyToTexts(texts, this.#scanners.scannerFor(effective), effective, vault, { direction: 'request' });
    } catch (err) {
      throw new GatewayError({ code: 'TOTRA_PII_SCAN_FAILED', status: 503, message: 'the PII scanner failed; the request was not sent (fail closed)' }, { cause: err });
    }
    for (const e of piiEventsFor(requestId, 'request', outcome)) {
      append({ type: e.type, tenant: who.tenant, subject: who.userId, data: e.data as unknown as Record<string, unknown> });
    }
    if (outcome.blocked) {
      throw new GatewayError({
        code: 'TOTRA_PII_BLOCKED',
        status: 422,
        reason: 'pii_blocked',
        message: `the request contains personal data that policy forbids sending to a model: ${outcome.blocked.join(', ')}`,
      });
    }
    return { texts: outcome.texts, changed: outcome.texts.some((t, n) => t !== texts[n]), vault, scanOutput: effective.scanOutput };
  }

  /** Runs the stage on a chat request; returns the request to send upstream. */
  run(request: ChatRequest, who: CallerIdentity, requestId: string, append: (e: EventInput) => unknown): PiiOutcome {
    // Content the scanner cannot read (a document, a file, audio) goes only where a policy says
    // it may go unscanned (ADR 0026): fail closed.
    const unscannable = opaqueParts(request);
    if (unscannable.length > 0 && !this.#effective(who, request.model).allowUnscannable) {
      throw new GatewayError({
        code: 'TOTRA_PII_UNSCANNABLE',
        status: 422,
        reason: 'pii_blocked',
        message: `the request carries content the gateway cannot scan for personal data (${describeOpaque(unscannable[0] as (typeof unscannable)[number])}${unscannable.length > 1 ? ` and ${unscannable.length - 1} more` : ''}), and no PII policy allows sending it unscanned; an admin can allow it for a tenant, team, key or model: totra pii policy set --scope <scope> --allow-unscannable`,
      });
    }
    const texts: string[] = [];
    forEachRequestText(request, (text) => {
      texts.push(text);
    });
    const { texts: out, changed, vault, scanOutput } = this.runTexts(texts, who, request.model, requestId, append);
    const effective = scanOutput ? this.#effective(who, request.model) : undefined;
    // The model's own output is scanned (policy `scanOutput`) before placeholders are restored,
    // so the caller's own values coming back are not redacted.
    const record = (outcome: { counts: Parameters<typeof piiEventsFor>[2]['counts'] }): void => {
      for (const e of piiEventsFor(requestId, 'response', outcome)) {
        append({ type: e.type, tenant: who.tenant, subject: who.userId, data: e.data as unknown as Record<string, unknown> });
      }
    };
    const scanAnswer = (t: string): string => {
      if (!effective) return t;
      const spans = this.#scanners.scannerFor(effective).scan(t);
      if (!spans.length) return t;
      const result = applyPolicy(t, spans, effective, vault, { direction: 'response' });
      record(result);
      return result.text;
    };
    /**
     * A streamed answer gets the same treatment: the output scanner holds back a bounded tail (a
     * value split across chunks is found whole), then the restorer puts the caller's values back.
     */
    const streamAnswer = () => {
      const r = createStreamRestorer(vault);
      if (!effective) return { push: (c: string) => r.push(c), flush: () => r.flush() };
      const s = createOutputStreamScanner(this.#scanners.scannerFor(effective), effective, vault);
      return {
        push: (c: string) => r.push(s.push(c)),
        flush: () => {
          const rest = r.push(s.flush()) + r.flush();
          record(s);
          return rest;
        },
      };
    };
    const mapped = changed ? mapRequestText(request, ((i) => () => out[i.n++] as string)({ n: 0 })) : request;
    const output: OutputTransform | undefined =
      vault.size > 0 || effective ? { text: (t) => restore(scanAnswer(t), vault), stream: streamAnswer } : undefined;
    if (!changed) return { request: mapped, changed, output, unscanned: unscannable.length };
    const rewrites = new Map<string, string>();
    texts.forEach((t, n) => {
      const next = out[n] as string;
      if (next !== t) rewrites.set(t, next);
    });
    return { request: mapped, changed, rewrites, output, unscanned: unscannable.length };
  }
}
