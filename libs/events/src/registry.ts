import type { z } from 'zod';
import { type EventDefinition } from './define-event.js';
import { Envelope, type EventInput } from './envelope.js';
import { EventRegistryError, InvalidEventError, UnknownEventTypeError } from './errors.js';
import { compilePlainCheck, type PlainCheck } from './plain-check.js';
import { ChainOpened } from './events/chain-opened.event.js';
import { CheckpointSigned } from './events/checkpoint-signed.event.js';
import { CheckpointWitnessed } from './events/checkpoint-witnessed.event.js';
import { RequestCompleted } from './events/request-completed.event.js';
import { RequestFailed } from './events/request-failed.event.js';
import { RequestRejected } from './events/request-rejected.event.js';
import { TestEventRecorded } from './events/test-event-recorded.event.js';
import { ModelDeploymentConfigured } from './events/model-deployment-configured.event.js';
import { ModelDeploymentRemoved } from './events/model-deployment-removed.event.js';
import { ModelDeploymentStateChanged } from './events/model-deployment-state-changed.event.js';
import { TeamModelsAllowed } from './events/team-models-allowed.event.js';
import { ApiKeyIssued } from './events/api-key-issued.event.js';
import { ApiKeyRevoked } from './events/api-key-revoked.event.js';
import { TeamNetworkPolicySet } from './events/team-network-policy-set.event.js';
import { PiiBlocked } from './events/pii-blocked.event.js';
import { PiiPolicyRemoved } from './events/pii-policy-removed.event.js';
import { PiiPolicySet } from './events/pii-policy-set.event.js';
import { PiiRedacted } from './events/pii-redacted.event.js';
import { BudgetRemoved } from './events/budget-removed.event.js';
import { BudgetSet } from './events/budget-set.event.js';
import { BudgetThresholdCrossed } from './events/budget-threshold-crossed.event.js';
import { QuotaIncreaseApproved, QuotaIncreaseRejected, QuotaIncreaseRequested } from './events/quota-increase.event.js';
import { RateLimitSet } from './events/rate-limit-set.event.js';
import { PriceRemoved, PriceSet } from './events/price-set.event.js';
import { SpendRecorded } from './events/spend-recorded.event.js';
import { SpendAnomalyDetected } from './events/spend-anomaly-detected.event.js';
import { UserCreated } from './events/user-created.event.js';
import { TeamSettingsChanged } from './events/team-settings-changed.event.js';
import { SubjectErasureRequested } from './events/subject-erasure-requested.event.js';
import { SubjectErasureApproved } from './events/subject-erasure-approved.event.js';
import { SubjectKeyShredded } from './events/subject-key-shredded.event.js';
import { RetentionHoldPlaced } from './events/retention-hold-placed.event.js';
import { RetentionHoldReleased } from './events/retention-hold-released.event.js';
import { ErasureReceiptIssued } from './events/erasure-receipt-issued.event.js';
import { SubjectErasureOverdue } from './events/subject-erasure-overdue.event.js';
import { RequestContentLogged } from './events/request-content-logged.event.js';

/** GDPR: users, team data settings, erasure, retention (architecture section 7). */
const gdprEvents: readonly EventDefinition[] = [UserCreated, TeamSettingsChanged, SubjectErasureRequested, SubjectErasureApproved, SubjectKeyShredded, RetentionHoldPlaced, RetentionHoldReleased, ErasureReceiptIssued, RequestContentLogged, SubjectErasureOverdue];

/** The event types every ToTra process knows. */
export const coreEvents: readonly EventDefinition[] = [ChainOpened, TestEventRecorded, RequestCompleted, RequestRejected, RequestFailed, ApiKeyIssued, ApiKeyRevoked, TeamNetworkPolicySet, ModelDeploymentConfigured, ModelDeploymentRemoved, ModelDeploymentStateChanged, TeamModelsAllowed, PiiPolicySet, PiiPolicyRemoved, PiiRedacted, PiiBlocked, BudgetSet, BudgetRemoved, RateLimitSet, PriceSet, PriceRemoved, SpendRecorded, BudgetThresholdCrossed, SpendAnomalyDetected, QuotaIncreaseRequested, QuotaIncreaseApproved, QuotaIncreaseRejected, ...gdprEvents, CheckpointSigned, CheckpointWitnessed];

/** An event whose data was validated and upcast to the current version of its type. */
export interface DecodedEvent<TData = Record<string, unknown>> {
  readonly envelope: Envelope;
  readonly type: string;
  /** Version after upcasting (the type's current version). */
  readonly v: number;
  readonly data: TData;
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/**
 * The set of known event types. Decoding validates the envelope and the data, and upcasts data
 * written by an older version; the stored (hashed) envelope itself is never changed.
 */
export class EventRegistry {
  readonly #defs = new Map<string, EventDefinition>();
  /** Per type whose data schema allows it, a check that answers for zod without allocating (ADR 0017). */
  readonly #plain = new Map<string, PlainCheck>();

  constructor(definitions: readonly EventDefinition[] = coreEvents) {
    for (const def of definitions) this.register(def);
  }

  register(def: EventDefinition): void {
    if (this.#defs.has(def.type)) throw new EventRegistryError(`event type "${def.type}" is registered twice`);
    for (let from = 1; from < def.v; from++) {
      if (!def.upcasters.some((u) => u.from === from)) {
        throw new EventRegistryError(`event type "${def.type}" v${def.v} has no upcaster from v${from}`);
      }
    }
    this.#defs.set(def.type, def);
    const plain = compilePlainCheck(def.data);
    if (plain) this.#plain.set(def.type, plain);
  }

  has(type: string): boolean {
    return this.#defs.has(type);
  }

  get(type: string): EventDefinition {
    const def = this.#defs.get(type);
    if (!def) throw new UnknownEventTypeError(type);
    return def;
  }

  list(): EventDefinition[] {
    return [...this.#defs.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  /**
   * Validates what a writer is asked to append; returns the version and data to store: `input.data`
   * itself when zod would give back the same (the plain check, ADR 0017), else zod's output.
   */
  validateInput(input: EventInput): { v: number; data: Record<string, unknown> } {
    const def = this.get(input.type);
    const v = input.v ?? def.v;
    if (v !== def.v) {
      throw new InvalidEventError(`${input.type}: new events are written at v${def.v}, not v${v}`, []);
    }
    if (def.requiresSubject && !input.subject) {
      throw new InvalidEventError(`${input.type}: a data subject is required`, ['subject: required']);
    }
    if (!def.sealedFields.length && input.sealed) {
      throw new InvalidEventError(`${input.type}: carries no personal data, so it takes no sealed part`, ['sealed: not allowed']);
    }
    // Data that passes the plain check is what zod would give back: it is used as given.
    if (this.#plain.get(input.type)?.(input.data)) return { v, data: input.data };
    const parsed = def.data.safeParse(input.data);
    if (!parsed.success) {
      const issues = formatIssues(parsed.error);
      throw new InvalidEventError(`${input.type}: invalid data (${issues.join('; ')})`, issues);
    }
    return { v, data: parsed.data as Record<string, unknown> };
  }

  /** Validates a stored envelope and returns its data at the type's current version. */
  decode(raw: unknown): DecodedEvent {
    const env = Envelope.safeParse(raw);
    if (!env.success) {
      const issues = formatIssues(env.error);
      throw new InvalidEventError(`invalid envelope (${issues.join('; ')})`, issues);
    }
    const envelope = env.data;
    const def = this.get(envelope.type);
    if (envelope.v > def.v) {
      throw new InvalidEventError(
        `${envelope.type} v${envelope.v} is newer than this software knows (v${def.v}); upgrade ToTra`,
        [],
      );
    }
    let data: Record<string, unknown> = envelope.data;
    for (let from = envelope.v; from < def.v; from++) {
      const upcaster = def.upcasters.find((u) => u.from === from);
      if (!upcaster) throw new EventRegistryError(`${envelope.type}: no upcaster from v${from}`);
      data = upcaster.up(data);
    }
    if (this.#plain.get(envelope.type)?.(data)) return { envelope, type: envelope.type, v: def.v, data };
    const parsed = def.data.safeParse(data);
    if (!parsed.success) {
      const issues = formatIssues(parsed.error);
      throw new InvalidEventError(
        `${envelope.type} ${envelope.chain}#${envelope.seq}: invalid data (${issues.join('; ')})`,
        issues,
      );
    }
    return { envelope, type: envelope.type, v: def.v, data: parsed.data as Record<string, unknown> };
  }
}
