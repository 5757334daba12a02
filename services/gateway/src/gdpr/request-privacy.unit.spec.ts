import { randomBytes } from 'node:crypto';
import { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openSealed, sealFields, type DataKey } from '@totra/crypto';
import { EventRegistry, type EventInput } from '@totra/events';
import { buildGateway } from '../app.js';
import { StaticDirectory } from '../routing/directory.js';
import { AfterResponse } from '../pipeline/after-response.js';
import { type CallerIdentity } from '../identity.js';
import { RequestPrivacy, TeamSettingsView, type RequestPrivacyOptions } from './request-privacy.js';

const registry = new EventRegistry();
const who: CallerIdentity = { keyId: 'key_0193b5a07c3e7abc8def0123456789ab', userId: 'u_logged', teamId: 't_log', tenant: 'acme' };
const rnd = (n: number) => new Uint8Array(randomBytes(n));

/** A key store in memory: one key per subject and scope, and a switch to make it fail. */
function memoryStore() {
  const keys = new Map<string, DataKey>();
  const state = { failing: false, lookups: 0 };
  const store: NonNullable<RequestPrivacyOptions['store']> = {
    async dataKeyFor(subject, scope = {}) {
      state.lookups++;
      if (state.failing) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const id = `${subject}/${scope.category ?? 'identity'}/${scope.period ?? ''}`;
      let k = keys.get(id);
      if (!k) keys.set(id, (k = { kid: `dk_${keys.size}`, key: rnd(32) }));
      return k;
    },
    sealWith: (dk, eventId, subject, fields) => sealFields(dk, { eventId, subject }, fields, rnd),
  };
  const open = (e: EventInput) => {
    const k = [...keys.values()].find((x) => x.kid === e.sealed?.kid);
    if (!k || !e.sealed || !e.subject || !e.id) throw new Error('cannot open');
    return openSealed(k.key, { eventId: e.id, subject: e.subject }, e.sealed);
  };
  return { store, state, open };
}

const teamsWith = (logging: boolean) => {
  const teams = new TeamSettingsView();
  teams.apply({ type: 'TeamSettingsChanged', data: { teamId: 't_log', contentLogging: logging } });
  return teams;
};

describe('request privacy', () => {
  it('folds team settings: an absent switch keeps the previous value', () => {
    const teams = new TeamSettingsView();
    expect(teams.contentLogging('t_log')).toBe(false);
    teams.apply({ type: 'TeamSettingsChanged', data: { teamId: 't_log', contentLogging: true } });
    teams.apply({ type: 'TeamSettingsChanged', data: { teamId: 't_log', contentRetentionMonths: 3 } });
    expect(teams.contentLogging('t_log')).toBe(true);
    teams.apply({ type: 'TeamSettingsChanged', data: { teamId: 't_log', contentLogging: false } });
    expect(teams.contentLogging('t_log')).toBe(false);
  });

  it('seals client address and user agent under the subject key; nothing personal in clear', async () => {
    const { store, open } = memoryStore();
    const privacy = new RequestPrivacy({ store, teams: teamsWith(false) });
    const event: EventInput = { type: 'RequestRejected', id: '0193b5a0-7c3e-7abc-8def-0123456789ab', tenant: 'acme', subject: 'u_logged', data: { requestId: 'r', api: null, keyId: null, userId: 'u_logged', teamId: 't_log', modelRequested: null, status: 400, reason: 'invalid_request', code: 'TOTRA_X' } };
    const sealed = await privacy.seal(event, { clientIp: '203.0.113.77', userAgent: 'Zirconium-Client/9.1' });
    expect(() => registry.validateInput(sealed)).not.toThrow();
    expect(JSON.stringify({ ...sealed, sealed: undefined })).not.toMatch(/203\.0\.113\.77|Zirconium/);
    expect(open(sealed)).toEqual({ clientIp: '203.0.113.77', userAgent: 'Zirconium-Client/9.1' });
    // No subject (unauthenticated): nothing can be sealed, so nothing personal is kept.
    const { subject: _s, ...anonymous } = event;
    expect(await privacy.seal(anonymous, { clientIp: '203.0.113.77' })).toEqual(anonymous);
  });

  it('drops personal data (never clear) when the key store fails, and without a key store', async () => {
    const { store, state } = memoryStore();
    state.failing = true;
    const warnings: string[] = [];
    const event: EventInput = { type: 'RequestCompleted', id: '0193b5a0-7c3e-7abc-8def-0123456789ac', tenant: 'acme', subject: 'u_logged', data: {} };
    const failing = new RequestPrivacy({ store, teams: teamsWith(false), onWarning: (m) => warnings.push(m) });
    expect(await failing.seal(event, { clientIp: '203.0.113.77', userAgent: 'UA' })).toEqual(event);
    expect(warnings.join()).not.toContain('203.0.113.77');
    const none = new RequestPrivacy({ teams: teamsWith(false) });
    expect(none.sealing).toBe(false);
    expect(await none.seal(event, { clientIp: '203.0.113.77' })).toEqual(event);
  });

  it('content logging fails closed (503) without a key store or when the key cannot be had', async () => {
    const at = new Date('2026-12-04T10:00:00.000Z');
    const none = new RequestPrivacy({ teams: teamsWith(true) });
    expect(none.logsContent(who)).toBe(true);
    await expect(none.contentKey(who, at)).rejects.toMatchObject({ code: 'TOTRA_CONTENT_LOGGING_UNAVAILABLE', status: 503 });
    const { store, state } = memoryStore();
    state.failing = true;
    await expect(new RequestPrivacy({ store, teams: teamsWith(true) }).contentKey(who, at)).rejects.toMatchObject({ code: 'TOTRA_CONTENT_LOGGING_UNAVAILABLE' });
  });

  it('logs prompt and response sealed under the content key of the month, cut at the limit', async () => {
    const { store, open } = memoryStore();
    const privacy = new RequestPrivacy({ store, teams: teamsWith(true), maxContentChars: 10 });
    const k = await privacy.contentKey(who, new Date('2026-12-04T10:00:00.000Z'));
    expect(k.period).toBe('2026-12');
    const e = privacy.contentLogged(k, 'req_1', who, 'tell me about the quokka', 'short');
    expect(() => registry.validateInput(e)).not.toThrow();
    expect(e.data).toEqual({ requestId: 'req_1', userId: 'u_logged', teamId: 't_log', period: '2026-12' });
    expect(JSON.stringify(e.data)).not.toContain('quokka');
    expect(open(e)).toEqual({ prompt: 'tell me ab…[cut: 14 more characters]', response: 'short' });
  });
});

describe('gateway with request privacy', () => {
  let app: ReturnType<typeof buildGateway> | undefined;
  // Events are recorded after the answer: the tests wait for that bookkeeping.
  const after = new AfterResponse();
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const build = (privacy: RequestPrivacy, events: EventInput[]) => {
    const directory = new StaticDirectory([{ deploymentId: 'demo-1', alias: 'demo', weight: 1, priority: 0, contextWindow: 0, provider: 'demo', model: 'demo', kind: 'chat' }]);
    const auth = async (scoped: FastifyInstance) => {
      scoped.addHook('onRequest', async (request) => {
        (request as unknown as { identity: CallerIdentity }).identity = who;
      });
    };
    app = buildGateway({ readiness: [], directory, events: { append: (e) => events.push(e) }, privacy, trustedProxies: ['127.0.0.0/8'], auth, after });
    return app;
  };
  const chat = { model: 'demo', messages: [{ role: 'user', content: 'the quokka question' }] };

  it('refuses a content-logging team with 503 when there is no key store, before any provider', async () => {
    const events: EventInput[] = [];
    const res = await build(new RequestPrivacy({ teams: teamsWith(true) }), events).inject({ method: 'POST', url: '/v1/chat/completions', payload: chat });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { message: expect.stringContaining('no key store') } });
    await after.drain();
    expect(events.map((e) => e.type)).toEqual(['RequestRejected']);
    expect(events[0]?.data).toMatchObject({ reason: 'unavailable', code: 'TOTRA_CONTENT_LOGGING_UNAVAILABLE' });
  });

  it('seals the forwarded client address and user agent, and logs the exchange', async () => {
    const { store, open } = memoryStore();
    const events: EventInput[] = [];
    const res = await build(new RequestPrivacy({ store, teams: teamsWith(true) }), events).inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chat,
      headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'Quokka-Agent/2.0' },
    });
    expect(res.statusCode).toBe(200);
    await after.drain();
    expect(events.map((e) => e.type)).toEqual(['RequestCompleted', 'RequestContentLogged']);
    const [done, content] = events as [EventInput, EventInput];
    expect(JSON.stringify(events.map((e) => e.data))).not.toMatch(/198\.51|Quokka|quokka/);
    expect(open(done)).toEqual({ clientIp: '198.51.100.23', userAgent: 'Quokka-Agent/2.0' });
    const logged = open(content) as { prompt: string; response: string };
    expect(logged.prompt).toContain('the quokka question');
    expect(logged.response).toBe(res.body);
  });
});
