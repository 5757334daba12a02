import { describe, expect, it } from 'vitest';
import { EventRegistry, GENESIS_PREV, type Envelope } from '@totra/events';
import { hotIdentityLayout } from '@totra/identity';
import { hotQuotaLayout } from '@totra/quota';
import { handlesEventType, opsFor, quotaHotProjection, SPEND_MARKER_TTL_SECONDS } from './quota-hot.projection.js';

const registry = new EventRegistry();
const layout = hotIdentityLayout('p:');
const KEY = 'key_0193b5a07c3e7abc8def0123456789ab';
const HASH = 'c'.repeat(64);

const envelope = (type: string, data: Record<string, unknown>): Envelope => ({
  v: 1,
  id: '0193b5a0-7c3e-7abc-8def-0123456789ab',
  type,
  time: '2026-12-04T10:00:00.000Z',
  chain: 'admin.host.boot',
  seq: 2,
  prev: GENESIS_PREV,
  tenant: 'acme',
  data,
  hash: 'd'.repeat(64),
});

describe('quota-hot ops', () => {
  it('handles key, erasure, team policy, budget, rate limit and spend events only', () => {
    expect(quotaHotProjection.handles).toEqual(['ApiKeyIssued', 'ApiKeyRevoked', 'SubjectKeyShredded', 'TeamNetworkPolicySet', 'BudgetSet', 'BudgetRemoved', 'RateLimitSet', 'SpendRecorded', 'BudgetThresholdCrossed']);
    expect(handlesEventType('ApiKeyRevoked')).toBe(true);
    expect(handlesEventType('RequestCompleted')).toBe(false);
    expect(opsFor(registry.decode(envelope('TestEventRecorded', { n: 1, label: 'x', amountMicroUsd: 1 })), layout)).toEqual([]);
  });

  it('stores an issued key under its hash, with identity fields and no secret', () => {
    const issued = envelope('ApiKeyIssued', {
      keyId: KEY,
      keyHash: HASH,
      prefix: 'tt-AbC12',
      userId: 'u_1',
      teamId: 't_1',
      name: 'ci job',
      cidrs: ['10.0.0.0/8'],
      expiresAt: '2027-01-01T00:00:00.000Z',
    });
    expect(opsFor(registry.decode(issued), layout)).toEqual([
      [
        'issue',
        `p:key:{${HASH}}`,
        `p:keyid:${KEY}`,
        HASH,
        'keyId', KEY,
        'prefix', 'tt-AbC12',
        'userId', 'u_1',
        'teamId', 't_1',
        'tenant', 'acme',
        'cidrs', '["10.0.0.0/8"]',
        'expiresAt', '2027-01-01T00:00:00.000Z',
        'revoked', '0',
      ],
      ['revoke-if-erased', 'p:erased:acme:u_1', `p:keyid:${KEY}`, 'p:key:{', '}', '2026-12-04T10:00:00.000Z', 'p:keys:revoked'],
    ]);
  });

  it('marks a user erased on an erasure shred, not on a retention shred', () => {
    const shred = (reason: 'erasure' | 'retention') =>
      registry.decode({ ...envelope('SubjectKeyShredded', { kids: ['k1'], journalEntryId: 'j1', reason }), subject: 'u_1' });
    expect(opsFor(shred('erasure'), layout)).toEqual([['erased', 'p:erased:acme:u_1', '2026-12-04T10:00:00.000Z']]);
    expect(opsFor(shred('retention'), layout)).toEqual([]);
  });

  it('revokes by key id and announces on the revoked channel', () => {
    expect(opsFor(registry.decode(envelope('ApiKeyRevoked', { keyId: KEY })), layout)).toEqual([
      ['revoke', `p:keyid:${KEY}`, 'p:key:{', '}', '2026-12-04T10:00:00.000Z', 'p:keys:revoked'],
    ]);
  });

  it('replaces a team allowlist in the tenant and announces it', () => {
    expect(opsFor(registry.decode(envelope('TeamNetworkPolicySet', { teamId: 't_1', cidrs: [] })), layout)).toEqual([
      ['team', 'p:team:acme:t_1', '[]', 'p:teams:policy'],
    ]);
  });

  it('announces every budget and rate-limit change on the limits channel, with the tenant', () => {
    const set = registry.decode(
      envelope('BudgetSet', { budgetId: 'bud_team1', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 5 }, period: 'monthly', timeZone: 'UTC', thresholds: [] }),
    );
    const [budgetOp] = opsFor(set, layout);
    expect(budgetOp?.slice(0, 3)).toEqual(['budget', 'p:qbdef:{acme}', 'bud_team1']);
    expect(budgetOp?.slice(-2)).toEqual(['p:quota:limits', 'acme']);
    expect(opsFor(registry.decode(envelope('BudgetRemoved', { budgetId: 'bud_team1' })), layout)).toEqual([['unbudget', 'p:qbdef:{acme}', 'bud_team1', 'p:quota:limits', 'acme']]);
    expect(opsFor(registry.decode(envelope('RateLimitSet', { keyId: KEY, rpm: 60 })), layout)).toEqual([['ratelimit', `p:qrl:{acme}:${KEY}`, '60', '', 'p:quota:limits', 'acme']]);
  });
  it('keeps the marker of a spend for a day after its event, or as long as asked', () => {
    const spend = registry.decode(
      envelope('SpendRecorded', {
        requestId: 'r-1',
        scopes: ['bud_team1/m:2026-12'],
        tokens: { input: 10, output: 5, cachedInput: 0, reasoning: 0 },
        microUsd: 42,
        priceVersion: 'v1',
        model: 'gpt-4o',
        provider: 'openai',
        deploymentId: 'd',
        keyId: KEY,
        userId: 'u_1',
        teamId: 't_1',
      }),
    );
    const at = Date.parse('2026-12-04T10:00:00.000Z');
    expect(SPEND_MARKER_TTL_SECONDS).toBe(24 * 3600);
    expect(opsFor(spend, layout)).toEqual([['spend', 'p:', '{acme}', 'r-1', '42', '15', '["bud_team1/m:2026-12"]', String(at + 86_400_000), 'p:quota:alerts', 'acme', 'p:qbdef:{acme}']]);
    expect(opsFor(spend, layout, { quota: hotQuotaLayout('p:'), spendMarkerTtlSeconds: 60 })[0]?.[7]).toBe(String(at + 60_000));
  });
});
