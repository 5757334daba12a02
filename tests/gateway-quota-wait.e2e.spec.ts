import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hotQuotaLayout } from '@totra/quota';
import { createStreamGate } from '@totra/testing';
import { startHarness, type Harness } from './support/gateway-harness.js';

// A request that fits its budget once the requests in flight settle waits for their settlement
// instead of being refused (ADR 0005); one that cannot fit even then is refused at once.
describe('admission held by reservations in flight', () => {
  let h: Harness;
  let redis: Redis;
  let key = '';
  const LIMIT = 15_000; // micro-USD: one gpt-4o request with max_tokens 1000 reserves about 10,000

  beforeAll(async () => {
    // A long wait: the test must not depend on how fast this machine is.
    h = await startHarness({ env: { TOTRA_QUOTA_WAIT_MS: '30000' } });
    const issued = await h.cli('keys', 'issue', '--user', 'u-wait', '--team', 't-wait', '--tenant', 'acme', '--json', ...h.cliArgs);
    expect(issued.code, issued.err).toBe(0);
    const k = JSON.parse(issued.out) as { key: string; keyId: string };
    key = k.key;
    const set = await h.cli('budgets', 'set', '--key', k.keyId, '--tenant', 'acme', '--usd', (LIMIT / 1e6).toFixed(6), '--period', 'total', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    await h.projector.quotaHot.caughtUp();
    redis = new Redis(h.env['TOTRA_REDIS_URL'] as string);
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    await h?.close();
  });

  const chat = (maxTokens: number, stream: boolean) =>
    request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: maxTokens, stream, messages: [{ role: 'user', content: 'hello there' }] }),
    });

  it('waits for the settlement of the request in flight, then serves; refuses at once what cannot fit', { timeout: 60_000 }, async () => {
    const held = createStreamGate();
    h.mocks.openai.setBehaviour({ afterFrame: held.afterFrame, chunks: 4 });
    const first = await chat(1000, true);
    expect(first.statusCode).toBe(200);
    await held.reached;
    const served = h.mocks.openai.requestCount;

    // Beside the first one's reservation it does not fit; once that settles (a short answer) it does.
    let secondDone = false;
    const second = chat(1000, false).then(async (res) => {
      secondDone = true;
      return { status: res.statusCode, body: await res.body.text() };
    });
    const channel = hotQuotaLayout(h.redisPrefix).released('acme');
    await vi.waitFor(async () => expect(await redis.pubsub('NUMSUB', channel)).toEqual([channel, 1]));

    // Over the budget even with nothing in flight: refused at once, while the first is still held.
    const tooBig = await chat(2000, false);
    expect(tooBig.statusCode).toBe(429);
    expect(await tooBig.body.text()).toMatch(/does not allow this request/);
    expect(secondDone).toBe(false);
    expect(h.mocks.openai.requestCount).toBe(served);

    held.release();
    await first.body.text();
    const { status, body } = await second;
    expect(status, body).toBe(200);
    expect(h.mocks.openai.requestCount).toBe(served + 1);
  });

  /**
   * A first request (streamed, held by the provider) keeps its reservation in flight; a second,
   * which does not fit beside it, waits for its settlement, and its client leaves meanwhile.
   * Returns the provider's request count then, and a function that lets the first finish.
   */
  async function leaveWhileWaiting(usage?: { inputTokens: number; outputTokens: number }): Promise<{ served: number; settleFirst: () => Promise<void> }> {
    const held = createStreamGate();
    h.mocks.openai.setBehaviour({ afterFrame: held.afterFrame, chunks: 4, ...(usage ? { usage } : {}) });
    const first = await chat(1000, true);
    expect(first.statusCode).toBe(200);
    await held.reached;
    const served = h.mocks.openai.requestCount;
    const controller = new AbortController();
    const second = request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: 1000, messages: [{ role: 'user', content: 'hello there' }] }),
    });
    second.catch(() => undefined);
    // The gateway has it (the first is held, the second waits): the channel's subscription alone
    // would not tell, since it stays from earlier tests.
    await vi.waitFor(async () => expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(/^totra_inflight_requests 2$/m), { timeout: 10_000, interval: 50 });
    controller.abort();
    await expect(second).rejects.toThrow();
    return {
      served,
      settleFirst: async () => {
        held.release();
        await first.body.text();
      },
    };
  }

  it('does not send a request whose client left while it waited to a provider once it fits, and records it', { timeout: 60_000 }, async () => {
    const closedEvents = async () =>
      (await h.events()).filter((e) => e.type === 'RequestFailed' && (e.data as { errorCode?: string }).errorCode === 'TOTRA_CLIENT_CLOSED');
    const before = (await closedEvents()).length;
    const { served, settleFirst } = await leaveWhileWaiting();
    // The first settles: the second would fit now, but nobody is waiting for its answer.
    await settleFirst();
    await vi.waitFor(
      async () => {
        const events = await closedEvents();
        expect(events.length).toBe(before + 1);
        expect(events.at(-1)?.data).toMatchObject({ provider: null, deploymentId: null, attempts: 0, status: 499, partial: false });
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(h.mocks.openai.requestCount).toBe(served);
  });

  it('records the refusal of a request whose client left while it waited and which no longer fits', { timeout: 60_000 }, async () => {
    const refusals = async () => (await h.events()).filter((e) => e.type === 'RequestRejected' && (e.data as { status?: number }).status === 429);
    const before = (await refusals()).length;
    // The first request spends its whole reservation (1,000 output tokens): what is left of the
    // budget then cannot hold the second.
    const { served, settleFirst } = await leaveWhileWaiting({ inputTokens: 10, outputTokens: 1000 });
    await settleFirst();
    // Refused once the first settled; nobody receives the 429, but the chain has it.
    await vi.waitFor(
      async () => {
        const events = await refusals();
        expect(events.length).toBe(before + 1);
        expect(events.at(-1)?.data).toMatchObject({ api: 'openai.chat', modelRequested: 'gpt-4o', status: 429 });
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(h.mocks.openai.requestCount).toBe(served);
  });
});
