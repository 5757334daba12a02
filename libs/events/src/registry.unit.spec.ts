import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from './define-event.js';
import { type Envelope, GENESIS_PREV } from './envelope.js';
import { ChainOpened } from './events/chain-opened.event.js';
import { TestEventRecorded } from './events/test-event-recorded.event.js';
import { EventRegistry } from './registry.js';

const base = {
  id: '0193b5a0-7c3e-7abc-8def-0123456789ab',
  time: '2026-12-04T10:00:00.000Z',
  chain: 'gateway.host-1.boot1',
  seq: 2,
  prev: 'a'.repeat(64),
  tenant: 'acme',
  hash: 'b'.repeat(64),
};

describe('EventRegistry', () => {
  const registry = new EventRegistry();

  it('knows the core event types, listed once each in name order', () => {
    const types = registry.list().map((d) => d.type);
    expect(types).toEqual(expect.arrayContaining(['ChainOpened', 'TestEventRecorded', 'RequestCompleted', 'RequestRejected', 'RequestFailed']));
    expect(types).toEqual([...new Set(types)].sort((a, b) => a.localeCompare(b)));
  });

  it('validates what a writer appends and names the bad field', () => {
    expect(registry.validateInput({ type: 'TestEventRecorded', tenant: 't', data: { n: 1, label: 'x', amountMicroUsd: 5 } })).toEqual({
      v: 2,
      data: { n: 1, label: 'x', amountMicroUsd: 5 },
    });
    expect(() => registry.validateInput({ type: 'TestEventRecorded', tenant: 't', data: { n: 1.5, label: 'x', amountMicroUsd: 5 } })).toThrow(
      /TestEventRecorded: invalid data \(n: /,
    );
    expect(() => registry.validateInput({ type: 'TestEventRecorded', tenant: 't', data: { n: 1, label: 'x', amountMicroUsd: 5, email: 'a@b.c' } })).toThrow(
      /Unrecognized key/,
    );
  });

  it('refuses unknown types with a coded error', () => {
    try {
      registry.validateInput({ type: 'NoSuchThing', tenant: 't', data: {} });
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe('TOTRA_EVENT_UNKNOWN_TYPE');
    }
  });

  it('refuses a sealed part on an event that carries no personal data', () => {
    expect(() =>
      registry.validateInput({
        type: 'TestEventRecorded',
        tenant: 't',
        data: { n: 1, label: 'x', amountMicroUsd: 5 },
        sealed: { kid: 'k', alg: 'A256GCM', iv: 'aaaa', ct: 'bbbb' },
      }),
    ).toThrow(/takes no sealed part/);
  });

  it('upcasts data written at an older version, leaving the stored envelope as it was', () => {
    const stored: Envelope = { ...base, v: 1, type: 'TestEventRecorded', data: { n: 7, note: 'old' } };
    const decoded = registry.decode(stored);
    expect(decoded.v).toBe(2);
    expect(decoded.data).toEqual({ n: 7, label: 'old', amountMicroUsd: 0 });
    expect(decoded.envelope.data).toEqual({ n: 7, note: 'old' });
  });

  it('rejects data from a newer version than it knows', () => {
    const stored: Envelope = { ...base, v: 3, type: 'TestEventRecorded', data: { n: 7 } };
    expect(() => registry.decode(stored)).toThrow(/newer than this software knows/);
  });

  it('rejects malformed envelopes with the failing field', () => {
    expect(() => registry.decode({ ...base, v: 1, type: 'ChainOpened', data: {}, seq: 0 })).toThrow(/seq/);
    expect(() => registry.decode({ ...base, v: 1, type: 'ChainOpened', data: {}, prev: 'xyz' })).toThrow(/prev/);
    expect(() => registry.decode({ ...base, v: 1, type: 'ChainOpened', data: {}, extra: 1 })).toThrow(/Unrecognized key/);
  });

  it('decodes a genesis event', () => {
    const d = registry.decode({
      ...base,
      seq: 1,
      prev: GENESIS_PREV,
      v: 1,
      type: ChainOpened.type,
      data: { role: 'gateway', host: 'host-1', bootId: 'boot1', writer: '0.1.0', format: 'totra-chain/1' },
    });
    expect(d.data['role']).toBe('gateway');
  });

  it('refuses a definition whose upcasters leave a hole, and duplicate types', () => {
    const broken = defineEvent({ type: 'ThingHappened', v: 3, description: 'x', data: z.object({}), upcasters: [{ from: 1, up: (d) => d }] });
    expect(() => new EventRegistry([broken])).toThrow(/no upcaster from v2/);
    expect(() => new EventRegistry([TestEventRecorded, TestEventRecorded])).toThrow(/registered twice/);
  });
});
