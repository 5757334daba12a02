// bench/quota-scripts: Redis work per tracked request of the quota gate's admission and
// settlement scripts, for requests of one tenant arriving together (one script call for the
// group, ADR 0010) against the same requests arriving one per event-loop turn (one script call
// each, as before ADR 0010), measured in the same run on a private redis-server.
// Method: bench/quota-scripts/README.md. Run: npm run bench:quota-scripts (builds first).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from '@totra/engines';
import { hotBudgetOf, hotQuotaLayout } from '@totra/quota';
import { QuotaGate } from '@totra/quota-redis';

const BURSTS = (process.env.BENCH_BURSTS ?? '8,32,128').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Requests per burst size, mode and round. */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1024);
const TENANT = 'acme';
const KEY = `key_${'b'.repeat(32)}`;
const log = (s) => process.stderr.write(`${s}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round2 = (n) => Math.round(n * 100) / 100;
const nextTurn = () => new Promise((r) => setImmediate(r));

const dir = mkdtempSync(join(tmpdir(), 'totra-bench-qscripts-'));
const server = await startRedis({ dataDir: join(dir, 'redis') });
const redis = new Redis(server.url);
const prefix = 'bench:';
const layout = hotQuotaLayout(prefix);

/** Redis's own time in scripts (INFO commandstats) and its CPU time (INFO cpu), in microseconds. */
async function redisTimes() {
  const stats = await redis.info('commandstats');
  let scriptUs = 0;
  for (const m of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+),usec=(\d+)/gm)) scriptUs += Number(m[2]);
  const cpu = await redis.info('cpu');
  const sec = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { scriptUs, cpuUs: (sec('used_cpu_user') + sec('used_cpu_sys')) * 1e6 };
}

/** The budgets of bench/gateway's budgeted target: one team budget and one tenant budget, monthly. */
async function seedBudgets() {
  await redis.flushall();
  for (const d of [
    { budgetId: 'team-bench', scope: { kind: 'team', id: 't_1' }, limit: { microUsd: 1e15 } },
    { budgetId: 'tenant-bench', scope: { kind: 'tenant' }, limit: { microUsd: 1e15, tokens: 1e15 } },
  ]) {
    const b = hotBudgetOf(TENANT, { period: 'monthly', timeZone: 'UTC', thresholds: [80, 100], ...d }, layout);
    await redis.hset(layout.budgets(TENANT), d.budgetId, JSON.stringify(b));
    await redis.hset(b.ix, d.budgetId, JSON.stringify(b));
  }
}

let seq = 0;
/**
 * Admits and settles REQUESTS requests in bursts of `burst`: `together` sends a burst's calls in
 * one event-loop turn (grouped into one script call), otherwise one per turn (one call each).
 */
async function run(gate, burst, together) {
  const t0 = await redisTimes();
  for (let done = 0; done < REQUESTS; done += burst) {
    const admissions = [];
    for (let i = 0; i < burst; i++) {
      admissions.push(gate.admit({ requestId: `r${++seq}`, tenant: TENANT, keyId: KEY, userId: `u_${i % 16}`, teamId: 't_1', model: 'gpt-4o', estimate: { microUsd: 12_000, tokens: 1_500 }, now: Date.now() }));
      if (!together) await nextTurn();
    }
    const admitted = await Promise.all(admissions);
    const settlements = [];
    for (const a of admitted) {
      if (!a.ok || a.reservation.state !== 'reserved') throw new Error(`not reserved: ${JSON.stringify(a)}`);
      settlements.push(gate.settle(a.reservation, { microUsd: 3_000, tokens: 400 }));
      if (!together) await nextTurn();
    }
    for (const s of await Promise.all(settlements)) if (s !== 'settled') throw new Error(`not settled: ${s}`);
  }
  const t1 = await redisTimes();
  return { scriptUsPerRequest: (t1.scriptUs - t0.scriptUs) / REQUESTS, cpuUsPerRequest: (t1.cpuUs - t0.cpuUs) / REQUESTS };
}

const started = Date.now();
const scenarios = [];
try {
  const gate = new QuotaGate({ redis, keyPrefix: prefix, settleDelayMs: 0 });
  await seedBudgets();
  await run(gate, 8, true); // warm-up: scripts loaded, JIT warm
  await run(gate, 8, false);
  for (const burst of BURSTS) {
    const rows = { together: [], apart: [] };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which mode goes first: drift of the machine hits both alike.
      const order = r % 2 ? ['apart', 'together'] : ['together', 'apart'];
      for (const mode of order) {
        await seedBudgets();
        rows[mode].push(await run(gate, burst, mode === 'together'));
      }
    }
    const m = (mode, f) => round2(median(rows[mode].map((x) => x[f])));
    const s = {
      burst,
      apart: { scriptUs: m('apart', 'scriptUsPerRequest'), redisCpuUs: m('apart', 'cpuUsPerRequest') },
      together: { scriptUs: m('together', 'scriptUsPerRequest'), redisCpuUs: m('together', 'cpuUsPerRequest') },
      rounds: rows,
    };
    s.ratio = { scriptUs: round2(s.together.scriptUs / s.apart.scriptUs), redisCpuUs: round2(s.together.redisCpuUs / s.apart.redisCpuUs) };
    scenarios.push(s);
    log(`burst ${burst}: script time per request ${s.apart.scriptUs} -> ${s.together.scriptUs} us (x${s.ratio.scriptUs}), Redis CPU ${s.apart.redisCpuUs} -> ${s.together.redisCpuUs} us (x${s.ratio.redisCpuUs})`);
  }
} finally {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

const result = {
  bench: 'quota-scripts',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  method: { requests: REQUESTS, rounds: ROUNDS, bursts: BURSTS, budgets: 'one team + one tenant budget, monthly', seconds: Math.round((Date.now() - started) / 1000) },
  scenarios,
};
const out = join(import.meta.dirname, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
const table = [
  '| requests arriving together | script time per request, one call each (us) | one call per burst (us) | ratio | Redis CPU per request, one call each (us) | one call per burst (us) | ratio |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...scenarios.map((s) => `| ${s.burst} | ${s.apart.scriptUs} | ${s.together.scriptUs} | ${s.ratio.scriptUs} | ${s.apart.redisCpuUs} | ${s.together.redisCpuUs} | ${s.ratio.redisCpuUs} |`),
];
writeFileSync(
  join(out, 'RESULTS.md'),
  `# bench/quota-scripts results\n\n${result.at}, ${result.machine.cpus} CPUs (${result.machine.cpuModel}), Node ${result.machine.node}; ${REQUESTS} requests (admission + settlement) per burst size, mode and round, median of ${ROUNDS} rounds. Method: [README](../README.md).\n\n${table.join('\n')}\n`,
);
console.log(table.join('\n'));
