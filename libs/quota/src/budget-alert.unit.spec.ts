import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AlertTargets,
  alertDelivered,
  alertRequest,
  alertRetryDelayMs,
  budgetAlertEventId,
  budgetAlertText,
  signWebhook,
  verifyWebhookSignature,
  type BudgetAlert,
} from './index.js';

const crossing = { tenant: 'acme', budgetId: 'team.t-x.monthly', periodKey: 'm:2026-12', threshold: 80 };
const alert: BudgetAlert = { ...crossing, eventId: budgetAlertEventId(crossing), time: '2026-12-04T10:00:00.000Z', spentMicroUsd: 24_000_000, limitMicroUsd: 30_000_000 };

describe('budget alerts', () => {
  it('derives one UUIDv7-shaped event id per budget, period and threshold', () => {
    const id = budgetAlertEventId(crossing);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(budgetAlertEventId({ ...crossing })).toBe(id);
    expect(budgetAlertEventId({ ...crossing, threshold: 100 })).not.toBe(id);
    expect(budgetAlertEventId({ ...crossing, periodKey: '2027-01' })).not.toBe(id);
    expect(budgetAlertEventId({ ...crossing, tenant: 'other' })).not.toBe(id);
  });

  it('formats the crossing for humans', () => {
    expect(budgetAlertText(alert)).toBe('Budget team.t-x.monthly (tenant acme) reached 80% in period m:2026-12: 24.00 of 30.00 USD');
    expect(budgetAlertText({ ...alert, threshold: 100, spentMicroUsd: 30_000_000, limitMicroUsd: undefined, spentTokens: 10, limitTokens: 10 } as BudgetAlert)).toContain('is used up');
  });

  it('builds Slack and Feishu messages; the Feishu signature follows the bot spec', () => {
    const slack = alertRequest({ kind: 'slack', url: 'https://hooks.example/x' }, alert, 1_700_000_000_000);
    expect(JSON.parse(slack.body)).toEqual({ text: budgetAlertText(alert) });
    const feishu = alertRequest({ kind: 'feishu', url: 'https://open.example/hook', secret: 's3cret' }, alert, 1_700_000_000_500);
    const msg = JSON.parse(feishu.body) as { timestamp: string; sign: string; msg_type: string; content: { text: string } };
    expect(msg.msg_type).toBe('text');
    expect(msg.timestamp).toBe('1700000000');
    expect(msg.sign).toBe(createHmac('sha256', '1700000000\ns3cret').update('').digest('base64'));
    const unsigned = JSON.parse(alertRequest({ kind: 'feishu', url: 'https://open.example/hook' }, alert, 0).body) as Record<string, unknown>;
    expect(unsigned['sign']).toBeUndefined();
  });

  it('signs generic webhooks with a timestamped HMAC that verifies, and only then', () => {
    const secret = 'a-long-enough-secret';
    const req = alertRequest({ kind: 'webhook', url: 'https://hook.example/in', secret }, alert, 1_700_000_000_000);
    const signature = req.headers['x-totra-signature'] ?? '';
    const timestamp = req.headers['x-totra-timestamp'] ?? '';
    expect(signature).toBe(signWebhook(secret, 1_700_000_000, req.body));
    expect(verifyWebhookSignature(secret, { signature, timestamp, body: req.body, nowSeconds: 1_700_000_010 })).toBe(true);
    expect(verifyWebhookSignature('another-secret-xx', { signature, timestamp, body: req.body, nowSeconds: 1_700_000_010 })).toBe(false);
    expect(verifyWebhookSignature(secret, { signature, timestamp, body: `${req.body} `, nowSeconds: 1_700_000_010 })).toBe(false);
    expect(verifyWebhookSignature(secret, { signature, timestamp, body: req.body, nowSeconds: 1_700_001_000 })).toBe(false);
    const payload = JSON.parse(req.body) as { type: string; id: string; data: { threshold: number } };
    expect(payload).toMatchObject({ type: 'BudgetThresholdCrossed', id: alert.eventId, data: { threshold: 80 } });
  });

  it('validates targets, judges replies and backs off', () => {
    expect(AlertTargets.safeParse([{ kind: 'webhook', url: 'https://x.example', secret: 'short' }]).success).toBe(false);
    expect(AlertTargets.safeParse([{ kind: 'slack', url: 'ftp://x.example' }]).success).toBe(false);
    expect(AlertTargets.parse([{ kind: 'slack', url: 'https://x.example' }])).toHaveLength(1);
    expect(alertDelivered({ kind: 'feishu', url: 'https://x.example' }, 200, '{"code":19021,"msg":"sign match fail"}')).toBe(false);
    expect(alertDelivered({ kind: 'feishu', url: 'https://x.example' }, 200, '{"code":0}')).toBe(true);
    expect(alertDelivered({ kind: 'slack', url: 'https://x.example' }, 500, 'oops')).toBe(false);
    expect([1, 2, 3, 30].map((n) => alertRetryDelayMs(n, 100, 1000))).toEqual([100, 200, 400, 1000]);
  });
});
