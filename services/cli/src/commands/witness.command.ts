import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type Command } from 'commander';
import {
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  generateNoteSigner,
  parseNoteSigner,
  witnessAddCheckpoint,
  type NoteSigner,
  type NoteVerifier,
  type WitnessLogState,
} from '@totra/chain';
import { CliError, EXIT } from '../cli-error.js';
import { type CliIo, type CommandGroup } from '../cli.js';
import { readKey } from './audit.command.js';

export interface WitnessServerOptions {
  stateDir: string;
  cosigner: NoteSigner;
  logKeys: readonly NoteVerifier[];
  port?: number;
  host?: string;
  now?: () => number;
}

/** A running witness; `url` is its base URL. */
export interface RunningWitness {
  url: string;
  close(): Promise<void>;
}

function stateFile(dir: string, origin: string): string {
  return join(dir, `${createHash('sha256').update(origin).digest('hex').slice(0, 32)}.json`);
}

/**
 * `totra witness serve`: a C2SP tlog-witness style HTTP witness. `POST /add-checkpoint` cosigns a
 * checkpoint signed by a known log key only when it is consistent with the last one it cosigned
 * for that origin; that last checkpoint is kept on disk (written atomically) per origin.
 */
export async function startWitnessServer(o: WitnessServerOptions): Promise<RunningWitness> {
  mkdirSync(o.stateDir, { recursive: true });
  const load = (origin: string): WitnessLogState | undefined => {
    const file = stateFile(o.stateDir, origin);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as WitnessLogState) : undefined;
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/add-checkpoint') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      // Synchronous from here on: requests are handled one at a time, so state updates never race.
      const answer = witnessAddCheckpoint(Buffer.concat(chunks).toString('utf8'), { logKeys: o.logKeys, cosigner: o.cosigner, state: load, now: o.now ?? Date.now });
      if (answer.newState) {
        const file = stateFile(o.stateDir, answer.newState.origin);
        writeFileSync(`${file}.tmp`, `${JSON.stringify(answer.newState)}\n`);
        renameSync(`${file}.tmp`, file);
      }
      res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readSigner(path: string, alg: number): NoteSigner {
  let signer: NoteSigner;
  try {
    signer = parseNoteSigner(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError('TOTRA_CLI_BAD_KEY', `cannot read the key ${path}: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
  if (signer.alg !== alg) throw new CliError('TOTRA_CLI_BAD_KEY', `${path} is not a ${alg === NOTE_ALG_COSIGNATURE_V1 ? 'witness (cosigner)' : 'notary'} key`);
  return signer;
}

function keygen(io: CliIo, name: string, out: string, alg: number): void {
  if (existsSync(out)) throw new CliError('TOTRA_CLI_EXISTS', `${out} exists: a key is never overwritten`);
  const signer = generateNoteSigner(name, alg);
  writeFileSync(out, `${signer.skey}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${out}.pub`, `${signer.vkey}\n`, { flag: 'wx' });
  io.stdout(`${signer.vkey}\n`);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `totra witness serve|keygen` and `totra notary keygen`. */
export const witnessCommands: CommandGroup = (program: Command, io: CliIo) => {
  const witness = program.command('witness').description('an external witness that cosigns consistent checkpoints');
  witness
    .command('keygen')
    .description('create a witness (cosigner) key: the private key in <out>, the verifier key in <out>.pub and on stdout')
    .requiredOption('--name <name>', 'witness name, e.g. witness.example.org')
    .requiredOption('--out <file>', 'where to write the private key')
    .action((o: { name: string; out: string }) => keygen(io, o.name, o.out, NOTE_ALG_COSIGNATURE_V1));
  witness
    .command('serve')
    .description('serve POST /add-checkpoint (C2SP tlog-witness) until stopped')
    .requiredOption('--state <dir>', 'where the last cosigned checkpoint of each log is kept')
    .requiredOption('--key <file>', 'the witness private key (totra witness keygen)')
    .requiredOption('--log-key <vkey-or-file>', 'verifier key of a log to witness (repeatable)', collect)
    .option('--port <port>', 'listen port', '7380')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .action(async (o: { state: string; key: string; logKey: string[]; port: string; host: string }) => {
      const running = await startWitnessServer({
        stateDir: o.state,
        cosigner: readSigner(o.key, NOTE_ALG_COSIGNATURE_V1),
        logKeys: o.logKey.map((k) => readKey(k, '--log-key')),
        port: Number(o.port),
        host: o.host,
      });
      io.stdout(`witness listening on ${running.url}/add-checkpoint\n`);
      await (io.untilStopped?.() ?? new Promise<void>((resolve) => process.once('SIGINT', () => resolve())));
      await running.close();
    });
  program
    .command('notary')
    .description('the notary that signs checkpoints')
    .command('keygen')
    .description('create a notary signing key: the private key in <out>, the verifier key in <out>.pub and on stdout')
    .requiredOption('--name <name>', 'key name, usually the log origin')
    .requiredOption('--out <file>', 'where to write the private key')
    .action((o: { name: string; out: string }) => keygen(io, o.name, o.out, NOTE_ALG_ED25519));
};
