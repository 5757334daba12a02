import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startQuotaHotProjection, type QuotaHotProjection } from '@totra/projection-quota-hot';
import { QuotaGate } from '@totra/quota-redis';
import { createStreamGate } from '@totra/testing';
import { startHarness, type Harness } from './support/gateway-harness.js';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

// A gateway process killed (SIGKILL) between its budget reservation and the settlement: the
// reservation is taken back once its TTL has passed, nothing is charged for the request, and
// spend events delivered again (a duplicate append, a consumer replaying the whole stream) are
// counted once.
const TTL_MS = 4_000;
const LIMIT = 15_000; // micro-USD: one request of max_tokens 1000 on gpt-4o reserves about 10,000

describe('a gateway process killed between reservation and settlement', () => {
  let h: Harness;
  let gw: GatewayProcess | undefined;
  let redis: Redis;
  let gate: QuotaGate;
  let key = '';
  let keyId = '';
  const spool = mkdtempSync(join(tmpdir(), 'totra-crash-'));
  const replay: QuotaHotProjection[] = [];

  beforeAll(async () => {
    // Without budget leases: these tests read what the budget holds per request (a lease would
    // hold a slice of it beside them; a killed gateway's lease is purged like a reservation, see
    // the gate's lease tests).
    h = await startHarness({ env: { TOTRA_QUOTA_RESERVATION_TTL_MS: String(TTL_MS), TOTRA_QUOTA_LEASE_TTL_MS: '0' } });
    const issued = await h.cli('keys', 'issue', '--user', 'u-crash', '--team', 't-crash', '--tenant', 'acme', '--json', ...h.cliArgs);
    expect(issued.code, issued.err).toBe(0);
    ({ key, keyId } = JSON.parse(issued.out) as { key: string; keyId: string });
    const set = await h.cli('budgets', 'set', '--key', keyId, '--tenant', 'acme', '--usd', (LIMIT / 1e6).toFixed(6), '--period', 'total', ...h.cliArgs);
    expect(set.code, set.err).toBe(0);
    await h.projector.quotaHot.caughtUp();
    redis = new Redis(h.env['TOTRA_REDIS_URL'] as string);
    gate = new QuotaGate({ redis, keyPrefix: h.redisPrefix, reservationTtlMs: TTL_MS });
    gw = await startGatewayProcess({ ...h.env, TOTRA_GATEWAY_HOST: '127.0.0.1', TOTRA_GATEWAY_PORT: '0', TOTRA_LOG_LEVEL: 'silent', TOTRA_SPOOL_DIR: join(spool, 'spool') });
  }, 120_000);

  afterAll(async () => {
    gw?.child.kill('SIGKILL');
    for (const p of replay) await p.stop();
    redis?.disconnect();
    await h?.close();
    rmSync(spool, { recursive: true, force: true });
  });

  let probes = 0;
  /** Admits (then gives back) a request of the key costing up to `microUsd`: the refusal says what the budget counts as used. */
  const probe = async (microUsd: number) => {
    const a = await gate.admit({ requestId: `probe-${++probes}`, tenant: 'acme', keyId, userId: 'u-crash', teamId: 't-crash', model: 'gpt-4o', estimate: { microUsd, tokens: 1 }, now: Date.now() });
    if (a.ok) await gate.release(a.reservation);
    return a;
  };
  /** What the key's budget counts as used (spent + pending + reserved). */
  const used = async () => {
    const a = await probe(LIMIT + 1);
    expect(a.ok).toBe(false);
    return a.ok ? -1 : a.used;
  };
  const spendsOf = async (requestId: string) => (await h.events()).filter((e) => e.type === 'SpendRecorded' && (e.data as { requestId: string }).requestId === requestId);

  it('takes the reservation back after its TTL and charges nothing', { timeout: 60_000 }, async () => {
    // The provider holds its answer after the first text frame: the request is in flight.
    const held = createStreamGate();
    h.mocks.openai.setBehaviour({ afterFrame: held.afterFrame, chunks: 4 });
    const sentAt = Date.now();
    const res = await request(`${(gw as GatewayProcess).url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'a long answer please' }] }),
    });
    expect(res.statusCode).toBe(200);
    const requestId = String(res.headers['x-request-id']);
    res.body.on('error', () => undefined); // the connection dies with the process
    await held.reached;
    const reserved = await used();
    expect(reserved).toBeGreaterThan(10_000);
    // While it holds, a request of the same size does not fit.
    expect((await probe(10_000)).ok).toBe(false);

    (gw as GatewayProcess).child.kill('SIGKILL');
    await (gw as GatewayProcess).exited;
    held.release();

    // Nobody releases it: it is taken back by the first admission after its TTL.
    await vi.waitFor(async () => expect((await probe(10_000)).ok).toBe(true), { timeout: 30_000, interval: 200 });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(TTL_MS);
    expect(await used()).toBe(0);
    await h.projector.quotaHot.caughtUp();
    expect(await spendsOf(requestId)).toEqual([]);
  });

  it('counts a request once when its SpendRecorded is appended twice and when the whole stream is delivered again', { timeout: 60_000 }, async () => {
    h.mocks.openai.resetBehaviour();
    const res = await request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'a short answer' }] }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const requestId = String(res.headers['x-request-id']);
    const [spend] = await vi.waitFor(async () => {
      const found = await spendsOf(requestId);
      expect(found).toHaveLength(1);
      return found;
    });
    const cost = (spend?.data as { microUsd: number }).microUsd;
    expect(cost).toBeGreaterThan(0);
    await h.projector.quotaHot.caughtUp();
    expect(await used()).toBe(cost);

    // The same spend appended a second time (a writer retrying an append it thought lost).
    h.gateway.writer.append({ type: 'SpendRecorded', tenant: 'acme', subject: spend?.subject, data: spend?.data ?? {} });
    await h.gateway.drain();
    expect(await spendsOf(requestId)).toHaveLength(2);
    await h.projector.quotaHot.caughtUp();
    expect(await used()).toBe(cost);

    // Lost acknowledgements: the consumer hands out the whole stream again.
    await h.projector.quotaHot.stop();
    const jsm = await jetstreamManager(h.nc);
    await jsm.consumers.delete(h.stream.name, 'quota-hot');
    await jsm.consumers.add(h.stream.name, { durable_name: 'quota-hot', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: `${h.stream.subjectPrefix}.chain.>` });
    const again = await startQuotaHotProjection({ nc: h.nc, stream: h.stream, redis, keyPrefix: h.redisPrefix, consumerName: 'quota-hot' });
    replay.push(again);
    await again.caughtUp();
    expect((await jsm.consumers.info(h.stream.name, 'quota-hot')).delivered.stream_seq).toBe((await jsm.streams.info(h.stream.name)).state.last_seq);
    expect(await used()).toBe(cost);
  });
});
