#!/usr/bin/env node
// The gateway service process: configuration from the environment (see config.ts). Started by
// `totra up`, or on its own in production. When started by a supervisor over IPC, it reports
// its URL once listening and exits if the supervisor goes away.
import { loadGatewayConfig } from './config.js';
import { startGateway } from './server.js';

const VERSION = '0.1.0';

try {
  const config = loadGatewayConfig();
  const gateway = await startGateway(config, { version: VERSION, onWarning: (m) => process.stderr.write(`totra-gateway: ${m}\n`) });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await gateway.close();
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  if (process.send) {
    process.send({ type: 'ready', url: gateway.url });
    process.once('disconnect', () => void stop(0));
  }
} catch (err) {
  const e = err as { message?: string; code?: string };
  process.stderr.write(`totra-gateway: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`);
  process.exit(2);
}
