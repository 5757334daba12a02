import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { AuditVerifier, generateNoteSigner } from '@totra/chain';
import { ChainWriter, LocalKeyProvider, Notary, connectNats, ensureStream, readStream, streamState, type StreamOptions } from '@totra/eventlog';
import { natsUrl, uniquePrefix, uniqueStreamName } from '@totra/testing';

const ORIGIN = 'totra.test/first';

// A new log is verifiable against the notary's key as soon as it has events: with
// `firstCheckpointAfterMs`, the first checkpoint does not wait for the (long) interval.
describe('notary: the log\'s first checkpoint (real NATS)', () => {
  const opened: { nc: NatsConnection; stream: StreamOptions; dir: string; writer: ChainWriter; notary: Notary }[] = [];

  async function start(firstCheckpointAfterMs: number | undefined) {
    const nc = await connectNats(await natsUrl(), { name: 'notary-first' });
    const stream: StreamOptions = { name: uniqueStreamName('NFIRST'), subjectPrefix: uniquePrefix('nfirst'), storage: 'memory' };
    await ensureStream(await jetstreamManager(nc), stream);
    const dir = mkdtempSync(join(tmpdir(), 'totra-notary-first-'));
    const signer = generateNoteSigner(ORIGIN);
    const notary = await Notary.start({
      nc,
      stream,
      spoolDir: join(dir, 'spool'),
      keys: new LocalKeyProvider(signer),
      origin: ORIGIN,
      intervalMs: 3_600_000,
      maxEvents: 1_000_000,
      ...(firstCheckpointAfterMs !== undefined ? { firstCheckpointAfterMs } : {}),
    });
    const writer = await ChainWriter.open({ nc, stream, role: 'gateway', host: 'a', spoolDir: join(dir, 'spool') });
    opened.push({ nc, stream, dir, writer, notary });
    for (let i = 0; i < 5; i++) writer.append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: i, label: `request ${i}`, amountMicroUsd: 1000 } });
    await writer.drain();
    return { nc, stream, notary, signer, lastSeq: (await streamState(nc, stream)).lastSeq };
  }

  async function checkpointSizes(nc: NatsConnection, stream: StreamOptions): Promise<number[]> {
    const sizes: number[] = [];
    for await (const batch of readStream(nc, stream)) {
      for (const line of batch.lines) {
        const e = JSON.parse(line) as { type: string; data: { size?: number } };
        if (e.type === 'CheckpointSigned') sizes.push(e.data.size ?? -1);
      }
    }
    return sizes;
  }

  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.writer.close();
      await o.notary.close();
      await (await jetstreamManager(o.nc)).streams.delete(o.stream.name).catch(() => undefined);
      await o.nc.close();
      rmSync(o.dir, { recursive: true, force: true });
    }
  });

  it('signs the first checkpoint soon after the first events, then keeps to its interval', async () => {
    const { nc, stream, notary } = await start(50);
    // The interval is an hour: only the early first checkpoint can be this one.
    await vi.waitFor(async () => expect(await checkpointSizes(nc, stream)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const [first] = await checkpointSizes(nc, stream);
    expect(first).toBeGreaterThanOrEqual(5);
    // Later checkpoints come on the interval (or when asked), as before.
    const cp = await notary.checkpoint();
    expect(cp).toBeNull(); // nothing new of other chains since the first
  });

  it('waits for the interval as before when the option is not given', async () => {
    const { nc, stream, notary, signer, lastSeq } = await start(undefined);
    await notary.waitFor(lastSeq);
    expect(await checkpointSizes(nc, stream)).toEqual([]);
    // Verified against the pinned key meanwhile: no checkpoint is a finding, which says whether
    // the notary's chain is in the log (a new log, or checkpoints removed) or not (never ran).
    const lines: string[] = [];
    for await (const batch of readStream(nc, stream)) lines.push(...batch.lines);
    const findingOf = (kept: string[]) => {
      const v = new AuditVerifier({ trustedKeys: [signer], origin: ORIGIN });
      for (const line of kept) v.push(line);
      return v.finish().findings.find((f) => f.code === 'TOTRA_AUDIT_NO_CHECKPOINT')?.message;
    };
    expect(findingOf(lines)).toMatch(/though notary chain notary\.\S+ is in it: either the log is new and its notary has not signed yet .* or its checkpoints were removed/);
    expect(findingOf(lines.filter((l) => !(JSON.parse(l) as { chain: string }).chain.startsWith('notary.')))).toMatch(/the notary chain was removed or never ran/);
    expect(await notary.checkpoint()).not.toBeNull();
    expect(await checkpointSizes(nc, stream)).toHaveLength(1);
  });
});
