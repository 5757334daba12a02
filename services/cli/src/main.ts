#!/usr/bin/env node
import type { CliIo } from './cli.js';

const io: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};
const argv = process.argv.slice(2);
// `totra verify` loads only the verify commands (start-up counts in an auditor's run).
process.exitCode = argv[0] === 'verify' ? await (await import('./verify-cli.js')).runVerifyCli(argv, io) : await (await import('./cli.js')).runCli(argv, io);
