import { describe, expect, it } from 'vitest';
import { Deployment } from '@totra/providers';
import { looksLikeSecret, parseCredentialRef, resolveCredential, toProviderDeployment } from './credentials.js';
import { normalizeDeployment } from './deployment.js';
import { CatalogError } from './errors.js';

function errorOf(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CatalogError) return err;
    throw err;
  }
  throw new Error('expected a CatalogError');
}

describe('parseCredentialRef', () => {
  it('reads none, env:VAR and aws-env references', () => {
    expect(parseCredentialRef('none')).toEqual({ kind: 'none' });
    expect(parseCredentialRef('env:OPENAI_API_KEY')).toEqual({ kind: 'env', variable: 'OPENAI_API_KEY' });
    expect(parseCredentialRef('aws-env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN')).toEqual({
      kind: 'aws-env',
      accessKeyIdVariable: 'AWS_ACCESS_KEY_ID',
      secretAccessKeyVariable: 'AWS_SECRET_ACCESS_KEY',
      sessionTokenVariable: 'AWS_SESSION_TOKEN',
    });
  });

  it.each([
    ['an OpenAI key', 'sk-proj-abcDEF1234567890xyz'],
    ['an Anthropic key', 'sk-ant-api03-AbCdEf0123456789'],
    ['a Google key', 'AIzaSyA1b2C3d4E5f6G7h8I9j0'],
    ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['an AWS access key id behind env:', 'env:AKIAIOSFODNN7EXAMPLE'],
    ['a key behind env:', 'env:sk-abc123'],
    ['a bearer header', 'Bearer abc.def'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'],
    ['a random token', 'x8Fq2LmZ9vPw4RtYb7Nc'],
    ['a hex token', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
  ])('refuses %s as a literal secret and never repeats it', (_name, value) => {
    const err = errorOf(() => parseCredentialRef(value));
    expect(err.code).toBe('TOTRA_CATALOG_CREDENTIAL_LITERAL');
    expect(err.message).toMatch(/env:OPENAI_API_KEY/);
    expect(err.message).not.toContain(value.slice(4, 12));
    expect(looksLikeSecret(value.replace(/^env:/, ''))).toBe(true);
  });

  it.each(['env:openai_key', 'env:', 'file:/run/secrets/key', 'aws-env:ONLY_ONE', 'aws-env:A:B:C:D', 'NONE', 'vault:kv/openai'])(
    'refuses the malformed reference %s with the grammar',
    (value) => {
      const err = errorOf(() => parseCredentialRef(value));
      expect(err.code).toBe('TOTRA_CATALOG_CREDENTIAL_REF_INVALID');
      expect(err.message).toMatch(/"none", "env:VAR".*"aws-env:/);
    },
  );

  it('does not take variable names for secrets', () => {
    for (const name of ['OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY_EU_WEST_2', 'env:MY_KEY', 'none']) expect(looksLikeSecret(name)).toBe(false);
  });
});

describe('resolveCredential', () => {
  it('reads the variable a reference names, at call time', () => {
    expect(resolveCredential('env:OPENAI_API_KEY', { OPENAI_API_KEY: 'sk-test-1' })).toEqual({ kind: 'api-key', apiKey: 'sk-test-1' });
    expect(resolveCredential('none', {})).toEqual({ kind: 'none' });
    expect(resolveCredential('aws-env:AK:SK:ST', { AK: 'id', SK: 'secret' })).toEqual({ kind: 'aws', aws: { accessKeyId: 'id', secretAccessKey: 'secret' } });
    expect(resolveCredential('aws-env:AK:SK:ST', { AK: 'id', SK: 'secret', ST: 'tok' })).toEqual({
      kind: 'aws',
      aws: { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'tok' },
    });
  });

  it('says which variable to set when it is missing or empty', () => {
    const missing = errorOf(() => resolveCredential('env:OPENAI_API_KEY', {}));
    expect(missing).toMatchObject({ code: 'TOTRA_CATALOG_CREDENTIAL_MISSING', variables: ['OPENAI_API_KEY'] });
    expect(missing.message).toBe('set OPENAI_API_KEY');
    expect(errorOf(() => resolveCredential('env:OPENAI_API_KEY', { OPENAI_API_KEY: '  ' })).code).toBe('TOTRA_CATALOG_CREDENTIAL_MISSING');
    const aws = errorOf(() => resolveCredential('aws-env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY', { AWS_ACCESS_KEY_ID: 'x' }));
    expect(aws.message).toBe('set AWS_SECRET_ACCESS_KEY');
    expect(errorOf(() => resolveCredential('aws-env:A:B', {})).message).toBe('set A and B');
  });
});

describe('toProviderDeployment', () => {
  const base = { alias: 'gpt-4o', model: 'gpt-4o', deploymentId: 'openai/gpt-4o' };

  it('builds the adapter Deployment with the resolved key', () => {
    const config = normalizeDeployment({ ...base, provider: 'openai', baseUrl: 'http://127.0.0.1:9999/v1' });
    const d = toProviderDeployment(config, { OPENAI_API_KEY: 'sk-test-2' });
    expect(d).toEqual({ provider: 'openai', model: 'gpt-4o', baseUrl: 'http://127.0.0.1:9999/v1', apiKey: 'sk-test-2' });
    expect(Deployment.parse(d)).toEqual(d);
  });

  it('builds Bedrock and Azure deployments', () => {
    const bedrock = normalizeDeployment({ ...base, deploymentId: 'b', provider: 'bedrock', model: 'us.amazon.nova-pro-v1:0', region: 'us-east-1' });
    expect(toProviderDeployment(bedrock, { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK' })).toEqual({
      provider: 'bedrock',
      model: 'us.amazon.nova-pro-v1:0',
      region: 'us-east-1',
      aws: { accessKeyId: 'AK', secretAccessKey: 'SK' },
    });
    const azure = normalizeDeployment({ ...base, deploymentId: 'a', provider: 'azure-openai', model: 'prod-4o', baseUrl: 'https://acme.openai.azure.com', apiVersion: '2024-10-21' });
    expect(toProviderDeployment(azure, { AZURE_OPENAI_API_KEY: 'az' })).toEqual({
      provider: 'azure-openai',
      model: 'prod-4o',
      baseUrl: 'https://acme.openai.azure.com',
      apiVersion: '2024-10-21',
      apiKey: 'az',
    });
    // The public model a deployment of the customer's own name runs (ADR 0044) goes to the adapter.
    const named = normalizeDeployment({ ...base, deploymentId: 'n', provider: 'azure-openai', model: 'prod-instruct', baseModel: 'gpt-3.5-turbo-instruct', baseUrl: 'https://acme.openai.azure.com' });
    expect(toProviderDeployment(named, { AZURE_OPENAI_API_KEY: 'az' })).toMatchObject({ model: 'prod-instruct', baseModel: 'gpt-3.5-turbo-instruct' });
  });

  it('names the variable and the deployment when the key is missing, and refuses the demo model', () => {
    const config = normalizeDeployment({ ...base, provider: 'anthropic', model: 'claude-sonnet-4-5', alias: 'claude-sonnet-4-5' });
    const err = errorOf(() => toProviderDeployment(config, {}));
    expect(err.code).toBe('TOTRA_CATALOG_CREDENTIAL_MISSING');
    expect(err.message).toMatch(/^set ANTHROPIC_API_KEY \(model "claude-sonnet-4-5" via anthropic, deployment openai\/gpt-4o\)$/);
    const demo = normalizeDeployment({ deploymentId: 'd', alias: 'demo', provider: 'demo', model: 'totra-demo-echo' });
    expect(errorOf(() => toProviderDeployment(demo, {})).code).toBe('TOTRA_CATALOG_DEMO_DEPLOYMENT');
  });
});
