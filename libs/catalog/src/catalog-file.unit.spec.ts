import { describe, expect, it } from 'vitest';
import { parseCatalogFile } from './catalog-file.js';
import { CatalogFileError } from './errors.js';

function fileError(text: string): CatalogFileError {
  try {
    parseCatalogFile(text);
  } catch (err) {
    if (err instanceof CatalogFileError) return err;
    throw err;
  }
  throw new Error('expected a CatalogFileError');
}

const GOOD = `# totra.yaml
gateway:
  port: 8080
models:
  - alias: gpt-4o
    fallback_aliases: [gpt-4o-mini]
    deployments:
      - provider: azure-openai
        model: prod-gpt4o
        base_url: https://acme.openai.azure.com
        credential: env:AZURE_OPENAI_API_KEY
        api_version: "2024-10-21"
        priority: 5
      - provider: openai
        model: gpt-4o
        credential: env:OPENAI_API_KEY
        weight: 2
      - provider: openai
        model: gpt-4o
        credential: env:OPENAI_API_KEY_2
  - alias: local-embed
    deployments:
      - id: gpu-box
        provider: ollama
        model: nomic-embed-text
        base_url: http://gpu-box:11434
        context_window: 2048
`;

describe('parseCatalogFile', () => {
  it('reads models and their deployments as file-sourced configurations', () => {
    const ds = parseCatalogFile(GOOD);
    expect(ds.map((d) => d.deploymentId)).toEqual(['file/gpt-4o/azure-openai', 'file/gpt-4o/openai', 'file/gpt-4o/openai-2', 'file/gpu-box']);
    expect(ds[0]).toEqual({
      deploymentId: 'file/gpt-4o/azure-openai',
      alias: 'gpt-4o',
      provider: 'azure-openai',
      model: 'prod-gpt4o',
      baseUrl: 'https://acme.openai.azure.com',
      credentialRef: 'env:AZURE_OPENAI_API_KEY',
      apiVersion: '2024-10-21',
      weight: 1,
      priority: 5,
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      kind: 'chat',
      enabled: true,
      fallbackAliases: ['gpt-4o-mini'],
      source: 'file',
    });
    expect(ds[1]).toMatchObject({ weight: 2, priority: 10, credentialRef: 'env:OPENAI_API_KEY' });
    expect(ds[2]?.credentialRef).toBe('env:OPENAI_API_KEY_2');
    expect(ds[3]).toMatchObject({ alias: 'local-embed', kind: 'embeddings', contextWindow: 2048, credentialRef: 'none' });
  });

  it('reads the public model a deployment of its own name runs, and sizes it as that model', () => {
    const text = (base: string) => `models:
  - alias: chat
    deployments:
      - provider: azure-openai
        model: team-chat-01
${base}        base_url: https://acme.openai.azure.com
`;
    const [named] = parseCatalogFile(text('        base_model: gpt-4o-mini\n'));
    expect(named).toMatchObject({ model: 'team-chat-01', baseModel: 'gpt-4o-mini', contextWindow: 128_000, maxOutputTokens: 16_384, kind: 'chat' });
    const [unnamed] = parseCatalogFile(text(''));
    expect(unnamed).not.toHaveProperty('baseModel');
    expect(unnamed).not.toHaveProperty('maxOutputTokens');
    expect(fileError(text('        base_model: ""\n')).message).toMatch(/^models\[0\]\.deployments\[0\]\.base_model \(line 6\): /);
  });

  it('accepts an empty file and a file without models', () => {
    expect(parseCatalogFile('')).toEqual([]);
    expect(parseCatalogFile('gateway: {port: 1}\n')).toEqual([]);
  });

  it.each<[string, string, string, number, RegExp]>([
    [
      'a literal secret as credential',
      'models:\n  - alias: a\n    deployments:\n      - provider: openai\n        model: gpt-4o\n        credential: sk-proj-Aa1Bb2Cc3Dd4Ee5Ff6Gg7\n',
      'models[0].deployments[0].credential',
      6,
      /looks like a literal secret/,
    ],
    [
      'a misspelt field',
      'models:\n  - alias: a\n    deployments:\n      - provider: openai\n        model: gpt-4o\n        base-url: http://x\n',
      'models[0].deployments[0].base-url',
      6,
      /unknown field/,
    ],
    ['an unknown provider', 'models:\n  - alias: a\n    deployments:\n      - provider: openia\n        model: m\n', 'models[0].deployments[0].provider', 4, /Invalid option/],
    ['a missing model', 'models:\n  - alias: a\n    deployments:\n      - provider: openai\n', 'models[0].deployments[0].model', 4, /expected string/],
    ['a weight that is not a number', 'models:\n  - alias: a\n    deployments:\n      - provider: ollama\n        model: m\n        weight: heavy\n', 'models[0].deployments[0].weight', 6, /expected number/],
    ['no deployments', 'models:\n  - alias: a\n    deployments: []\n', 'models[0].deployments', 3, /at least one deployment/],
    ['an alias listed twice', 'models:\n  - alias: a\n    deployments: [{provider: ollama, model: m}]\n  - alias: a\n    deployments: [{provider: ollama, model: m}]\n', 'models[1].alias', 4, /already listed at models\[0\]/],
    ['an invalid alias', 'models:\n  - alias: "has space"\n    deployments: [{provider: ollama, model: m}]\n', 'models[0].alias', 2, /a model alias/],
    ['azure without base_url', 'models:\n  - alias: a\n    deployments:\n      - provider: azure-openai\n        model: d\n', 'models[0].deployments[0].base_url', 4, /resource endpoint/],
    ['a base_url with a password', 'models:\n  - alias: a\n    deployments:\n      - provider: ollama\n        model: m\n        base_url: http://u:p@h:1\n', 'models[0].deployments[0].base_url', 6, /user or password/],
    ['a self fallback', 'models:\n  - alias: a\n    fallback_aliases: [a]\n    deployments: [{provider: ollama, model: m}]\n', 'models[0].fallback_aliases', 3, /fall back to itself/],
    ['models that is not a list', 'models: gpt-4o\n', 'models', 1, /expected array/],
    ['a document that is a list', '- a\n- b\n', '(root)', 1, /expected a mapping/],
  ])('names the path and line of %s', (_name, text, path, line, detail) => {
    const err = fileError(text);
    expect(err.code).toBe('TOTRA_CATALOG_FILE_INVALID');
    expect(err.path).toBe(path);
    expect(err.line).toBe(line);
    expect(err.detail).toMatch(detail);
    expect(err.message.startsWith(path)).toBe(true);
    expect(err.message).not.toContain('Aa1Bb2');
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    const syntax = fileError('models:\n  - alias: a\n    deployments: [\n');
    expect(syntax).toMatchObject({ path: '(root)', detail: expect.stringMatching(/^not valid YAML/) });
    expect(syntax.line).toBeGreaterThanOrEqual(3);
    const dup = fileError('models: []\nmodels: []\n');
    expect(dup).toMatchObject({ path: '(root)', line: 2 });
  });
});
