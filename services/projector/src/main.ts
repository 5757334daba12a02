#!/usr/bin/env node
// The projector service process: runs the projections. Started by `totra up`, or on its own.
import { loadProjectorConfig } from './config.js';
import { startProjector } from './projector.js';

try {
  const projector = await startProjector(loadProjectorConfig(), (m) => process.stderr.write(`totra-projector: ${m}\n`));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await projector.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  if (process.send) {
    process.send({ type: 'ready' });
    process.once('disconnect', () => void stop());
  }
} catch (err) {
  const e = err as { message?: string; code?: string };
  process.stderr.write(`totra-projector: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`);
  process.exit(2);
}
