import { describe, expect, it } from 'vitest';
import { loadAlertTargets } from './alert-targets.js';

describe('TOTRA_ALERT_WEBHOOKS', () => {
  it('reads a JSON list of targets, none when unset', () => {
    expect(loadAlertTargets(undefined)).toEqual([]);
    const t = loadAlertTargets('[{"kind":"slack","url":"https://hooks.example/a"},{"kind":"webhook","url":"http://127.0.0.1:9/h","secret":"0123456789abcdef"}]');
    expect(t.map((x) => x.kind)).toEqual(['slack', 'webhook']);
  });

  it('says what is wrong with a bad list', () => {
    expect(() => loadAlertTargets('[{"kind":"webhook","url":"https://x.example"}]')).toThrow(/TOTRA_ALERT_WEBHOOKS: 0.secret/);
    expect(() => loadAlertTargets('[{"kind":"slack","url":"https://a.example","name":"x"},{"kind":"slack","url":"https://b.example","name":"x"}]')).toThrow(/named x/);
    expect(() => loadAlertTargets('[oops')).toThrow(/not JSON/);
    expect(() => loadAlertTargets('no-such-alert-targets-file.json')).toThrow(/cannot read/);
  });
});
