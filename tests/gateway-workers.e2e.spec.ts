import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Envelope } from '@totra/events';
import { startHarness, type Harness } from './support/gateway-harness.js';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

// The gateway with TOTRA_GATEWAY_WORKERS=2, started from its `main` as a process: a primary and
// two workers sharing the port. Each worker writes its own chain, the model catalog is seeded
// once, /metrics adds the workers up, a worker that dies is replaced, and SIGTERM stops them
// all with every answered request recorded.

/** Process ids of the gateway workers of a primary (its children running the gateway's main). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'gateway/src/main'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number).sort();
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

describe('gateway worker processes (TOTRA_GATEWAY_WORKERS=2)', () => {
  let h: Harness;
  let gw: GatewayProcess;
  const dir = mkdtempSync(join(tmpdir(), 'totra-workers-'));
  let sent = 0;

  /** One chat request on a connection of its own, so that the primary hands it to either worker. */
  const chat = async (content: string): Promise<number> => {
    const dispatcher = new Agent({ connections: 1 });
    try {
      const res = await request(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher,
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] }),
      });
      await res.body.text();
      sent++;
      return res.statusCode;
    } finally {
      await dispatcher.close();
    }
  };

  const completedByChain = async (): Promise<Map<string, number>> => {
    const by = new Map<string, number>();
    for (const e of await h.events()) if (e.type === 'RequestCompleted') by.set(e.chain, (by.get(e.chain) ?? 0) + 1);
    return by;
  };
  const metricTotal = async (): Promise<number> => {
    const res = await request(`${gw.url}/metrics`);
    const text = await res.body.text();
    expect(res.statusCode, text).toBe(200);
    const line = text.split('\n').find((l) => l.startsWith('totra_requests_total{api="openai.chat",status="200",outcome="completed"}'));
    return Number(line?.split(' ').at(-1) ?? 0);
  };

  beforeAll(async () => {
    h = await startHarness();
    // A model the in-process gateway did not seed: the workers' environment adds it, so the
    // first worker appends its deployment, and the second must find it and append nothing.
    gw = await startGatewayProcess({
      ...h.env,
      OPENAI_MODELS: `${h.env['OPENAI_MODELS']},gpt-4.1`,
      TOTRA_GATEWAY_WORKERS: '2',
      TOTRA_GATEWAY_HOST: '127.0.0.1',
      TOTRA_GATEWAY_PORT: '0',
      TOTRA_LOG_LEVEL: 'silent',
      TOTRA_SPOOL_DIR: join(dir, 'spool'),
      TOTRA_GATEWAY_WORKER_NODE_FLAGS: '--no-parallel-scavenge --max-semi-space-size=16',
    });
  }, 120_000);

  afterAll(async () => {
    if (gw && gw.child.exitCode === null) {
      gw.child.kill('SIGKILL');
      for (const pid of childPids(gw.child.pid as number)) process.kill(pid, 'SIGKILL');
    }
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs two workers, each on its own chain, and seeds the catalog once', async () => {
    expect(childPids(gw.child.pid as number)).toHaveLength(2);
    const codes = await Promise.all(Array.from({ length: 24 }, (_, i) => chat(`hello ${i}`)));
    expect(codes.every((c) => c === 200)).toBe(true);
    // The harness's own gateway served none of these: every RequestCompleted is a worker's.
    const by = await vi.waitFor(
      async () => {
        const m = await completedByChain();
        expect([...m.values()].reduce((a, b) => a + b, 0)).toBe(24);
        return m;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(by.size).toBe(2);
    for (const chain of by.keys()) expect(chain).toMatch(/^gateway\./);
    const seeded = (await h.events()).filter((e: Envelope) => e.type === 'ModelDeploymentConfigured' && e.data['model'] === 'gpt-4.1');
    expect(seeded).toHaveLength(1);
  });

  it('starts the workers with the configured Node flags', () => {
    const workers = childPids(gw.child.pid as number);
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toEqual(expect.arrayContaining(['--no-parallel-scavenge', '--max-semi-space-size=16']));
    }
  });

  it('serves /metrics as the sum over the workers', async () => {
    await vi.waitFor(async () => expect(await metricTotal()).toBe(sent), { timeout: 15_000, interval: 100 });
    // Scraped again over other connections (other workers), the sum is the same.
    for (let i = 0; i < 4; i++) expect(await metricTotal()).toBe(sent);
  });

  it('replaces a worker that dies, and keeps serving', async () => {
    const before = childPids(gw.child.pid as number);
    process.kill(before[1] as number, 'SIGKILL');
    const after = await vi.waitFor(
      () => {
        const now = childPids(gw.child.pid as number);
        expect(now).toHaveLength(2);
        expect(now).not.toContain(before[1]);
        return now;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(after).toContain(before[0]);
    await vi.waitFor(() => expect(gw.stderr()).toMatch(/worker \d exited \(SIGKILL\); starting a new one/), { timeout: 5_000, interval: 50 });
    const codes = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(`again ${i}`)));
    expect(codes.every((c) => c === 200)).toBe(true);
  });

  it('stops every worker on SIGTERM, each with its answered requests recorded', async () => {
    const workers = childPids(gw.child.pid as number);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    const completed = [...(await completedByChain()).values()].reduce((a, b) => a + b, 0);
    expect(completed).toBe(sent);
    // The killed worker's chain just ends: that is not a break in it.
    const report = await h.verify();
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
