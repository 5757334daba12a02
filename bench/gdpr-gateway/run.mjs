// bench/gdpr-gateway: what the gateway's GDPR duties cost on the request path. The same gateway
// app (demo model, no network) answers the same requests in three set-ups, measured in the same
// run: no key store (baseline); key store in Postgres with its in-process key cache, sealing the
// client address and user agent (sealOnly), and also logging content (keyCache: the team has it
// on); the same with the cache off (noCache: every key read from Postgres). Method: README.md.
// Run: scripts/totra.sh bench gdpr-gateway (builds first). Uses TOTRA_PG_URL when set, else
// starts Postgres in a temp folder.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { LocalKms } from '@totra/crypto';
import { createDb, ensureDatabase } from '@totra/db';
import { startPostgres } from '@totra/engines';
import { RequestPrivacy, StaticDirectory, TeamSettingsView, buildGateway } from '@totra/gateway';
import { KeyStore } from '@totra/keystore';

const N = Number(process.env.BENCH_REQUESTS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const USERS = Number(process.env.BENCH_USERS ?? 200);
const CONCURRENCY = 16;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'bench-gdpr-gw-'));
let pg;
let serverUrl = process.env.TOTRA_PG_URL;
if (!serverUrl) {
  pg = await startPostgres({ dataDir: join(dir, 'pg') });
  serverUrl = pg.url;
}
const dbName = `totra_bench_gdpr_${process.pid}`;
const db = createDb(await ensureDatabase(serverUrl, dbName), { maxConnections: 8 });

const users = Array.from({ length: USERS }, (_, i) => ({ keyId: `key_${String(i).padStart(32, '0')}`, userId: `u_${i}`, teamId: 't_bench', tenant: 'bench' }));
const teams = new TeamSettingsView();
teams.apply({ type: 'TeamSettingsChanged', data: { teamId: 't_bench', contentLogging: true } });
const noLogging = new TeamSettingsView();
const kms = new LocalKms({ k1: new Uint8Array(randomBytes(32)) }, 'k1');
const directory = new StaticDirectory([{ deploymentId: 'demo-1', alias: 'demo', weight: 1, priority: 0, contextWindow: 0, provider: 'demo', model: 'demo', kind: 'chat' }]);

function gateway(privacy) {
  let events = 0;
  const auth = async (scoped) => {
    scoped.addHook('onRequest', async (request) => {
      request.identity = users[Number(request.headers['x-user'])];
    });
  };
  const app = buildGateway({ readiness: [], directory, events: { append: () => events++ }, trustedProxies: ['127.0.0.0/8'], auth, ...(privacy ? { privacy } : {}) });
  return { app, events: () => events };
}

// In process, without HTTP: what sealing the address and user agent, and building the content
// event, cost with the keys cached (the CPU the request path adds).
const cachedStore = await KeyStore.open({ db, kms, cacheTtlMs: 3_600_000 });
const privacyCached = new RequestPrivacy({ store: cachedStore, teams });
async function inProcess(n = 20_000) {
  const who = users[0];
  const event = { type: 'RequestCompleted', id: '0193b5a0-7c3e-7abc-8def-0123456789ab', tenant: who.tenant, subject: who.userId, data: {} };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await privacyCached.seal(event, { clientIp: '203.0.113.7', userAgent: 'bench/1.0' });
  const sealUs = ((performance.now() - t0) * 1000) / n;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) privacyCached.contentLogged(await privacyCached.contentKey(who, new Date()), 'req', who, body, '{"id":"chatcmpl-1","choices":[{"message":{"content":"About 384,400 km."}}]}');
  return { sealUs, contentUs: ((performance.now() - t1) * 1000) / n };
}

const setups = {
  baseline: gateway(undefined),
  sealOnly: gateway(new RequestPrivacy({ store: await KeyStore.open({ db, kms, cacheTtlMs: 3_600_000 }), teams: noLogging })),
  keyCache: gateway(new RequestPrivacy({ store: await KeyStore.open({ db, kms, cacheTtlMs: 3_600_000 }), teams })),
  noCache: gateway(new RequestPrivacy({ store: await KeyStore.open({ db, kms, cacheTtlMs: 0 }), teams })),
};

const body = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'How far is the moon from the earth, roughly, in kilometres?' }] });
/** Wall-clock and CPU (this process: user + system) microseconds per request. */
async function run(app, n) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const res = await app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: body,
          headers: { 'content-type': 'application/json', 'x-user': String(i % USERS), 'x-forwarded-for': '203.0.113.7', 'user-agent': 'bench/1.0' },
        });
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${res.body}`);
      }
    }),
  );
  const wall = ((performance.now() - t0) * 1000) / n;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / n };
}

const results = Object.fromEntries(Object.keys(setups).map((k) => [k, []]));
const cpuResults = Object.fromEntries(Object.keys(setups).map((k) => [k, []]));
const inProc = { sealUs: [], contentUs: [] };
try {
  // Warm-up: JIT, and the keys of every user made (the first request of a user makes its keys).
  for (const s of Object.values(setups)) await run(s.app, Math.max(USERS * 2, 1000));
  const names = Object.keys(setups);
  for (let r = 1; r <= ROUNDS; r++) {
    // Rotate the order every round: load from elsewhere does not always hit the same set-up.
    for (let j = 0; j < names.length; j++) {
      const name = names[(j + r) % names.length];
      const t = await run(setups[name].app, N);
      results[name].push(t.wall);
      cpuResults[name].push(t.cpu);
    }
    const ip = await inProcess();
    inProc.sealUs.push(ip.sealUs);
    inProc.contentUs.push(ip.contentUs);
    console.error(`round ${r}: ${Object.entries(results).map(([k, v]) => `${k} ${v.at(-1).toFixed(1)} us`).join(', ')}`);
  }
} finally {
  for (const s of Object.values(setups)) await s.app.close();
  await db.destroy();
}
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(median(v).toFixed(1))]));
const cpu = Object.fromEntries(Object.entries(cpuResults).map(([k, v]) => [k, Number(median(v).toFixed(1))]));
const best = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(Math.min(...v).toFixed(1))]));
const ratio = (x) => Object.fromEntries(['sealOnly', 'keyCache', 'noCache'].map((k) => [`${k}VsBaseline`, Number((x[k] / x.baseline).toFixed(2))]));
const out = {
  bench: 'gdpr-gateway',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAvg1m: Number(loadavg()[0].toFixed(2)) },
  requests: N,
  rounds: ROUNDS,
  users: USERS,
  concurrency: CONCURRENCY,
  medianUsPerRequest: m,
  bestUsPerRequest: best,
  /** CPU of the gateway process per request (user + system), median: less sensitive to other load than wall time. */
  medianCpuUsPerRequest: cpu,
  inProcessUs: { sealAddressAndAgent: Number(median(inProc.sealUs).toFixed(1)), contentEvent: Number(median(inProc.contentUs).toFixed(1)) },
  ratios: { median: ratio(m), best: ratio(best), cpu: ratio(cpu) },
  events: Object.fromEntries(Object.entries(setups).map(([k, s]) => [k, s.events()])),
  perRound: results,
  perRoundCpu: cpuResults,
};
writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out.medianUsPerRequest), JSON.stringify(out.ratios), JSON.stringify(out.inProcessUs));
if (pg) await pg.stop();
if (!process.env.TOTRA_PG_URL) rmSync(dir, { recursive: true, force: true });
else {
  const admin = createDb(serverUrl, { maxConnections: 1 });
  const { sql } = await import('kysely');
  await sql`DROP DATABASE IF EXISTS ${sql.id(dbName)}`.execute(admin).catch(() => undefined);
  await admin.destroy();
  rmSync(dir, { recursive: true, force: true });
}
