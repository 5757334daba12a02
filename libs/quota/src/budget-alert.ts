import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formatMicroUsd } from './budget.decider.js';

/** A threshold crossing as the notifier announces it: the `BudgetThresholdCrossed` event, flattened. */
export interface BudgetAlert {
  /** Id of the `BudgetThresholdCrossed` event ({@link budgetAlertEventId}). */
  eventId: string;
  tenant: string;
  /** ISO time the crossing was recorded. */
  time: string;
  budgetId: string;
  periodKey: string;
  threshold: number;
  spentMicroUsd: number;
  limitMicroUsd?: number;
  spentTokens?: number;
  limitTokens?: number;
}

/** Where budget alerts go: a Slack incoming webhook, a Feishu bot webhook or a signed generic webhook. */
export const AlertTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('slack'), name: z.string().min(1).optional(), url: z.url({ protocol: /^https?$/ }), tenants: z.array(z.string().min(1)).optional() }).strict(),
  z
    .object({
      kind: z.literal('feishu'),
      name: z.string().min(1).optional(),
      url: z.url({ protocol: /^https?$/ }),
      /** The bot's signing secret ("signature verification" in the bot settings). */
      secret: z.string().min(1).optional(),
      tenants: z.array(z.string().min(1)).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('webhook'),
      name: z.string().min(1).optional(),
      url: z.url({ protocol: /^https?$/ }),
      /** HMAC-SHA256 key; the receiver verifies `x-totra-signature` with it. */
      secret: z.string().min(16, 'at least 16 characters'),
      tenants: z.array(z.string().min(1)).optional(),
    })
    .strict(),
]);
export type AlertTarget = z.infer<typeof AlertTarget>;
export const AlertTargets = z.array(AlertTarget);

/** The name a target is known by in the outbox (its `name`, else `<kind>-<index>`). */
export function alertTargetName(target: AlertTarget, index: number): string {
  return target.name ?? `${target.kind}-${index}`;
}

/** Whether the target wants alerts of this tenant (all tenants when it names none). */
export function alertTargetAccepts(target: AlertTarget, tenant: string): boolean {
  return target.tenants === undefined || target.tenants.includes(tenant);
}

/**
 * The event id of the crossing of `threshold` by a budget in one period: a UUIDv7-shaped id
 * derived from a SHA-256 of the four, so the same crossing always gets the same id and a
 * notifier can tell that the log holds it already (after a rebuild re-records the crossing).
 */
export function budgetAlertEventId(a: { tenant: string; budgetId: string; periodKey: string; threshold: number }): string {
  const b = createHash('sha256').update(JSON.stringify(['BudgetThresholdCrossed', a.tenant, a.budgetId, a.periodKey, a.threshold])).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70; // version 7
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One line for humans: `Budget team.x.monthly (tenant acme) reached 80% in 2026-12: 24.00 of 30.00 USD`. */
export function budgetAlertText(a: BudgetAlert): string {
  const parts: string[] = [];
  if (a.limitMicroUsd !== undefined) parts.push(`${formatMicroUsd(a.spentMicroUsd)} of ${formatMicroUsd(a.limitMicroUsd)} USD`);
  else if (a.spentMicroUsd > 0) parts.push(`${formatMicroUsd(a.spentMicroUsd)} USD`);
  if (a.limitTokens !== undefined) parts.push(`${a.spentTokens ?? 0} of ${a.limitTokens} tokens`);
  const verb = a.threshold >= 100 ? 'is used up' : `reached ${a.threshold}%`;
  return `Budget ${a.budgetId} (tenant ${a.tenant}) ${verb}${a.threshold > 100 ? ` (${a.threshold}%)` : ''} in period ${a.periodKey}: ${parts.join(', ')}`;
}

/** The HTTP request that delivers an alert to one target. */
export interface AlertRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Header names of the signed generic webhook. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-totra-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-totra-timestamp';

/**
 * Signature of a generic webhook: `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the
 * timestamp in Unix seconds (sent in `x-totra-timestamp`), so a replayed old request is refused.
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** Checks a generic webhook's signature and that its timestamp is within `toleranceSeconds` of `nowSeconds`. */
export function verifyWebhookSignature(secret: string, o: { signature: string; timestamp: string; body: string; nowSeconds: number; toleranceSeconds?: number }): boolean {
  if (!/^\d{1,12}$/.test(o.timestamp)) return false;
  const ts = Number(o.timestamp);
  if (Math.abs(o.nowSeconds - ts) > (o.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, o.body));
  const given = Buffer.from(o.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Feishu bot signature: base64(HMAC-SHA256 keyed with `"<timestamp>\n<secret>"` over nothing). */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).digest('base64');
}

/** The event as a generic webhook receives it. */
export function budgetAlertPayload(a: BudgetAlert): Record<string, unknown> {
  const data: Record<string, unknown> = { budgetId: a.budgetId, threshold: a.threshold, periodKey: a.periodKey, spentMicroUsd: a.spentMicroUsd };
  if (a.limitMicroUsd !== undefined) data['limitMicroUsd'] = a.limitMicroUsd;
  if (a.spentTokens !== undefined) data['spentTokens'] = a.spentTokens;
  if (a.limitTokens !== undefined) data['limitTokens'] = a.limitTokens;
  return { type: 'BudgetThresholdCrossed', id: a.eventId, tenant: a.tenant, time: a.time, data, text: budgetAlertText(a) };
}

/**
 * Any alert the notifier delivers (budget crossings, overdue erasure requests, ...): the id of
 * the event it announces, one line for people (Slack, Feishu) and the JSON a generic webhook gets.
 */
export interface AlertNotice {
  eventId: string;
  tenant: string;
  text: string;
  payload: Record<string, unknown>;
}

/** A budget crossing as a notice. */
export function budgetAlertNotice(a: BudgetAlert): AlertNotice {
  return { eventId: a.eventId, tenant: a.tenant, text: budgetAlertText(a), payload: budgetAlertPayload(a) };
}

/** Builds the request for one target at `nowMs` (signatures are timestamped). Pure. */
export function alertRequest(target: AlertTarget, a: BudgetAlert, nowMs: number): AlertRequest {
  return noticeRequest(target, budgetAlertNotice(a), nowMs);
}

/** Builds the request that delivers any notice to one target at `nowMs`. Pure. */
export function noticeRequest(target: AlertTarget, n: AlertNotice, nowMs: number): AlertRequest {
  const ts = Math.floor(nowMs / 1000);
  const json = { 'content-type': 'application/json' };
  const text = n.text;
  switch (target.kind) {
    case 'slack':
      return { url: target.url, headers: json, body: JSON.stringify({ text }) };
    case 'feishu': {
      const msg: Record<string, unknown> = { msg_type: 'text', content: { text } };
      if (target.secret !== undefined) Object.assign(msg, { timestamp: String(ts), sign: feishuSign(target.secret, ts) });
      return { url: target.url, headers: json, body: JSON.stringify(msg) };
    }
    case 'webhook': {
      const body = JSON.stringify(n.payload);
      return {
        url: target.url,
        headers: { ...json, [WEBHOOK_TIMESTAMP_HEADER]: String(ts), [WEBHOOK_SIGNATURE_HEADER]: signWebhook(target.secret, ts, body), 'x-totra-event-id': n.eventId },
        body,
      };
    }
  }
}

/** Wait before delivery attempt `attempt + 1` (attempt counts from 1): doubling from `baseMs`, capped. */
export function alertRetryDelayMs(attempt: number, baseMs = 1000, maxMs = 5 * 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Whether a target accepted the alert: a 2xx status, and for Feishu also `code` 0 in the JSON
 * reply (Feishu answers 200 with a non-zero code for a bad signature or a rate limit).
 */
export function alertDelivered(target: AlertTarget, status: number, body: string): boolean {
  if (status < 200 || status > 299) return false;
  if (target.kind !== 'feishu') return true;
  try {
    const reply = JSON.parse(body) as { code?: unknown; StatusCode?: unknown };
    const code = reply.code ?? reply.StatusCode ?? 0;
    return code === 0;
  } catch {
    return false;
  }
}
