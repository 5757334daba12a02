// bench/verify: how fast `totra verify` audits a full replay of a checkpointed log (every hash,
// prev link, seq, checkpoint signature and recomputed Merkle root), against baselines measured
// in the same run on the same machine, and what a checkpoint and an inclusion proof cost.
// Method: bench/verify/README.md. Run: npm run bench:verify (builds first).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { AuditVerifier, MerkleTree, bytesToHex, formatCheckpoint, formatSignedNote, generateNoteSigner, signNoteText } from '@totra/chain';
import { findBinary, startNats } from '@totra/engines';
import { ChainWriter, LocalKeyProvider, Notary, connectNats, ensureStream, readStream, streamState } from '@totra/eventlog';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CHECKPOINT_EVERY = Number(process.env.BENCH_CHECKPOINT_EVERY ?? 10_000);
const WRITERS = 4;
const TAIL = Math.floor(CHECKPOINT_EVERY / 2);
const BATCH = 500;
const ORIGIN = 'bench.totra/verify';
const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'services', 'cli', 'dist', 'main.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (n, ms) => Math.round((n / ms) * 1000);
const round2 = (x) => Math.round(x * 100) / 100;

async function timed(fn) {
  const t0 = performance.now();
  const r = await fn();
  return { ms: performance.now() - t0, r };
}

/** Runs the built CLI as an auditor would (a separate process, start-up included). */
function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

function event(n) {
  return { type: 'TestEventRecorded', tenant: 'acme', data: { n, label: `request ${n} model gpt-4o-mini`, amountMicroUsd: 1234 + n } };
}

function checkReport(what, r, expectedEvents) {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.out.slice(0, 2000)}${r.err}`);
  const report = JSON.parse(r.out);
  if (!report.ok || report.events !== expectedEvents || !report.checkpoints.signaturesChecked || !report.checkpoints.rootsRecomputed || report.checkpoints.accepted < 2) {
    throw new Error(`${what}: unexpected report ${JSON.stringify({ ok: report.ok, events: report.events, checkpoints: report.checkpoints })}`);
  }
  return report;
}

/** The non-empty lines of a UTF-8 buffer, each decoded on its own. */
function splitLines(buffer) {
  const lines = [];
  let start = 0;
  for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, start)) {
    if (nl > start) lines.push(buffer.toString('utf8', start, nl));
    start = nl + 1;
  }
  if (start < buffer.length) lines.push(buffer.toString('utf8', start));
  return lines;
}

/** Checkpoint cost without I/O: append N new leaves to a tree of `base`, compute the root, format and sign the text. */
function checkpointCost(signer, base, n) {
  const leaves = Array.from({ length: base + n }, (_, i) => createHash('sha256').update(String(i)).digest());
  const tree = new MerkleTree();
  for (let i = 0; i < base; i++) tree.append(leaves[i]);
  const t0 = performance.now();
  for (let i = base; i < base + n; i++) tree.append(leaves[i]);
  const rootHex = bytesToHex(tree.root());
  const text = formatCheckpoint({ origin: ORIGIN, size: tree.size, root: rootHex, time: new Date().toISOString(), prev: null, heads: [] });
  formatSignedNote(text, [signNoteText(text, signer)]);
  const ms = performance.now() - t0;
  // An inclusion proof against this tree, averaged over 1000 random leaves.
  const p0 = performance.now();
  for (let k = 0; k < 1000; k++) tree.inclusionProof(Math.floor(Math.random() * tree.size));
  return { ms, proofUs: ((performance.now() - p0) / 1000) * 1000 };
}

// The 1-minute load average when the run starts and ends: other work on the machine slows every measure.
const loadAtStart = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), 'totra-bench-verify-'));
const nats = await startNats({ dataDir: join(dir, 'nats') });
const nc = await connectNats(nats.url, { name: 'bench-verify' });
const jsm = await jetstreamManager(nc);
const signer = generateNoteSigner(ORIGIN);
const vkeyFile = join(dir, 'notary.pub');
writeFileSync(vkeyFile, `${signer.vkey}\n`);
const results = {
  verifyStream: [],
  readFloor: [],
  verifyFile: [],
  hashFloor: [],
  verifyInProcess: [],
  notaryCheckpointMs: [],
  proveMs: [],
  checkProofMs: [],
};
let checkpoints = 0;
let exportBytes = 0;

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const stream = { name: `BENCHV${round}`, subjectPrefix: `benchv${round}` };
    await ensureStream(jsm, stream);
    const notary = await Notary.start({ nc, stream, spoolDir: join(dir, 'spool'), keys: new LocalKeyProvider(signer), origin: ORIGIN, intervalMs: 3_600_000, maxEvents: CHECKPOINT_EVERY });
    const writers = await Promise.all(Array.from({ length: WRITERS }, (_, i) => ChainWriter.open({ nc, stream, role: 'bench', host: `h${i}`, spoolDir: join(dir, 'spool'), batchMaxEvents: BATCH })));
    // The last TAIL events are written after a checkpoint, for one timed checkpoint of the real
    // notary (fewer than CHECKPOINT_EVERY, so that its size trigger does not sign them first).
    for (let i = 0; i < EVENTS - TAIL; i++) {
      writers[i % WRITERS].append(event(i));
      if (i % 5000 === 4999) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writers.map((w) => w.drain()));
    await Promise.all(writers.map((w) => w.close()));
    await notary.waitFor((await streamState(nc, stream)).lastSeq, 120_000);
    await notary.checkpoint();
    const extra = [];
    for (let i = 0; i < WRITERS; i++) extra.push(await ChainWriter.open({ nc, stream, role: 'bench', host: `t${i}`, spoolDir: join(dir, 'spool'), batchMaxEvents: BATCH }));
    for (let i = 0; i < TAIL - WRITERS; i++) extra[i % WRITERS].append(event(i));
    await Promise.all(extra.map((w) => w.drain()));
    await notary.waitFor((await streamState(nc, stream)).lastSeq, 120_000);
    const cp = await timed(() => notary.checkpoint());
    if (!cp.r) throw new Error('the timed checkpoint signed nothing');
    results.notaryCheckpointMs.push(round2(cp.ms));
    await Promise.all(extra.map((w) => w.close()));
    await notary.close();

    // Baseline 1: reading the whole stream without checking anything.
    const read = await timed(async () => {
      let n = 0;
      for await (const b of readStream(nc, stream)) n += b.lines.length;
      return n;
    });
    const total = read.r;
    results.readFloor.push(rate(total, read.ms));

    // The full audit of the live stream, as an auditor runs it: a separate process.
    const args = ['--nats', nats.url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--trust-key', vkeyFile];
    const vs = await timed(() => run(['verify', ...args, '--json']));
    const report = checkReport('verify (stream)', vs.r, total);
    checkpoints = report.checkpoints.accepted;
    results.verifyStream.push(rate(total, vs.ms));

    // The same on an NDJSON export, against baseline 2: JSON.parse + SHA-256 of every line.
    const file = join(dir, `export-${round}.ndjson`);
    execFileSync(process.execPath, [cli, 'export', ...args.slice(0, 6), '--out', file], { stdio: 'ignore' });
    exportBytes = statSync(file).size;
    const vf = await timed(() => run(['verify', '--file', file, '--trust-key', vkeyFile, '--json']));
    checkReport('verify (file)', vf.r, total);
    results.verifyFile.push(rate(total, vf.ms));
    // The export's lines in memory, each decoded on its own as `totra verify --file` reads them
    // (decoding the whole file as one string would make every line a two-byte string, since
    // checkpoint notes hold a non-Latin-1 character, and so slower to parse and hash).
    const lines = splitLines(readFileSync(file));
    const hf = await timed(() => {
      let n = 0;
      for (const l of lines) {
        JSON.parse(l);
        createHash('sha256').update(l).digest();
        n++;
      }
      return n;
    });
    results.hashFloor.push(rate(hf.r, hf.ms));

    // The verifier alone, in this process, on lines already in memory (no I/O, no start-up).
    const ip = await timed(() => {
      const v = new AuditVerifier({ trustedKeys: [signer] });
      for (const l of lines) v.push(l);
      return v.finish();
    });
    if (!ip.r.ok) throw new Error('in-process verify found problems');
    results.verifyInProcess.push(rate(total, ip.ms));

    // One request proven for a data subject: `prove` (a full replay keeping the tree), then `check-proof` offline.
    const target = JSON.parse(lines[Math.floor(lines.length / 3)]);
    const pr = await timed(() => run(['verify', 'prove', target.id, '--file', file, '--trust-key', vkeyFile]));
    if (pr.r.code !== 0) throw new Error(`prove failed: ${pr.r.out}${pr.r.err}`);
    results.proveMs.push(Math.round(pr.ms));
    const proofFile = join(dir, 'proof.json');
    writeFileSync(proofFile, pr.r.out);
    const ck = await timed(() => run(['verify', 'check-proof', proofFile, '--trust-key', vkeyFile]));
    if (ck.r.code !== 0) throw new Error(`check-proof failed: ${ck.r.out}${ck.r.err}`);
    results.checkProofMs.push(Math.round(ck.ms));

    rmSync(file);
    await jsm.streams.delete(stream.name);
    console.error(
      `round ${round}: ${total} events, ${checkpoints} checkpoints; verify stream ${results.verifyStream.at(-1)} ev/s (read floor ${results.readFloor.at(-1)}), ` +
        `file ${results.verifyFile.at(-1)} ev/s (hash floor ${results.hashFloor.at(-1)}), in-process ${results.verifyInProcess.at(-1)} ev/s; ` +
        `checkpoint of ${TAIL} ${results.notaryCheckpointMs.at(-1)} ms; prove ${results.proveMs.at(-1)} ms`,
    );
  }
} finally {
  await nc.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}

const checkpointCompute = {};
for (const n of [1_000, 10_000, 100_000]) {
  const runs = Array.from({ length: 3 }, () => checkpointCost(signer, EVENTS, n));
  checkpointCompute[n] = { buildAndSignMs: round2(median(runs.map((r) => r.ms))), inclusionProofUs: round2(median(runs.map((r) => r.proofUs))) };
}

const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const natsVersion = execFileSync(findBinary('nats-server'), ['--version'], { encoding: 'utf8' }).trim();
const report = {
  date: new Date().toISOString().slice(0, 10),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, nats: natsVersion, loadAverage1m: { start: round2(loadAtStart), end: round2(loadavg()[0]) } },
  method: { events: EVENTS, writers: WRITERS, checkpointEvery: CHECKPOINT_EVERY, checkpoints, exportBytes, rounds: ROUNDS, statistic: 'median of rounds' },
  target: { verifyEventsPerSecond: 100_000 },
  eventsPerSecond: { verifyStream: m.verifyStream, readFloor: m.readFloor, verifyFile: m.verifyFile, hashFloor: m.hashFloor, verifyInProcess: m.verifyInProcess },
  ratios: {
    verifyStreamVsReadFloor: round2(m.verifyStream / m.readFloor),
    verifyFileVsHashFloor: round2(m.verifyFile / m.hashFloor),
  },
  checkpoint: { notaryCheckpointOfNewEventsMs: m.notaryCheckpointMs, newEvents: TAIL, computeOnly: checkpointCompute },
  proof: { proveMs: m.proveMs, checkProofMs: m.checkProofMs },
  raw: results,
};
writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
