// Test support for CLI tests (not part of the build): runs `totra` in-process and captures
// what it prints.
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
