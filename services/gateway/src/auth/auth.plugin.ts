import { type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { clientAddress, compileCidrs, ipInCidrs, isApiKeyFormat, keyDisplayPrefix, type CidrBlock } from '@totra/identity';
import { GatewayError, speaksAnthropic } from '../errors.js';
import { LOOKUP_NEEDED, type Identity, type KeyResolver } from './key-cache.js';

export interface AuthPluginOptions {
  /** Resolves presented keys (a {@link KeyResolver}, or anything with its `resolve`, and optionally its `peek`). */
  resolver: Pick<KeyResolver, 'resolve'> & Partial<Pick<KeyResolver, 'peek'>>;
  /**
   * Proxies (CIDR blocks or addresses) whose `X-Forwarded-For` is believed when finding the
   * client address for the allowlists. None by default: the socket peer is the client.
   */
  trustedProxies?: readonly string[];
  /** Paths served without a key (default `/healthz`, `/readyz`, `/metrics`). */
  publicPaths?: readonly string[];
  /** Clock for key expiry (milliseconds); `Date.now` by default. */
  now?: () => number;
}

/** Stable codes of the auth refusals (also in the message of the 503). */
export type AuthFailure = 'TOTRA_AUTH_MISSING_KEY' | 'TOTRA_AUTH_INVALID_KEY' | 'TOTRA_AUTH_REVOKED_KEY' | 'TOTRA_AUTH_EXPIRED_KEY' | 'TOTRA_AUTH_NETWORK_DENIED' | 'TOTRA_AUTH_UNAVAILABLE';

const DEFAULT_PUBLIC_PATHS = ['/healthz', '/readyz', '/metrics'];

/** The identity the auth plugin attached to a request (undefined on public paths). */
export function requestIdentity(request: FastifyRequest): Identity | undefined {
  return (request as FastifyRequest & { identity?: Identity }).identity;
}

/**
 * `Authorization: Bearer <key>` first, then `x-api-key` (what the Anthropic SDKs send), then
 * `api-key` (what Azure OpenAI clients send).
 */
function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (auth) {
    const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (bearer) return bearer[1];
  }
  const header = request.headers['x-api-key'] ?? request.headers['api-key'];
  const value = Array.isArray(header) ? header[0] : header;
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: 401 | 403 | 503, code: AuthFailure, message: string): FastifyReply {
  const anthropic = speaksAnthropic(request);
  // Kept for the terminal event, which records why (missing, revoked, expired...), not just "401".
  (request as FastifyRequest & { totraError?: GatewayError }).totraError = new GatewayError({
    code,
    status,
    message,
    ...(status === 401 ? { reason: 'unauthenticated' as const } : status === 403 ? { reason: 'network_policy' as const } : {}),
  });
  if (status === 401) void reply.header('www-authenticate', 'Bearer realm="totra"');
  void reply.code(status).header('x-request-id', request.id);
  if (anthropic) {
    const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : 'overloaded_error';
    return reply.send({ type: 'error', error: { type, message } });
  }
  const [type, openaiCode] =
    status === 401 ? ['authentication_error', 'invalid_api_key'] : status === 403 ? ['permission_error', 'permission_denied'] : ['server_error', 'auth_unavailable'];
  return reply.send({ error: { message, type, code: openaiCode, param: null } });
}

async function install(app: Parameters<FastifyPluginAsync>[0], opts: AuthPluginOptions): Promise<void> {
  const publicPaths = new Set(opts.publicPaths ?? DEFAULT_PUBLIC_PATHS);
  const trusted = compileCidrs(opts.trustedProxies ?? []);
  const now = opts.now ?? Date.now;
  // Cached identities are reused objects: their allowlists are parsed once.
  const compiled = new WeakMap<Identity, { key: CidrBlock[]; team: CidrBlock[] } | 'invalid'>();
  const blocksOf = (identity: Identity) => {
    let blocks = compiled.get(identity);
    if (!blocks) {
      try {
        blocks = { key: compileCidrs(identity.cidrs), team: compileCidrs(identity.teamCidrs) };
      } catch {
        blocks = 'invalid'; // an unreadable allowlist allows nothing
      }
      compiled.set(identity, blocks);
    }
    return blocks;
  };

  if (!app.hasRequestDecorator('identity')) app.decorateRequest('identity', undefined);

  /** Refuses the request (and returns true) unless `identity` may use the gateway from where it calls. */
  const refused = (request: FastifyRequest, reply: FastifyReply, key: string, identity: Identity | undefined): boolean => {
    // Only a well-formed key's display prefix is echoed: never more of what was sent.
    const shown = () => (isApiKeyFormat(key) ? ` ${keyDisplayPrefix(key)}…` : '');
    let failure: [401 | 403, AuthFailure, string] | undefined;
    if (!identity) failure = [401, 'TOTRA_AUTH_INVALID_KEY', `invalid API key${shown()}`];
    else if (identity.revoked) failure = [401, 'TOTRA_AUTH_REVOKED_KEY', `API key${shown()} was revoked`];
    else if (identity.expiresAt !== undefined && Date.parse(identity.expiresAt) <= now()) {
      failure = [401, 'TOTRA_AUTH_EXPIRED_KEY', `API key${shown()} expired at ${identity.expiresAt}`];
    } else if (identity.cidrs.length || identity.teamCidrs.length) {
      const blocks = blocksOf(identity);
      const addr = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trusted);
      const allowed =
        blocks !== 'invalid' && (!blocks.key.length || ipInCidrs(addr, blocks.key)) && (!blocks.team.length || ipInCidrs(addr, blocks.team));
      if (!allowed) failure = [403, 'TOTRA_AUTH_NETWORK_DENIED', `API key${shown()} may not be used from ${addr ?? 'an unknown address'}`];
    }
    if (failure) {
      refuse(request, reply, ...failure);
      return true;
    }
    (request as FastifyRequest & { identity?: Identity }).identity = identity;
    return false;
  };

  // Callback style: a key found in memory (the usual case) is checked without a promise; only
  // a lookup in Redis waits. A refusal answers the request and does not call `done`.
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?', 1)[0] as string;
    if (publicPaths.has(path)) return done();
    const key = presentedKey(request);
    if (key === undefined) {
      refuse(request, reply, 401, 'TOTRA_AUTH_MISSING_KEY', 'no API key: send `Authorization: Bearer <key>`, an `x-api-key` or an `api-key` header');
      return;
    }
    const known = opts.resolver.peek ? opts.resolver.peek(key) : LOOKUP_NEEDED;
    if (known !== LOOKUP_NEEDED) {
      if (!refused(request, reply, key, known)) done();
      return;
    }
    opts.resolver.resolve(key).then(
      (identity) => {
        let ok = false;
        try {
          ok = !refused(request, reply, key, identity);
        } catch (err) {
          done(err as Error);
          return;
        }
        if (ok) done();
      },
      (err: unknown) => {
        request.log.warn({ err }, 'API key lookup failed');
        refuse(request, reply, 503, 'TOTRA_AUTH_UNAVAILABLE', 'API keys cannot be checked right now (TOTRA_AUTH_UNAVAILABLE); retry shortly');
      },
    );
  });
}

/**
 * Authenticates every request except the public paths, on `onRequest`: reads the key from
 * `Authorization: Bearer` or `x-api-key`, resolves it, refuses unknown, revoked and expired
 * keys (401) and clients outside the key's or the team's CIDR allowlist (403), and sets
 * `request.identity`. Error bodies are Anthropic-shaped under `/v1/messages`, OpenAI-shaped
 * elsewhere. Not encapsulated (fastify-plugin): the hook covers the routes of the scope it
 * is registered in.
 */
export const authPlugin = fp<AuthPluginOptions>(async (app, opts) => install(app, opts), { name: 'totra-auth', fastify: '5.x' });

/** The auth plugin with its options bound, for `app.register(createAuthPlugin(opts))`. */
export function createAuthPlugin(opts: AuthPluginOptions): FastifyPluginAsync {
  return fp(async (app) => install(app, opts), { name: 'totra-auth', fastify: '5.x' });
}
