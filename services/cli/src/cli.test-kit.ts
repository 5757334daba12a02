// Test support for CLI tests (not part of the build): runs `totra` in-process and captures
// what it prints; opens an isolated stream for a test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { natsUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';
import { runCli } from './cli.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs one `totra` command in-process; returns its exit code and output. */
export async function cli(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** An isolated stream (own name and subject prefix) and state folder for one test file. */
export interface IsolatedLog {
  nc: NatsConnection;
  stream: StreamOptions;
  dir: string;
  /** `--nats ... --stream ... --subject-prefix ... --state-dir ...` for `cli(...)`. */
  args: string[];
  close(): Promise<void>;
}

export async function openIsolatedLog(tag: string): Promise<IsolatedLog> {
  const url = await natsUrl();
  const nc = await connectNats(url, { name: `cli-${tag}` });
  const stream = { name: uniqueStreamName(tag.toUpperCase().replace(/[^A-Z0-9]/g, '')), subjectPrefix: uniquePrefix(tag.toLowerCase().replace(/[^a-z0-9]/g, '')) };
  await ensureStream(await jetstreamManager(nc), stream);
  const dir = mkdtempSync(join(tmpdir(), `totra-${tag}-`));
  return {
    nc,
    stream,
    dir,
    args: ['--nats', url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', dir],
    async close() {
      await (await jetstreamManager(nc)).streams.delete(stream.name).catch(() => undefined);
      await nc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
