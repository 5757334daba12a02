import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { generateNoteSigner, parseNoteSigner } from '@totra/chain';
import { CORE_MIGRATION_TABLES, coreMigrations, createDb, ensureDatabase, migrateToLatest } from '@totra/db';
import { isPortFree, startNats, startPostgres, startRedis, type EngineHandle, type EngineOptions } from '@totra/engines';
import { connectNats, ensureStream } from '@totra/eventlog';
import { randomBytes } from 'node:crypto';
import { initialApiKeysState, issueApiKey, mintApiKey } from '@totra/identity';
import { keyringPath, loadKeyring } from '../gdpr-context.js';
import { withWriter } from '../log-context.js';
import { startServiceProcess, type ServiceProcess } from '../service-process.js';
import { writeUrls, type Urls } from '../state.js';

export interface UpOptions {
  stateDir: string;
  gatewayPort: number;
  gatewayHost: string;
  /** Called with each line of the start-up report. */
  print: (line: string) => void;
}

/** What `totra up` started; `stop()` shuts it all down in reverse order. */
export interface Running {
  urls: Urls;
  stop(): Promise<void>;
}

type Starter = (o: EngineOptions) => Promise<EngineHandle>;

interface Ports {
  nats?: number;
  redis?: number;
  postgres?: number;
}

/** Ports used last time are tried first, then the engine's usual port, then any free port. */
async function pickPort(saved: number | undefined, usual: number): Promise<number> {
  for (const p of [saved, usual]) if (p && (await isPortFree(p))) return p;
  return 0;
}

/**
 * Starts the product on one machine: NATS (JetStream), Redis and Postgres from local
 * binaries (state in the state folder, reused next time) unless TOTRA_NATS_URL /
 * TOTRA_REDIS_URL / TOTRA_PG_URL point at running servers; runs migrations; creates the
 * stream; starts every service; writes `urls.json`.
 */
export async function up(opts: UpOptions): Promise<Running> {
  const dir = opts.stateDir;
  mkdirSync(dir, { recursive: true });
  const portsFile = join(dir, 'ports.json');
  const saved: Ports = existsSync(portsFile) ? (JSON.parse(readFileSync(portsFile, 'utf8')) as Ports) : {};
  const started: EngineHandle[] = [];
  const services: ServiceProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    for (const e of started.reverse()) await e.stop().catch(() => undefined);
  };

  const engine = async (name: keyof Ports, envVar: string, usual: number, start: Starter): Promise<string> => {
    const fromEnv = process.env[envVar];
    if (fromEnv) {
      opts.print(`  ${name.padEnd(9)} ${fromEnv} (from ${envVar})`);
      return fromEnv;
    }
    const port = await pickPort(saved[name], usual);
    const handle = await start({ dataDir: join(dir, name), ...(port ? { port } : {}), detached: true });
    started.push(handle);
    saved[name] = handle.port;
    opts.print(`  ${name.padEnd(9)} ${handle.url} (pid ${handle.pid}, data in ${join(dir, name)})`);
    return handle.url;
  };

  try {
    opts.print('starting engines');
    const natsUrl = await engine('nats', 'TOTRA_NATS_URL', 4222, startNats);
    const redisUrl = await engine('redis', 'TOTRA_REDIS_URL', 6379, startRedis);
    const pgServerUrl = await engine('postgres', 'TOTRA_PG_URL', 5432, startPostgres);
    writeFileSync(portsFile, `${JSON.stringify(saved)}\n`);

    const pgUrl = await ensureDatabase(pgServerUrl, 'totra');
    const db = createDb(pgUrl, { applicationName: 'totra-up' });
    try {
      const { applied } = await migrateToLatest(db, coreMigrations, CORE_MIGRATION_TABLES);
      opts.print(`migrations: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    } finally {
      await db.destroy();
    }

    const stream = {
      name: process.env['TOTRA_STREAM'] ?? 'TOTRA',
      subjectPrefix: process.env['TOTRA_SUBJECT_PREFIX'] ?? 'totra',
      replicas: Number(process.env['TOTRA_STREAM_REPLICAS'] ?? 1),
    };
    const nc = await connectNats(natsUrl, { name: 'totra-up' });
    try {
      await ensureStream(await jetstreamManager(nc, { checkAPI: false }), stream);
    } finally {
      await nc.close();
    }
    opts.print(`stream ${stream.name}: ready (immutable: deny delete, deny purge, no limits)`);

    const serviceEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TOTRA_NATS_URL: natsUrl,
      TOTRA_REDIS_URL: redisUrl,
      TOTRA_PG_URL: pgUrl,
      TOTRA_STREAM: stream.name,
      TOTRA_SUBJECT_PREFIX: stream.subjectPrefix,
      TOTRA_SPOOL_DIR: join(dir, 'spool'),
    };
    const notary = notaryKey(dir, opts.print);
    const projector = await startServiceProcess('projector', '@totra/projector/main', {
      ...serviceEnv,
      TOTRA_NOTARY_KEY_FILE: notary.keyFile,
      TOTRA_NOTARY_INTERVAL_MS: process.env['TOTRA_NOTARY_INTERVAL_MS'] ?? '10000',
      TOTRA_NOTARY_MAX_EVENTS: process.env['TOTRA_NOTARY_MAX_EVENTS'] ?? '10000',
      TOTRA_CHECKPOINT_FILE: process.env['TOTRA_CHECKPOINT_FILE'] ?? join(dir, 'checkpoints.ndjson'),
    });
    services.push(projector);
    opts.print(`  projector (pid ${projector.pid}): quota-hot -> Redis; cost, audit index, directory, forecast, anomaly, settings, keys, quota and gdpr logs -> Postgres; notary signs checkpoints as ${notary.name}`);
    // The keyring of the key store (created on the first start): the gateway seals client
    // addresses, user agents and logged content under keys it wraps.
    const keyOpts = { stream: stream.name, subjectPrefix: stream.subjectPrefix, stateDir: dir };
    loadKeyring(keyOpts);
    const gateway = await startServiceProcess('gateway', '@totra/gateway/main', {
      ...serviceEnv,
      TOTRA_KEYRING: keyringPath(keyOpts),
      TOTRA_GATEWAY_PORT: String(opts.gatewayPort),
      TOTRA_GATEWAY_HOST: opts.gatewayHost,
      TOTRA_LOG_LEVEL: process.env['TOTRA_LOG_LEVEL'] ?? 'warn',
    });
    services.push(gateway);
    opts.print(`  gateway   ${gateway.url} (pid ${gateway.pid})`);

    const urls: Urls = { gateway: gateway.url ?? '', nats: natsUrl, redis: redisUrl, postgres: pgUrl };
    writeUrls(dir, urls);
    await firstKey(dir, natsUrl, stream, urls.gateway, opts.print);
    return { urls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * On the very first start, issues an API key and shows it once with a ready-to-paste request
 * to the built-in demo model, so a newcomer's first request works with no provider key.
 */
async function firstKey(dir: string, natsUrl: string, stream: { name: string; subjectPrefix: string }, gatewayUrl: string, print: (l: string) => void): Promise<void> {
  const marker = join(dir, 'first-key.done');
  if (existsSync(marker)) {
    print('API keys: `npx totra keys issue --user <id> --team <id>` (the first one was shown on the first start)');
    return;
  }
  const at = new Date();
  const minted = mintApiKey(at, (n) => randomBytes(n));
  const events = issueApiKey(
    { keyId: minted.keyId, keyHash: minted.keyHash, prefix: minted.prefix, user: 'admin', team: 'default', tenant: 'default', name: 'first key (totra up)', at },
    initialApiKeysState,
  );
  await withWriter({ nats: natsUrl, stream: stream.name, subjectPrefix: stream.subjectPrefix, stateDir: dir }, (writer) => {
    for (const e of events) writer.append(e);
  });
  writeFileSync(marker, `${JSON.stringify({ keyId: minted.keyId, prefix: minted.prefix, issuedAt: at.toISOString() })}\n`);
  const body = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'Hello ToTra' }] });
  print('');
  print('Your first API key (shown only now; issue more with `npx totra keys issue`):');
  print(`  ${minted.key}`);
  print('Try it: the built-in `demo` model (a local echo, no provider needed) answers at once:');
  print(`  curl ${gatewayUrl}/v1/chat/completions -H "Authorization: Bearer ${minted.key}" -H "Content-Type: application/json" -d '${body}'`);
  print('For real models set a provider key (e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY) and start again.');
}

/** The notary's key files in the state folder. */
export interface NotaryKeyFiles {
  /** The private key (`PRIVATE+KEY+...`), mode 0600. */
  keyFile: string;
  /** The verifier key, for `totra verify --trust-key`. */
  vkeyFile: string;
  vkey: string;
  /** Key name = the log origin in every checkpoint. */
  name: string;
  created: boolean;
}

/** The default log origin: `<host>/totra`, restricted to the characters a note key name allows. */
export function defaultOrigin(host = hostname()): string {
  const clean = host.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return `${clean || 'localhost'}/totra`;
}

/**
 * The notary signing key, created in the state folder on the first start (private key mode
 * 0600, verifier key next to it) and reused afterwards. The verifier key is printed in full
 * only when created, so an auditor can pin it from the first checkpoint on.
 */
export function notaryKey(dir: string, print: (l: string) => void): NotaryKeyFiles {
  const keyFile = join(dir, 'notary.key');
  const vkeyFile = `${keyFile}.pub`;
  if (existsSync(keyFile)) {
    if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
    const signer = parseNoteSigner(readFileSync(keyFile, 'utf8'));
    if (!existsSync(vkeyFile)) writeFileSync(vkeyFile, `${signer.vkey}\n`);
    print(`notary: signing checkpoints with the key in ${keyFile} (pin ${vkeyFile})`);
    return { keyFile, vkeyFile, vkey: signer.vkey, name: signer.name, created: false };
  }
  const signer = generateNoteSigner(process.env['TOTRA_NOTARY_ORIGIN'] ?? defaultOrigin());
  writeFileSync(keyFile, `${signer.skey}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(vkeyFile, `${signer.vkey}\n`);
  print('');
  print(`notary: created a checkpoint signing key in ${keyFile} (keep it secret; back it up)`);
  print(`  verifier key (give it to your auditors; pin it with \`npx totra verify --trust-key ${vkeyFile}\`):`);
  print(`  ${signer.vkey}`);
  print('');
  return { keyFile, vkeyFile, vkey: signer.vkey, name: signer.name, created: true };
}
