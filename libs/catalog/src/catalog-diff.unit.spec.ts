import { describe, expect, it } from 'vitest';
import { decideAll } from './catalog-decider.js';
import { diffCatalog } from './catalog-diff.js';
import { parseCatalogFile } from './catalog-file.js';
import { type CatalogEvent, emptyCatalog, foldCatalog } from './catalog-state.js';
import { normalizeDeployment } from './deployment.js';
import { seedFromEnv } from './env-seed.js';

const T = '2026-02-01T08:00:00.000Z';

describe('diffCatalog', () => {
  it('adds every seeded deployment to an empty catalog, and then has nothing left to do', () => {
    const desired = seedFromEnv({ OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'a' });
    const commands = diffCatalog(emptyCatalog(), desired, { time: T });
    expect(commands).toHaveLength(desired.length);
    expect(commands.every((c) => c.type === 'ConfigureDeployment')).toBe(true);
    const { state } = decideAll(commands, emptyCatalog());
    expect([...state.deployments.keys()].sort()).toEqual(desired.map((d) => d.deploymentId).sort());
    expect(diffCatalog(state, desired, { time: T })).toEqual([]);
  });

  it('removes seeded deployments no longer desired, reconfigures changed ones, and never touches admin ones', () => {
    const admin = normalizeDeployment({ deploymentId: 'openai/gpt-4o-eu', alias: 'gpt-4o', provider: 'openai', model: 'gpt-4o', credentialRef: 'env:OPENAI_EU_KEY' });
    const before = seedFromEnv({ OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'a' });
    const start = foldCatalog([...before, admin].map((d): CatalogEvent => ({ type: 'ModelDeploymentConfigured', data: d })));
    const after = seedFromEnv({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://mock:1/v1' });
    const commands = diffCatalog(start, after, { time: T, reason: 'sync' });

    const removed = commands.filter((c) => c.type === 'RemoveDeployment').map((c) => (c.type === 'RemoveDeployment' ? c.deploymentId : ''));
    const anthropic = ['claude-fable-5-1', 'claude-haiku-4-5', 'claude-haiku-5-5', 'claude-opus-4-1', 'claude-opus-5-5', 'claude-sonnet-4-5', 'claude-sonnet-5-5'];
    expect(removed.sort()).toEqual(anthropic.map((m) => `env/anthropic/${m}`));
    // Every seeded OpenAI deployment, with its new base URL, after the removals.
    const configured = commands.filter((c) => c.type === 'ConfigureDeployment');
    expect(configured).toHaveLength(after.filter((d) => d.provider === 'openai').length);
    expect(commands.findIndex((c) => c.type === 'ConfigureDeployment')).toBe(anthropic.length);

    const { state } = decideAll(commands, start);
    expect(state.deployments.get('openai/gpt-4o-eu')).toEqual(admin);
    expect(state.deployments.get('env/openai/gpt-4o')?.baseUrl).toBe('http://mock:1/v1');
    expect(state.deployments.has('env/anthropic/claude-sonnet-4-5')).toBe(false);
  });

  it("keeps an admin's disabling of a seeded deployment", () => {
    const desired = seedFromEnv({ OPENAI_API_KEY: 'k' });
    const { state } = decideAll(
      [...diffCatalog(emptyCatalog(), desired, { time: T }), { type: 'SetDeploymentEnabled', deploymentId: 'env/openai/gpt-4o', enabled: false, time: T }],
      emptyCatalog(),
    );
    expect(diffCatalog(state, desired, { time: T })).toEqual([]);
    const changed = diffCatalog(state, seedFromEnv({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://mock:1' }), { time: T });
    const gpt4o = changed.find((c) => c.type === 'ConfigureDeployment' && c.deployment.deploymentId === 'env/openai/gpt-4o');
    expect(gpt4o).toMatchObject({ deployment: { enabled: false, baseUrl: 'http://mock:1' } });
  });

  it('manages env and file deployments together and only the sources it is told', () => {
    const file = parseCatalogFile('models:\n  - alias: local\n    deployments: [{provider: ollama, model: llama3.2}]\n');
    const { state } = decideAll(diffCatalog(emptyCatalog(), [...seedFromEnv({}), ...file], { time: T }), emptyCatalog());
    expect([...state.deployments.keys()]).toEqual(['env/demo/demo', 'env/demo/demo-embedding', 'file/local/ollama']);
    expect(diffCatalog(state, seedFromEnv({}), { time: T, managedSources: ['env'] })).toEqual([]);
    expect(diffCatalog(state, seedFromEnv({}), { time: T })).toEqual([{ type: 'RemoveDeployment', deploymentId: 'file/local/ollama', time: T }]);
  });

  it('refuses admin deployments and duplicate ids in the desired list', () => {
    const admin = normalizeDeployment({ deploymentId: 'x', alias: 'x', provider: 'ollama', model: 'x' });
    expect(() => diffCatalog(emptyCatalog(), [admin], { time: T })).toThrow(expect.objectContaining({ code: 'TOTRA_CATALOG_COMMAND_INVALID' }));
    const seeded = seedFromEnv({});
    expect(() => diffCatalog(emptyCatalog(), [...seeded, ...seeded], { time: T })).toThrow(/desired twice/);
  });
});
