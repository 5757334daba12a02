import { describe, expect, it } from 'vitest';
import { EventRegistry } from '@totra/events';
import { decideAll } from './catalog-decider.js';
import { diffCatalog } from './catalog-diff.js';
import { parseCatalogFile } from './catalog-file.js';
import { emptyCatalog } from './catalog-state.js';
import { toProviderDeployment } from './credentials.js';
import { inspectEnv, seedFromEnv } from './env-seed.js';

// Fake keys, each distinctive enough that finding any part of it would be a leak.
const env = {
  OPENAI_API_KEY: 'sk-proj-FAKEopenai7Qx2Lm9Vb4Nc8',
  OPENAI_BASE_URL: 'http://127.0.0.1:4010/v1',
  ANTHROPIC_API_KEY: 'sk-ant-api03-FAKEanthropic3Hd6Ks1',
  GEMINI_API_KEY: 'AIzaFAKEgemini5Tz8Wq2Ry',
  MISTRAL_API_KEY: 'FAKEmistral4Pj7Xn0Cv',
  COHERE_API_KEY: 'FAKEcohere2Gb5Mh8Jk',
  AWS_ACCESS_KEY_ID: 'AKIAFAKEACCESS1234567',
  AWS_SECRET_ACCESS_KEY: 'FAKEawsSecret/9Lp3Zr6Ty+Qw',
  AWS_SESSION_TOKEN: 'FAKEawsSessionToken8Ux1',
  AWS_REGION: 'us-east-1',
  AZURE_OPENAI_API_KEY: 'FAKEazure0Ne3Bf6Dg9',
  AZURE_OPENAI_ENDPOINT: 'https://acme.openai.azure.com',
  AZURE_OPENAI_DEPLOYMENTS: 'gpt-4o=prod-4o',
  OLLAMA_MODELS: 'llama3.2',
  OLLAMA_API_KEY: 'FAKEollama6Vm9Ck2',
  OPENAI_COMPATIBLE_BASE_URL: 'http://vllm:8000/v1',
  OPENAI_COMPATIBLE_MODELS: 'qwen=Qwen/Qwen2.5-7B-Instruct',
  OPENAI_COMPATIBLE_API_KEY: 'FAKEcompat1Sd4Fh7',
};
const secrets = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'GEMINI_API_KEY',
  'MISTRAL_API_KEY',
  'COHERE_API_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AZURE_OPENAI_API_KEY',
  'OLLAMA_API_KEY',
  'OPENAI_COMPATIBLE_API_KEY',
] as const;

describe('no secret ever reaches an event', () => {
  it('builds events from a fully configured environment without any key value in them', () => {
    const desired = seedFromEnv(env);
    expect(new Set(desired.map((d) => d.provider))).toEqual(
      new Set(['openai', 'anthropic', 'gemini', 'mistral', 'cohere', 'bedrock', 'azure-openai', 'ollama', 'openai-compatible', 'demo']),
    );
    const { events } = decideAll(diffCatalog(emptyCatalog(), desired, { time: '2026-02-01T08:00:00.000Z' }), emptyCatalog());
    expect(events).toHaveLength(desired.length);
    const registry = new EventRegistry();
    for (const e of events) registry.validateInput(e);
    const serialized = JSON.stringify(events) + JSON.stringify(inspectEnv(env));
    for (const name of secrets) {
      const value = env[name];
      expect(serialized, name).not.toContain(value);
      expect(serialized, name).not.toContain(value.slice(4, 14));
    }
    // ...while the references are there, and resolve to the keys at request time.
    expect(serialized).toContain('env:OPENAI_API_KEY');
    const bedrock = desired.find((d) => d.provider === 'bedrock');
    expect(bedrock && toProviderDeployment(bedrock, env).aws).toEqual({
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN,
    });
  });

  it('refuses a secret pasted into totra.yaml before any event is built', () => {
    const text = `models:\n  - alias: gpt-4o\n    deployments:\n      - provider: openai\n        model: gpt-4o\n        credential: ${env.OPENAI_API_KEY}\n`;
    expect(() => parseCatalogFile(text)).toThrow(expect.objectContaining({ code: 'TOTRA_CATALOG_FILE_INVALID' }));
    try {
      parseCatalogFile(text);
    } catch (err) {
      expect((err as Error).message).not.toContain('FAKEopenai');
    }
  });

  it('the event schema itself refuses anything but a reference', () => {
    const registry = new EventRegistry();
    const [e] = decideAll(diffCatalog(emptyCatalog(), seedFromEnv({}), { time: '2026-02-01T08:00:00.000Z' }), emptyCatalog()).events;
    expect(e).toBeDefined();
    expect(() => registry.validateInput({ ...e!, data: { ...e!.data, credentialRef: env.OPENAI_API_KEY } })).toThrow(/credential reference/);
  });
});
