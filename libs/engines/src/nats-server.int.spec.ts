import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from './managed-process.js';
import { startNats } from './nats-server.js';
import { probeNats } from './probes.js';

describe('startNats (real nats-server binary)', () => {
  const root = mkdtempSync(join(tmpdir(), 'totra-nats-spec-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('starts with JetStream on a free port, logs to the data dir and stops cleanly', async () => {
    const dataDir = join(root, 'basic');
    const nats = await startNats({ dataDir, monitorPort: 'auto' });
    try {
      expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
      expect(await probeNats(nats.port, { requireJetStream: true })).toBe(true);
      const health = await fetch(`${nats.monitorUrl ?? ''}/healthz`);
      expect(health.status).toBe(200);
      expect(existsSync(join(dataDir, 'nats.owner.json'))).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(isProcessAlive(nats.pid)).toBe(false);
    expect(await nats.exited).toEqual({ code: expect.any(Number), signal: null });
    expect(await probeNats(nats.port)).toBe(false);
    expect(existsSync(join(dataDir, 'nats.owner.json'))).toBe(false);
    expect(readFileSync(nats.logFile, 'utf8')).toMatch(/Server is ready/);
  });

  it('restarts on the same port and JetStream store', async () => {
    const dataDir = join(root, 'reuse');
    const first = await startNats({ dataDir });
    await first.stop();
    const second = await startNats({ dataDir, port: first.port });
    try {
      expect(second.port).toBe(first.port);
      expect(second.storeDir).toBe(first.storeDir);
      expect(second.pid).not.toBe(first.pid);
      expect(readFileSync(second.logFile, 'utf8').match(/starting: /g)).toHaveLength(2);
    } finally {
      await second.stop();
    }
  });

  it('refuses a fixed port that is taken, with a coded error', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(startNats({ dataDir: join(root, 'taken'), port })).rejects.toMatchObject({
        code: 'TOTRA_ENGINE_PORT_IN_USE',
        port,
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a data dir whose server is still owned by a live process', async () => {
    const dataDir = join(root, 'busy');
    const nats = await startNats({ dataDir });
    try {
      await expect(startNats({ dataDir })).rejects.toMatchObject({ code: 'TOTRA_ENGINE_DATA_DIR_BUSY', pid: nats.pid });
      expect(await probeNats(nats.port)).toBe(true);
    } finally {
      await nats.stop();
    }
  });
});
