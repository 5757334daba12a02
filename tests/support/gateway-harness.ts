// A whole ToTra data plane for end-to-end tests: real NATS, Redis (via @totra/testing), the
// projector (quota-hot), the gateway listening on a port, mock providers for every provider
// (we cannot reach real ones), and a key issued through the `totra keys` CLI. Each harness
// isolates itself: own stream, subject prefix, Redis key prefix, spool folder.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { ChainVerifier } from '@totra/chain';
import { connectNats, readStream, type StreamOptions } from '@totra/eventlog';
import { type Envelope } from '@totra/events';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@totra/gateway';
import { loadProjectorConfig, startProjector, type RunningProjector } from '@totra/projector';
import { natsUrl, redisKeyPrefix, redisUrl, startMockProvider, uniquePrefix, uniqueStreamName, type MockProvider } from '@totra/testing';
import { runCli } from '../../services/cli/src/cli.js';

export type MockName = 'openai' | 'azure' | 'anthropic' | 'gemini' | 'mistral' | 'cohere' | 'bedrock' | 'ollama' | 'compatible';

/** The alias each mock provider serves in the harness's catalog. */
export const ALIAS: Record<MockName, string> = {
  openai: 'gpt-4o',
  azure: 'azure-gpt',
  anthropic: 'claude-sonnet-4-5',
  gemini: 'gemini-2.5-flash',
  mistral: 'mistral-large-latest',
  cohere: 'command-a-03-2025',
  bedrock: 'nova-pro',
  ollama: 'llama3.1',
  compatible: 'compat-model',
};

export interface Harness {
  gateway: RunningGateway;
  projector: RunningProjector;
  mocks: Record<MockName, MockProvider>;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** A valid key for user u-alice, team t-research, tenant acme. */
  key: string;
  keyId: string;
  nc: NatsConnection;
  stream: StreamOptions;
  /** The environment the gateway and projector were started with (to start more gateways). */
  env: Record<string, string>;
  redisPrefix: string;
  /** CLI flags that point `totra` commands at this harness's stream. */
  cliArgs: string[];
  /** Runs a `totra` command in-process. */
  cli(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** Every event in the stream, parsed, after the gateway's writer flushed. */
  events(): Promise<Envelope[]>;
  /** Verifies the whole stream with the chain verifier. */
  verify(): Promise<ReturnType<ChainVerifier['finish']>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra gateway environment (e.g. TOTRA_UPSTREAM_TIMEOUT_MS). */
  env?: Record<string, string>;
}

/** The official SDKs pointed at a harness's gateway with its key, without retries (a test sees every answer). */
export function sdkClients(h: Pick<Harness, 'key' | 'url'>): { openai: OpenAI; anthropic: Anthropic } {
  return {
    openai: new OpenAI({ apiKey: h.key, baseURL: `${h.url}/v1`, maxRetries: 0 }),
    anthropic: new Anthropic({ apiKey: h.key, baseURL: h.url, maxRetries: 0 }),
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const mocks = {} as Record<MockName, MockProvider>;
  const kinds: Record<MockName, Parameters<typeof startMockProvider>[0]['provider']> = {
    openai: 'openai',
    azure: 'azure-openai',
    anthropic: 'anthropic',
    gemini: 'gemini',
    mistral: 'mistral',
    cohere: 'cohere',
    bedrock: 'bedrock',
    ollama: 'ollama',
    compatible: 'openai-compatible',
  };
  for (const [name, provider] of Object.entries(kinds) as [MockName, (typeof kinds)[MockName]][]) {
    mocks[name] = await startMockProvider({ provider, apiKey: provider === 'ollama' || provider === 'bedrock' ? undefined : `sk-test-${name}` });
  }
  const dir = mkdtempSync(join(tmpdir(), 'totra-harness-'));
  const stream: StreamOptions = { name: uniqueStreamName('GW'), subjectPrefix: uniquePrefix('gw') };
  const nats = await natsUrl();
  const redis = await redisUrl();
  const redisPrefix = redisKeyPrefix('gw');
  const base: Record<string, string> = {
    TOTRA_NATS_URL: nats,
    TOTRA_REDIS_URL: redis,
    TOTRA_REDIS_PREFIX: redisPrefix,
    TOTRA_STREAM: stream.name,
    TOTRA_SUBJECT_PREFIX: stream.subjectPrefix,
    TOTRA_SPOOL_DIR: join(dir, 'spool'),
    TOTRA_CATALOG_FILE: join(dir, 'no-totra.yaml'),
    // Azure deployment names and the OpenAI-compatible test model have no catalog price.
    TOTRA_UNPRICED: 'allow',
  };
  // Provider keys and base URLs, as an operator sets them: the catalog seeds itself from these.
  const providerEnv: Record<string, string> = {
    OPENAI_API_KEY: 'sk-test-openai',
    OPENAI_BASE_URL: mocks.openai.baseUrl,
    OPENAI_MODELS: 'gpt-4o,gpt-4o-mini,text-embedding-3-small',
    AZURE_OPENAI_API_KEY: 'sk-test-azure',
    AZURE_OPENAI_ENDPOINT: mocks.azure.url,
    AZURE_OPENAI_DEPLOYMENTS: 'azure-gpt=gpt4o-prod',
    ANTHROPIC_API_KEY: 'sk-test-anthropic',
    ANTHROPIC_BASE_URL: mocks.anthropic.baseUrl || mocks.anthropic.url,
    ANTHROPIC_MODELS: 'claude-sonnet-4-5',
    GEMINI_API_KEY: 'sk-test-gemini',
    GEMINI_BASE_URL: mocks.gemini.baseUrl,
    GEMINI_MODELS: 'gemini-2.5-flash',
    MISTRAL_API_KEY: 'sk-test-mistral',
    MISTRAL_BASE_URL: mocks.mistral.baseUrl,
    MISTRAL_MODELS: 'mistral-large-latest',
    COHERE_API_KEY: 'sk-test-cohere',
    COHERE_BASE_URL: mocks.cohere.baseUrl || mocks.cohere.url,
    COHERE_MODELS: 'command-a-03-2025',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'eu-central-1',
    BEDROCK_BASE_URL: mocks.bedrock.baseUrl || mocks.bedrock.url,
    BEDROCK_MODELS: 'nova-pro=amazon.nova-pro-v1:0',
    OLLAMA_BASE_URL: mocks.ollama.baseUrl || mocks.ollama.url,
    OLLAMA_MODELS: 'llama3.1',
    OPENAI_COMPATIBLE_BASE_URL: mocks.compatible.baseUrl,
    OPENAI_COMPATIBLE_API_KEY: 'sk-test-compatible',
    OPENAI_COMPATIBLE_MODELS: 'compat-model',
  };
  const env = { ...base, ...providerEnv, ...options.env };
  const projector = await startProjector(loadProjectorConfig(env));
  const gateway = await startGateway(loadGatewayConfig(env, { host: '127.0.0.1', port: 0, logLevel: 'silent' }), { env });
  const nc = await connectNats(nats, { name: 'harness' });
  const cliArgs = ['--nats', nats, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', dir];
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    return { code, out, err };
  };
  const issued = await cli('keys', 'issue', '--user', 'u-alice', '--team', 't-research', '--tenant', 'acme', '--name', 'harness', '--json', ...cliArgs);
  if (issued.code !== 0) throw new Error(`keys issue failed: ${issued.err}`);
  const { key, keyId } = JSON.parse(issued.out) as { key: string; keyId: string };
  await projector.quotaHot.caughtUp();

  const events = async (): Promise<Envelope[]> => {
    await gateway.drain();
    const out: Envelope[] = [];
    for await (const b of readStream(nc, stream)) for (const l of b.lines) out.push(JSON.parse(l) as Envelope);
    return out;
  };
  return {
    gateway,
    projector,
    mocks,
    url: gateway.url,
    key,
    keyId,
    nc,
    stream,
    env,
    redisPrefix,
    cliArgs,
    cli,
    events,
    async verify() {
      await gateway.drain();
      const v = new ChainVerifier();
      for await (const b of readStream(nc, stream)) b.lines.forEach((l, i) => v.push(l, `${b.streamSeq}:${i}`));
      return v.finish();
    },
    async close() {
      await gateway.close();
      await projector.close();
      await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
      await nc.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
