// Child process used by managed-process.int.spec.ts: starts redis on a data dir, reports its
// pid, then either exits at once ("exit") or waits to be killed ("wait").
import { startRedis } from '../index.js';

const [dataDir, mode] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: run-redis.ts <dataDir> exit|wait');
const redis = await startRedis({ dataDir });
process.stdout.write(`${JSON.stringify({ pid: redis.pid, port: redis.port })}\n`);
if (mode === 'exit') process.exit(0);
setInterval(() => undefined, 60_000);
