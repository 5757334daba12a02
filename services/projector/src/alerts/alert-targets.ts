import { readFileSync } from 'node:fs';
import { AlertTargets, type AlertTarget } from '@totra/quota';
import { ProjectorConfigError } from '../config.js';

/**
 * Reads the alert targets from `TOTRA_ALERT_WEBHOOKS`: a JSON list (starting with `[`) or the
 * path of a file holding one, e.g.
 * `[{"kind":"slack","url":"https://hooks.slack.com/services/..."},
 *   {"kind":"feishu","url":"https://open.feishu.cn/open-apis/bot/v2/hook/...","secret":"..."},
 *   {"kind":"webhook","url":"https://ops.example/totra","secret":"<16+ chars>","tenants":["acme"]}]`.
 */
export function loadAlertTargets(value: string | undefined): AlertTarget[] {
  if (value === undefined || value.trim() === '') return [];
  let text = value.trim();
  if (!text.startsWith('[')) {
    try {
      text = readFileSync(text, 'utf8');
    } catch (err) {
      throw new ProjectorConfigError(`TOTRA_ALERT_WEBHOOKS: cannot read ${text}: ${(err as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProjectorConfigError(`TOTRA_ALERT_WEBHOOKS: not JSON: ${(err as Error).message}`);
  }
  const parsed = AlertTargets.safeParse(json);
  if (!parsed.success) {
    throw new ProjectorConfigError(`TOTRA_ALERT_WEBHOOKS: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(list)'}: ${i.message}`).join('; ')}`);
  }
  const names = parsed.data.map((t, i) => t.name ?? `${t.kind}-${i}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ProjectorConfigError(`TOTRA_ALERT_WEBHOOKS: two targets are named ${dup}`);
  return parsed.data;
}
