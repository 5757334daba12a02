import { type ApiKeyIssued, type ApiKeyRevoked, type DecodedEvent, type EventData, type TeamNetworkPolicySet } from '@totra/events';
import { encodeHotKeyRecord, type HotIdentityLayout } from '@totra/identity';

/** One change to Redis, applied by the apply script (see apply-script.ts) in order. */
export type HotOp =
  /** Store a key record unless its key id is known already (the first issue wins). */
  | readonly ['issue', recordKey: string, idIndexKey: string, keyHash: string, ...fields: string[]]
  /** Mark the key revoked (found through its id) and announce its hash on the channel. */
  | readonly ['revoke', idIndexKey: string, recordKeyLeft: string, recordKeyRight: string, revokedAt: string, channel: string]
  /** Replace a team's allowlist and announce the team key on the channel. */
  | readonly ['team', teamKey: string, cidrsJson: string, channel: string];

/** What the projection is, for runners and `totra projections`. */
export const quotaHotProjection = {
  name: 'quota-hot',
  /** Bump when what the projection writes changes: a rebuild is then due. */
  version: 1,
  handles: ['ApiKeyIssued', 'ApiKeyRevoked', 'TeamNetworkPolicySet'] as const,
} as const;

export type QuotaHotEventType = (typeof quotaHotProjection.handles)[number];

const handled: ReadonlySet<string> = new Set(quotaHotProjection.handles);

/** Whether the projection does anything with events of this type. */
export function handlesEventType(type: string): type is QuotaHotEventType {
  return handled.has(type);
}

/** The Redis changes one (decoded, validated) event makes. Pure: no I/O. */
export function opsFor(event: DecodedEvent, layout: HotIdentityLayout): HotOp[] {
  const { envelope } = event;
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
      return [['issue', layout.key(d.keyHash), layout.keyId(d.keyId), d.keyHash, ...fields]];
    }
    case 'ApiKeyRevoked': {
      const d = event.data as EventData<typeof ApiKeyRevoked>;
      const [left, right] = layout.key('\u0000').split('\u0000') as [string, string];
      return [['revoke', layout.keyId(d.keyId), left, right, envelope.time, layout.revokedChannel]];
    }
    case 'TeamNetworkPolicySet': {
      const d = event.data as EventData<typeof TeamNetworkPolicySet>;
      return [['team', layout.team(envelope.tenant, d.teamId), JSON.stringify(d.cidrs), layout.teamPolicyChannel]];
    }
    default:
      return [];
  }
}
