import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from './define-event.js';
import { PERSONAL_FIELD_EXCEPTIONS, personalFieldsInClear } from './personal-fields.js';
import { EventRegistry } from './registry.js';

describe('personal data stays out of clear event data', () => {
  const registry = new EventRegistry();

  it('no registered event type has a personal field in its clear data (only in sealedFields)', () => {
    const offenders = registry
      .list()
      .map((def) => ({ type: def.type, fields: personalFieldsInClear(def) }))
      .filter((o) => o.fields.length > 0);
    expect(offenders).toEqual([]);
  });

  it('finds a personal field at any depth, whatever its case, so the scan above can fail', () => {
    const leaky = defineEvent({
      type: 'LeakyThing',
      v: 1,
      description: 'test only',
      data: z.object({ user: z.object({ Email: z.string() }).optional(), items: z.array(z.object({ prompt: z.string() })), userId: z.string() }),
    });
    expect(personalFieldsInClear(leaky).sort()).toEqual(['items.prompt', 'user.Email']);
  });

  it('finds a field the event itself declares sealed (e.g. a free-text reason) when it is also in clear data', () => {
    const both = defineEvent({ type: 'ReasonTwice', v: 1, description: 'test only', sealedFields: ['reason'], data: z.object({ id: z.string(), reason: z.string().optional() }) });
    expect(personalFieldsInClear(both)).toEqual(['reason']);
    expect(personalFieldsInClear({ ...both, sealedFields: [] })).toEqual([]);
  });

  it('QuotaIncreaseRequested: the reason is sealed only; a v1 event with a clear reason is read without it', () => {
    const def = registry.get('QuotaIncreaseRequested');
    expect(def.sealedFields).toEqual(['reason']);
    expect(personalFieldsInClear(def)).toEqual([]);
    const data = { quotaRequestId: `qr_${'a'.repeat(32)}`, requestedBy: 'u1', amountMicroUsd: 5 };
    expect(() => registry.validateInput({ type: 'QuotaIncreaseRequested', tenant: 't', data: { ...data, reason: 'my manager said so' } })).toThrow(/Unrecognized key/);
    const v1 = {
      id: '0193b5a0-7c3e-7abc-8def-0123456789ab',
      type: 'QuotaIncreaseRequested',
      v: 1,
      time: '2026-12-04T10:00:00.000Z',
      chain: 'cli.host-1.boot1',
      seq: 2,
      prev: 'a'.repeat(64),
      tenant: 't',
      hash: 'b'.repeat(64),
      data: { ...data, reason: 'in clear' },
    };
    expect(JSON.stringify(registry.decode(v1).data)).not.toContain('in clear');
  });

  it('exceptions name real fields of registered types', () => {
    for (const [type, fields] of Object.entries(PERSONAL_FIELD_EXCEPTIONS)) {
      const shape = JSON.stringify(z.toJSONSchema(registry.get(type).data));
      for (const field of Object.keys(fields)) expect(shape).toContain(`"${field}"`);
    }
  });

  it('the GDPR event types that seal personal data name a subject, and refuse sealed parts where they have none', () => {
    for (const type of ['UserCreated', 'RequestContentLogged']) expect(registry.get(type).requiresSubject, type).toBe(true);
    // The client's address and user agent of a request are sealed, never in clear.
    for (const type of ['RequestCompleted', 'RequestFailed', 'RequestRejected']) expect(registry.get(type).sealedFields, type).toEqual(['clientIp', 'userAgent']);
    expect(registry.validateInput({ type: 'UserCreated', tenant: 't', subject: 's1', data: { userId: 'u1', teamId: 't1' }, sealed: { kid: 'dk_1', alg: 'A256GCM', iv: 'aaaa', ct: 'bbbb' } })).toEqual({
      v: 1,
      data: { userId: 'u1', teamId: 't1' },
    });
    expect(() => registry.validateInput({ type: 'UserCreated', tenant: 't', data: { userId: 'u1', teamId: 't1' } })).toThrow(/data subject is required/);
    expect(() => registry.validateInput({ type: 'UserCreated', tenant: 't', subject: 's1', data: { userId: 'u1', teamId: 't1', email: 'a@b.c' } })).toThrow(/Unrecognized key/);
  });
});
