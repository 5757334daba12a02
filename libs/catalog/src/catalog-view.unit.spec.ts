import { describe, expect, it } from 'vitest';
import { type CatalogEvent, foldCatalog } from './catalog-state.js';
import { CatalogView, allowedAliases } from './catalog-view.js';
import { type DeploymentConfig, normalizeDeployment } from './deployment.js';

const dep = (deploymentId: string, alias: string, extra: Record<string, unknown> = {}): DeploymentConfig =>
  normalizeDeployment({ deploymentId, alias, provider: 'openai', model: alias, ...extra });
const configured = (d: DeploymentConfig): CatalogEvent => ({ type: 'ModelDeploymentConfigured', data: d });

const events: CatalogEvent[] = [
  configured(dep('c', 'gpt-4o', { priority: 20 })),
  configured(dep('a', 'gpt-4o', { priority: 10, weight: 1, fallbackAliases: ['gpt-4o-mini'] })),
  configured(dep('b', 'gpt-4o', { priority: 10, weight: 3, fallbackAliases: ['gpt-4.1', 'gpt-4o-mini'] })),
  configured(dep('d', 'gpt-4o', { priority: 0, enabled: false })),
  configured(dep('m', 'gpt-4o-mini')),
  configured(dep('e', 'text-embedding-3-small')),
  configured(dep('x', 'retired')),
  { type: 'ModelDeploymentStateChanged', data: { deploymentId: 'x', alias: 'retired', enabled: false } },
];

describe('CatalogView', () => {
  const view = CatalogView.of(foldCatalog(events));

  it('lists enabled deployments of an alias by priority, then weight, then id', () => {
    expect(view.deploymentsFor('gpt-4o').map((d) => d.deploymentId)).toEqual(['b', 'a', 'c']);
    expect(view.deploymentsFor('nope')).toEqual([]);
  });

  it('serves only aliases with an enabled deployment', () => {
    expect(view.aliases()).toEqual(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);
    expect(view.has('gpt-4o')).toBe(true);
    expect(view.has('retired')).toBe(false);
    expect(view.deployment('x')?.enabled).toBe(false);
    expect(view.allDeployments().map((d) => d.deploymentId)).toEqual(['d', 'b', 'a', 'c', 'm', 'x', 'e']);
  });

  it('knows the kind of an alias', () => {
    expect(view.kindOf('gpt-4o')).toBe('chat');
    expect(view.kindOf('text-embedding-3-small')).toBe('embeddings');
    expect(view.kindOf('retired')).toBeUndefined();
  });

  it('gathers fallback aliases in deployment order', () => {
    expect(view.fallbackAliasesOf('gpt-4o')).toEqual(['gpt-4.1', 'gpt-4o-mini']);
    expect(view.fallbackAliasesOf('gpt-4o-mini')).toEqual([]);
  });
});

describe('allowedAliases', () => {
  const state = foldCatalog([...events, { type: 'TeamModelsAllowed', data: { teamId: 'team_a', aliases: ['gpt-4o-mini', 'retired', 'text-embedding-3-small'] } }]);
  const view = CatalogView.of(state);

  it('lists every served alias without a policy, and for a team without an allowlist', () => {
    expect(allowedAliases(state)).toEqual(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);
    expect(allowedAliases(view, { teamId: 'team_b' })).toEqual(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);
  });

  it("applies a team's allowlist, and intersects it with a further list", () => {
    expect(allowedAliases(view, { teamId: 'team_a' })).toEqual(['gpt-4o-mini', 'text-embedding-3-small']);
    expect(allowedAliases(view, { teamId: 'team_a', aliases: ['gpt-4o', 'gpt-4o-mini'] })).toEqual(['gpt-4o-mini']);
    expect(allowedAliases(view, { aliases: ['gpt-4o'] })).toEqual(['gpt-4o']);
    expect(view.isAllowed('gpt-4o', { teamId: 'team_a' })).toBe(false);
    expect(view.isAllowed('retired', { teamId: 'team_a' })).toBe(false);
    expect(view.isAllowed('gpt-4o-mini', { teamId: 'team_a' })).toBe(true);
  });

  it('lifts a team allowlist with null', () => {
    const lifted = CatalogView.of(foldCatalog([{ type: 'TeamModelsAllowed', data: { teamId: 'team_a', aliases: null } }], state));
    expect(lifted.teamAliases('team_a')).toBeUndefined();
    expect(lifted.allowedAliases({ teamId: 'team_a' })).toEqual(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);
  });
});
