import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// `totra up` as a newcomer runs it (what `npm start` does after installing and building), but
// from the TypeScript sources so the test never runs a stale build. The engines must come from
// local binaries: the TOTRA_*_URL variables are removed from its environment.
const root = join(import.meta.dirname, '..');
const env = { ...process.env };
delete env['TOTRA_NATS_URL'];
delete env['TOTRA_PG_URL'];
delete env['TOTRA_REDIS_URL'];
// A checkpoint soon after the first events, so the test need not wait the default 10 s.
env['TOTRA_NOTARY_INTERVAL_MS'] = '300';

/** Runs `totra <args>` from the sources; resolves with its exit code and stdout. */
function totra(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@totra/source', '--import', 'tsx', 'services/cli/src/main.ts', ...args], { cwd: root, env }, (error, out, err) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out, err });
    });
  });
}

interface Up {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startUp(stateDir: string): Promise<Up> {
  const child = spawn(
    process.execPath,
    ['--conditions=@totra/source', '--import', 'tsx', 'services/cli/src/main.ts', 'up', '--state-dir', stateDir, '--port', '0', '--host', '127.0.0.1'],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Press Ctrl-C to stop everything.')) resolve({ child, output: () => out, exited });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`totra up exited with ${code} before it was up:\n${out}`)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function enginePids(output: string): number[] {
  return [...output.matchAll(/\(pid (\d+)[,)]/g)].map((m) => Number(m[1]));
}

describe('totra up (npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'totra-up-'));
  // Postgres runs as an unprivileged user when we are root: it must be able to reach its folder.
  chmodSync(dir, 0o755);
  const stateDir = join(dir, '.totra');

  const started: Up[] = [];
  const start = async () => {
    const up = await startUp(stateDir);
    started.push(up);
    return up;
  };

  afterAll(async () => {
    // A failed assertion must not leave a product running.
    for (const up of started) {
      if (up.child.exitCode === null && up.child.signalCode === null) {
        up.child.kill('SIGINT');
        await up.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts NATS, Redis and Postgres from local binaries and a ready gateway; Ctrl-C stops every child', async () => {
    const up = await start();
    const urls = JSON.parse(readFileSync(join(stateDir, 'urls.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(urls).sort()).toEqual(['gateway', 'nats', 'postgres', 'redis']);
    expect(up.output()).toContain(`gateway   ${urls['gateway']}`);
    expect(up.output()).toMatch(/migrations: applied core_0001_projection_checkpoint/);

    const ready = await fetch(`${urls['gateway']}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { nats: 'ok', eventlog: 'ok' } });
    expect((await fetch(`${urls['gateway']}/healthz`)).status).toBe(200);

    // The first start shows a key and a ready-to-paste request to the demo model: it works.
    const key = /^  (tt-[A-Za-z0-9]+)$/m.exec(up.output())?.[1];
    expect(key, up.output()).toBeDefined();
    expect(up.output()).toContain(`curl ${urls['gateway']}/v1/chat/completions -H "Authorization: Bearer ${key}"`);
    await vi.waitFor(
      async () => {
        const res = await fetch(`${urls['gateway']}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'Hello ToTra' }] }),
        });
        expect(res.status).toBe(200);
        const json = (await res.json()) as { choices: { message: { content: string } }[] };
        expect(json.choices[0]?.message.content).toContain('Hello ToTra');
      },
      { timeout: 15_000, interval: 200 },
    );

    const pids = enginePids(up.output());
    expect(pids).toHaveLength(5); // nats, redis, postgres, projector, gateway
    expect(pids.every(alive)).toBe(true);

    // The notary key was created (private, 0600) and its verifier key shown once to pin.
    const keyFile = join(stateDir, 'notary.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const vkey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    expect(up.output()).toContain(`  ${vkey}\n`);
    expect(up.output()).toContain(`--trust-key ${keyFile}.pub`);
    // The notary signs a checkpoint of the first events, and the live stream verifies against the pinned key.
    const checkpoints = join(stateDir, 'checkpoints.ndjson');
    await vi.waitFor(() => expect(existsSync(checkpoints) && readFileSync(checkpoints, 'utf8').length > 0).toBe(true), { timeout: 20_000, interval: 200 });
    const first = JSON.parse(readFileSync(checkpoints, 'utf8').split('\n')[0]!) as { size: number; note: string };
    expect(first.size).toBeGreaterThan(0);
    const verified = await totra(['verify', '--state-dir', stateDir, '--trust-key', `${keyFile}.pub`, '--json']);
    expect(verified.code, verified.out + verified.err).toBe(0);
    const report = JSON.parse(verified.out) as { ok: boolean; checkpoints: { accepted: number; signaturesChecked: boolean; rootsRecomputed: boolean } };
    expect(report.ok).toBe(true);
    expect(report.checkpoints.signaturesChecked).toBe(true);
    expect(report.checkpoints.rootsRecomputed).toBe(true);
    expect(report.checkpoints.accepted).toBeGreaterThanOrEqual(1);

    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(up.output()).toContain('stopped.');
    expect(pids.filter(alive)).toEqual([]);
  });

  it('reuses its state on the next start', async () => {
    const vkey = readFileSync(join(stateDir, 'notary.key.pub'), 'utf8').trim();
    const up = await start();
    expect(up.output()).toMatch(/migrations: up to date/);
    expect(up.output()).not.toMatch(/^  tt-/m); // the first key is shown once only
    // The notary key is reused, and its verifier key not printed again.
    expect(readFileSync(join(stateDir, 'notary.key.pub'), 'utf8').trim()).toBe(vkey);
    expect(up.output()).toContain(`notary: signing checkpoints with the key in ${join(stateDir, 'notary.key')}`);
    expect(up.output()).not.toContain(vkey);
    up.child.kill('SIGINT');
    const code = await up.exited;
    expect(code, up.output()).toBe(0);
  });
});
