import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { authPlugin, createAuthPlugin, requestIdentity, type AuthPluginOptions } from './auth.plugin.js';
import { LOOKUP_NEEDED, type Identity } from './key-cache.js';

const GOOD = `tt-${'A'.repeat(40)}`;
const REVOKED = `tt-${'R'.repeat(40)}`;
const EXPIRED = `tt-${'E'.repeat(40)}`;
const FENCED = `tt-${'F'.repeat(40)}`;
const TEAM_FENCED = `tt-${'T'.repeat(40)}`;
const BROKEN = `tt-${'B'.repeat(40)}`;
const NOW = Date.parse('2026-12-04T10:00:00.000Z');

const base: Identity = { keyId: 'key_0193b5a07c3e7abc8def0123456789ab', prefix: 'tt-AAAAA', userId: 'u_1', teamId: 't_1', tenant: 'acme', cidrs: [], teamCidrs: [], revoked: false };
const identities: Record<string, Identity> = {
  [GOOD]: { ...base, expiresAt: '2026-12-05T00:00:00.000Z' },
  [REVOKED]: { ...base, revoked: true },
  [EXPIRED]: { ...base, expiresAt: '2026-12-04T10:00:00.000Z' },
  [FENCED]: { ...base, cidrs: ['10.0.0.0/8', '2001:db8::/32'] },
  [TEAM_FENCED]: { ...base, cidrs: ['10.0.0.0/8'], teamCidrs: ['10.1.0.0/16'] },
  [BROKEN]: { ...base, cidrs: ['nonsense'] },
};

const UNREACHABLE = `tt-${'X'.repeat(40)}`;
let lookups = 0;
/** A resolver that knows the keys above, and fails for "tt-" + 40 x "X" (Redis down). */
const promiseOnly: AuthPluginOptions['resolver'] = {
  resolve: async (key) => {
    lookups++;
    if (key === UNREACHABLE) throw new Error('connect ECONNREFUSED');
    return identities[key];
  },
};
/** The same keys held in memory (as KeyResolver.peek answers), except the one only Redis could tell. */
const peeking: AuthPluginOptions['resolver'] = {
  resolve: promiseOnly.resolve,
  peek: (key) => (key === UNREACHABLE ? LOOKUP_NEEDED : identities[key]),
};

let app: FastifyInstance;
let resolver = promiseOnly;
async function build(opts: Partial<AuthPluginOptions> = {}): Promise<FastifyInstance> {
  app = Fastify();
  await app.register(authPlugin, { resolver, now: () => NOW, ...opts });
  const echo = async (request: Parameters<typeof requestIdentity>[0]) => ({ identity: requestIdentity(request) ?? null });
  app.post('/v1/chat/completions', echo);
  app.post('/v1/messages', echo);
  app.post('/openai/deployments/:deployment/chat/completions', echo);
  app.get('/v1/models', echo);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async () => 'metrics');
  return app;
}
afterEach(async () => {
  await app.close();
});

const openai401 = (message: RegExp) => ({ error: { message: expect.stringMatching(message), type: 'authentication_error', code: 'invalid_api_key', param: null } });

describe.each([
  ['a resolver that answers with a promise', promiseOnly],
  ['a resolver that answers from memory first (peek)', peeking],
])('auth plugin, %s', (_name, chosen) => {
  beforeEach(() => {
    resolver = chosen;
    lookups = 0;
  });

  it('lets a good key through with the identity set, from Bearer, x-api-key or api-key', async () => {
    await build();
    const bearer = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${GOOD}` }, payload: {} });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json()).toEqual({ identity: identities[GOOD] });
    const lower = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `bearer  ${GOOD} ` }, payload: {} });
    expect(lower.statusCode).toBe(200);
    const xApiKey = await app.inject({ method: 'POST', url: '/v1/messages', headers: { 'x-api-key': GOOD }, payload: {} });
    expect(xApiKey.statusCode).toBe(200);
    expect(xApiKey.json()).toEqual({ identity: identities[GOOD] });
    const azure = await app.inject({ method: 'POST', url: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', headers: { 'api-key': GOOD }, payload: {} });
    expect(azure.statusCode).toBe(200);
    expect(azure.json()).toEqual({ identity: identities[GOOD] });
  });

  it('refuses a missing key with 401 in the OpenAI shape, and in the Anthropic shape under /v1/messages', async () => {
    await build();
    const openai = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} });
    expect(openai.statusCode).toBe(401);
    expect(openai.headers['www-authenticate']).toBe('Bearer realm="totra"');
    expect(openai.json()).toEqual(openai401(/^no API key/));
    const anthropic = await app.inject({ method: 'POST', url: '/v1/messages?beta=true', payload: {} });
    expect(anthropic.statusCode).toBe(401);
    expect(anthropic.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.stringMatching(/^no API key/) } });
    const basic = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.statusCode).toBe(401);
  });

  it('refuses unknown, malformed, revoked and expired keys with 401, echoing at most the display prefix', async () => {
    await build();
    const cases: [string, RegExp][] = [
      [`tt-${'Z'.repeat(40)}`, /^invalid API key tt-ZZZZZ…$/],
      ['sk-not-ours-at-all', /^invalid API key$/],
      [REVOKED, /^API key tt-RRRRR… was revoked$/],
      [EXPIRED, /^API key tt-EEEEE… expired at 2026-12-04T10:00:00.000Z$/],
    ];
    for (const [key, message] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, payload: {} });
      expect(res.statusCode, key).toBe(401);
      expect(res.json()).toEqual(openai401(message));
      expect(res.body).not.toContain(key.slice(8));
    }
  });

  it('enforces the key and team allowlists against the socket peer with 403', async () => {
    await build();
    const call = (key: string, remoteAddress: string, url = '/v1/chat/completions') =>
      app.inject({ method: 'POST', url, remoteAddress, headers: { authorization: `Bearer ${key}` }, payload: {} });
    expect((await call(FENCED, '10.9.9.9')).statusCode).toBe(200);
    expect((await call(FENCED, '::ffff:10.9.9.9')).statusCode).toBe(200);
    expect((await call(FENCED, '2001:db8::7')).statusCode).toBe(200);
    const denied = await call(FENCED, '192.0.2.1');
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual({ error: { message: 'API key tt-FFFFF… may not be used from 192.0.2.1', type: 'permission_error', code: 'permission_denied', param: null } });
    const anthropic = await call(FENCED, '192.0.2.1', '/v1/messages');
    expect(anthropic.json()).toEqual({ type: 'error', error: { type: 'permission_error', message: expect.stringContaining('may not be used') } });
    // Both lists apply: inside the key's 10/8 but outside the team's 10.1/16.
    expect((await call(TEAM_FENCED, '10.1.2.3')).statusCode).toBe(200);
    expect((await call(TEAM_FENCED, '10.2.2.3')).statusCode).toBe(403);
    // An unreadable allowlist allows nothing.
    expect((await call(BROKEN, '10.1.2.3')).statusCode).toBe(403);
  });

  it('believes X-Forwarded-For only from trusted proxies', async () => {
    await build({ trustedProxies: ['127.0.0.1/32'] });
    const call = (remoteAddress: string, xff: string) =>
      app.inject({ method: 'POST', url: '/v1/chat/completions', remoteAddress, headers: { authorization: `Bearer ${FENCED}`, 'x-forwarded-for': xff }, payload: {} });
    expect((await call('127.0.0.1', '10.5.5.5')).statusCode).toBe(200);
    expect((await call('127.0.0.1', '192.0.2.1')).statusCode).toBe(403);
    // A client inside the allowlist cannot be spoofed out of it, nor one outside spoof its way in.
    expect((await call('192.0.2.9', '10.5.5.5')).statusCode).toBe(403);
    expect((await call('127.0.0.1', '10.5.5.5, 192.0.2.1')).statusCode).toBe(403);
    const garbage = await call('127.0.0.1', 'unknown');
    expect(garbage.statusCode).toBe(403);
    expect(garbage.json()).toMatchObject({ error: { message: expect.stringMatching(/from an unknown address$/) } });
  });

  it('answers 503, not 500, when keys cannot be checked', async () => {
    await build();
    const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer tt-${'X'.repeat(40)}` }, payload: {} });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { message: expect.stringContaining('TOTRA_AUTH_UNAVAILABLE'), type: 'server_error', code: 'auth_unavailable', param: null } });
    const anthropic = await app.inject({ method: 'POST', url: '/v1/messages', headers: { 'x-api-key': `tt-${'X'.repeat(40)}` }, payload: {} });
    expect(anthropic.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('skips health routes (with or without a query), and nothing else', async () => {
    await build();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz?x=1' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthzz' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
  });

  it('comes as a plugin with its options bound, whose hook reaches routes outside it', async () => {
    app = Fastify();
    await app.register(createAuthPlugin({ resolver, now: () => NOW }));
    app.get('/v1/models', async (request) => ({ keyId: requestIdentity(request)?.keyId }));
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
    const ok = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${GOOD}` } });
    expect(ok.json()).toEqual({ keyId: base.keyId });
  });
});

describe('auth plugin with a key in memory', () => {
  it('checks it without a lookup, and looks up only what memory cannot tell', async () => {
    resolver = peeking;
    lookups = 0;
    await build();
    const ok = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${GOOD}` }, payload: {} });
    expect(ok.statusCode).toBe(200);
    const revoked = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${REVOKED}` }, payload: {} });
    expect(revoked.statusCode).toBe(401);
    expect(lookups).toBe(0);
    const down = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${UNREACHABLE}` }, payload: {} });
    expect(down.statusCode).toBe(503);
    expect(lookups).toBe(1);
  });
});
