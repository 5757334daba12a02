#!/usr/bin/env node
// The gateway service process: configuration from the environment (see config.ts). Started by
// `totra up`, or on its own in production. When started by a supervisor over IPC, it reports
// its URL once listening and exits if the supervisor goes away. With TOTRA_GATEWAY_WORKERS
// above 1, this process is the primary: it forks the workers (this same module) and serves
// through them (see cluster.ts).
import cluster from 'node:cluster';
import { loadGatewayConfig } from './config.js';
import { startGatewayCluster, workerIndex, workerNodeFlags, WorkerStartError } from './cluster.js';
import { startGateway } from './server.js';

const VERSION = '0.1.0';

try {
  const config = loadGatewayConfig();
  const index = workerIndex();
  const prefix = index === undefined ? 'totra-gateway' : `totra-gateway[${index}]`;
  const onWarning = (m: string) => process.stderr.write(`${prefix}: ${m}\n`);
  const running =
    cluster.isPrimary && config.workers > 1
      ? await startGatewayCluster({ workers: config.workers, nodeFlags: workerNodeFlags(config.workerNodeFlags, config.workers), closeGraceMs: config.closeGraceMs, onWarning })
      : await startGateway(config, { version: VERSION, onWarning, onInfo: onWarning, ...(index !== undefined ? { worker: index } : {}) });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await running.close();
    process.exit(code);
  };
  // `on`, not `once`: Ctrl-C reaches a worker both from the terminal and from its primary, and
  // a second signal must not cut its drain short.
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  if (process.send) {
    process.send({ type: 'ready', url: running.url });
    process.once('disconnect', () => void stop(0));
  }
} catch (err) {
  const e = err as { message?: string; code?: string };
  process.stderr.write(`totra-gateway: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`);
  process.exit(err instanceof WorkerStartError ? err.exitCode || 2 : 2);
}
