import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type NatsConnection } from '@nats-io/nats-core';
import { ChainVerifier, type VerifyReport } from '@totra/chain';
import { readStream, type StreamOptions } from '@totra/eventlog';
import { CliError, EXIT } from '../cli-error.js';
import { Progress } from '../progress.js';

/** A verify report plus what was verified. */
export type SourcedReport = VerifyReport & { source: string };

/** Verifies an NDJSON export (one envelope per line); findings name the line number. */
export async function verifyFile(path: string, opts: { progress?: boolean } = {}): Promise<SourcedReport> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch (err) {
    throw new CliError('TOTRA_CLI_NO_FILE', `cannot read ${path}: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
  const verifier = new ChainVerifier();
  const progress = new Progress('verifying', opts.progress);
  const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let bytes = 0;
  for await (const line of lines) {
    lineNo++;
    bytes += line.length + 1;
    verifier.push(line, `line ${lineNo}`);
    if ((lineNo & 0x3fff) === 0) progress.update(Math.min(bytes, size), size);
  }
  progress.update(size, size);
  progress.done();
  return { ...verifier.finish(), source: path };
}

/** Verifies the live stream from its first message to the last one present when it starts. */
export async function verifyStream(nc: NatsConnection, stream: StreamOptions, opts: { progress?: boolean } = {}): Promise<SourcedReport> {
  const verifier = new ChainVerifier();
  const progress = new Progress('verifying', opts.progress);
  for await (const batch of readStream(nc, stream, { onProgress: (d, t) => progress.update(d, t) })) {
    for (let i = 0; i < batch.lines.length; i++) verifier.push(batch.lines[i], `stream seq ${batch.streamSeq} event ${i + 1}`);
  }
  progress.done();
  return { ...verifier.finish(), source: `stream ${stream.name}` };
}

/** The human-readable report: one summary line, then one line per finding. */
export function formatReport(r: SourcedReport): string {
  const what = `${r.events} events in ${r.chains} chain${r.chains === 1 ? '' : 's'} (${r.source})`;
  if (r.ok) return `OK: ${what}; every hash, prev link and seq checks out\n`;
  const out = [`TAMPERING FOUND: ${r.findingsTotal} finding${r.findingsTotal === 1 ? '' : 's'} in ${what}`];
  for (const f of r.findings) {
    const where = f.chain ? `chain ${f.chain} seq ${f.seq ?? '?'}` : 'unreadable event';
    out.push(`  ${f.code}  ${where} at ${f.location}: ${f.message}`);
  }
  if (r.findingsOmitted) out.push(`  ... and ${r.findingsOmitted} more (use --json for counts by code)`);
  return `${out.join('\n')}\n`;
}
