// Closing a gateway (SIGTERM in production) while requests are in flight: every request it
// took still ends in exactly one terminal event in the stream, including one whose answer the
// close cut short, and nothing is appended after the chain writer closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream } from '@totra/eventlog';
import { type Envelope } from '@totra/events';
import { loadGatewayConfig, startGateway, type RunningGateway } from '@totra/gateway';
import { createStreamGate } from '@totra/testing';
import { startHarness, type Harness } from './support/gateway-harness.js';

describe('gateway shutdown with requests in flight', () => {
  let h: Harness;
  let spool: string;
  beforeAll(async () => {
    h = await startHarness();
    spool = mkdtempSync(join(tmpdir(), 'totra-shutdown-'));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    rmSync(spool, { recursive: true, force: true });
  });

  const events = async (): Promise<Envelope[]> => {
    const out: Envelope[] = [];
    for await (const b of readStream(h.nc, h.stream)) for (const l of b.lines) out.push(JSON.parse(l) as Envelope);
    return out;
  };

  it('records the streamed request the close cut short, and the ones answered just before it', { timeout: 60_000 }, async () => {
    const gw: RunningGateway = await startGateway(loadGatewayConfig({ ...h.env, TOTRA_SPOOL_DIR: join(spool, 'spool') }, { host: '127.0.0.1', port: 0, logLevel: 'silent' }), { env: h.env });
    const headers = { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' };
    // Answered requests whose bookkeeping may still be waiting for its turn when the close comes.
    const answered = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
        await res.body.text();
        expect(res.statusCode).toBe(200);
        return String(res.headers['x-request-id']);
      }),
    );
    // A stream the provider holds after its first frame: in flight when the gateway closes.
    const held = createStreamGate();
    h.mocks.openai.setBehaviour({ afterFrame: held.afterFrame, chunks: 4 });
    try {
      const res = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'a long answer' }] }) });
      expect(res.statusCode).toBe(200);
      const cut = String(res.headers['x-request-id']);
      res.body.on('error', () => undefined); // the close ends the connection
      await held.reached;

      await gw.close();

      const all = await events();
      const terminal = all.filter((e) => ['RequestCompleted', 'RequestFailed', 'RequestRejected'].includes(e.type));
      const byRequest = (id: string) => terminal.filter((e) => (e.data as { requestId: string }).requestId === id);
      for (const id of answered) expect(byRequest(id).map((e) => e.type)).toEqual(['RequestCompleted']);
      const [last] = byRequest(cut);
      expect(byRequest(cut)).toHaveLength(1);
      // The client went away mid-stream: recorded as a partial answer, with what was streamed.
      expect(last?.data).toMatchObject({ requestId: cut, stream: true, partial: true });
    } finally {
      held.release();
      h.mocks.openai.resetBehaviour();
    }
  });
});
