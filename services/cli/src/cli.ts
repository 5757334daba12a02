import { type Command, Option } from 'commander';
import { CliError, EXIT } from './cli-error.js';
import { exportStream } from './commands/export.command.js';
import { status } from './commands/status.command.js';
import { up } from './commands/up.command.js';
import { verifyCommands } from './commands/audit.command.js';
import { witnessCommands } from './commands/witness.command.js';
import { modelsCommands } from './commands/models.command.js';
import { keysCommands } from './commands/keys.command.js';
import { piiCommands } from './commands/pii.command.js';
import { budgetsCommands } from './commands/budgets.command.js';
import { pricesCommands } from './commands/prices.command.js';
import { gdprCommands } from './commands/gdpr.command.js';
import { teamsCommands } from './commands/teams.command.js';
import { usersCommands } from './commands/users.command.js';
import { projectionsCommands } from './commands/projections.command.js';
import { reportCommands } from './commands/report.command.js';
import { logOptions, withNats, type LogOptions } from './log-context.js';
import { stateDir } from './state.js';
import { newProgram, runProgram } from './program.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Resolves when the user asks `totra up` to stop (Ctrl-C). Defaults to SIGINT/SIGTERM. */
  untilStopped?: () => Promise<void>;
  /** The whole of standard input (`totra pii scan`). Defaults to reading process.stdin. */
  stdin?: () => Promise<string>;
}

/**
 * Resolves on the first SIGINT/SIGTERM. The handlers stay installed afterwards, so a second
 * Ctrl-C while engines shut down cannot kill the process halfway (which would orphan them).
 */
function signalStop(io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    let seen = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (seen) {
        io.stderr(`(${signal} received: still stopping, please wait)\n`);
        return;
      }
      seen = true;
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Adds a group of subcommands (e.g. `keys`, `models`) to the program. */
export type CommandGroup = (program: Command, io: CliIo, setExitCode: (code: number) => void) => void;

/** Every command group of the CLI. Add yours to this list. */
const commandGroups: CommandGroup[] = [modelsCommands, keysCommands, piiCommands, usersCommands, teamsCommands, gdprCommands, verifyCommands, witnessCommands, budgetsCommands, pricesCommands, projectionsCommands, reportCommands];

/** Runs one totra command; returns its exit code (0 ok, 1 tampering/failure found, 2 usage or connection error). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = newProgram(io);

  program
    .command('up')
    .description('start NATS, Redis, Postgres and every service on this machine; Ctrl-C stops everything')
    .option('--state-dir <dir>', 'where engine data and urls.json live', undefined)
    .addOption(new Option('--port <port>', 'gateway port').default(8080).argParser((v) => parsePort(v)))
    .option('--host <host>', 'gateway listen address', '0.0.0.0')
    .action(async (o: { stateDir?: string; port: number; host: string }) => {
      const dir = stateDir(o.stateDir);
      // Listen for Ctrl-C before anything is started or printed: a signal that arrives during
      // start-up, or right after the banner, must still stop everything cleanly.
      const stopped = io.untilStopped ? io.untilStopped() : signalStop(io);
      const running = await up({ stateDir: dir, gatewayPort: o.port, gatewayHost: o.host, print: (l) => io.stdout(`${l}\n`) });
      io.stdout(
        [
          '',
          'ToTra is up:',
          ...Object.entries(running.urls).map(([k, v]) => `  ${k.padEnd(9)} ${v}`),
          `(also in ${dir}/urls.json; \`totra status\` shows them again)`,
          'Press Ctrl-C to stop everything.',
          '',
        ].join('\n'),
      );
      await stopped;
      io.stdout('stopping...\n');
      await running.stop();
      io.stdout('stopped.\n');
    });

  program
    .command('status')
    .description('show the URLs of the running services and engines, and whether they answer')
    .option('--state-dir <dir>', 'state folder of `totra up`', undefined)
    .option('--json', 'machine-readable output')
    .action(async (o: { stateDir?: string; json?: boolean }) => {
      const lines = await status(stateDir(o.stateDir));
      if (!lines) throw new CliError('TOTRA_CLI_NOT_UP', 'nothing is running here: start it with `npm start` (totra up)', EXIT.failed);
      if (o.json) io.stdout(`${JSON.stringify(lines, null, 2)}\n`);
      else for (const l of lines) io.stdout(`${l.up ? 'up  ' : 'DOWN'}  ${l.name.padEnd(9)} ${l.url}  ${l.detail}\n`);
      if (lines.some((l) => !l.up)) code = EXIT.failed;
    });

  logOptions(
    program
      .command('export')
      .description('write every event of the log to NDJSON, one envelope per line (stdout by default)')
      .option('--out <path>', 'write to this file (must not exist yet)'),
  ).action(async (o: LogOptions & { out?: string }) => {
    const n = await withNats(o, (nc, stream) => exportStream(nc, stream, o.out ? { out: o.out } : {}));
    io.stderr(`exported ${n} events${o.out ? ` to ${o.out}` : ''}\n`);
  });

  // Command groups that live in their own files register themselves here.
  for (const register of commandGroups) register(program, io, (c) => (code = c));

  return runProgram(program, argv, io, () => code);
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError('TOTRA_CLI_USAGE', `--port: "${v}" is not a port number`);
  return n;
}
