import { describe, expect, it } from 'vitest';
import { normalizeDeployment } from '@totra/catalog';
import { GatewayError } from '../errors.js';
import { CatalogDirectory } from './catalog-directory.js';

const configured = (extra: Record<string, unknown> = {}) => ({
  type: 'ModelDeploymentConfigured',
  data: normalizeDeployment({ deploymentId: 'd1', alias: 'gpt-4o', provider: 'openai', model: 'gpt-4o', credentialRef: 'env:TEST_OPENAI_KEY', ...extra }),
});

describe('CatalogDirectory.resolve', () => {
  it('reads a deployment credentials once per catalog entry, and afresh when the entry changes', () => {
    const env: Record<string, string | undefined> = { TEST_OPENAI_KEY: 'sk-first' };
    const directory = new CatalogDirectory(undefined, env);
    directory.apply(configured());
    const route = directory.deploymentsFor('gpt-4o')[0];
    if (!route) throw new Error('no route');
    const first = directory.resolve(route);
    expect(first).toMatchObject({ provider: 'openai', model: 'gpt-4o', apiKey: 'sk-first' });
    // Shared between requests: nobody may change it.
    expect(Object.isFrozen(first)).toBe(true);
    expect(directory.resolve(route)).toBe(first);

    // A catalog change makes a new entry: its credential is read again.
    env.TEST_OPENAI_KEY = 'sk-second';
    directory.apply(configured({ weight: 2 }));
    const next = directory.deploymentsFor('gpt-4o')[0];
    if (!next) throw new Error('no route');
    expect(directory.resolve(next)).toMatchObject({ apiKey: 'sk-second' });
  });

  it('reports a missing variable on every request, and serves the entry once it is set', () => {
    const env: Record<string, string | undefined> = {};
    const directory = new CatalogDirectory(undefined, env);
    directory.apply(configured());
    const route = directory.deploymentsFor('gpt-4o')[0];
    if (!route) throw new Error('no route');
    for (let i = 0; i < 2; i++) {
      const err = (() => {
        try {
          directory.resolve(route);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ status: 400, code: 'TOTRA_PROVIDER_NOT_CONFIGURED', message: expect.stringContaining('TEST_OPENAI_KEY') });
    }
    env.TEST_OPENAI_KEY = 'sk-late';
    expect(directory.resolve(route)).toMatchObject({ apiKey: 'sk-late' });
  });
});

describe('CatalogDirectory.offeredSince', () => {
  it('is the time of the first deployment configured under an alias, from the envelope or a decided event', () => {
    const directory = new CatalogDirectory(undefined, {});
    expect(directory.offeredSince('gpt-4o')).toBeUndefined();
    directory.apply({ ...configured(), envelope: { time: '2026-03-01T10:00:00.000Z' } });
    // A later change of the alias's deployments leaves it as it was.
    directory.apply({ ...configured({ weight: 2 }), time: '2026-06-01T10:00:00.000Z' });
    expect(directory.offeredSince('gpt-4o')).toBe(Date.parse('2026-03-01T10:00:00.000Z') / 1000);
    directory.apply({ ...configured({ deploymentId: 'd2', alias: 'fast' }), time: '2026-06-01T10:00:00.000Z' });
    expect(directory.offeredSince('fast')).toBe(Date.parse('2026-06-01T10:00:00.000Z') / 1000);
  });
});
