// bench/gateway: the latency the ToTra gateway adds to a chat request, and its throughput,
// against a direct call, a raw Node pass-through (the floor) and the Portkey AI gateway, all
// measured in one run on this machine. Method: bench/gateway/README.md.
// Run: npm run bench:gateway (installs, builds, then runs this file). Writes results/latest.json
// and results/RESULTS.md.
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { findBinary, findFreePort, startNats, startRedis } from '@totra/engines';
import { connectNats, durableConsumerLag, readStream } from '@totra/eventlog';
import { hotQuotaLayout } from '@totra/quota';
import { Redis } from 'ioredis';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const int = (name, fallback) => Number(process.env[name] ?? fallback);

// ---- parameters --------------------------------------------------------------------------
const LATENCY_MS = int('BENCH_UPSTREAM_LATENCY_MS', 100);
const ROUNDS = int('BENCH_ROUNDS', 3);
/** Diagnostics only: a subset of the levels (BENCH_LEVELS=10) or targets (BENCH_TARGETS=direct,totra); the verdicts need all of them. */
const LEVELS = (process.env.BENCH_LEVELS ?? '10,50,200').split(',').map(Number);
const DIAGNOSTIC = process.env.BENCH_LEVELS !== undefined || process.env.BENCH_TARGETS !== undefined || process.env.BENCH_TP_ROUNDS === '0';
/** Per level and round: requests recorded after a warm-up (about 0.4-0.5 s of traffic). */
const MEASURED = Object.fromEntries(LEVELS.map((c) => [c, int(`BENCH_REQUESTS_${c}`, { 10: 400, 50: 1000, 200: 3000 }[c] ?? 40 * c)]));
const WARMUP = Object.fromEntries(LEVELS.map((c) => [c, { 10: 50, 50: 200, 200: 600 }[c] ?? 5 * c]));
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'json,stream').split(',');
const TP_ROUNDS = int('BENCH_TP_ROUNDS', 2);
// No rounds, no throughput section (a latency-only diagnostic run, e.g. for a profile of one level).
const TP_CONCURRENCY = TP_ROUNDS === 0 ? [] : (process.env.BENCH_TP_CONCURRENCY ?? '64,128').split(',').map(Number);
const TP_WARMUP_MS = 1000;
/** Per target and variant, before round 1. */
const WARM_MS = int('BENCH_WARM_MS', 2000);
const TP_DURATION_MS = int('BENCH_TP_DURATION_MS', 5000);
/** Longest wait before a measured phase for the projector to catch up with earlier phases. */
const BACKLOG_WAIT_MS = int('BENCH_BACKLOG_WAIT_MS', 60_000);
/** Hard stop for the whole run: it never hangs a terminal or a CI job. */
const DEADLINE_MS = int('BENCH_DEADLINE_MS', 15 * 60_000);
/** Before starting: wait (2 s samples, at most this many) until other processes use at most QUIET_CORES. */
const QUIET_TRIES = int('BENCH_QUIET_TRIES', 15);
const QUIET_CORES = 0.5;
/** When set, the gateway runs with --cpu-prof and writes its profile into this folder. */
const CPU_PROF_DIR = process.env.BENCH_GATEWAY_CPU_PROF;
/** Sampling interval of that profile in microseconds (V8's default is 1000). */
const CPU_PROF_INTERVAL_US = process.env.BENCH_GATEWAY_CPU_PROF_INTERVAL;

/** Diagnostics: more Node flags for the measured gateway, space-separated (e.g. `--perf-prof` for `perf`). */
const GATEWAY_NODE_FLAGS = (process.env.BENCH_GATEWAY_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** Worker processes of the measured gateway (TOTRA_GATEWAY_WORKERS): one per core by default. */
const GATEWAY_WORKERS = process.env.BENCH_GATEWAY_WORKERS ?? 'auto';
const WORKER_COUNT = GATEWAY_WORKERS === 'auto' ? availableParallelism() : Number(GATEWAY_WORKERS);
const TARGETS = ['direct', 'raw', 'totra', 'budgeted', 'single', 'portkey'];
/**
 * The ToTra targets and the gateway process each goes to: `gateway` (TOTRA_GATEWAY_WORKERS
 * workers) with two keys (a team without and a team with a budget), and `gateway1`, the same
 * gateway as one process, for reference.
 */
const GATEWAY_OF = { totra: 'gateway', budgeted: 'gateway', single: 'gateway1' };
const TOTRA_TARGETS = Object.keys(GATEWAY_OF);
/** The targets the verdicts are given for. */
const VERDICT_TARGETS = ['totra', 'budgeted'];
const TARGET_NAMES = {
  direct: 'direct to the mock',
  raw: 'raw node:http + undici pass-through',
  totra: `ToTra gateway (${WORKER_COUNT} workers)`,
  budgeted: `ToTra gateway (${WORKER_COUNT} workers), team with a budget`,
  single: 'ToTra gateway, one process (reference)',
  portkey: 'Portkey AI gateway',
};
/** Overhead targets (p95, ms) from the issue, per concurrency level. */
const P95_TARGET_MS = { 10: 2, 50: 3, 200: 6 };
const RAW_FACTOR = 3;
const THROUGHPUT_TARGET = 5000;

const UPSTREAM_KEY = 'sk-bench-upstream';
const EXPECT = { json: 'Hello from the mock provider.', stream: 'data: [DONE]' };
const MESSAGES = [
  { role: 'system', content: 'You are a terse assistant.' },
  { role: 'user', content: 'Say hello to the benchmark in five words.' },
];
const BODIES = {
  json: JSON.stringify({ model: 'gpt-4o', messages: MESSAGES, max_tokens: 32 }),
  stream: JSON.stringify({ model: 'gpt-4o', messages: MESSAGES, max_tokens: 32, stream: true, stream_options: { include_usage: true } }),
};

const deadline = setTimeout(() => {
  console.error(`bench/gateway: still running after ${DEADLINE_MS} ms, giving up`);
  process.exit(3);
}, DEADLINE_MS);
deadline.unref();

const log = (m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- child processes ---------------------------------------------------------------------
const children = [];

/** Forks a Node module with an IPC channel; resolves once it sends `{ type: 'ready' }`. */
async function forkChild(name, modulePath, { env, execArgv = [], logFile, timeoutMs = 60_000 }) {
  const out = openSync(logFile, 'a');
  const child = fork(modulePath, [], { env, execArgv, stdio: ['ignore', out, out, 'ipc'], cwd: root });
  const pending = new Map();
  let seq = 0;
  child.on('message', (m) => {
    if (m?.id !== undefined && pending.has(m.id)) {
      pending.get(m.id).resolve(m);
      pending.delete(m.id);
    }
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${name} exited (${code}); log: ${tail(logFile)}`));
    pending.clear();
  });
  const handle = {
    name,
    child,
    pid: child.pid,
    logFile,
    ask(msg) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...msg, id });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  children.push(handle);
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${timeoutMs} ms; log: ${tail(logFile)}`)), timeoutMs);
    child.on('message', (m) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready; log: ${tail(logFile)}`));
    });
  });
  return { ...handle, ready };
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').slice(-1500);
  } catch {
    return '(no log)';
  }
}

/** Polls a POST until it answers 200 (bounded). */
async function waitForOk(url, headers, body, what, attempts = 150) {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const text = await res.text();
      if (res.status === 200 && text.includes(body.includes('"stream":true') ? EXPECT.stream : EXPECT.json)) return;
      last = `HTTP ${res.status}: ${text.slice(0, 300)}`;
    } catch (err) {
      last = String(err?.cause?.code ?? err?.message ?? err);
    }
    await sleep(200);
  }
  throw new Error(`${what} never answered 200 (${last})`);
}

/** utime + stime of a process in milliseconds (Linux /proc), or undefined. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ = 100
  } catch {
    return undefined;
  }
}

/** CPU of a target's process in ms; for a gateway, with its worker processes (its children). */
function cpuOfTarget(name, pid) {
  if (name !== 'gateway' && name !== 'gateway1') return cpuMs(pid);
  let total = cpuMs(pid);
  if (total === undefined) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) total += cpuMs(Number(entry)) ?? 0;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Busy and total jiffies of the whole machine (Linux /proc/stat), or undefined. */
function machineJiffies() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** `INFO commandstats` of a Redis server, as { command: calls } (empty on any problem). */
function redisCommandStats(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (text) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const out = {};
      for (const m of text.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) out[m[1]] = Number(m[2]);
      resolve(out);
    };
    socket.setTimeout(5000, () => finish(''));
    socket.on('error', () => finish(''));
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const eol = buf.indexOf('\r\n');
      if (eol === -1) return;
      const length = Number(buf.subarray(1, eol).toString()); // bulk string: $<length>\r\n<payload>\r\n
      if (buf.length >= eol + 2 + length) finish(buf.subarray(eol + 2, eol + 2 + length).toString('utf8'));
    });
    socket.write('INFO commandstats\r\n');
  });
}

// ---- statistics --------------------------------------------------------------------------
const sortNum = (xs) => Float64Array.from(xs).sort();
/** Nearest-rank percentile of a sorted array. */
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const r2 = (x) => (x === undefined || Number.isNaN(x) ? undefined : Math.round(x * 100) / 100);
const r3 = (x) => (x === undefined || Number.isNaN(x) ? undefined : Math.round(x * 1000) / 1000);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function summary(latencies) {
  const s = sortNum(latencies);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, p50: r3(pct(s, 50)), p95: r3(pct(s, 95)), p99: r3(pct(s, 99)), mean: r3(mean), max: r3(s[s.length - 1]) };
}

/** CPU per request of the gateway against the raw pass-through and Portkey, per throughput concurrency: steadier than latency on a shared machine. */
function cpuRatios(throughput) {
  const out = {};
  if (!throughput.raw) return out;
  for (const c of Object.keys(throughput.totra ?? {})) {
    const g = throughput.totra[c].targetCpuUsPerRequest;
    out[c] = { totraVsRaw: r2(g / throughput.raw[c].targetCpuUsPerRequest), ...(throughput.portkey ? { totraVsPortkey: r2(g / throughput.portkey[c].targetCpuUsPerRequest) } : {}) };
  }
  return out;
}

// `node run.mjs --render`: rewrite RESULTS.md from results/latest.json (no measuring).
if (process.argv.includes('--render')) {
  const saved = JSON.parse(readFileSync(join(here, 'results', 'latest.json'), 'utf8'));
  writeFileSync(join(here, 'results', 'RESULTS.md'), markdown(saved, Object.keys(saved.bestThroughput)));
  process.exit(0);
}

// ---- main --------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'totra-bench-gateway-'));
const logs = join(dir, 'logs');
mkdirSync(logs);
const started = Date.now();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${process.platform} ${release()}`,
  node: process.version,
  loadAverageAtStart: loadavg().map((x) => r2(x)),
};
const versions = {};
const pkgVersion = (p) => {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
};
versions.undici = pkgVersion('undici');
versions.portkeyGateway = pkgVersion('@portkey-ai/gateway');
versions.honoNodeServer = pkgVersion('@hono/node-server');
versions.fastify = pkgVersion('fastify');
versions.nats = execFileSync(findBinary('nats-server'), ['--version'], { encoding: 'utf8' }).trim();
versions.redis = execFileSync(findBinary('redis-server'), ['--version'], { encoding: 'utf8' }).trim().split(' ').slice(0, 3).join(' ');

let nats;
let redis;
const notes = [];
const report = { date: new Date().toISOString().slice(0, 10), machine, versions };

/** Files under a folder, relative to it (bounded depth). */
function listFiles(folder, depth = 4) {
  const out = [];
  const walk = (d, n) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && n > 0) walk(join(d, e.name), n - 1);
      else if (e.isFile()) out.push(relative(folder, join(d, e.name)));
    }
  };
  if (existsSync(folder)) walk(folder, depth);
  return out;
}

const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};
report.build = {
  commit: git('rev-parse', '--short', 'HEAD'),
  uncommittedFiles: git('status', '--porcelain', '--', 'services', 'libs', 'projections')?.split('\n').filter(Boolean).length,
};

// The machine is shared: wait (bounded) for other load to settle, and record what it was.
{
  let other;
  for (let i = 0; i < QUIET_TRIES; i++) {
    const a = machineJiffies();
    await sleep(2000);
    const b = machineJiffies();
    if (!a || !b) break;
    other = r2((b.busy - a.busy) / (b.total - a.total) * cpus().length);
    if (other <= QUIET_CORES) break;
    if (i === 0) log(`the machine is busy (${other} cores in use by others): waiting up to ${QUIET_TRIES * 2} s for it to settle`);
  }
  machine.otherLoadCoresAtStart = other;
}

try {
  log(`private NATS and Redis in ${dir}`);
  nats = await startNats({ dataDir: join(dir, 'nats') });
  redis = await startRedis({ dataDir: join(dir, 'redis') });
  const baseEnv = { PATH: process.env.PATH ?? '', HOME: dir, NODE_ENV: 'production' };
  const stream = { name: 'TOTRA_BENCH', subjectPrefix: 'bench' };
  const totraEnv = {
    ...baseEnv,
    TOTRA_NATS_URL: nats.url,
    TOTRA_REDIS_URL: redis.url,
    TOTRA_REDIS_PREFIX: 'bench:',
    TOTRA_STREAM: stream.name,
    TOTRA_SUBJECT_PREFIX: stream.subjectPrefix,
  };

  const upstream = await forkChild('upstream', join(here, 'upstream.mjs'), {
    env: { ...baseEnv, BENCH_UPSTREAM_KEY: UPSTREAM_KEY, BENCH_UPSTREAM_LATENCY_MS: String(LATENCY_MS) },
    logFile: join(logs, 'upstream.log'),
  });
  const mock = upstream.ready;
  log(`mock upstream ${mock.baseUrl} (${LATENCY_MS} ms, fast mode)`);

  const raw = await forkChild('raw', join(here, 'raw-proxy.mjs'), { env: { ...baseEnv, BENCH_UPSTREAM_URL: mock.url }, logFile: join(logs, 'raw.log') });
  log(`raw pass-through ${raw.ready.url}`);

  const projector = await forkChild('projector', join(root, 'services', 'projector', 'dist', 'main.js'), { env: totraEnv, logFile: join(logs, 'projector.log') });
  const gatewayEnv = (spool, workers) => ({
    ...totraEnv,
    TOTRA_GATEWAY_HOST: '127.0.0.1',
    TOTRA_GATEWAY_PORT: '0',
    TOTRA_GATEWAY_WORKERS: workers,
    TOTRA_SPOOL_DIR: join(dir, spool),
    TOTRA_CATALOG_FILE: join(dir, 'no-catalog-file.yaml'),
    OPENAI_API_KEY: UPSTREAM_KEY,
    OPENAI_BASE_URL: mock.baseUrl,
    OPENAI_MODELS: 'gpt-4o',
  });
  const gateway = await forkChild('gateway', join(root, 'services', 'gateway', 'dist', 'main.js'), {
    env: gatewayEnv('spool', GATEWAY_WORKERS),
    execArgv: [
      ...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR, ...(CPU_PROF_INTERVAL_US ? ['--cpu-prof-interval', CPU_PROF_INTERVAL_US] : [])] : []),
      ...GATEWAY_NODE_FLAGS,
    ],
    logFile: join(logs, 'gateway.log'),
  });
  log(`ToTra gateway ${gateway.ready.url} (TOTRA_GATEWAY_WORKERS=${GATEWAY_WORKERS})`);
  const gateway1 = await forkChild('gateway1', join(root, 'services', 'gateway', 'dist', 'main.js'), { env: gatewayEnv('spool-single', '1'), logFile: join(logs, 'gateway1.log') });
  log(`ToTra gateway, one process ${gateway1.ready.url}`);
  const issued = JSON.parse(
    execFileSync(
      process.execPath,
      [join(root, 'services', 'cli', 'dist', 'main.js'), 'keys', 'issue', '--user', 'u-bench', '--team', 't-bench', '--tenant', 'acme', '--name', 'bench', '--json',
        '--nats', nats.url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', join(dir, 'cli')],
      { encoding: 'utf8', env: totraEnv },
    ),
  );
  const totraKey = issued.key;
  // A second key, of a team with a monthly budget (large enough never to refuse): its requests
  // take the tracked quota path (reservation held in Redis, settled after the answer).
  const cliState = ['--nats', nats.url, '--stream', stream.name, '--subject-prefix', stream.subjectPrefix, '--state-dir', join(dir, 'cli')];
  const budgetedKey = JSON.parse(
    execFileSync(process.execPath, [join(root, 'services', 'cli', 'dist', 'main.js'), 'keys', 'issue', '--user', 'u-bench-2', '--team', 't-bench-budget', '--tenant', 'acme', '--name', 'bench-budget', '--json', ...cliState], { encoding: 'utf8', env: totraEnv }),
  ).key;
  execFileSync(process.execPath, [join(root, 'services', 'cli', 'dist', 'main.js'), 'budgets', 'set', '--team', 't-bench-budget', '--tenant', 'acme', '--usd', '1000000', '--period', 'monthly', ...cliState], { encoding: 'utf8', env: totraEnv });

  // Portkey: its Node entry, headless, bound to loopback by a preload (see loopback-only.mjs).
  const portkeyEntry = join(root, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  let portkey;
  let portkeyProblem;
  if (!existsSync(portkeyEntry)) portkeyProblem = '@portkey-ai/gateway is not installed (npm ci)';
  else {
    const port = await findFreePort('127.0.0.1');
    const out = openSync(join(logs, 'portkey.log'), 'a');
    const child = spawn(process.execPath, ['--import', join(here, 'loopback-only.mjs'), portkeyEntry, `--port=${port}`, '--headless'], {
      env: { ...baseEnv },
      stdio: ['ignore', out, out],
      cwd: dir,
    });
    portkey = {
      name: 'portkey',
      child,
      pid: child.pid,
      ready: { url: `http://127.0.0.1:${port}` },
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        if (!(await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]))) child.kill('SIGKILL');
      },
    };
    children.push(portkey);
  }

  const headers = {
    direct: { authorization: `Bearer ${UPSTREAM_KEY}`, 'content-type': 'application/json' },
    raw: { authorization: `Bearer ${UPSTREAM_KEY}`, 'content-type': 'application/json' },
    totra: { authorization: `Bearer ${totraKey}`, 'content-type': 'application/json' },
    budgeted: { authorization: `Bearer ${budgetedKey}`, 'content-type': 'application/json' },
    single: { authorization: `Bearer ${totraKey}`, 'content-type': 'application/json' },
    portkey: { authorization: `Bearer ${UPSTREAM_KEY}`, 'content-type': 'application/json', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': mock.baseUrl },
  };
  const urls = { direct: mock.url, raw: raw.ready.url, totra: gateway.ready.url, budgeted: gateway.ready.url, single: gateway1.ready.url, portkey: portkey?.ready.url };
  const path = '/v1/chat/completions';

  // Every target must answer the same request before anything is measured. The gateway needs
  // the projector to have put the new key into Redis; Portkey needs its start-up.
  await waitForOk(urls.direct + path, headers.direct, BODIES.json, 'the mock');
  await waitForOk(urls.raw + path, headers.raw, BODIES.json, 'the raw pass-through');
  await waitForOk(urls.totra + path, headers.totra, BODIES.json, 'the ToTra gateway');
  await waitForOk(urls.single + path, headers.single, BODIES.json, 'the ToTra gateway (one process)');
  await waitForOk(urls.budgeted + path, headers.budgeted, BODIES.json, 'the ToTra gateway (key of the team with a budget)');
  // The budget must be in the hot store before anything is measured: a budgeted request is held.
  let budgetCheck;
  {
    const probe = new Redis(redis.url);
    try {
      const key = hotQuotaLayout('bench:').budgets('acme');
      for (let i = 0; i < 100 && !budgetCheck; i++) {
        if ((await probe.hlen(key)) > 0) budgetCheck = 'in the hot store before the first measured request';
        else await sleep(100);
      }
    } finally {
      probe.disconnect();
    }
    if (!budgetCheck) throw new Error('the team budget never reached the hot store (quota-hot projection)');
  }
  // What the gateway does on each request in this build (the bench does not configure any of it).
  const gatewayFiles = listFiles(join(root, 'services', 'gateway', 'dist')).filter((f) => f.endsWith('.js'));
  const noKey = await fetch(urls.totra + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODIES.json });
  await noKey.text();
  const metricsText = await (await fetch(`${urls.totra}/metrics`)).text();
  // A prompt with an e-mail address: with a PII stage and its default policy it is pseudonymized
  // and leaves a PiiRedacted event (checked at the end).
  const piiProbe = await fetch(urls.totra + path, {
    method: 'POST',
    headers: headers.totra,
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Write to jane.doe@example.com about the invoice.' }] }),
  });
  await piiProbe.text();
  const features = {
    workers: `${WORKER_COUNT} worker processes sharing the port (TOTRA_GATEWAY_WORKERS=${GATEWAY_WORKERS}), each with its own chain; the "one process" target is the same build with the default of 1`,
    auth: noKey.status === 401 ? 'on: a request without a key gets 401; keys resolved through Redis (quota-hot projection)' : `unexpected: no key gave HTTP ${noKey.status}`,
    events: 'checked at the end: one terminal event per request in JetStream',
    metrics: metricsText.includes('totra_requests_total') ? 'on: /metrics serves totra_requests_total' : 'not found on /metrics',
    piiStageInBuild: gatewayFiles.some((f) => /(^|\/)pii/.test(f)),
    piiProbeStatus: piiProbe.status,
    quotaStageInBuild: gatewayFiles.some((f) => /quota|budget|spend/i.test(f)),
  };
  let targets = process.env.BENCH_TARGETS ? TARGETS.filter((t) => process.env.BENCH_TARGETS.split(',').includes(t)) : TARGETS;
  if (portkey && targets.includes('portkey')) {
    try {
      await waitForOk(urls.portkey + path, headers.portkey, BODIES.json, 'Portkey', 100);
      await waitForOk(urls.portkey + path, headers.portkey, BODIES.stream, 'Portkey (stream)', 5);
    } catch (err) {
      portkeyProblem = `${err.message}; log: ${tail(join(logs, 'portkey.log'))}`;
    }
  }
  if (portkeyProblem) {
    targets = targets.filter((t) => t !== 'portkey');
    notes.push(`Portkey could not be measured: ${portkeyProblem}`);
    log(`Portkey left out: ${portkeyProblem}`);
  }
  const portkeyLog = tail(join(logs, 'portkey.log'));
  if (/Failed to find Response internal state key/.test(portkeyLog)) {
    notes.push('Portkey: @hono/node-server 1.14.1 warns "Failed to find Response internal state key" on this Node version, so it reads every response body through its stream instead of its fast path; measured as is.');
  }

  const loadgen = await forkChild('loadgen', join(here, 'loadgen.mjs'), { env: baseEnv, logFile: join(logs, 'loadgen.log') });
  const pids = { bench: process.pid, upstream: upstream.pid, raw: raw.pid, gateway: gateway.pid, gateway1: gateway1.pid, projector: projector.pid, nats: nats.pid, redis: redis.pid, portkey: portkey?.pid, loadgen: loadgen.pid };
  const sentTo = { direct: 0, raw: 0, totra: 0, budgeted: 0, single: 0, portkey: 0 };

  async function measure(target, job) {
    const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? cpuOfTarget(k, pid) : undefined]));
    const m0 = machineJiffies();
    const reply = await loadgen.ask({ type: 'run', job: { url: urls[target], path, headers: headers[target], ...job } });
    if (reply.error) throw new Error(`load generator failed on ${target}: ${reply.error}`);
    const after = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? cpuOfTarget(k, pid) : undefined]));
    const m1 = machineJiffies();
    const cpu = Object.fromEntries(Object.keys(pids).filter((k) => before[k] !== undefined && after[k] !== undefined).map((k) => [k, after[k] - before[k]]));
    // The whole machine's busy CPU time in the same interval (ms): what is not ours is other load.
    if (m0 && m1) cpu.machine = ((m1.busy - m0.busy) * 1000) / 100;
    sentTo[target] += reply.result.sent;
    if (reply.result.errors) log(`  ${target}: ${reply.result.errors} errors, first: ${reply.result.firstError}`);
    return { ...reply.result, cpu };
  }

  const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

  // Before each measured phase: the projector has read everything earlier phases wrote, so that
  // no phase shares the machine with catching up that belongs to another (the results say how
  // long it waited: so far never more than the two readings take). Two readings of zero
  // 50 ms apart, the first 50 ms after the phase: a gateway publishes its last events up to 10 ms
  // after its last answer.
  const lagNc = await connectNats(nats.url, { name: 'bench-gateway-lag' });
  const backlogWaits = [];
  async function caughtUp() {
    const t0 = Date.now();
    let zeros = 0;
    let pending = 0;
    while (zeros < 2 && Date.now() - t0 < BACKLOG_WAIT_MS) {
      await sleep(50);
      pending = (await durableConsumerLag(lagNc, stream)).reduce((a, c) => a + c.pending, 0);
      zeros = pending === 0 ? zeros + 1 : 0;
    }
    backlogWaits.push(Date.now() - t0);
    if (Date.now() - t0 > 1000) log(`waited ${Date.now() - t0} ms for the projector to catch up`);
    if (pending > 0) log(`the projector still had ${pending} messages to read after ${BACKLOG_WAIT_MS} ms; measuring anyway`);
  }

  // ---- warm-up: every target serves some thousands of requests (both variants) with a 0 ms
  // upstream before anything is recorded, so that JIT compilation and connection pools are done.
  await upstream.ask({ type: 'latency', ms: 0 });
  for (const t of targets) {
    for (const v of VARIANTS) {
      const w = await measure(t, { body: BODIES[v], expect: EXPECT[v], concurrency: 64, warmupMs: 0, durationMs: WARM_MS });
      log(`warm-up ${v} ${t}: ${w.sent} requests`);
    }
  }
  await upstream.ask({ type: 'latency', ms: LATENCY_MS });

  // ---- latency: 100 ms upstream, 10 / 50 / 200 clients, targets interleaved per round ------
  const lat = {}; // variant -> target -> level -> { latencies: [], roundsP: [], errors, sent, elapsedMs, cpu }
  for (const v of VARIANTS) {
    lat[v] = {};
    for (const t of targets) {
      lat[v][t] = {};
      for (const c of LEVELS) lat[v][t][c] = { latencies: [], rounds: [], errors: 0, firstError: undefined, sent: 0, elapsedMs: 0, cpu: {} };
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of VARIANTS) {
      for (const c of LEVELS) {
        for (const t of rotate(targets, round)) {
          await caughtUp();
          const r = await measure(t, { body: BODIES[v], expect: EXPECT[v], concurrency: c, warmupRequests: WARMUP[c], requests: MEASURED[c] });
          const cell = lat[v][t][c];
          for (const x of r.latencies) cell.latencies.push(x);
          const s = summary(r.latencies);
          cell.rounds.push({ p50: s.p50, p95: s.p95, p99: s.p99 });
          cell.errors += r.errors;
          cell.firstError ??= r.firstError;
          cell.sent += r.sent;
          cell.elapsedMs += r.elapsedMs;
          for (const [k, ms] of Object.entries(r.cpu)) cell.cpu[k] = (cell.cpu[k] ?? 0) + ms;
          log(`round ${round + 1} ${v} c=${c} ${t}: p50 ${s.p50} p95 ${s.p95} p99 ${s.p99} ms`);
        }
      }
    }
  }

  // ---- throughput: 0 ms upstream -----------------------------------------------------------
  await upstream.ask({ type: 'latency', ms: 0 });
  const tp = {}; // target -> concurrency -> [{ rps, cpu, errors }]
  for (const t of targets) {
    tp[t] = {};
    for (const c of TP_CONCURRENCY) tp[t][c] = [];
  }
  for (let round = 0; round < TP_ROUNDS; round++) {
    for (const c of TP_CONCURRENCY) {
      for (const t of rotate(targets, round)) {
        await caughtUp();
        const r = await measure(t, { body: BODIES.json, expect: EXPECT.json, concurrency: c, warmupMs: TP_WARMUP_MS, durationMs: TP_DURATION_MS });
        const s = summary(r.latencies);
        tp[t][c].push({ rps: r.requestsPerSecond, sent: r.sent, errors: r.errors, firstError: r.firstError, p50: s.p50, p99: s.p99, cpu: r.cpu, elapsedMs: r.elapsedMs });
        log(`throughput round ${round + 1} c=${c} ${t}: ${r.requestsPerSecond} req/s (p50 ${s.p50} ms)`);
      }
    }
  }
  await upstream.ask({ type: 'latency', ms: LATENCY_MS });

  await lagNc.close();
  const redisCalls = await redisCommandStats(redis.port);

  // ---- event emission check: every request through the gateway left a terminal event --------
  await gateway.stop(); // graceful: flushes the chain writers (every worker's)
  await gateway1.stop();
  const nc = await connectNats(nats.url, { name: 'bench-gateway' });
  const eventCounts = {};
  try {
    for await (const b of readStream(nc, stream)) {
      for (const l of b.lines) {
        const type = JSON.parse(l).type ?? 'unknown';
        eventCounts[type] = (eventCounts[type] ?? 0) + 1;
      }
    }
  } finally {
    await nc.close();
  }

  const piiEvents = (eventCounts.PiiRedacted ?? 0) + (eventCounts.PiiBlocked ?? 0);
  features.pii = features.piiStageInBuild
    ? piiEvents > 0
      ? 'on: PII stage in the build, default policy (no policy configured); the probe prompt with an e-mail address left a PII event, so request texts are scanned'
      : 'PII stage in the build but the probe left no PII event: scanning looks off'
    : 'not built yet';
  const spend = eventCounts.SpendRecorded ?? 0;
  const completed = eventCounts.RequestCompleted ?? 0;
  features.quota = spend > 0
    ? `on: ${spend} SpendRecorded events for ${completed} completed requests; the "ToTra gateway" key's team has no budget (nothing limits it: admitted from the gateway's verdict cache after a first check of every scope in Redis, nothing is held), the "team with a budget" key's team has a monthly budget (${budgetCheck}: each request is reserved in Redis, settled after the answer and projected)`
    : features.quotaStageInBuild
      ? 'a quota module is in the build, but no SpendRecorded event was appended: looks off'
      : 'not built yet';
  report.features = features;

  // ---- summarise ---------------------------------------------------------------------------
  /** CPU used per process during the runs, in cores; `other` = the machine's busy time that was not ours. */
  function cores(cpu, elapsedMs) {
    const out = {};
    let ours = 0;
    for (const [k, ms] of Object.entries(cpu)) {
      if (k === 'machine') continue;
      out[k] = r2(ms / elapsedMs);
      ours += ms;
    }
    if (cpu.machine !== undefined) {
      out.machine = r2(cpu.machine / elapsedMs);
      out.other = r2(Math.max(0, cpu.machine - ours) / elapsedMs);
    }
    return out;
  }
  const latency = {};
  for (const v of VARIANTS) {
    latency[v] = {};
    for (const c of LEVELS) {
      const level = {};
      const direct = summary(lat[v].direct[c].latencies);
      for (const t of targets) {
        const cell = lat[v][t][c];
        const s = t === 'direct' ? direct : summary(cell.latencies);
        const entry = { ...s, errors: cell.errors, ...(cell.firstError ? { firstError: cell.firstError } : {}), achievedRps: Math.round((cell.sent / cell.elapsedMs) * 1000) };
        if (t !== 'direct') {
          entry.overhead = { p50: r3(s.p50 - direct.p50), p95: r3(s.p95 - direct.p95), p99: r3(s.p99 - direct.p99) };
          entry.overheadP95ByRound = cell.rounds.map((r, i) => r3(r.p95 - lat[v].direct[c].rounds[i].p95));
        }
        const cpuPid = t === 'direct' ? 'upstream' : (GATEWAY_OF[t] ?? t);
        if (cell.cpu[cpuPid] !== undefined) entry.targetCpuUsPerRequest = Math.round((cell.cpu[cpuPid] * 1000) / cell.sent);
        if (TOTRA_TARGETS.includes(t)) {
          entry.natsCpuUsPerRequest = Math.round(((cell.cpu.nats ?? 0) * 1000) / cell.sent);
        }
        entry.cores = cores(cell.cpu, cell.elapsedMs);
        level[t] = entry;
      }
      latency[v][c] = level;
    }
  }
  const throughput = {};
  for (const t of targets) {
    throughput[t] = {};
    for (const c of TP_CONCURRENCY) {
      const runs = tp[t][c];
      const cpuPid = t === 'direct' ? 'upstream' : (GATEWAY_OF[t] ?? t);
      const sent = runs.reduce((a, r) => a + r.sent, 0);
      const cpuOf = (k) => runs.reduce((a, r) => a + (r.cpu[k] ?? 0), 0);
      throughput[t][c] = {
        requestsPerSecond: Math.round(median(runs.map((r) => r.rps))),
        rounds: runs.map((r) => r.rps),
        p50: r3(median(runs.map((r) => r.p50))),
        p99: r3(median(runs.map((r) => r.p99))),
        errors: runs.reduce((a, r) => a + r.errors, 0),
        ...(runs.find((r) => r.firstError) ? { firstError: runs.find((r) => r.firstError).firstError } : {}),
        targetCpuUsPerRequest: Math.round((cpuOf(cpuPid) * 1000) / sent),
        loadgenCpuUsPerRequest: Math.round((cpuOf('loadgen') * 1000) / sent),
        upstreamCpuUsPerRequest: Math.round((cpuOf('upstream') * 1000) / sent),
        ...(TOTRA_TARGETS.includes(t) ? { natsCpuUsPerRequest: Math.round((cpuOf('nats') * 1000) / sent) } : {}),
        cores: cores(Object.fromEntries(Object.keys(runs[0].cpu).map((k) => [k, cpuOf(k)])), runs.reduce((a, r) => a + r.elapsedMs, 0)),
      };
    }
  }
  const best = (t) => Math.max(...TP_CONCURRENCY.map((c) => throughput[t][c].requestsPerSecond));

  // ---- verdicts ----------------------------------------------------------------------------
  const j = latency.json;
  const verdicts = [];
  const missing = [features.pii.startsWith('on') ? undefined : 'PII', features.quota.startsWith('on') ? undefined : 'quota'].filter(Boolean);
  const notBuilt = missing.length ? `measured without ${missing.join(' and ')} (not built yet, or off: see the features above): re-measure when ${missing.length > 1 ? 'they are' : 'it is'} on` : undefined;
  // A diagnostic run (a subset of levels or targets) has no verdicts: they need every level and target.
  for (const g of DIAGNOSTIC ? [] : VERDICT_TARGETS) {
    const who = g === 'budgeted' ? ', team with a budget' : '';
    for (const c of LEVELS) {
      const o = j[c][g].overhead.p95;
      verdicts.push({ target: `overhead p95 <= ${P95_TARGET_MS[c]} ms at ${c} clients${who}`, value: `${o} ms`, met: o <= P95_TARGET_MS[c], note: notBuilt });
    }
    for (const c of LEVELS) {
      const o = j[c][g].overhead.p95;
      const rawO = j[c].raw.overhead.p95;
      const limit = RAW_FACTOR * rawO;
      verdicts.push({
        target: `overhead p95 <= ${RAW_FACTOR}x the raw pass-through's at ${c} clients${who}`,
        value: rawO > 0 ? `${o} ms vs ${RAW_FACTOR} × ${rawO} = ${r3(limit)} ms (ratio ${r2(o / rawO)})` : `${o} ms vs raw ${rawO} ms`,
        // A raw overhead at or below zero is inside the noise: no ratio can be judged from it.
        met: rawO > 0 ? o <= limit : null,
        ...(rawO > 0 ? {} : { note: 'the raw pass-through\'s overhead is within the noise (<= 0)' }),
      });
    }
    if (targets.includes('portkey')) {
      for (const c of LEVELS) {
        const o = j[c][g].overhead.p95;
        const p = j[c].portkey.overhead.p95;
        verdicts.push({ target: `overhead p95 lower than Portkey's at ${c} clients${who}`, value: `${o} ms vs ${p} ms`, met: o < p });
      }
    } else {
      verdicts.push({ target: `overhead lower than Portkey at every level${who}`, value: 'Portkey not measured', met: false, note: portkeyProblem });
    }
    const bestG = best(g);
    verdicts.push({ target: `>= ${THROUGHPUT_TARGET} requests/s through the gateway with a 0 ms upstream${who}`, value: `${bestG} req/s`, met: bestG >= THROUGHPUT_TARGET, note: notBuilt });
  }

  // The mock must not be the bottleneck: at each level the direct run should reach close to
  // concurrency / latency requests per second with a tail close to the configured latency.
  const mockCheck = LEVELS.map((c) => {
    const d = j[c].direct;
    const ideal = Math.round((c * 1000) / LATENCY_MS);
    return { clients: c, idealRps: ideal, achievedRps: d.achievedRps, share: r2(d.achievedRps / ideal), p50AboveLatencyMs: r3(d.p50 - LATENCY_MS), p99AboveLatencyMs: r3(d.p99 - LATENCY_MS) };
  });
  const expectedEvents = sentTo.totra + sentTo.budgeted + sentTo.single;
  const terminal = (eventCounts.RequestCompleted ?? 0) + (eventCounts.RequestFailed ?? 0) + (eventCounts.RequestRejected ?? 0);

  machine.loadAverageAtEnd = loadavg().map((x) => r2(x));
  Object.assign(report, {
    durationSeconds: Math.round((Date.now() - started) / 1000),
    method: {
      upstreamLatencyMs: LATENCY_MS,
      upstream: `OpenAI mock provider (@totra/testing, fast mode), ${LATENCY_MS} ms before the first byte for latency, 0 ms for throughput`,
      request: 'POST /v1/chat/completions, model gpt-4o, two short messages, max_tokens 32',
      requestBytes: { json: BODIES.json.length, stream: BODIES.stream.length },
      variants: VARIANTS,
      levels: LEVELS,
      rounds: ROUNDS,
      measuredPerRound: MEASURED,
      warmupPerRound: WARMUP,
      statistic: 'nearest-rank percentiles of all rounds pooled; overhead = target percentile - direct percentile at the same level and variant',
      throughput: { concurrency: TP_CONCURRENCY, rounds: TP_ROUNDS, warmupMs: TP_WARMUP_MS, durationMs: TP_DURATION_MS, statistic: 'median of rounds; best concurrency counts' },
      gateway: `services/gateway/dist/main.js as a child process with TOTRA_GATEWAY_WORKERS=${GATEWAY_WORKERS} (${WORKER_COUNT} worker processes; the verdicts are for it) and, for reference, a second one with its defaults (one process); otherwise defaults (log level info, no catalog file: the catalog is seeded from OPENAI_* variables); keys issued with the CLI; what it does on each request: see features`,
      processes: 'load generator, mock, raw pass-through, gateway, projector, Portkey, NATS and Redis each in their own process on the same machine',
    },
    backlogWait: {
      phases: backlogWaits.length,
      medianMs: median(backlogWaits),
      maxMs: Math.max(0, ...backlogWaits),
      totalMs: backlogWaits.reduce((a, b) => a + b, 0),
    },
    latency,
    throughput,
    bestThroughput: Object.fromEntries(targets.map((t) => [t, best(t)])),
    cpuPerRequestRatios: cpuRatios(throughput),
    mockCheck,
    redisCommands: { calls: redisCalls, perGatewayRequest: r2(Object.values(redisCalls).reduce((a, b) => a + b, 0) / Math.max(1, expectedEvents)) },
    events: { requestsSentToGateway: expectedEvents, terminalEvents: terminal, byType: eventCounts, complete: terminal >= expectedEvents },
    verdicts,
    notes,
  });
  // A diagnostic run (a subset of levels or targets) never replaces the committed results.
  const partial = DIAGNOSTIC;
  const out = partial ? dir : join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'RESULTS.md'), markdown(report, targets));
  log(`done in ${report.durationSeconds} s${partial ? ' (diagnostic run: results not saved in bench/gateway/results)' : ''}`);
  console.log(readFileSync(join(out, 'RESULTS.md'), 'utf8'));
} finally {
  for (const c of [...children].reverse()) await c.stop().catch(() => undefined);
  await redis?.stop().catch(() => undefined);
  await nats?.stop().catch(() => undefined);
  // BENCH_KEEP=1 keeps the run's folder (the processes' logs) for a look after the run.
  if (process.env.BENCH_KEEP) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

// ---- RESULTS.md --------------------------------------------------------------------------
function markdown(r, targets) {
  const yes = (m) => (m === undefined || m === null ? 'undetermined' : m ? 'met' : '**not met**');
  const lines = [];
  lines.push('# bench/gateway results', '');
  lines.push(`Written by \`bench/gateway/run.mjs\` on ${r.date} (run took ${r.durationSeconds} s). Method: [README.md](../README.md).`, '');
  lines.push(
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}; ` +
      `load average ${r.machine.loadAverageAtStart.join(' / ')} at start, ${r.machine.loadAverageAtEnd.join(' / ')} at end; ` +
      `other people's processes used ${r.machine.otherLoadCoresAtStart ?? '?'} cores just before the start (see "other load" per run below). ` +
      `undici ${r.versions.undici}, fastify ${r.versions.fastify}, @portkey-ai/gateway ${r.versions.portkeyGateway} (@hono/node-server ${r.versions.honoNodeServer}), ${r.versions.nats}, ${r.versions.redis}.`,
    '',
  );
  lines.push(`Build: commit ${r.build.commit}${r.build.uncommittedFiles ? ` plus ${r.build.uncommittedFiles} uncommitted files under services/, libs/, projections/` : ''}. What the ToTra gateway did on each request:`, '');
  for (const k of ['workers', 'auth', 'events', 'metrics', 'pii', 'quota']) if (r.features[k]) lines.push(`- ${k}: ${r.features[k]}`);
  lines.push('');
  const missingNote = r.verdicts.find((v) => v.note?.startsWith('measured without'))?.note;
  if (missingNote) lines.push(`**The targets are for a gateway with auth, quota, PII, event emission and metrics on: ${missingNote}.**`, '');
  lines.push('## Verdicts', '', 'The latency targets are judged on the non-streaming request; the streaming variant\'s overheads are listed below, without a verdict.', '', '| target | measured | verdict |', '| --- | --- | --- |');
  for (const v of r.verdicts) lines.push(`| ${v.target} | ${v.value} | ${yes(v.met)}${v.note && !v.note.startsWith('measured without') ? ` (${v.note})` : ''} |`);
  lines.push('');
  for (const v of r.method.variants) {
    lines.push(`## Latency, ${v === 'json' ? 'non-streaming' : 'streaming (SSE, time to the last byte)'}, ${r.method.upstreamLatencyMs} ms upstream`, '');
    lines.push('Milliseconds, all rounds pooled. Overhead = the target\'s percentile minus the direct percentile at the same level.', '');
    lines.push('| clients | target | p50 | p95 | p99 | overhead p50 | overhead p95 | overhead p99 | p95 overhead per round | target CPU µs/req | other load (cores) | errors |');
    lines.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
    for (const c of r.method.levels) {
      for (const t of targets) {
        const e = r.latency[v][c][t];
        const o = e.overhead ?? {};
        lines.push(`| ${c} | ${TARGET_NAMES[t]} | ${e.p50} | ${e.p95} | ${e.p99} | ${o.p50 ?? ''} | ${o.p95 ?? ''} | ${o.p99 ?? ''} | ${e.overheadP95ByRound?.join(' / ') ?? ''} | ${e.targetCpuUsPerRequest ?? ''} | ${e.cores?.other ?? ''} | ${e.errors} |`);
      }
    }
    lines.push('');
  }
  lines.push('## Throughput, 0 ms upstream', '');
  lines.push('Requests per second (median of rounds; every round in brackets), load generator included on the same 2 cores. CPU per request from /proc over the whole run (warm-up included).', '');
  lines.push('| concurrency | target | req/s | rounds | p50 ms | p99 ms | target CPU µs/req | load generator CPU µs/req | mock CPU µs/req | other load (cores) | errors |');
  lines.push('| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.method.throughput.concurrency) {
    for (const t of targets) {
      const e = r.throughput[t][c];
      const nats = e.natsCpuUsPerRequest !== undefined ? ` (+ NATS ${e.natsCpuUsPerRequest})` : '';
      lines.push(`| ${c} | ${TARGET_NAMES[t]} | ${e.requestsPerSecond} | ${e.rounds.join(' / ')} | ${r3(e.p50)} | ${r3(e.p99)} | ${e.targetCpuUsPerRequest}${nats} | ${e.loadgenCpuUsPerRequest} | ${e.upstreamCpuUsPerRequest} | ${e.cores?.other ?? ''} | ${e.errors} |`);
    }
  }
  lines.push('');
  const ratios = r.cpuPerRequestRatios ?? cpuRatios(r.throughput);
  lines.push(
    `CPU per request of the gateway process (NATS not included): ${Object.entries(ratios).map(([c, x]) => `${x.totraVsRaw}× the raw pass-through's${x.totraVsPortkey !== undefined ? ` and ${x.totraVsPortkey}× Portkey's` : ''} at ${c} clients`).join('; ')}.`,
    '',
  );
  lines.push('## Checks', '');
  lines.push('The mock is not the bottleneck when the direct runs reach close to clients / latency requests per second, with a tail close to the configured latency:', '');
  lines.push('| clients | ideal req/s | achieved req/s | share | p50 − latency ms | p99 − latency ms |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of r.mockCheck) lines.push(`| ${m.clients} | ${m.idealRps} | ${m.achievedRps} | ${m.share} | ${m.p50AboveLatencyMs} | ${m.p99AboveLatencyMs} |`);
  lines.push('');
  lines.push(
    `Event emission: ${r.events.requestsSentToGateway} requests sent through the gateway, ${r.events.terminalEvents} terminal request events in the stream ` +
      `(${Object.entries(r.events.byType).map(([k, n]) => `${k} ${n}`).join(', ')}): ${r.events.complete ? 'every request recorded' : '**events missing**'}.`,
    '',
  );
  if (r.backlogWait) {
    lines.push(
      `Projector caught up before every measured phase (${r.backlogWait.phases} phases): waited ${r.backlogWait.medianMs} ms (median), at most ${r.backlogWait.maxMs} ms, ${Math.round(r.backlogWait.totalMs / 1000)} s in all.`,
      '',
    );
  }
  lines.push(
    `Redis: ${r.redisCommands.perGatewayRequest} commands per request sent through the gateway (${Object.entries(r.redisCommands.calls).map(([k, n]) => `${k} ${n}`).join(', ')}).`,
    '',
  );
  if (r.notes.length) {
    lines.push('## Notes', '');
    for (const n of r.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
