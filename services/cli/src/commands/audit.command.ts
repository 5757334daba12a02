import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { type Command } from 'commander';
import { type NatsConnection } from '@nats-io/nats-core';
import {
  AuditVerifier,
  bytesToHex,
  checkInclusionProof,
  cosignedNote,
  parseNoteVerifier,
  type AuditReport,
  type AuditVerifierOptions,
  type EventLocation,
  type InclusionProof,
  type NoteVerifier,
} from '@totra/chain';
import { readStream, type StreamOptions } from '@totra/eventlog';
import { CliError, EXIT } from '../cli-error.js';
import type { CliIo, CommandGroup } from '../cli.js';
import { logOptions, withNats, type LogOptions } from '../log-context.js';
import { Progress } from '../progress.js';

/** An audit report plus what was verified. */
export type SourcedAuditReport = AuditReport & { source: string };

/** Where the events come from: an NDJSON export, or a stream (live, or an auditor's mirror). */
export type AuditSource = { file: string } | { nc: NatsConnection; stream: StreamOptions };

/** Feeds every event of the source to `push`, in stream order. */
export async function feedSource(source: AuditSource, push: (line: string, location: EventLocation) => void, progress?: Progress): Promise<string> {
  if ('file' in source) {
    let size: number;
    try {
      const st = statSync(source.file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch (err) {
      throw new CliError('TOTRA_CLI_NO_FILE', `cannot read ${source.file}: ${(err as Error).message}`, EXIT.usage, { cause: err });
    }
    let lineNo = 0;
    await forEachLine(
      source.file,
      (line) => push(line, `line ${++lineNo}`),
      (done) => progress?.update(Math.min(done, size), size),
    );
    progress?.update(size, size);
    progress?.done();
    return source.file;
  }
  for await (const batch of readStream(source.nc, source.stream, { onProgress: (d, t) => progress?.update(d, t) })) {
    for (let i = 0; i < batch.lines.length; i++) push(batch.lines[i]!, `stream seq ${batch.streamSeq} event ${i + 1}`);
  }
  progress?.done();
  return `stream ${source.stream.name}`;
}

/**
 * Calls `onLine` with each line of a UTF-8 file (split at LF, a CR before it dropped, as an
 * NDJSON export is written), decoding every line on its own: an ASCII line stays a one-byte
 * string even when another line holds other characters, which keeps parsing and hashing it
 * fast. Returns the bytes read.
 */
async function forEachLine(path: string, onLine: (line: string) => void, onProgress: (bytes: number) => void): Promise<number> {
  const file = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(1 << 20);
    let kept = 0;
    let total = 0;
    let chunks = 0;
    for (;;) {
      if (kept === buffer.length) {
        // A line longer than the buffer: grow it.
        const grown = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(grown, 0, 0, kept);
        buffer = grown;
      }
      const { bytesRead } = await file.read(buffer, kept, buffer.length - kept, null);
      const end = kept + bytesRead;
      total += bytesRead;
      let start = 0;
      for (let nl = buffer.indexOf(10, 0); nl !== -1 && nl < end; nl = buffer.indexOf(10, start)) {
        onLine(buffer.toString('utf8', start, nl > start && buffer[nl - 1] === 13 ? nl - 1 : nl));
        start = nl + 1;
      }
      if (bytesRead === 0) {
        if (start < end) onLine(buffer.toString('utf8', start, buffer[end - 1] === 13 ? end - 1 : end));
        return total;
      }
      buffer.copy(buffer, 0, start, end);
      kept = end - start;
      if ((++chunks & 7) === 0) onProgress(total);
    }
  } finally {
    await file.close();
  }
}

/** Reads a verifier key given as a file holding it, or as the key string itself. */
export function readKey(value: string, what: string): NoteVerifier {
  const file = existsSync(value) && statSync(value).isFile();
  const text = file ? readFileSync(value, 'utf8') : value;
  try {
    return parseNoteVerifier(text.trim());
  } catch (err) {
    // A verifier key has no '/' before its '+' parts; a value that reads as a path names a file.
    const missing = !file && (value.includes('/') || value.includes('\\') || value.endsWith('.pub')) && !value.includes('+');
    const why = missing ? 'no such file, and not a verifier key (<name>+<hex key id>+<base64 key>) either' : (err as Error).message;
    throw new CliError('TOTRA_CLI_BAD_KEY', `${what} ${value}: ${why}`, EXIT.usage, { cause: err });
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError('TOTRA_CLI_NO_FILE', `cannot read ${what} ${path}: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
}

export interface AuditOptions {
  trustKey?: string[];
  witnessKey?: string[];
  lastTrusted?: string;
  origin?: string;
  unwitnessedTail?: number;
}

export function verifierOptions(o: AuditOptions): AuditVerifierOptions {
  const lastTrusted = o.lastTrusted ? readText(o.lastTrusted, 'the last-trusted checkpoint') : undefined;
  return {
    trustedKeys: (o.trustKey ?? []).map((k) => readKey(k, '--trust-key')),
    witnessKeys: (o.witnessKey ?? []).map((k) => readKey(k, '--witness-key')),
    ...(lastTrusted !== undefined ? { lastTrusted } : {}),
    ...(o.origin ? { origin: o.origin } : {}),
    ...(o.unwitnessedTail !== undefined ? { unwitnessedTail: o.unwitnessedTail } : {}),
  };
}

function newVerifier(options: AuditVerifierOptions): AuditVerifier {
  try {
    return new AuditVerifier(options);
  } catch (err) {
    throw new CliError('TOTRA_CLI_BAD_CHECKPOINT', (err as Error).message, EXIT.usage, { cause: err });
  }
}

/** Verifies the source: every chain check plus every checkpoint check. */
export async function audit(source: AuditSource, options: AuditVerifierOptions, opts: { progress?: boolean; saveCheckpoint?: string } = {}): Promise<SourcedAuditReport> {
  const verifier = newVerifier(options);
  const where = await feedSource(source, (line, loc) => verifier.push(line, loc), new Progress('verifying', opts.progress));
  const report = verifier.finish();
  const latest = verifier.checkpoints().at(-1);
  if (opts.saveCheckpoint && latest && report.ok) writeFileSync(opts.saveCheckpoint, cosignedNote(latest));
  return { ...report, source: where };
}

/** Builds the inclusion proof of the first event whose envelope id or `data.requestId` is `query`, against the latest checkpoint. */
export async function prove(source: AuditSource, query: string, options: AuditVerifierOptions): Promise<InclusionProof> {
  let found: { index: number; event: Record<string, unknown> } | null = null;
  let candidate: { chain: string; seq: number; event: Record<string, unknown> } | null = null;
  const verifier = new AuditVerifier({
    ...options,
    keepTree: true,
    onEvent: (e, value) => {
      if (candidate) return;
      const data = value['data'];
      const requestId = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['requestId'] : undefined;
      if (value['id'] === query || requestId === query) candidate = { chain: e.chain, seq: e.seq, event: { ...value } };
    },
    onLeaf: (leaf, index) => {
      if (!found && candidate && leaf.chain === candidate.chain && leaf.seq === candidate.seq) found = { index, event: candidate.event };
    },
  });
  await feedSource(source, (line, loc) => verifier.push(line, loc));
  const report = verifier.finish();
  const hit = found as { index: number; event: Record<string, unknown> } | null;
  if (!candidate) throw new CliError('TOTRA_CLI_NOT_FOUND', `no event with id or request id ${query} in the log`, EXIT.failed);
  if (!hit) throw new CliError('TOTRA_CLI_UNANCHORED', `the event of ${query} is not covered by a valid checkpoint yet (wait for the next checkpoint)`, EXIT.failed);
  if (!report.checkpoints.rootsRecomputed) throw new CliError('TOTRA_CLI_TAMPERED', 'the log does not verify: run `totra verify` first', EXIT.failed);
  const latest = verifier.checkpoints().at(-1)!;
  const tree = verifier.tree()!;
  const size = latest.checkpoint.size;
  return {
    format: 'totra-inclusion-proof/1',
    query,
    event: hit.event,
    leafHash: bytesToHex(tree.leafHash(hit.index)),
    leafIndex: hit.index,
    treeSize: size,
    path: tree.inclusionProof(hit.index, size).map(bytesToHex),
    checkpoint: cosignedNote(latest),
  };
}

const CODES_HINT = ' (use --json for counts by code)';

/** The human-readable report. */
export function formatAuditReport(r: SourcedAuditReport): string {
  const what = `${r.events} events in ${r.chains} chain${r.chains === 1 ? '' : 's'} (${r.source})`;
  const cp = r.checkpoints;
  const lines: string[] = [];
  if (r.ok) lines.push(`OK: ${what}; every hash, prev link and seq checks out`);
  else lines.push(`TAMPERING FOUND: ${r.findingsTotal} finding${r.findingsTotal === 1 ? '' : 's'} in ${what}`);
  for (const f of r.findings) {
    const where = f.chain ? `chain ${f.chain} seq ${f.seq ?? '?'}` : 'log';
    lines.push(`  ${f.code}  ${where} at ${f.location}: ${f.message}`);
  }
  if (r.findingsOmitted) lines.push(`  ... and ${r.findingsOmitted} more${CODES_HINT}`);
  if (cp.accepted > 0) {
    lines.push(
      `checkpoints: ${cp.accepted} of ${cp.origin ?? '?'}, latest size ${cp.latest?.size ?? 0} at ${cp.latest?.time ?? '?'}; ` +
        `signatures ${cp.signaturesChecked ? 'checked against pinned keys' : 'NOT checked (no --trust-key)'}; roots ${cp.rootsRecomputed ? 'recomputed' : 'not all recomputable'}` +
        `${cp.witnessed ? `; ${cp.witnessed} witnessed` : ''}${cp.lastTrusted !== 'not-given' ? `; last-trusted ${cp.lastTrusted}` : ''}`,
    );
  } else {
    lines.push('checkpoints: none in the log');
  }
  if (r.unanchored.events > 0) lines.push(`unanchored: ${r.unanchored.events} event(s) after the last checkpoint in ${r.unanchored.chains.length} chain(s); no checkpoint vouches for them yet`);
  return `${lines.join('\n')}\n`;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new CliError('TOTRA_CLI_USAGE', `"${value}" is not a count`);
  return n;
}

function auditOptions(cmd: Command): Command {
  return cmd
    .option('--file <path>', 'read an NDJSON export instead of the stream (an auditor mirror: --stream <mirror name>)')
    .option('--trust-key <vkey-or-file>', 'pinned notary verifier key (repeatable)', collect)
    .option('--witness-key <vkey-or-file>', 'pinned witness cosigner key: every checkpoint must be cosigned (repeatable)', collect)
    .option('--last-trusted <file>', 'a checkpoint note saved earlier: the log must extend it')
    .option('--origin <origin>', 'the log origin expected in checkpoints')
    .option('--unwitnessed-tail <n>', 'latest checkpoints allowed to lack cosignatures (default 1)', count);
}

type AuditCliOptions = LogOptions & AuditOptions & { file?: string; json?: boolean; saveCheckpoint?: string };

async function withSource<T>(o: AuditCliOptions, fn: (source: AuditSource) => Promise<T>): Promise<T> {
  if (o.file) return fn({ file: o.file });
  return withNats(o, (nc, stream) => fn({ nc, stream }));
}

/** `totra verify` (with `prove` and `check-proof`). */
export const verifyCommands: CommandGroup = (program: Command, io: CliIo, setExitCode: (code: number) => void) => {
  const verify = auditOptions(
    logOptions(
      program
        .command('verify')
        .description('replay the event log (stream, auditor mirror or NDJSON export) and check every hash, prev link, seq and checkpoint')
        .option('--json', 'print the report as JSON')
        .option('--save-checkpoint <file>', 'when all checks pass, save the latest checkpoint (for --last-trusted next time)'),
    ),
  ).action(async (o: AuditCliOptions) => {
    const options = verifierOptions(o);
    const report = await withSource(o, (source) => audit(source, options, o.saveCheckpoint ? { saveCheckpoint: o.saveCheckpoint } : {}));
    io.stdout(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatAuditReport(report));
    if (!report.ok) setExitCode(EXIT.failed);
  });

  // Options given after a subcommand name are parsed by `verify` itself (commander's default),
  // so the subcommands read them from there.
  verify
    .command('prove')
    .argument('<request-id>', 'a request id (data.requestId) or an event id')
    .description('print an inclusion proof (JSON) of one request against the latest checkpoint (takes the verify options)')
    .action(async (query: string) => {
    const o = verify.opts<AuditCliOptions>();
    const options = verifierOptions(o);
    const proof = await withSource(o, (source) => prove(source, query, options));
    io.stdout(`${JSON.stringify(proof, null, 2)}\n`);
  });

  verify
    .command('check-proof')
    .argument('<file>', 'a proof printed by `totra verify prove`')
    .description('verify an inclusion proof offline against its checkpoint and the pinned --trust-key / --witness-key')
    .action((file: string) => {
      const o = verify.opts<AuditCliOptions>();
      const trustedKeys = (o.trustKey ?? []).map((k) => readKey(k, '--trust-key'));
      if (trustedKeys.length === 0) throw new CliError('TOTRA_CLI_USAGE', 'check-proof needs at least one --trust-key');
      const witnessKeys = (o.witnessKey ?? []).map((k) => readKey(k, '--witness-key'));
      let input: unknown;
      try {
        input = JSON.parse(readText(file, 'the proof'));
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError('TOTRA_CLI_USAGE', `${file} is not JSON`, EXIT.usage, { cause: err });
      }
      try {
        const cp = checkInclusionProof(input, { trustedKeys, witnessKeys });
        const p = input as InclusionProof;
        io.stdout(o.json ? `${JSON.stringify({ ok: true, leafIndex: p.leafIndex, treeSize: cp.size, root: cp.root, origin: cp.origin })}\n` : `OK: leaf ${p.leafIndex} is in ${cp.origin} at size ${cp.size} (root ${cp.root})\n`);
      } catch (err) {
        const message = (err as Error).message;
        io.stdout(o.json ? `${JSON.stringify({ ok: false, error: message })}\n` : `PROOF INVALID: ${message}\n`);
        setExitCode(EXIT.failed);
      }
    });
};
