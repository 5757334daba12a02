#!/usr/bin/env node
// The `totra-gateway` service command: runs the built service (dist/), with a clear message when it is not built yet.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('totra-gateway: not built yet: run `npm run build` in the ToTra folder first\n');
  process.exit(2);
}
await import(main);
