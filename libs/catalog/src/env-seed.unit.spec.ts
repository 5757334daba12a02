import { describe, expect, it } from 'vitest';
import { type DeploymentConfig } from './deployment.js';
import { BEDROCK_PRIORITY, DEMO_EMBEDDINGS_NOTE, DEMO_NOTE, SEED_VARIABLES, bedrockGeoPrefix, inspectEnv, missingModelHint, parseModelList, seedFromEnv } from './env-seed.js';
import { CatalogError } from './errors.js';

const byAlias = (ds: readonly DeploymentConfig[], provider: string) =>
  Object.fromEntries(ds.filter((d) => d.provider === provider).map((d) => [d.alias, d]));

function envError(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CatalogError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('seedFromEnv', () => {
  it('offers only the built-in demo model when no provider is configured', () => {
    const ds = seedFromEnv({});
    expect(ds).toEqual([
      {
        deploymentId: 'env/demo/demo',
        alias: 'demo',
        provider: 'demo',
        model: 'totra-demo-echo',
        credentialRef: 'none',
        weight: 1,
        priority: 10,
        contextWindow: 8192,
        maxOutputTokens: 1024,
        kind: 'chat',
        enabled: true,
        source: 'env',
        note: DEMO_NOTE,
      },
      {
        deploymentId: 'env/demo/demo-embedding',
        alias: 'demo-embedding',
        provider: 'demo',
        model: 'totra-demo-embedding',
        credentialRef: 'none',
        weight: 1,
        priority: 10,
        contextWindow: 8192,
        kind: 'embeddings',
        enabled: true,
        source: 'env',
        note: DEMO_EMBEDDINGS_NOTE,
      },
    ]);
    expect(DEMO_NOTE).toMatch(/echo model.*no provider is called/);
    expect(DEMO_EMBEDDINGS_NOTE).toMatch(/computed locally.*no provider is called/);
  });

  it('offers the OpenAI models under their usual names, by reference to the key, with the base URL override', () => {
    const ds = seedFromEnv({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:4010/v1' });
    const openai = byAlias(ds, 'openai');
    expect(Object.keys(openai)).toEqual(['gpt-5.5', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.4-nano', 'gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small', 'text-embedding-3-large']);
    expect(openai['gpt-4o']).toMatchObject({
      deploymentId: 'env/openai/gpt-4o',
      model: 'gpt-4o',
      credentialRef: 'env:OPENAI_API_KEY',
      baseUrl: 'http://127.0.0.1:4010/v1',
      contextWindow: 128_000,
      kind: 'chat',
      source: 'env',
    });
    expect(openai['gpt-4.1']?.contextWindow).toBe(1_047_576);
    expect(openai['gpt-5.5']).toMatchObject({ contextWindow: 1_050_000, maxOutputTokens: 128_000 });
    expect(openai['gpt-5.4-mini']).toMatchObject({ contextWindow: 400_000, maxOutputTokens: 128_000 });
    expect(openai['text-embedding-3-small']).toMatchObject({ kind: 'embeddings', contextWindow: 8191 });
    expect(ds.map((d) => d.alias)).toContain('demo');
  });

  it.each([
    ['anthropic', { ANTHROPIC_API_KEY: 'k' }, ['claude-fable-5-1', 'claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'], 'env:ANTHROPIC_API_KEY'],
    ['gemini', { GEMINI_API_KEY: 'k' }, ['gemini-3.1-pro-preview', 'gemini-3-flash-preview', 'gemini-2.5-pro', 'gemini-2.5-flash'], 'env:GEMINI_API_KEY'],
    ['gemini', { GOOGLE_API_KEY: 'k' }, ['gemini-3.1-pro-preview', 'gemini-3-flash-preview', 'gemini-2.5-pro', 'gemini-2.5-flash'], 'env:GOOGLE_API_KEY'],
    ['mistral', { MISTRAL_API_KEY: 'k' }, ['mistral-large-latest', 'mistral-small-latest', 'mistral-embed'], 'env:MISTRAL_API_KEY'],
    ['cohere', { COHERE_API_KEY: 'k' }, ['command-a-03-2025', 'command-r-plus'], 'env:COHERE_API_KEY'],
    ['cohere', { CO_API_KEY: 'k' }, ['command-a-03-2025', 'command-r-plus'], 'env:CO_API_KEY'],
  ])('offers %s models when %o is set', (provider, env, aliases, ref) => {
    const ds = byAlias(seedFromEnv(env), provider);
    expect(Object.keys(ds)).toEqual(aliases);
    for (const d of Object.values(ds)) expect(d.credentialRef).toBe(ref);
  });

  it('uses each provider base URL override and context windows from the table', () => {
    const ds = seedFromEnv({
      ANTHROPIC_API_KEY: 'a',
      ANTHROPIC_BASE_URL: 'http://mock:1/anthropic',
      GEMINI_API_KEY: 'g',
      GEMINI_BASE_URL: 'http://mock:1/gemini/',
      MISTRAL_API_KEY: 'm',
      COHERE_API_KEY: 'c',
    });
    expect(byAlias(ds, 'anthropic')['claude-sonnet-4-5']).toMatchObject({ baseUrl: 'http://mock:1/anthropic', contextWindow: 200_000, maxOutputTokens: 64_000 });
    expect(byAlias(ds, 'anthropic')['claude-opus-5-5']).toMatchObject({ contextWindow: 1_000_000, maxOutputTokens: 128_000 });
    expect(byAlias(ds, 'gemini')['gemini-3.1-pro-preview']).toMatchObject({ contextWindow: 1_048_576, maxOutputTokens: 65_536 });
    expect(byAlias(ds, 'gemini')['gemini-2.5-pro']).toMatchObject({ baseUrl: 'http://mock:1/gemini', contextWindow: 1_048_576 });
    expect(byAlias(ds, 'mistral')['mistral-embed']?.kind).toBe('embeddings');
    expect(byAlias(ds, 'cohere')['command-a-03-2025']?.contextWindow).toBe(256_000);
  });

  it('replaces a default list with <PROVIDER>_MODELS', () => {
    const ds = byAlias(seedFromEnv({ OPENAI_API_KEY: 'k', OPENAI_MODELS: 'gpt-4o, fast=gpt-4o-mini' }), 'openai');
    expect(Object.keys(ds)).toEqual(['gpt-4o', 'fast']);
    expect(ds['fast']).toMatchObject({ model: 'gpt-4o-mini', contextWindow: 128_000 });
  });

  it('offers Bedrock Claude and Nova with the region, the inference profile prefix and a fallback priority', () => {
    const ds = byAlias(seedFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'eu-central-1' }), 'bedrock');
    expect(Object.keys(ds)).toEqual(['claude-sonnet-4-5', 'claude-haiku-4-5', 'nova-pro', 'nova-lite', 'nova-micro']);
    expect(ds['claude-sonnet-4-5']).toMatchObject({
      model: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      region: 'eu-central-1',
      credentialRef: 'aws-env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN',
      priority: BEDROCK_PRIORITY,
      contextWindow: 200_000,
    });
    expect(ds['nova-pro']).toMatchObject({ model: 'eu.amazon.nova-pro-v1:0', contextWindow: 300_000 });
  });

  it('uses a Bedrock API key and AWS_DEFAULT_REGION, and explicit BEDROCK_MODELS as given', () => {
    const ds = byAlias(
      seedFromEnv({ AWS_BEARER_TOKEN_BEDROCK: 'tok', AWS_DEFAULT_REGION: 'us-west-2', BEDROCK_MODELS: 'llama=meta.llama3-3-70b-instruct-v1:0', BEDROCK_BASE_URL: 'http://mock:2' }),
      'bedrock',
    );
    expect(ds).toEqual({
      llama: expect.objectContaining({ model: 'meta.llama3-3-70b-instruct-v1:0', region: 'us-west-2', credentialRef: 'env:AWS_BEARER_TOKEN_BEDROCK', baseUrl: 'http://mock:2' }),
    });
  });

  it('skips a half-configured Bedrock with a note naming the variable', () => {
    const noRegion = inspectEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
    expect(noRegion.deployments.some((d) => d.provider === 'bedrock')).toBe(false);
    expect(noRegion.notes).toEqual(['AWS Bedrock skipped: AWS credentials are set but no region; set AWS_REGION (e.g. us-east-1)']);
    expect(inspectEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_REGION: 'us-east-1' }).notes[0]).toMatch(/set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  it('offers Azure OpenAI deployments under the aliases given', () => {
    const ds = byAlias(
      seedFromEnv({
        AZURE_OPENAI_API_KEY: 'az',
        AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com/',
        AZURE_OPENAI_DEPLOYMENTS: 'gpt-4o=prod-gpt4o, text-embedding-3-small=emb-small,gpt-4o-mini',
        AZURE_OPENAI_API_VERSION: '2024-10-21',
      }),
      'azure-openai',
    );
    expect(Object.keys(ds)).toEqual(['gpt-4o', 'text-embedding-3-small', 'gpt-4o-mini']);
    expect(ds['gpt-4o']).toMatchObject({
      deploymentId: 'env/azure-openai/gpt-4o',
      model: 'prod-gpt4o',
      baseUrl: 'https://acme.openai.azure.com',
      apiVersion: '2024-10-21',
      credentialRef: 'env:AZURE_OPENAI_API_KEY',
      contextWindow: 128_000,
    });
    expect(ds['text-embedding-3-small']?.kind).toBe('embeddings');
    expect(ds['gpt-4o-mini']?.model).toBe('gpt-4o-mini');
    expect(ds['gpt-4o']).not.toHaveProperty('baseModel');
  });

  it('reads the model an Azure deployment of its own name runs (alias=deployment@model)', () => {
    const env = (list: string) => ({ AZURE_OPENAI_API_KEY: 'az', AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com', AZURE_OPENAI_DEPLOYMENTS: list });
    const ds = byAlias(seedFromEnv(env('chat=team-chat-01@gpt-4o-mini, embed=emb-02@text-embedding-3-small')), 'azure-openai');
    expect(ds['chat']).toMatchObject({ model: 'team-chat-01', baseModel: 'gpt-4o-mini', contextWindow: 128_000, maxOutputTokens: 16_384, kind: 'chat' });
    expect(ds['embed']).toMatchObject({ model: 'emb-02', baseModel: 'text-embedding-3-small', kind: 'embeddings' });
    for (const bad of ['chat=team-chat-01@', 'chat=@gpt-4o']) {
      expect(envError(() => seedFromEnv(env(bad))).message, bad).toContain('needs a deployment name before "@" and a model after it');
    }
  });

  it('skips a half-configured Azure with a note', () => {
    const r = inspectEnv({ AZURE_OPENAI_API_KEY: 'az' });
    expect(r.deployments.some((d) => d.provider === 'azure-openai')).toBe(false);
    expect(r.notes).toEqual(['Azure OpenAI skipped: set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENTS']);
  });

  it('offers listed Ollama models, with or without a base URL and key', () => {
    const ds = byAlias(seedFromEnv({ OLLAMA_BASE_URL: 'http://gpu-box:11434', OLLAMA_MODELS: 'llama3.2:3b,nomic-embed-text' }), 'ollama');
    expect(ds['llama3.2:3b']).toMatchObject({ model: 'llama3.2:3b', baseUrl: 'http://gpu-box:11434', credentialRef: 'none', contextWindow: 131_072, kind: 'chat' });
    expect(ds['nomic-embed-text']?.kind).toBe('embeddings');
    const keyed = byAlias(seedFromEnv({ OLLAMA_MODELS: 'qwen2.5', OLLAMA_API_KEY: 'x' }), 'ollama');
    expect(keyed['qwen2.5']).toMatchObject({ credentialRef: 'env:OLLAMA_API_KEY', contextWindow: 32_768 });
    expect(keyed['qwen2.5']?.baseUrl).toBeUndefined();
    expect(inspectEnv({ OLLAMA_BASE_URL: 'http://x:1' }).notes[0]).toMatch(/Ollama skipped: set OLLAMA_MODELS/);
  });

  it('offers an OpenAI-compatible server only with both its URL and its models', () => {
    const ds = byAlias(
      seedFromEnv({ OPENAI_COMPATIBLE_BASE_URL: 'http://vllm:8000/v1', OPENAI_COMPATIBLE_MODELS: 'llama-70b=meta-llama/Llama-3.3-70B-Instruct', OPENAI_COMPATIBLE_API_KEY: 'k' }),
      'openai-compatible',
    );
    expect(ds['llama-70b']).toMatchObject({
      deploymentId: 'env/openai-compatible/llama-70b',
      model: 'meta-llama/Llama-3.3-70B-Instruct',
      baseUrl: 'http://vllm:8000/v1',
      credentialRef: 'env:OPENAI_COMPATIBLE_API_KEY',
    });
    expect(byAlias(seedFromEnv({ OPENAI_COMPATIBLE_BASE_URL: 'http://vllm:8000/v1', OPENAI_COMPATIBLE_MODELS: 'm' }), 'openai-compatible')['m']?.credentialRef).toBe('none');
    expect(inspectEnv({ OPENAI_COMPATIBLE_MODELS: 'm' }).notes).toEqual(['OpenAI-compatible server skipped: set OPENAI_COMPATIBLE_BASE_URL (e.g. http://localhost:8000/v1)']);
  });

  it('treats empty values as unset', () => {
    expect(seedFromEnv({ OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '   ' }).map((d) => d.alias)).toEqual(['demo', 'demo-embedding']);
  });

  it('reports which providers are configured', () => {
    const r = inspectEnv({ MISTRAL_API_KEY: 'm' });
    expect(r.providers.filter((p) => p.configured).map((p) => p.provider)).toEqual(['mistral', 'demo']);
    expect(r.providers.find((p) => p.provider === 'openai')).toMatchObject({ configured: false, variables: ['OPENAI_API_KEY'], aliases: [] });
  });

  it('names the variable whose value it cannot use', () => {
    expect(envError(() => seedFromEnv({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'not a url' }))).toMatchObject({
      code: 'TOTRA_CATALOG_ENV_INVALID',
      message: expect.stringMatching(/^OPENAI_BASE_URL: not a URL/),
    });
    expect(envError(() => seedFromEnv({ OLLAMA_MODELS: 'llama 3' })).message).toMatch(/^OLLAMA_MODELS: "llama 3" is not a valid model alias/);
    expect(envError(() => seedFromEnv({ AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_ENDPOINT: 'ftp://x', AZURE_OPENAI_DEPLOYMENTS: 'a' })).message).toMatch(
      /^AZURE_OPENAI_ENDPOINT: must be an http\(s\) URL/,
    );
    expect(envError(() => seedFromEnv({ OLLAMA_MODELS: 'a=,b' })).message).toMatch(/entry "a=" has no model/);
    expect(envError(() => seedFromEnv({ OLLAMA_MODELS: 'a,a' })).message).toMatch(/alias "a" is listed twice/);
  });
});

describe('helpers', () => {
  it('parses model lists separated by commas or new lines', () => {
    expect(parseModelList('X', ' a ,\n b=c ,, ')).toEqual([
      { alias: 'a', model: 'a' },
      { alias: 'b', model: 'c' },
    ]);
  });

  it('maps regions to inference profile prefixes', () => {
    expect([bedrockGeoPrefix('us-east-1'), bedrockGeoPrefix('eu-west-3'), bedrockGeoPrefix('ap-southeast-2'), bedrockGeoPrefix('sa-east-1')]).toEqual(['us', 'eu', 'apac', undefined]);
  });

  it('tells which variable would make an unknown alias available', () => {
    expect(missingModelHint('gpt-4o')?.message).toBe('model "gpt-4o" is not configured: set OPENAI_API_KEY');
    expect(missingModelHint('claude-sonnet-4-5')?.message).toBe(
      'model "claude-sonnet-4-5" is not configured: set ANTHROPIC_API_KEY (or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION for AWS Bedrock)',
    );
    expect(missingModelHint('nova-pro')?.options.map((o) => o.provider)).toEqual(['bedrock']);
    expect(missingModelHint('my-private-model')).toBeUndefined();
  });
});

describe('SEED_VARIABLES', () => {
  it('lists every variable that changes what is seeded', () => {
    const full = {
      OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k', GEMINI_API_KEY: 'k', MISTRAL_API_KEY: 'k', COHERE_API_KEY: 'k',
      AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'us-east-1',
      AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_ENDPOINT: 'https://a.openai.azure.com', AZURE_OPENAI_DEPLOYMENTS: 'x',
      OLLAMA_MODELS: 'm', OPENAI_COMPATIBLE_BASE_URL: 'http://h:1', OPENAI_COMPATIBLE_MODELS: 'm',
    };
    for (const name of Object.keys(full)) expect(SEED_VARIABLES).toContain(name);
    const cleared = Object.fromEntries(SEED_VARIABLES.map((v) => [v, '']));
    expect(seedFromEnv({ ...full, ...cleared }).map((d) => d.alias)).toEqual(['demo', 'demo-embedding']);
  });
});
