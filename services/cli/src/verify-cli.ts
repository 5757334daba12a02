import { EXIT } from './cli-error.js';
import type { CliIo } from './cli.js';
import { verifyCommands } from './commands/audit.command.js';
import { newProgram, runProgram } from './program.js';

/**
 * `totra verify ...` with only the verify commands loaded: the same commands, options and exit
 * codes as through `runCli`, without loading the gateway, database and engine code the other
 * commands need (an auditor's verify starts several times faster).
 */
export async function runVerifyCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = newProgram(io);
  verifyCommands(program, io, (c) => (code = c));
  return runProgram(program, argv, io, () => code);
}
