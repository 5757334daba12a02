// bench/gdpr: the cost of sealing the personal fields of one event (AES-256-GCM under a cached
// data key, fresh IV, associated data event id || subject || kid, base64url), against a
// baseline measured in the same run: JSON.stringify of the same fields. Method: README.md.
// Run: npm run bench:gdpr (builds first).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { nobleAesGcm, openSealed, sealFields } from '@totra/crypto';
import { nodeAesGcm } from '@totra/keystore';

const N = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_US = 20;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dk = { kid: `dk_${randomBytes(16).toString('hex')}`, key: new Uint8Array(randomBytes(32)) };
const subject = 'u_4821f0a9';
const ids = Array.from({ length: 1024 }, (_, i) => `0193b5a0-7c3e-7abc-8def-${String(i).padStart(12, '0')}`);
const fieldsOf = (i) => ({ email: `user${i}@example.com`, name: `Firstname${i} Lastname`, ip: '203.0.113.7' });
// IVs from a pool refilled in bulk: one randomBytes call per 4096 IVs, as a writer would.
let pool = randomBytes(12 * 4096);
let at = 0;
const iv = (n) => {
  if (at + n > pool.length) {
    pool = randomBytes(12 * 4096);
    at = 0;
  }
  const out = pool.subarray(at, at + n);
  at += n;
  return out;
};

function time(fn) {
  for (let i = 0; i < Math.min(N, 20_000); i++) fn(i);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  return ((performance.now() - t0) * 1000) / N;
}

let sink = 0;
const results = { baselineJsonUs: [], sealNodeUs: [], sealNobleUs: [], openNodeUs: [] };
for (let r = 1; r <= ROUNDS; r++) {
  results.baselineJsonUs.push(time((i) => (sink += JSON.stringify(fieldsOf(i)).length)));
  results.sealNodeUs.push(time((i) => (sink += sealFields(dk, { eventId: ids[i & 1023], subject }, fieldsOf(i), iv, nodeAesGcm).ct.length)));
  results.sealNobleUs.push(time((i) => (sink += sealFields(dk, { eventId: ids[i & 1023], subject }, fieldsOf(i), iv, nobleAesGcm).ct.length)));
  const sealed = sealFields(dk, { eventId: ids[0], subject }, fieldsOf(0), iv, nodeAesGcm);
  results.openNodeUs.push(time(() => (sink += Object.keys(openSealed(dk.key, { eventId: ids[0], subject }, sealed, nodeAesGcm)).length)));
  console.error(`round ${r}: json ${results.baselineJsonUs.at(-1).toFixed(2)} us, seal(node) ${results.sealNodeUs.at(-1).toFixed(2)} us, seal(noble) ${results.sealNobleUs.at(-1).toFixed(2)} us`);
}
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(median(v).toFixed(3))]));
const out = {
  bench: 'gdpr',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  events: N,
  rounds: ROUNDS,
  medianUs: m,
  ratios: { sealNodeVsJson: Number((m.sealNodeUs / m.baselineJsonUs).toFixed(1)), sealNobleVsJson: Number((m.sealNobleUs / m.baselineJsonUs).toFixed(1)) },
  targetUs: TARGET_US,
  meetsTarget: { node: m.sealNodeUs < TARGET_US, noble: m.sealNobleUs < TARGET_US },
  perRound: results,
  checksum: sink % 1000,
};
writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out.medianUs), JSON.stringify(out.meetsTarget));
