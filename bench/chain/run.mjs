// bench/chain: how fast one ChainWriter appends to JetStream, and how fast `totra verify`
// checks the log, each as a ratio against a baseline measured in the same run on the same
// machine. Method: bench/chain/README.md. Run: npm run bench:chain (builds first).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { findBinary, startNats } from '@totra/engines';
import { ChainWriter, connectNats, ensureStream, readStream } from '@totra/eventlog';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 500;
const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'services', 'cli', 'dist', 'main.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (n, ms) => Math.round((n / ms) * 1000);

function event(n) {
  return { type: 'TestEventRecorded', tenant: 'acme', data: { n, label: `request ${n} model gpt-4o-mini`, amountMicroUsd: 1234 + n } };
}

async function timed(fn) {
  const t0 = performance.now();
  const r = await fn();
  return { ms: performance.now() - t0, r };
}

const dir = mkdtempSync(join(tmpdir(), 'totra-bench-chain-'));
const nats = await startNats({ dataDir: join(dir, 'nats') });
const nc = await connectNats(nats.url, { name: 'bench-chain' });
const jsm = await jetstreamManager(nc);
const results = { append: [], publishFloor: [], verifyStream: [], readFloor: [], verifyFile: [], hashFloor: [] };
let sampleBytes = 0;

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const stream = { name: `BENCH${round}`, subjectPrefix: `bench${round}` };
    const floorStream = { name: `FLOOR${round}`, subjectPrefix: `floor${round}` };
    await ensureStream(jsm, stream);
    await ensureStream(jsm, floorStream);

    // Baseline 1: the transport floor. The same number of events, pre-serialised, published as
    // batches of BATCH lines with the same headers, awaited one by one (as the writer does).
    const line = JSON.stringify({ v: 2, id: '0193b5a0-7c3e-7abc-8def-0123456789ab', type: 'TestEventRecorded', time: new Date().toISOString(), chain: 'bench.floor.x', seq: 1, prev: '0'.repeat(64), tenant: 'acme', data: event(1).data, hash: 'f'.repeat(64) });
    sampleBytes = line.length;
    const payload = Array(BATCH).fill(line).join('\n');
    const js = jetstream(nc);
    const floor = await timed(async () => {
      let last = 0;
      for (let i = 0; i < EVENTS / BATCH; i++) {
        const ack = await js.publish(`${floorStream.subjectPrefix}.chain.bench.floor.x`, payload, { msgID: `f${round}-${i}`, expect: { lastSubjectSequence: last } });
        last = ack.seq;
      }
    });
    results.publishFloor.push(rate(EVENTS, floor.ms));
    console.error(`round ${round}: publish floor ${results.publishFloor.at(-1)} ev/s`);

    // The writer: validate, hash (JCS + SHA-256), link, batch, publish, until JetStream acked all.
    const writer = await ChainWriter.open({ nc, stream, role: 'bench', spoolDir: join(dir, 'spool'), batchMaxEvents: BATCH });
    const append = await timed(async () => {
      for (let i = 0; i < EVENTS; i++) {
        writer.append(event(i));
        if (i % 5000 === 4999) await new Promise((r) => setImmediate(r));
      }
      await writer.drain();
    });
    await writer.close();
    results.append.push(rate(EVENTS, append.ms));
    console.error(`round ${round}: append ${results.append.at(-1)} ev/s`);

    // Baseline 2: reading the stream back without verifying anything.
    const read = await timed(async () => {
      let n = 0;
      for await (const b of readStream(nc, stream)) n += b.lines.length;
      return n;
    });
    results.readFloor.push(rate(read.r, read.ms));
    console.error(`round ${round}: read floor ${results.readFloor.at(-1)} ev/s`);
    const total = read.r;

    // totra verify on the live stream (a separate process, as an auditor runs it).
    const args = ['--nats', nats.url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix];
    const vs = await timed(() => spawnSync(process.execPath, [cli, 'verify', ...args], { encoding: 'utf8' }));
    if (vs.r.status !== 0) throw new Error(`verify failed: ${vs.r.stdout}${vs.r.stderr}`);
    results.verifyStream.push(rate(total, vs.ms));

    // totra verify --file on an export, against the floor of parsing and hashing every line.
    const file = join(dir, `export-${round}.ndjson`);
    execFileSync(process.execPath, [cli, 'export', ...args, '--out', file], { stdio: 'ignore' });
    const vf = await timed(() => spawnSync(process.execPath, [cli, 'verify', '--file', file], { encoding: 'utf8' }));
    if (vf.r.status !== 0) throw new Error(`verify --file failed: ${vf.r.stdout}${vf.r.stderr}`);
    results.verifyFile.push(rate(total, vf.ms));
    const hf = await timed(() => {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const l of lines) if (l) createHash('sha256').update(JSON.stringify(JSON.parse(l))).digest();
      return lines.length;
    });
    results.hashFloor.push(rate(total, hf.ms));
    rmSync(file);
    await jsm.streams.delete(stream.name);
    await jsm.streams.delete(floorStream.name);
    console.error(`round ${round}: verify ${results.verifyStream.at(-1)} ev/s, verify --file ${results.verifyFile.at(-1)} ev/s`);
  }
} finally {
  await nc.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}

const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const natsVersion = execFileSync(findBinary('nats-server'), ['--version'], { encoding: 'utf8' }).trim();
const report = {
  date: new Date().toISOString().slice(0, 10),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, nats: natsVersion },
  method: { events: EVENTS, rounds: ROUNDS, batch: BATCH, eventBytes: sampleBytes, statistic: 'median of rounds' },
  eventsPerSecond: m,
  ratios: {
    appendVsPublishFloor: +(m.append / m.publishFloor).toFixed(2),
    verifyStreamVsReadFloor: +(m.verifyStream / m.readFloor).toFixed(2),
    verifyFileVsHashFloor: +(m.verifyFile / m.hashFloor).toFixed(2),
  },
  raw: results,
};
writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
