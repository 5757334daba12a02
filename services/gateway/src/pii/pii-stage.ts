import { type EventInput } from '@totra/events';
import {
  PII_POLICY_EVENT_TYPES,
  applyPolicyToTexts,
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
import { forEachRequestText, mapRequestText, type ChatRequest } from '@totra/providers';
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
  /** Set when placeholders must be restored in the answer. */
  output: OutputTransform | undefined;
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

  apply(event: { type: string; data: unknown }): void {
    this.#policies = evolvePiiPolicies(this.#policies, event as Parameters<typeof evolvePiiPolicies>[1]);
  }

  /** Runs the stage; returns the request to send upstream and the events to append. */
  run(request: ChatRequest, who: CallerIdentity, requestId: string, append: (e: EventInput) => unknown): PiiOutcome {
    const effective = resolvePolicy(this.#policies.policies.values(), { tenant: who.tenant, teamId: who.teamId, keyId: who.keyId, model: request.model });
    if (effective.scansNothing) return { request, changed: false, output: undefined };
    const texts: string[] = [];
    forEachRequestText(request, (text) => {
      texts.push(text);
    });
    if (!texts.length) return { request, changed: false, output: undefined };
    const vault: PiiVault = createVault();
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
    let i = 0;
    const changed = outcome.texts.some((t, n) => t !== texts[n]);
    if (!changed) return { request, changed: false, output: undefined };
    const mapped = mapRequestText(request, () => outcome.texts[i++] as string);
    const output: OutputTransform | undefined =
      vault.size > 0
        ? {
            text: (t) => restore(t, vault),
            stream: () => {
              const r = createStreamRestorer(vault);
              return { push: (c) => r.push(c), flush: () => r.flush() };
            },
          }
        : undefined;
    return { request: mapped, changed, output };
  }
}
