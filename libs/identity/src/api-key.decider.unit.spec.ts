import { describe, expect, it } from 'vitest';
import { EventRegistry } from '@totra/events';
import {
  evolveApiKeys,
  foldApiKeys,
  initialApiKeysState,
  issueApiKey,
  revokeApiKey,
  setTeamNetworkPolicy,
  type ApiKeysState,
  type FoldableEvent,
  type IssueApiKey,
} from './api-key.decider.js';

const at = new Date('2026-12-04T10:00:00.000Z');
const later = new Date('2026-12-04T11:00:00.000Z');
const KEY_A = 'key_0193b5a07c3e7abc8def0123456789ab';
const KEY_B = 'key_0193b5a07c3e7abc8def0123456789ac';

const issue = (over: Partial<IssueApiKey> = {}): IssueApiKey => ({
  keyId: KEY_A,
  keyHash: 'a'.repeat(64),
  prefix: 'tt-AbC12',
  user: 'u_7f3a',
  team: 't_payments',
  tenant: 'acme',
  at,
  ...over,
});

/** Given these past events, when the decider runs, then: events or an error. */
const given = (...events: FoldableEvent[]): ApiKeysState => foldApiKeys(events);
const registry = new EventRegistry();
/** Every event a decider emits must be accepted by the event log as it is. */
const appendable = (events: { type: string; tenant: string; data: unknown }[]) =>
  events.forEach((e) => expect(() => registry.validateInput({ type: e.type, tenant: e.tenant, data: e.data as Record<string, unknown> })).not.toThrow());

describe('issueApiKey', () => {
  it('given no keys, when a key is issued, then ApiKeyIssued carries hash, prefix and pseudonymous ids at the command time', () => {
    const events = issueApiKey(issue({ name: '  billing batch  ', cidrs: ['10.0.0.0/8', '2001:DB8::/32', '10.0.0.0/8'], expiresAt: later }), given());
    expect(events).toEqual([
      {
        type: 'ApiKeyIssued',
        tenant: 'acme',
        time: '2026-12-04T10:00:00.000Z',
        data: {
          keyId: KEY_A,
          keyHash: 'a'.repeat(64),
          prefix: 'tt-AbC12',
          userId: 'u_7f3a',
          teamId: 't_payments',
          name: 'billing batch',
          cidrs: ['10.0.0.0/8', '2001:db8::/32'],
          expiresAt: '2026-12-04T11:00:00.000Z',
        },
      },
    ]);
    appendable(events);
  });

  it('given no keys, when a minimal key is issued, then optional fields stay absent', () => {
    const [event] = issueApiKey(issue({ cidrs: [] }), given());
    expect(event?.data).toEqual({ keyId: KEY_A, keyHash: 'a'.repeat(64), prefix: 'tt-AbC12', userId: 'u_7f3a', teamId: 't_payments' });
  });

  it('given the key id exists, when issued again, then TOTRA_KEY_ALREADY_EXISTS', () => {
    const state = given(...issueApiKey(issue(), given()));
    expect(() => issueApiKey(issue(), state)).toThrow(expect.objectContaining({ code: 'TOTRA_KEY_ALREADY_EXISTS' }));
  });

  it.each<[string, Partial<IssueApiKey>, string]>([
    ['a bad CIDR', { cidrs: ['10.0.0.1/8'] }, 'TOTRA_CIDR_INVALID'],
    ['an expiry not after issue', { expiresAt: at }, 'TOTRA_KEY_INVALID'],
    ['an invalid expiry', { expiresAt: new Date('nope') }, 'TOTRA_KEY_INVALID'],
    ['an email as user id', { user: 'jane@example.com' }, 'TOTRA_KEY_INVALID'],
    ['a team id with a colon', { team: 'a:b' }, 'TOTRA_KEY_INVALID'],
    ['a bad key id', { keyId: 'key_123' }, 'TOTRA_KEY_INVALID'],
    ['an uppercase hash', { keyHash: 'A'.repeat(64) }, 'TOTRA_KEY_INVALID'],
    ['a prefix that is too long', { prefix: 'tt-AbC123' }, 'TOTRA_KEY_INVALID'],
    ['an empty name', { name: '   ' }, 'TOTRA_KEY_INVALID'],
    ['an empty tenant', { tenant: '' }, 'TOTRA_KEY_INVALID'],
    ['too many networks', { cidrs: Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`) }, 'TOTRA_KEY_INVALID'],
  ])('given no keys, when issued with %s, then %s', (_name, over, code) => {
    expect(() => issueApiKey(issue(over), given())).toThrow(expect.objectContaining({ code }));
  });
});

describe('revokeApiKey', () => {
  const issued = issueApiKey(issue(), given());

  it('given an active key, when revoked, then ApiKeyRevoked in the key tenant at the command time', () => {
    const events = revokeApiKey({ keyId: KEY_A, reason: 'leaked in a CI log', at: later }, given(...issued));
    expect(events).toEqual([
      { type: 'ApiKeyRevoked', tenant: 'acme', time: '2026-12-04T11:00:00.000Z', data: { keyId: KEY_A, reason: 'leaked in a CI log' } },
    ]);
    appendable(events);
  });

  it('given no such key, when revoked, then TOTRA_KEY_NOT_FOUND', () => {
    expect(() => revokeApiKey({ keyId: KEY_B, at: later }, given(...issued))).toThrow(expect.objectContaining({ code: 'TOTRA_KEY_NOT_FOUND', keyId: KEY_B }));
  });

  it('given a revoked key, when revoked again, then TOTRA_KEY_ALREADY_REVOKED', () => {
    const state = given(...issued, ...revokeApiKey({ keyId: KEY_A, at: later }, given(...issued)));
    expect(() => revokeApiKey({ keyId: KEY_A, at: later }, state)).toThrow(expect.objectContaining({ code: 'TOTRA_KEY_ALREADY_REVOKED' }));
  });

  it('given anything, when the key id is malformed, then TOTRA_KEY_INVALID', () => {
    expect(() => revokeApiKey({ keyId: 'tt-secret', at: later }, given(...issued))).toThrow(expect.objectContaining({ code: 'TOTRA_KEY_INVALID' }));
  });
});

describe('setTeamNetworkPolicy', () => {
  it('normalises the list and may clear it', () => {
    const events = setTeamNetworkPolicy({ team: 't_payments', tenant: 'acme', cidrs: ['192.0.2.7', '::ffff:10.0.0.0/104'], at });
    expect(events).toEqual([
      { type: 'TeamNetworkPolicySet', tenant: 'acme', time: '2026-12-04T10:00:00.000Z', data: { teamId: 't_payments', cidrs: ['192.0.2.7/32', '10.0.0.0/8'] } },
    ]);
    appendable(events);
    expect(setTeamNetworkPolicy({ team: 't_payments', tenant: 'acme', cidrs: [], at })[0]?.data.cidrs).toEqual([]);
    expect(() => setTeamNetworkPolicy({ team: 't', tenant: 'acme', cidrs: ['300.0.0.0/8'], at })).toThrow(expect.objectContaining({ code: 'TOTRA_CIDR_INVALID' }));
  });
});

describe('evolveApiKeys', () => {
  it('folds issue and revoke into a view without the hash, and ignores other events', () => {
    const issued = issueApiKey(issue({ name: 'ci', expiresAt: later }), given());
    let state = initialApiKeysState;
    for (const e of issued) state = evolveApiKeys(state, e);
    const before = state;
    state = evolveApiKeys(state, { type: 'TestEventRecorded', tenant: 'acme', time: at.toISOString(), data: { n: 1 } });
    expect(state).toBe(before);
    for (const e of revokeApiKey({ keyId: KEY_A, reason: 'gone', at: later }, state)) state = evolveApiKeys(state, e);
    expect(before.get(KEY_A)?.status).toBe('active'); // the old state is not changed
    expect(state.get(KEY_A)).toEqual({
      keyId: KEY_A,
      prefix: 'tt-AbC12',
      userId: 'u_7f3a',
      teamId: 't_payments',
      tenant: 'acme',
      name: 'ci',
      cidrs: [],
      issuedAt: '2026-12-04T10:00:00.000Z',
      expiresAt: '2026-12-04T11:00:00.000Z',
      status: 'revoked',
      revokedAt: '2026-12-04T11:00:00.000Z',
      revokeReason: 'gone',
    });
    expect(JSON.stringify([...state.values()])).not.toContain('a'.repeat(64));
  });

  it('keeps the first issue and the first revocation when events repeat', () => {
    const first = issueApiKey(issue(), given());
    const second = issueApiKey(issue({ user: 'u_other' }), given());
    const revoke1 = { type: 'ApiKeyRevoked', tenant: 'acme', time: '2026-12-04T10:30:00.000Z', data: { keyId: KEY_A, reason: 'first' } };
    const revoke2 = { type: 'ApiKeyRevoked', tenant: 'acme', time: '2026-12-04T10:45:00.000Z', data: { keyId: KEY_A, reason: 'second' } };
    const state = foldApiKeys([...first, ...second, revoke1, revoke2]);
    expect(state.get(KEY_A)).toMatchObject({ userId: 'u_7f3a', revokedAt: '2026-12-04T10:30:00.000Z', revokeReason: 'first' });
    // A revocation of an unknown key changes nothing.
    expect(foldApiKeys([{ ...revoke1, data: { keyId: KEY_B } }]).size).toBe(0);
  });
});
