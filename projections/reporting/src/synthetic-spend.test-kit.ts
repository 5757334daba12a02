import { addDays, weekday } from '@totra/analytics';
import { type EventInput } from '@totra/events';

/** One user of the synthetic tenant. */
export interface SyntheticUser {
  readonly user: string;
  readonly team: string;
  readonly model: string;
}

export const SYNTHETIC_USERS: readonly SyntheticUser[] = [
  { user: 'u-a1', team: 'team-a', model: 'gpt-4o' },
  { user: 'u-a2', team: 'team-a', model: 'gpt-4o' },
  { user: 'u-b1', team: 'team-b', model: 'claude-sonnet' },
  { user: 'u-b2', team: 'team-b', model: 'claude-sonnet' },
];

/** Requests per user by weekday (Sunday..Saturday): a Monday peak, quiet weekends. */
const WEEKLY = [22, 60, 40, 36, 34, 30, 21];

/** What the generator injected and what the events add up to. */
export interface SyntheticSpend {
  readonly inputs: EventInput[];
  readonly first: string;
  readonly last: string;
  /** Day user u-b1 sends ten times its usual requests. */
  readonly spendSpike: string;
  /** Day 40 % of u-a1's requests are blocked for PII (usually 4 %). */
  readonly piiSpike: string;
  /** micro-USD per day, per team and for the tenant (`''`). */
  readonly spendByDay: Map<string, Map<string, number>>;
  readonly requests: number;
}

/** Deterministic noise in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Ten weeks of traffic of one tenant from Monday 2026-01-05: four users in two teams, each on
 * one model, with a weekly pattern (Monday peak), a slow upward trend in price per request, a
 * 4 % PII-block rate, one spend spike and one PII-block spike. Events come in time order.
 */
export function syntheticSpend(weeks = 10, tenant = 'acme'): SyntheticSpend {
  const first = '2026-01-05';
  const days = weeks * 7;
  const last = addDays(first, days - 1);
  const spendSpike = addDays(first, 7 * 8 + 2); // a Wednesday in week 9
  const piiSpike = addDays(first, 7 * 9 + 3); // a Thursday in week 10
  const rnd = lcg(42);
  const inputs: EventInput[] = [];
  const spendByDay = new Map<string, Map<string, number>>();
  const addSpend = (scope: string, day: string, micro: number) => {
    const m = spendByDay.get(scope) ?? new Map<string, number>();
    m.set(day, (m.get(day) ?? 0) + micro);
    spendByDay.set(scope, m);
  };
  let n = 0;
  for (let t = 0; t < days; t++) {
    const day = addDays(first, t);
    for (const [u, who] of SYNTHETIC_USERS.entries()) {
      const usual = WEEKLY[weekday(day)]! + Math.floor(rnd() * 6);
      const count = who.user === 'u-b1' && day === spendSpike ? usual * 10 : usual;
      const caller = { keyId: `key_${String(u).padStart(32, '0')}`, userId: who.user, teamId: who.team };
      for (let i = 0; i < count; i++) {
        const requestId = `syn-${n++}`;
        const time = `${day}T${String(8 + (i % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.000Z`;
        const blockRate = who.user === 'u-a1' && day === piiSpike ? 0.4 : 0.04;
        if (rnd() < blockRate) {
          inputs.push({ type: 'RequestRejected', tenant, time, data: { requestId, api: 'openai.chat', ...caller, modelRequested: who.model, status: 422, reason: 'pii_blocked', code: 'TOTRA_PII_BLOCKED' } });
          continue;
        }
        const tokens = { input: 200 + Math.floor(rnd() * 100), output: 50, cachedInput: 0, reasoning: 0 };
        const microUsd = 1_000 + 10 * t + Math.floor(rnd() * 200);
        inputs.push({
          type: 'RequestCompleted',
          tenant,
          time,
          data: { requestId, api: 'openai.chat', ...caller, modelRequested: who.model, modelServed: who.model, provider: 'openai', deploymentId: 'd/1', attempts: 1, status: 200, stream: false, finishReason: 'stop', tokens: { ...tokens, estimated: false }, latency: { overheadUs: 1, upstreamUs: 2, totalUs: 3 } },
        });
        inputs.push({ type: 'SpendRecorded', tenant, time, data: { requestId, scopes: [], tokens, microUsd, priceVersion: 'p1', model: who.model, provider: 'openai', deploymentId: 'd/1', ...caller } });
        addSpend(who.team, day, microUsd);
        addSpend('', day, microUsd);
      }
    }
  }
  return { inputs, first, last, spendSpike, piiSpike, spendByDay, requests: n };
}
