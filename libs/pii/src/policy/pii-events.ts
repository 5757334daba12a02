import { type PiiGroup, type PiiType } from '../types.js';
import { type PiiCount, type PiiDirection } from './apply-policy.js';

/** How many findings of one type: what the events carry instead of values. */
export interface PiiTypeCount {
  readonly type: PiiType;
  readonly group: PiiGroup;
  readonly count: number;
}

// Type aliases rather than interfaces, so the data is assignable to an `EventInput`'s record.
/** Data of a `PiiRedacted` event (schema in @totra/events). */
export type PiiRedactedData = {
  readonly requestId: string;
  readonly direction: PiiDirection;
  readonly action: 'redact' | 'pseudonymize' | 'log';
  readonly types: readonly PiiTypeCount[];
  readonly policyId: string;
};

/** Data of a `PiiBlocked` event (schema in @totra/events). */
export type PiiBlockedData = {
  readonly requestId: string;
  readonly types: readonly PiiTypeCount[];
  readonly policyId: string;
};

/** A PII event ready for the chain writer once the caller adds `tenant` (and `subject`, `time`). */
export type PiiFindingEvent = { readonly type: 'PiiRedacted'; readonly data: PiiRedactedData } | { readonly type: 'PiiBlocked'; readonly data: PiiBlockedData };

function grouped<K extends string>(counts: readonly PiiCount[], keyOf: (c: PiiCount) => K): Map<K, PiiTypeCount[]> {
  const out = new Map<K, PiiTypeCount[]>();
  for (const c of counts) {
    const k = keyOf(c);
    const list = out.get(k) ?? [];
    const same = list.find((t) => t.type === c.type);
    if (same) list[list.indexOf(same)] = { ...same, count: same.count + c.count };
    else list.push({ type: c.type, group: c.group, count: c.count });
    out.set(k, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return out;
}

/**
 * The events that record what a policy did to one direction of one request: one `PiiBlocked`
 * per blocking policy when the request was blocked (and nothing else), otherwise one
 * `PiiRedacted` per (action, policy) with the types and their counts. They carry types, groups,
 * counts and policy ids only: never a value, a hash of a value or an offset.
 */
export function piiEventsFor(requestId: string, direction: PiiDirection, outcome: { readonly counts: readonly PiiCount[]; readonly blocked?: readonly PiiType[] | undefined }): PiiFindingEvent[] {
  const blocking = outcome.counts.filter((c) => c.action === 'block');
  if ((outcome.blocked !== undefined && outcome.blocked.length > 0) || blocking.length > 0) {
    return [...grouped(blocking, (c) => c.policyId)]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([policyId, types]) => ({ type: 'PiiBlocked', data: { requestId, types, policyId } }));
  }
  const order = { redact: 0, pseudonymize: 1, log: 2 } as const;
  const events: { key: [number, string]; event: PiiFindingEvent }[] = [];
  for (const [key, types] of grouped(outcome.counts, (c) => `${c.action}\u0000${c.policyId}`)) {
    const [action, policyId] = key.split('\u0000') as ['redact' | 'pseudonymize' | 'log', string];
    events.push({ key: [order[action], policyId], event: { type: 'PiiRedacted', data: { requestId, direction, action, types, policyId } } });
  }
  return events.sort((a, b) => a.key[0] - b.key[0] || (a.key[1] < b.key[1] ? -1 : a.key[1] > b.key[1] ? 1 : 0)).map((e) => e.event);
}
