#!/usr/bin/env node
// `totra-verify`: the auditor's entry point, the same as `totra verify`.
import { runVerifyCli } from './verify-cli.js';

process.exitCode = await runVerifyCli(['verify', ...process.argv.slice(2)], {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
