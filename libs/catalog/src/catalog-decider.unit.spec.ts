import { describe, expect, it } from 'vitest';
import { EventRegistry } from '@totra/events';
import {
  type CatalogCommand,
  allowTeamModels,
  configureDeployment,
  decideAll,
  decideCatalog,
  removeDeployment,
  setDeploymentEnabled,
} from './catalog-decider.js';
import { type CatalogEvent, type CatalogEventInput, emptyCatalog, evolveCatalog, foldCatalog } from './catalog-state.js';
import { type DeploymentConfig } from './deployment.js';

const T0 = '2026-01-31T12:00:00.000Z';
const T1 = '2026-01-31T12:05:00.000Z';
const registry = new EventRegistry();

const gpt4o: DeploymentConfig = {
  deploymentId: 'openai/gpt-4o',
  alias: 'gpt-4o',
  provider: 'openai',
  model: 'gpt-4o',
  credentialRef: 'env:OPENAI_API_KEY',
  weight: 1,
  priority: 10,
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
  kind: 'chat',
  enabled: true,
  source: 'admin',
};
const configured = (d: DeploymentConfig): CatalogEvent => ({ type: 'ModelDeploymentConfigured', data: d });

/** Given past events, when a command is decided, then these events (or this error code). */
function given(...past: CatalogEvent[]) {
  const state = foldCatalog(past);
  return {
    when: (command: CatalogCommand) => {
      const run = () => decideCatalog(command, state);
      return {
        then: (expected: CatalogEventInput[]) => {
          const events = run();
          expect(events).toEqual(expected);
          // Every decided event is a valid event of the registry (what ChainWriter.append checks).
          for (const e of events) expect(() => registry.validateInput(e)).not.toThrow();
        },
        thenFails: (code: string, message?: RegExp) => {
          let caught: unknown;
          try {
            run();
          } catch (err) {
            caught = err;
          }
          expect(caught).toMatchObject({ code });
          if (message) expect((caught as Error).message).toMatch(message);
        },
      };
    },
  };
}

describe('configureDeployment', () => {
  it('adds a deployment with defaults from the model table', () => {
    given()
      .when({ type: 'ConfigureDeployment', time: T0, deployment: { deploymentId: 'openai/gpt-4o', alias: 'gpt-4o', provider: 'openai', model: 'gpt-4o' } })
      .then([{ type: 'ModelDeploymentConfigured', tenant: 'system', time: T0, data: gpt4o }]);
  });

  it('emits nothing when the configuration is already the current one', () => {
    given(configured(gpt4o)).when({ type: 'ConfigureDeployment', time: T1, deployment: gpt4o }).then([]);
  });

  it('reconfigures an existing deployment with the whole new configuration', () => {
    given(configured(gpt4o))
      .when({ type: 'ConfigureDeployment', time: T1, deployment: { ...gpt4o, weight: 3, baseUrl: 'http://mock:9000/v1/' } })
      .then([{ type: 'ModelDeploymentConfigured', tenant: 'system', time: T1, data: { ...gpt4o, weight: 3, baseUrl: 'http://mock:9000/v1' } }]);
  });

  it('refuses an id that is taken when a new deployment is expected, and an unknown id when an existing one is', () => {
    given(configured(gpt4o)).when({ type: 'ConfigureDeployment', time: T1, deployment: gpt4o, expect: 'new' }).thenFails('TOTRA_CATALOG_DEPLOYMENT_EXISTS', /openai\/gpt-4o/);
    given().when({ type: 'ConfigureDeployment', time: T1, deployment: gpt4o, expect: 'existing' }).thenFails('TOTRA_CATALOG_DEPLOYMENT_UNKNOWN');
  });

  it('refuses to mix chat and embeddings deployments under one alias', () => {
    given(configured(gpt4o))
      .when({
        type: 'ConfigureDeployment',
        time: T1,
        deployment: { deploymentId: 'x/embed', alias: 'gpt-4o', provider: 'openai', model: 'text-embedding-3-small' },
      })
      .thenFails('TOTRA_CATALOG_KIND_CONFLICT', /alias "gpt-4o" already serves chat deployments/);
  });

  it('refuses a literal secret as credential without repeating it', () => {
    const secret = 'sk-proj-Zq7kTn3PwR8xVb2LmC9dHs4Fy6Gj1Kq0';
    let caught: unknown;
    try {
      configureDeployment({ time: T0, deployment: { ...gpt4o, credentialRef: secret } }, emptyCatalog());
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'TOTRA_CATALOG_CREDENTIAL_LITERAL' });
    expect((caught as Error).message).not.toContain('Zq7kTn3');
  });

  it.each<[string, Partial<DeploymentConfig> & Record<string, unknown>, RegExp]>([
    ['azure without endpoint', { provider: 'azure-openai', credentialRef: 'env:AZURE_OPENAI_API_KEY' }, /baseUrl: azure-openai needs the resource endpoint/],
    ['openai-compatible without base URL', { provider: 'openai-compatible', credentialRef: 'none' }, /baseUrl: openai-compatible needs the server URL/],
    ['bedrock without region', { provider: 'bedrock', credentialRef: 'aws-env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY' }, /region: bedrock needs an AWS region/],
    ['openai without a key', { credentialRef: 'none' }, /credentialRef: openai needs an API key reference such as env:OPENAI_API_KEY/],
    ['aws credentials on anthropic', { provider: 'anthropic', credentialRef: 'aws-env:A_KEY:A_SECRET' }, /credentialRef: anthropic needs an API key/],
    ['a base URL with a password', { baseUrl: 'https://user:pw@proxy.example.com/v1' }, /baseUrl: must not carry a user or password/],
    ['a base URL with a query', { baseUrl: 'https://proxy.example.com/v1?key=abc' }, /baseUrl: must not carry a query string/],
    ['an alias falling back to itself', { fallbackAliases: ['gpt-4o'] }, /fallbackAliases: an alias cannot fall back to itself/],
    ['an unknown provider', { provider: 'openia' as DeploymentConfig['provider'] }, /provider: Invalid option/],
    ['a negative weight', { weight: -1 }, /weight: /],
    ['an admin id in the seeded namespace', { deploymentId: 'env/openai/gpt-4o' }, /deploymentId: ids starting with env\//],
    ['a credential on the demo model', { provider: 'demo', model: 'totra-demo-echo' }, /the demo echo model takes no credential/],
  ])('names the bad field of %s', (_name, change, message) => {
    given().when({ type: 'ConfigureDeployment', time: T0, deployment: { ...gpt4o, ...change } }).thenFails('TOTRA_CATALOG_DEPLOYMENT_INVALID', message);
  });

  it('refuses a command time that is not an RFC 3339 UTC time with milliseconds', () => {
    given().when({ type: 'ConfigureDeployment', time: '31/01/2026', deployment: gpt4o }).thenFails('TOTRA_CATALOG_COMMAND_INVALID', /time must be/);
  });
});

describe('removeDeployment', () => {
  it('removes a deployment and records the alias it served', () => {
    given(configured(gpt4o))
      .when({ type: 'RemoveDeployment', time: T1, deploymentId: 'openai/gpt-4o', reason: 'key rotated away' })
      .then([{ type: 'ModelDeploymentRemoved', tenant: 'system', time: T1, data: { deploymentId: 'openai/gpt-4o', alias: 'gpt-4o', reason: 'key rotated away' } }]);
  });

  it('refuses an unknown id, and an id removed before', () => {
    given().when({ type: 'RemoveDeployment', time: T1, deploymentId: 'nope' }).thenFails('TOTRA_CATALOG_DEPLOYMENT_UNKNOWN', /no model deployment "nope"/);
    given(configured(gpt4o), { type: 'ModelDeploymentRemoved', data: { deploymentId: gpt4o.deploymentId, alias: 'gpt-4o' } })
      .when({ type: 'RemoveDeployment', time: T1, deploymentId: gpt4o.deploymentId })
      .thenFails('TOTRA_CATALOG_DEPLOYMENT_UNKNOWN');
  });
});

describe('setDeploymentEnabled', () => {
  it('disables, then enables again', () => {
    given(configured(gpt4o))
      .when({ type: 'SetDeploymentEnabled', time: T1, deploymentId: gpt4o.deploymentId, enabled: false })
      .then([{ type: 'ModelDeploymentStateChanged', tenant: 'system', time: T1, data: { deploymentId: gpt4o.deploymentId, alias: 'gpt-4o', enabled: false } }]);
    given(configured({ ...gpt4o, enabled: false }))
      .when({ type: 'SetDeploymentEnabled', time: T1, deploymentId: gpt4o.deploymentId, enabled: true })
      .then([{ type: 'ModelDeploymentStateChanged', tenant: 'system', time: T1, data: { deploymentId: gpt4o.deploymentId, alias: 'gpt-4o', enabled: true } }]);
  });

  it('emits nothing when the deployment is already in that state', () => {
    given(configured(gpt4o)).when({ type: 'SetDeploymentEnabled', time: T1, deploymentId: gpt4o.deploymentId, enabled: true }).then([]);
  });

  it('refuses an unknown id', () => {
    given().when({ type: 'SetDeploymentEnabled', time: T1, deploymentId: 'ghost', enabled: false }).thenFails('TOTRA_CATALOG_DEPLOYMENT_UNKNOWN', /ghost/);
  });
});

describe('allowTeamModels', () => {
  it('sets a team allowlist (sorted, without duplicates) and lifts it with null', () => {
    given(configured(gpt4o), configured({ ...gpt4o, deploymentId: 'mini', alias: 'gpt-4o-mini', model: 'gpt-4o-mini' }))
      .when({ type: 'AllowTeamModels', time: T1, teamId: 'team_1', aliases: ['gpt-4o-mini', 'gpt-4o', 'gpt-4o'] })
      .then([{ type: 'TeamModelsAllowed', tenant: 'system', time: T1, data: { teamId: 'team_1', aliases: ['gpt-4o', 'gpt-4o-mini'] } }]);
    const restricted: CatalogEvent = { type: 'TeamModelsAllowed', data: { teamId: 'team_1', aliases: ['gpt-4o'] } };
    given(configured(gpt4o), restricted)
      .when({ type: 'AllowTeamModels', time: T1, teamId: 'team_1', aliases: null })
      .then([{ type: 'TeamModelsAllowed', tenant: 'system', time: T1, data: { teamId: 'team_1', aliases: null } }]);
    given(configured(gpt4o), restricted).when({ type: 'AllowTeamModels', time: T1, teamId: 'team_1', aliases: ['gpt-4o'] }).then([]);
    given(configured(gpt4o)).when({ type: 'AllowTeamModels', time: T1, teamId: 'team_1', aliases: null }).then([]);
  });

  it('refuses aliases the catalog does not serve, and a malformed team id', () => {
    given(configured(gpt4o))
      .when({ type: 'AllowTeamModels', time: T1, teamId: 'team_1', aliases: ['gpt-4o', 'gpt-5-typo'] })
      .thenFails('TOTRA_CATALOG_ALIAS_UNKNOWN', /gpt-5-typo/);
    given().when({ type: 'AllowTeamModels', time: T1, teamId: 'team:1', aliases: null }).thenFails('TOTRA_CATALOG_COMMAND_INVALID', /teamId/);
  });
});

describe('evolveCatalog and decideAll', () => {
  it('folds decided events into the state the deciders see next', () => {
    const { events, state } = decideAll(
      [
        { type: 'ConfigureDeployment', time: T0, deployment: gpt4o },
        { type: 'SetDeploymentEnabled', time: T0, deploymentId: gpt4o.deploymentId, enabled: false },
        { type: 'ConfigureDeployment', time: T0, deployment: { ...gpt4o, deploymentId: 'b', weight: 5 } },
        { type: 'RemoveDeployment', time: T1, deploymentId: 'b' },
      ],
      emptyCatalog(),
    );
    expect(events.map((e) => e.type)).toEqual([
      'ModelDeploymentConfigured',
      'ModelDeploymentStateChanged',
      'ModelDeploymentConfigured',
      'ModelDeploymentRemoved',
    ]);
    expect([...state.deployments.values()]).toEqual([{ ...gpt4o, enabled: false }]);
    expect(foldCatalog(events)).toEqual(state);
  });

  it('ignores events of other types and does not mutate the state it is given', () => {
    const before = foldCatalog([configured(gpt4o)]);
    expect(evolveCatalog(before, { type: 'RequestCompleted', data: { whatever: 1 } })).toBe(before);
    const after = evolveCatalog(before, { type: 'ModelDeploymentRemoved', data: { deploymentId: gpt4o.deploymentId, alias: 'gpt-4o' } });
    expect(after.deployments.size).toBe(0);
    expect(before.deployments.size).toBe(1);
  });

  it('refuses catalog events with invalid data instead of folding garbage', () => {
    expect(() => evolveCatalog(emptyCatalog(), { type: 'ModelDeploymentConfigured', data: { ...gpt4o, credentialRef: 'sk-live-123' } })).toThrow(
      expect.objectContaining({ code: 'TOTRA_CATALOG_EVENT_INVALID' }),
    );
  });

  it('the standalone deciders match the dispatcher', () => {
    const state = foldCatalog([configured(gpt4o)]);
    expect(removeDeployment({ time: T1, deploymentId: gpt4o.deploymentId }, state)).toEqual(
      decideCatalog({ type: 'RemoveDeployment', time: T1, deploymentId: gpt4o.deploymentId }, state),
    );
    expect(setDeploymentEnabled({ time: T1, deploymentId: gpt4o.deploymentId, enabled: false, tenant: 'acme' }, state)[0]?.tenant).toBe('acme');
    expect(allowTeamModels({ time: T1, teamId: 't', aliases: ['gpt-4o'] }, state)).toHaveLength(1);
  });
});
