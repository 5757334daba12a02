import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineReadyTimeoutError, EngineStartError } from './errors.js';
import { isProcessAlive } from './managed-process.js';
import { startNats } from './nats-server.js';
import { probeRedis, waitUntil } from './probes.js';
import { startRedis } from './redis-server.js';

const childScript = fileURLToPath(new URL('./testdata/run-redis.ts', import.meta.url));

/** Runs the child script under tsx and resolves with the child and what it reported. */
function runChild(dataDir: string, mode: 'exit' | 'wait') {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reported = new Promise<{ pid: number; port: number }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line) as { pid: number; port: number });
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before reporting`)));
  });
  return { child, reported };
}

const gone = (pid: number) => waitUntil(() => Promise.resolve(!isProcessAlive(pid)), { timeoutMs: 15_000 });

describe('server processes and their parent (real binaries)', () => {
  const root = mkdtempSync(join(tmpdir(), 'totra-process-spec-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('stops its servers when the parent process exits', async () => {
    const { reported } = runChild(join(root, 'exit'), 'exit');
    const { pid, port } = await reported;
    expect((await gone(pid)).ok).toBe(true);
    expect(await probeRedis(port)).toBe(false);
  });

  it('reclaims the data dir of a server orphaned by a parent killed with SIGKILL', async () => {
    const dataDir = join(root, 'orphan');
    const { child, reported } = runChild(dataDir, 'wait');
    const orphan = await reported;
    const childGone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await childGone;
    expect(isProcessAlive(orphan.pid)).toBe(true);

    const redis = await startRedis({ dataDir });
    try {
      expect(isProcessAlive(orphan.pid)).toBe(false);
      expect(redis.pid).not.toBe(orphan.pid);
      expect(await probeRedis(redis.port)).toBe(true);
    } finally {
      await redis.stop();
    }
  });

  it('reports a server that exits at once with its log lines', async () => {
    const fake = join(root, 'fake-exits');
    writeFileSync(fake, '#!/bin/sh\necho "fatal: bad configuration"\nexit 3\n');
    chmodSync(fake, 0o755);
    const error = await startNats({ dataDir: join(root, 'exits'), binary: fake }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineStartError);
    expect(error).toMatchObject({ code: 'TOTRA_ENGINE_START_FAILED', logTail: expect.stringContaining('fatal: bad configuration') });
    expect((error as Error).message).toContain('code 3');
  });

  it('gives up on a server that never answers, and kills it', async () => {
    const fake = join(root, 'fake-silent');
    writeFileSync(fake, '#!/bin/sh\necho $$ > "$(dirname "$0")/silent.pid"\nexec sleep 600\n');
    chmodSync(fake, 0o755);
    const error = await startNats({ dataDir: join(root, 'silent'), binary: fake, startTimeoutMs: 500, stopTimeoutMs: 2000 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(EngineReadyTimeoutError);
    expect(error).toMatchObject({ code: 'TOTRA_ENGINE_READY_TIMEOUT', timeoutMs: 500 });
    const pid = Number(readFileSync(join(root, 'silent.pid'), 'utf8'));
    expect(isProcessAlive(pid)).toBe(false);
  });
});
