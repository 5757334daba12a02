import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateCorpus } from '../corpus/corpus.js';
import { createScanner } from '../scanner/scanner.js';
import { createVault } from '../transform/vault.js';
import { applyPolicy, applyPolicyToTexts } from './apply-policy.js';
import { piiEventsFor } from './pii-events.js';
import { type PiiPolicy } from './policy.js';
import { resolvePolicy } from './resolve-policy.js';

const policies: PiiPolicy[] = [
  { policyId: 'tenant-acme', scope: { tenant: 'acme' }, rules: { universal: 'redact', secrets: 'block' } },
  { policyId: 'team-eng', scope: { team: 'eng' }, rules: { en: 'log', zh: 'redact', EMAIL: 'pseudonymize' } },
];
const ctx = { tenant: 'acme', teamId: 'eng' };

describe('piiEventsFor', () => {
  it('emits one PiiRedacted per action and policy, with types and counts', () => {
    const text = 'anna@example.com, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, bob@example.org';
    const out = applyPolicy(text, createScanner().scan(text), resolvePolicy(policies, ctx), createVault());
    expect(piiEventsFor('req-1', 'request', out)).toEqual([
      { type: 'PiiRedacted', data: { requestId: 'req-1', direction: 'request', action: 'redact', policyId: 'tenant-acme', types: [{ type: 'IBAN', group: 'universal', count: 1 }] } },
      { type: 'PiiRedacted', data: { requestId: 'req-1', direction: 'request', action: 'pseudonymize', policyId: 'team-eng', types: [{ type: 'EMAIL', group: 'universal', count: 2 }] } },
      { type: 'PiiRedacted', data: { requestId: 'req-1', direction: 'request', action: 'log', policyId: 'team-eng', types: [{ type: 'US_SSN', group: 'en', count: 1 }] } },
    ]);
  });

  it('emits only PiiBlocked, per blocking policy, when the request is blocked', () => {
    const text = 'key sk-proj-' + 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5' + ' and anna@example.com';
    const out = applyPolicyToTexts([text], createScanner(), resolvePolicy(policies, ctx), createVault());
    expect(out.blocked).toEqual(['OPENAI_API_KEY']);
    expect(piiEventsFor('req-2', 'request', out)).toEqual([
      { type: 'PiiBlocked', data: { requestId: 'req-2', policyId: 'tenant-acme', types: [{ type: 'OPENAI_API_KEY', group: 'secrets', count: 1 }] } },
    ]);
  });

  it('emits nothing when nothing was found', () => {
    expect(piiEventsFor('req-3', 'response', { counts: [], blocked: undefined })).toEqual([]);
  });

  it('never carries a matched value, a hash of one, or an offset, over the whole generated corpus', () => {
    const scanner = createScanner({ minConfidence: 0 });
    const docs = generateCorpus({ seed: 7, docsPerType: 6, cleanDocs: 50 });
    const variants: PiiPolicy[][] = [
      [],
      policies,
      [{ policyId: 'all-log', scope: { tenant: 'acme' }, rules: { '*': 'log' } }],
      [{ policyId: 'all-block', scope: { tenant: 'acme' }, rules: { '*': 'block' } }],
    ];
    let events = 0;
    let values = 0;
    for (const variant of variants) {
      const effective = resolvePolicy(variant, ctx);
      for (const doc of docs) {
        const spans = scanner.scan(doc.text);
        for (const direction of ['request', 'response'] as const) {
          const out = applyPolicy(doc.text, spans, effective, createVault(), { direction });
          const serialized = JSON.stringify(piiEventsFor(`req-${doc.id}`, direction, out));
          if (spans.length > 0) events++;
          for (const s of spans) {
            const value = doc.text.slice(s.start, s.end);
            values++;
            expect(serialized, `${doc.id}: value of ${s.type}`).not.toContain(JSON.stringify(value).slice(1, -1));
            for (const digest of [createHash('sha256').update(value).digest('hex'), createHash('sha256').update(value).digest('base64url')]) {
              expect(serialized).not.toContain(digest);
            }
            expect(serialized).not.toMatch(new RegExp(`"(start|end|offset)"`));
          }
        }
      }
    }
    expect(events).toBeGreaterThan(200);
    expect(values).toBeGreaterThan(400);
  });
});
