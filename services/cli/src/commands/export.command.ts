import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { type NatsConnection } from '@nats-io/nats-core';
import { readStream, type StreamOptions } from '@totra/eventlog';
import { Progress } from '../progress.js';

export interface ExportOptions {
  out?: string;
  progress?: boolean;
}

/**
 * Writes every event of the stream to NDJSON, one envelope per line, exactly as stored (so
 * the file verifies offline with `totra verify --file`). Returns the number of events.
 */
export async function exportStream(nc: NatsConnection, stream: StreamOptions, opts: ExportOptions): Promise<number> {
  const sink: NodeJS.WritableStream | WriteStream = opts.out ? createWriteStream(opts.out, { flags: 'wx' }) : process.stdout;
  if (opts.out) await once(sink as WriteStream, 'open');
  const progress = new Progress('exporting', opts.progress ?? (opts.out !== undefined && process.stderr.isTTY === true));
  let events = 0;
  for await (const batch of readStream(nc, stream, { onProgress: (d, t) => progress.update(d, t) })) {
    const chunk = `${batch.lines.join('\n')}\n`;
    events += batch.lines.length;
    if (!sink.write(chunk)) await once(sink, 'drain');
  }
  progress.done();
  if (opts.out) {
    (sink as WriteStream).end();
    await once(sink as WriteStream, 'finish');
  }
  return events;
}
