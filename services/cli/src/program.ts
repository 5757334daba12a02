import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli.js';
import { VERSION } from './version.js';

/** The `totra` program, before its commands are added. */
export function newProgram(io: CliIo): Command {
  return new Command('totra')
    .description('ToTra: the LLM gateway you can audit')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
}

/** Parses `argv` and runs the command it names; returns the exit code (`code()` once the command has run). */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo, code: () => number): Promise<number> {
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code();
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      io.stderr(`totra: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as { code?: unknown; message?: string };
    io.stderr(`totra: ${e.message ?? String(err)}${typeof e.code === 'string' ? ` (${e.code})` : ''}\n`);
    return EXIT.usage;
  }
}
