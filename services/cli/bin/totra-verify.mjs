#!/usr/bin/env node
// The `totra-verify` command: runs the built CLI (dist/), with a clear message when it is not built yet.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/verify-main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('totra-verify: the CLI is not built yet: run `npm run build` (or `npm start`) in the ToTra folder first\n');
  process.exit(2);
}
await import(main);
