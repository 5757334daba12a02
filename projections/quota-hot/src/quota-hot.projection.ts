import {
  type ApiKeyIssued,
  type ApiKeyRevoked,
  type BudgetRemoved,
  type BudgetThresholdCrossed,
  type DecodedEvent,
  type EventData,
  type RateLimitSet,
  type SpendRecorded,
  type SubjectKeyShredded,
  type TeamNetworkPolicySet,
} from '@totra/events';
import { encodeHotKeyRecord, type HotIdentityLayout } from '@totra/identity';
import { hotBudgetOf, hotQuotaLayout, type BudgetSetData, type HotQuotaLayout } from '@totra/quota';

/** One change to Redis, applied by the apply script (see apply-script.ts) in order. */
export type HotOp =
  /** Store a key record unless its key id is known already (the first issue wins). */
  | readonly ['issue', recordKey: string, idIndexKey: string, keyHash: string, ...fields: string[]]
  /**
   * When the user's erasure marker is set: mark the key revoked (found through its id) and
   * announce its hash (a key issued to an erased user never works).
   */
  | readonly ['revoke-if-erased', erasedKey: string, idIndexKey: string, recordKeyLeft: string, recordKeyRight: string, revokedAt: string, channel: string]
  /** Set a user's erasure marker. */
  | readonly ['erased', erasedKey: string, at: string]
  /** Mark the key revoked (found through its id) and announce its hash on the channel. */
  | readonly ['revoke', idIndexKey: string, recordKeyLeft: string, recordKeyRight: string, revokedAt: string, channel: string]
  /** Replace a team's allowlist and announce the team key on the channel. */
  | readonly ['team', teamKey: string, cidrsJson: string, channel: string]
  /**
   * Store a budget (replacing one of the same id, unlisted from its old scope) and list it under
   * its scope; then tell gateways the tenant's limits changed (channel, tenant).
   */
  | readonly ['budget', budgetsKey: string, budgetId: string, budgetJson: string, scopeKey: string, limitsChannel: string, tenant: string]
  /** Forget a budget; tell gateways. */
  | readonly ['unbudget', budgetsKey: string, budgetId: string, limitsChannel: string, tenant: string]
  /** Replace a key's rate limits ('' = none). */
  | readonly ['ratelimit', rateLimitKey: string, rpm: string, tpm: string, limitsChannel: string, tenant: string]
  /**
   * Once per request id: take back what the request holds (pending or reserved), add its cost to
   * spent in each budget period, record threshold crossings in the alerts stream. With no scopes
   * (no budget counts it) only the hold goes: there is nothing to count twice, so no marker. The
   * marker expires at `markerUntilMs` (the event's time plus SPEND_MARKER_TTL_SECONDS); an
   * older event (a rebuild) leaves none.
   */
  | readonly ['spend', prefix: string, tag: string, requestId: string, microUsd: string, tokens: string, scopesJson: string, markerUntilMs: string, alertsKey: string, tenant: string, budgetsKey: string]
  /** A crossing the log holds already: no alert for it again. */
  | readonly ['crossed', alertedKey: string, threshold: string];

/**
 * How long after its event the marker of a projected `SpendRecorded` is kept: a second
 * `SpendRecorded` of the same request within it is not counted again. The chain writer never
 * puts one event in the log twice (expected last sequence, message ids) and the checkpoint makes
 * redelivery harmless, so the marker only guards against a gateway recording one request twice;
 * a marker per request costs Redis memory for as long as it lives (ADR 0011).
 */
export const SPEND_MARKER_TTL_SECONDS = 24 * 3600;

/** What opsFor needs besides the identity layout. */
export interface QuotaOpsContext {
  quota: HotQuotaLayout;
  spendMarkerTtlSeconds?: number;
}

/** What the projection is, for runners and `totra projections`. */
export const quotaHotProjection = {
  name: 'quota-hot',
  /** Bump when what the projection writes changes: a rebuild is then due. */
  version: 3,
  handles: ['ApiKeyIssued', 'ApiKeyRevoked', 'SubjectKeyShredded', 'TeamNetworkPolicySet', 'BudgetSet', 'BudgetRemoved', 'RateLimitSet', 'SpendRecorded', 'BudgetThresholdCrossed'] as const,
} as const;

export type QuotaHotEventType = (typeof quotaHotProjection.handles)[number];

const handled: ReadonlySet<string> = new Set(quotaHotProjection.handles);

/** Whether the projection does anything with events of this type. */
export function handlesEventType(type: string): type is QuotaHotEventType {
  return handled.has(type);
}

/** The Redis changes one (decoded, validated) event makes. Pure: no I/O. */
export function opsFor(event: DecodedEvent, layout: HotIdentityLayout, context?: QuotaOpsContext): HotOp[] {
  const { envelope } = event;
  const quota = context?.quota ?? hotQuotaLayout(layout.checkpoint.slice(0, -'quota-hot:checkpoint'.length));
  const tenant = envelope.tenant;
  switch (event.type) {
    case 'ApiKeyIssued': {
      const d = event.data as EventData<typeof ApiKeyIssued>;
      const fields = encodeHotKeyRecord({
        keyId: d.keyId,
        prefix: d.prefix,
        userId: d.userId,
        teamId: d.teamId,
        tenant: envelope.tenant,
        cidrs: d.cidrs ?? [],
        ...(d.expiresAt !== undefined ? { expiresAt: d.expiresAt } : {}),
        revoked: false,
      });
      const [left, right] = layout.key('\u0000').split('\u0000') as [string, string];
      return [
        ['issue', layout.key(d.keyHash), layout.keyId(d.keyId), d.keyHash, ...fields],
        ['revoke-if-erased', layout.erasedUser(tenant, d.userId), layout.keyId(d.keyId), left, right, envelope.time, layout.revokedChannel],
      ];
    }
    case 'ApiKeyRevoked': {
      const d = event.data as EventData<typeof ApiKeyRevoked>;
      const [left, right] = layout.key('\u0000').split('\u0000') as [string, string];
      return [['revoke', layout.keyId(d.keyId), left, right, envelope.time, layout.revokedChannel]];
    }
    case 'SubjectKeyShredded': {
      const d = event.data as EventData<typeof SubjectKeyShredded>;
      // Retention shreds expired periods only; an erasure ends the user's access for good.
      if (d.reason !== 'erasure' || !envelope.subject) return [];
      return [['erased', layout.erasedUser(tenant, envelope.subject), envelope.time]];
    }
    case 'TeamNetworkPolicySet': {
      const d = event.data as EventData<typeof TeamNetworkPolicySet>;
      return [['team', layout.team(envelope.tenant, d.teamId), JSON.stringify(d.cidrs), layout.teamPolicyChannel]];
    }
    case 'BudgetSet': {
      const d = event.data as BudgetSetData;
      const b = hotBudgetOf(tenant, d, quota);
      return [['budget', quota.budgets(tenant), d.budgetId, JSON.stringify(b), b.ix, quota.limitsChanged, tenant]];
    }
    case 'BudgetRemoved': {
      const d = event.data as EventData<typeof BudgetRemoved>;
      return [['unbudget', quota.budgets(tenant), d.budgetId, quota.limitsChanged, tenant]];
    }
    case 'RateLimitSet': {
      const d = event.data as EventData<typeof RateLimitSet>;
      return [['ratelimit', quota.rateLimit(tenant, d.keyId), d.rpm === undefined ? '' : String(d.rpm), d.tpm === undefined ? '' : String(d.tpm), quota.limitsChanged, tenant]];
    }
    case 'SpendRecorded': {
      const d = event.data as EventData<typeof SpendRecorded>;
      const tokens = d.tokens.input + d.tokens.output;
      return [
        [
          'spend',
          quota.prefix,
          quota.tag(tenant),
          d.requestId,
          String(d.microUsd),
          String(tokens),
          JSON.stringify(d.scopes),
          String(Date.parse(envelope.time) + (context?.spendMarkerTtlSeconds ?? SPEND_MARKER_TTL_SECONDS) * 1000),
          quota.alerts,
          tenant,
          quota.budgets(tenant),
        ],
      ];
    }
    case 'BudgetThresholdCrossed': {
      const d = event.data as EventData<typeof BudgetThresholdCrossed>;
      return [['crossed', quota.alerted(tenant, d.budgetId, d.periodKey), String(d.threshold)]];
    }
    default:
      return [];
  }
}
