// bench/notary: what a notary start costs on a long log, from its saved state (ADR 0022) against
// reading the whole stream (the only way before it, and still the way when the state is lost),
// both measured in the same run on the same log. Method: bench/notary/README.md.
// Run: npm run bench:notary   (BENCH_EVENTS, default 1,000,000; BENCH_ROUNDS, default 3)
// Uses TOTRA_NATS_URL when set, else starts nats-server in a temp folder.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { generateNoteSigner } from '@totra/chain';
import { startNats } from '@totra/engines';
import { ChainWriter, LocalKeyProvider, Notary, connectNats, ensureStream, streamState } from '@totra/eventlog';

const here = import.meta.dirname;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Events appended between a checkpoint and the next start: about ten seconds of 100 requests a second. */
const TAIL = 2_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Math.round(performance.now() - t0);

const loadBefore = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'totra-bench-notary-'));
let nats;
let natsUrl = process.env.TOTRA_NATS_URL;
if (!natsUrl) {
  nats = await startNats({ dataDir: join(dir, 'nats') });
  natsUrl = nats.url;
}
const nc = await connectNats(natsUrl, { name: 'bench-notary' });
const stamp = Date.now().toString(36);
const stream = { name: `BENCH_NOTARY_${stamp}`, subjectPrefix: `bench-notary-${stamp}`, storage: 'file' };
const jsm = await jetstreamManager(nc);
await ensureStream(jsm, stream);
try {
  const writer = await ChainWriter.open({ nc, stream, role: 'gateway', spoolDir: join(dir, 'spool') });
  let n = 0;
  const append = async (count) => {
    for (let i = 0; i < count; i++) {
      writer.append({ type: 'TestEventRecorded', tenant: 'acme', data: { n: n++, label: `request ${n}`, amountMicroUsd: 1000 } });
      if (i % 1000 === 999) await writer.drain();
    }
    await writer.drain();
  };
  let t0 = performance.now();
  await append(EVENTS);
  const writeMs = ms(t0);
  console.error(`wrote ${EVENTS} events in ${writeMs} ms`);

  const spoolDir = join(dir, 'notary-spool');
  const treeDir = join(dir, 'tree');
  const o = { nc, stream, spoolDir, treeDir, keys: new LocalKeyProvider(generateNoteSigner('bench.totra/log')), origin: 'bench.totra/log', intervalMs: 3_600_000, maxEvents: 1e12 };
  /** Starts a notary, anchors what it read and what came since, stops it; the next start has this checkpoint and a tail of TAIL events. */
  const startAndSign = async () => {
    const t = performance.now();
    const notary = await Notary.start(o);
    const startMs = ms(t);
    const startup = notary.startup;
    await notary.waitFor((await streamState(nc, stream)).lastSeq);
    const cp = await notary.checkpoint();
    await notary.close();
    await append(TAIL);
    return { startMs, from: startup.from, messagesRead: startup.messagesRead, size: cp?.size ?? 0 };
  };
  // The first start builds the tree files and the state (and is not counted: nothing is warm yet).
  const first = await startAndSign();
  console.error(`first start: ${first.startMs} ms from the ${first.from} (${first.messagesRead} messages)`);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Same log, alternating: the whole stream (state removed, so the tree files are rebuilt) ...
    rmSync(join(treeDir, 'state.json'));
    const whole = await startAndSign();
    // ... and from the state the previous start saved.
    const fromState = await startAndSign();
    rounds.push({ whole, fromState });
    console.error(`round ${r + 1}: whole stream ${whole.startMs} ms (${whole.messagesRead} messages), from the state ${fromState.startMs} ms (${fromState.messagesRead} messages)`);
  }
  const treeBytes = readdirSync(treeDir).filter((f) => f.startsWith('level-')).reduce((s, f) => s + statSync(join(treeDir, f)).size, 0);
  const lastSize = rounds.at(-1).fromState.size;
  const wholeMs = median(rounds.map((r) => r.whole.startMs));
  const stateMs = median(rounds.map((r) => r.fromState.startMs));
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version, loadavgBefore: loadBefore.map((l) => Number(l.toFixed(2))), loadavgAfter: loadavg().map((l) => Number(l.toFixed(2))) },
    method: { events: EVENTS, rounds: ROUNDS, tailEventsPerStart: TAIL, messagesInStream: (await streamState(nc, stream)).lastSeq },
    rounds,
    result: {
      wholeStreamStartMsMedian: wholeMs,
      fromStateStartMsMedian: stateMs,
      fromStateOverWholeStream: Number((stateMs / wholeMs).toFixed(4)),
      eventsPerSecondReadingWholeStream: Math.round((lastSize / wholeMs) * 1000),
      treeFileBytesPerLeaf: Number((treeBytes / lastSize).toFixed(1)),
    },
  };
  writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out.result));
  console.log('wrote bench/notary/results/latest.json');
  await writer.close();
} finally {
  await jsm.streams.delete(stream.name).catch(() => undefined);
  await nc.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
}
