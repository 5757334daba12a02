import { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildGateway } from './app.js';
import { StaticDirectory } from './routing/directory.js';
import { type CallerIdentity } from './identity.js';
import { AfterResponse } from './pipeline/after-response.js';

const who: CallerIdentity = { keyId: 'key_0193b5a07c3e7abc8def0123456789ab', userId: 'u_metrics', teamId: 't_metrics', tenant: 'acme' };

describe('gateway metrics', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('counts requests in flight back to zero after JSON answers, streams and refusals', async () => {
    const directory = new StaticDirectory([{ deploymentId: 'demo-1', alias: 'demo', weight: 1, priority: 0, contextWindow: 0, provider: 'demo', model: 'demo', kind: 'chat' }]);
    const auth = async (scoped: FastifyInstance) => {
      scoped.addHook('onRequest', async (request) => {
        (request as unknown as { identity: CallerIdentity }).identity = who;
      });
    };
    const after = new AfterResponse();
    app = buildGateway({ readiness: [], directory, events: { append: () => undefined }, auth, after });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/v1/chat/completions`;
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const messages = [{ role: 'user', content: 'count me' }];
    const answers = await Promise.all([
      post({ model: 'demo', messages }),
      post({ model: 'demo', messages, stream: true }),
      post({ model: 'no-such-model', messages }),
      post({ model: 'demo', messages: 'not a list' }),
    ]);
    for (const a of answers) await a.text();
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 400]);
    await after.drain();
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^totra_inflight_requests 0$/m);
    expect(metrics).toMatch(/^totra_requests_total\{[^}]*status="200"[^}]*\} 2$/m);
  });
});
