import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Redis } from 'ioredis';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { hashApiKey, setTeamNetworkPolicy } from '@totra/identity';
import { startQuotaHotProjection, type QuotaHotProjection } from '@totra/projection-quota-hot';
import { natsUrl, redisKeyPrefix, redisUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { runCli } from '../services/cli/src/cli.js';
import { authPlugin, requestIdentity } from '../services/gateway/src/auth/auth.plugin.js';
import { KeyResolver, type Eviction } from '../services/gateway/src/auth/key-cache.js';

// The whole path of a gateway key: `totra keys` appends events, the quota-hot projection puts
// them into Redis, the gateway's resolver and auth plugin decide from Redis, and a revocation
// reaches the running gateway within a second.
describe('API keys end to end (real NATS and Redis)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let stream: StreamOptions;
  let prefix: string;
  let dir: string;
  let log: string[];
  let projection: QuotaHotProjection;
  let resolver: KeyResolver;
  let app: FastifyInstance;

  beforeAll(async () => {
    const url = await natsUrl();
    nc = await connectNats(url, { name: 'api-keys-e2e' });
    redis = new Redis(await redisUrl());
    stream = { name: uniqueStreamName('KEYS'), subjectPrefix: uniquePrefix('keys') };
    prefix = redisKeyPrefix('keys');
    dir = mkdtempSync(join(tmpdir(), 'totra-api-keys-'));
    log = ['--nats', url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', dir];
    await ensureStream(await jetstreamManager(nc), stream);
    projection = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: prefix, consumerName: 'quota-hot' });
    resolver = new KeyResolver({ redis, keyPrefix: prefix });
    await resolver.start();
    app = Fastify();
    await app.register(authPlugin, { resolver });
    app.post('/v1/chat/completions', async (request) => ({ identity: requestIdentity(request) }));
    app.post('/v1/messages', async (request) => ({ identity: requestIdentity(request) }));
  });

  afterAll(async () => {
    await app.close();
    await resolver.close();
    await projection.stop();
    await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli([...args, ...log], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    return { code, out, err };
  };
  const issue = async (...args: string[]) => {
    const r = await cli('keys', 'issue', '--json', ...args);
    expect(r.code, r.err).toBe(0);
    await projection.caughtUp();
    return JSON.parse(r.out) as { key: string; keyId: string };
  };
  const call = (key: string | undefined, remoteAddress = '127.0.0.1', url = '/v1/chat/completions') =>
    app.inject({ method: 'POST', url, remoteAddress, headers: key ? { authorization: `Bearer ${key}` } : {}, payload: {} });

  it('a key issued with the CLI authenticates at the gateway; missing and unknown keys do not', async () => {
    const { key, keyId } = await issue('--user', 'u_1', '--team', 't_1', '--tenant', 'acme');
    const ok = await call(key);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({
      identity: { keyId, prefix: key.slice(0, 8), userId: 'u_1', teamId: 't_1', tenant: 'acme', cidrs: [], teamCidrs: [], revoked: false },
    });
    expect((await call(undefined)).statusCode).toBe(401);
    const unknown = await call(`tt-${'Q'.repeat(40)}`);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toMatchObject({ error: { code: 'invalid_api_key', param: null } });
  });

  it('keeps a key to its networks and to its team networks (403 outside)', async () => {
    const { key } = await issue('--user', 'u_2', '--team', 't_net', '--cidr', '10.0.0.0/8');
    expect((await call(key, '10.20.30.40')).statusCode).toBe(200);
    const denied = await call(key, '192.0.2.1', '/v1/messages');
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual({ type: 'error', error: { type: 'permission_error', message: expect.stringContaining('192.0.2.1') } });

    const writer = await ChainWriter.open({ nc, stream, role: 'admin', spoolDir: join(dir, 'spool') });
    const teamChanged = new Promise<Eviction>((resolve) => resolver.onEvicted((e) => e.reason === 'team-policy' && resolve(e)));
    for (const e of setTeamNetworkPolicy({ team: 't_net', tenant: 'default', cidrs: ['10.20.0.0/16'], at: new Date() })) writer.append(e);
    await writer.close();
    await teamChanged;
    expect((await call(key, '10.20.30.40')).statusCode).toBe(200);
    expect((await call(key, '10.99.0.1')).statusCode).toBe(403);
  });

  it('a key revoked with the CLI is refused by the running gateway within a second', async () => {
    const { key, keyId } = await issue('--user', 'u_3', '--team', 't_1');
    expect((await call(key)).statusCode).toBe(200); // now cached in the gateway
    const evicted = new Promise<Eviction>((resolve) => resolver.onEvicted((e) => e.keyHash === hashApiKey(key) && resolve(e)));
    const t0 = performance.now();
    const revoked = await cli('keys', 'revoke', keyId, '--reason', 'leaked');
    expect(revoked.code, revoked.err).toBe(0);
    expect(await evicted).toMatchObject({ reason: 'revoked', dropped: 1 });
    expect(performance.now() - t0).toBeLessThan(1000);
    const refused = await call(key);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ error: { message: `API key ${key.slice(0, 8)}… was revoked`, type: 'authentication_error', code: 'invalid_api_key', param: null } });
  });
});
