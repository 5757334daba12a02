// bench/gateway A/B: the gateway of this checkout against the gateway of another git revision,
// both running at the same time against the same mock upstream, NATS, Redis and projector, the
// runs interleaved and their order alternated, so that the machine's drift hits both alike.
// For deciding whether a change to the hot path helps; bench/gateway/run.mjs stays the
// reference for the targets. Method and options: bench/gateway/README.md ("A/B runs").
// Run: npm run bench:gateway-ab -- <revision>   (builds both; about two minutes of load)
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, startRedis } from '@totra/engines';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const int = (name, fallback) => Number(process.env[name] ?? fallback);
const rev = process.argv[2] ?? process.env.AB_BASE_REV;
if (!rev) {
  console.error('usage: npm run bench:gateway-ab -- <git revision to compare with> (e.g. HEAD~1 or main)');
  process.exit(2);
}
const LEVELS = (process.env.AB_LEVELS ?? '10,50,200').split(',').filter(Boolean).map(Number);
const ROUNDS = int('AB_ROUNDS', 4);
const TP_CONCURRENCY = int('AB_TP_CONCURRENCY', 64);
const TP_MS = int('AB_TP_MS', 3000);
const STREAM = process.env.AB_STREAM === '1';
/** `AB_API=anthropic`: Anthropic Messages requests to an Anthropic mock instead of OpenAI chat. */
const ANTHROPIC = process.env.AB_API === 'anthropic';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

const children = [];
async function forkChild(name, modulePath, { env, logFile, execArgv = [] }) {
  const out = openSync(logFile, 'a');
  const child = fork(modulePath, [], { env, execArgv, stdio: ['ignore', out, out, 'ipc'], cwd: root });
  const pending = new Map();
  let seq = 0;
  child.on('message', (m) => {
    if (m?.id !== undefined && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
  });
  children.push(child);
  const ready = await new Promise((resolve, reject) => {
    child.on('message', (m) => m?.type === 'ready' && resolve(m));
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${readFileSync(logFile, 'utf8').slice(-1500)}`)));
  });
  return { pid: child.pid, ready, ask: (msg) => new Promise((r) => { const id = ++seq; pending.set(id, r); child.send({ ...msg, id }); }) };
}
/** utime + stime in ms of a process and its live children (gateway workers), from Linux /proc. */
function cpuMs(pid) {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let s;
    try {
      s = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === pid || Number(f[1]) === pid) total += (Number(f[11]) + Number(f[12])) * 10;
  }
  return total;
}
/** `AB_HEAD_ENV` / `AB_BASE_ENV`: extra environment of one gateway, `NAME=value` pairs separated by spaces. */
const extraEnv = (name) => Object.fromEntries((process.env[name] ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
/** `AB_HEAD_NODE_FLAGS` / `AB_BASE_NODE_FLAGS`: Node (and V8) flags of one gateway, space-separated; its worker processes inherit them. */
const nodeFlags = (name) => (process.env[name] ?? '').split(/\s+/).filter(Boolean);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const r2 = (x) => Math.round(x * 100) / 100;

const dir = mkdtempSync(join(tmpdir(), 'totra-ab-'));
const base = join(dir, 'base');
let nats;
let redis;
try {
  log(`building ${rev} in ${base}`);
  execFileSync('git', ['worktree', 'add', '--detach', base, rev], { cwd: root, stdio: 'ignore' });
  const baseCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: base, encoding: 'utf8' }).trim();
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: base, stdio: 'ignore' });
  execFileSync(process.execPath, [join(base, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.build.json'], { cwd: base, stdio: 'inherit' });
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'services', 'libs', 'projections'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean).length;

  nats = await startNats({ dataDir: join(dir, 'nats') });
  redis = await startRedis({ dataDir: join(dir, 'redis') });
  const baseEnv = { PATH: process.env.PATH ?? '', HOME: dir, NODE_ENV: 'production' };
  const totraEnv = { ...baseEnv, TOTRA_NATS_URL: nats.url, TOTRA_REDIS_URL: redis.url, TOTRA_REDIS_PREFIX: 'ab:', TOTRA_STREAM: 'TOTRA_AB', TOTRA_SUBJECT_PREFIX: 'ab' };
  const up = await forkChild('upstream', join(here, 'upstream.mjs'), { env: { ...baseEnv, BENCH_UPSTREAM_KEY: 'sk-ab', BENCH_UPSTREAM_LATENCY_MS: '0', BENCH_UPSTREAM_PROVIDER: ANTHROPIC ? 'anthropic' : 'openai' }, logFile: join(dir, 'upstream.log') });
  // The projector puts the key (and a budget) into Redis for both gateways.
  await forkChild('projector', join(root, 'services', 'projector', 'dist', 'main.js'), { env: totraEnv, logFile: join(dir, 'projector.log') });
  const gatewayEnv = (spool) => ({ ...totraEnv, TOTRA_GATEWAY_HOST: '127.0.0.1', TOTRA_GATEWAY_PORT: '0', TOTRA_SPOOL_DIR: join(dir, spool), TOTRA_CATALOG_FILE: join(dir, 'none.yaml'), ...(ANTHROPIC ? { ANTHROPIC_API_KEY: 'sk-ab', ANTHROPIC_BASE_URL: up.ready.baseUrl, ANTHROPIC_MODELS: 'claude-sonnet-4-5' } : { OPENAI_API_KEY: 'sk-ab', OPENAI_BASE_URL: up.ready.baseUrl, OPENAI_MODELS: 'gpt-4o' }) });
  const gateways = {
    base: await forkChild('base', join(base, 'services', 'gateway', 'dist', 'main.js'), { env: { ...gatewayEnv('spool-base'), ...extraEnv('AB_BASE_ENV') }, execArgv: nodeFlags('AB_BASE_NODE_FLAGS'), logFile: join(dir, 'base.log') }),
    head: await forkChild('head', join(root, 'services', 'gateway', 'dist', 'main.js'), { env: { ...gatewayEnv('spool-head'), ...extraEnv('AB_HEAD_ENV') }, execArgv: nodeFlags('AB_HEAD_NODE_FLAGS'), logFile: join(dir, 'head.log') }),
  };
  const cli = join(root, 'services', 'cli', 'dist', 'main.js');
  const key = JSON.parse(execFileSync(process.execPath, [cli, 'keys', 'issue', '--user', 'u-ab', '--team', 't-ab', '--tenant', 'acme', '--json', '--nats', nats.url, '--stream', 'TOTRA_AB', '--subject-prefix', 'ab', '--state-dir', join(dir, 'cli')], { encoding: 'utf8', env: totraEnv })).key;
  if (process.env.AB_BUDGET === '1') {
    execFileSync(process.execPath, [cli, 'budgets', 'set', '--team', 't-ab', '--tenant', 'acme', '--usd', '1000000', '--nats', nats.url, '--stream', 'TOTRA_AB', '--subject-prefix', 'ab', '--state-dir', join(dir, 'cli')], { env: totraEnv, stdio: 'ignore' });
  }
  const system = 'You are a terse assistant.';
  const user = { role: 'user', content: 'Say hello to the benchmark in five words.' };
  const path = ANTHROPIC ? '/v1/messages' : '/v1/chat/completions';
  const body = ANTHROPIC
    ? JSON.stringify({ model: 'claude-sonnet-4-5', system, messages: [user], max_tokens: 32, ...(STREAM ? { stream: true } : {}) })
    : JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'system', content: system }, user], max_tokens: 32, ...(STREAM ? { stream: true, stream_options: { include_usage: true } } : {}) });
  const auth = (secret) => (ANTHROPIC ? { 'x-api-key': secret, 'anthropic-version': '2023-06-01' } : { authorization: `Bearer ${secret}` });
  const headers = { 'content-type': 'application/json', ...auth(key) };
  const targets = { direct: { url: up.ready.url, headers: { 'content-type': 'application/json', ...auth('sk-ab') } }, base: { url: gateways.base.ready.url, headers }, head: { url: gateways.head.ready.url, headers } };
  for (const t of ['base', 'head']) {
    for (let i = 0; ; i++) {
      const res = await fetch(`${targets[t].url}${path}`, { method: 'POST', headers, body });
      await res.text();
      if (res.status === 200) break;
      if (i > 150) throw new Error(`the ${t} gateway never answered 200 (HTTP ${res.status}); log in ${dir}`);
      await sleep(100); // the projector has to put the new key into Redis first
    }
  }
  const loadgen = await forkChild('loadgen', join(here, 'loadgen.mjs'), { env: baseEnv, logFile: join(dir, 'loadgen.log') });
  const run = async (t, job) => {
    const pid = gateways[t]?.pid;
    const before = pid ? cpuMs(pid) : 0;
    const reply = await loadgen.ask({ type: 'run', job: { url: targets[t].url, path, headers: targets[t].headers, body, expect: STREAM ? (ANTHROPIC ? 'message_stop' : 'data: [DONE]') : 'Hello', ...job } });
    if (reply.error) throw new Error(reply.error);
    if (reply.result.errors) throw new Error(`${t}: ${reply.result.errors} errors, first: ${reply.result.firstError}`);
    return { ...reply.result, cpuUsPerRequest: pid ? ((cpuMs(pid) - before) * 1000) / reply.result.sent : undefined };
  };
  const order = (round) => (round % 2 ? ['head', 'base'] : ['base', 'head']);

  log('warm-up');
  for (const t of ['direct', 'base', 'head']) await run(t, { concurrency: 64, warmupMs: 0, durationMs: 2000 });
  const report = { bench: 'gateway-ab', date: new Date().toISOString(), base: { rev, commit: baseCommit, env: extraEnv('AB_BASE_ENV'), nodeFlags: nodeFlags('AB_BASE_NODE_FLAGS') }, head: { commit: head, uncommittedFiles: dirty, env: extraEnv('AB_HEAD_ENV'), nodeFlags: nodeFlags('AB_HEAD_NODE_FLAGS') }, api: ANTHROPIC ? 'anthropic-messages' : 'openai-chat', stream: STREAM, budget: process.env.AB_BUDGET === '1', rounds: ROUNDS, throughput: {}, latency: {} };

  log(`throughput, 0 ms upstream, ${TP_CONCURRENCY} clients, ${ROUNDS} rounds`);
  const tp = { base: [], head: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of order(round)) tp[t].push(await run(t, { concurrency: TP_CONCURRENCY, warmupMs: 1000, durationMs: TP_MS }));
  }
  for (const t of ['base', 'head']) {
    const rps = tp[t].map((r) => r.requestsPerSecond).sort((a, b) => a - b);
    const cpu = tp[t].map((r) => r.cpuUsPerRequest).sort((a, b) => a - b);
    report.throughput[t] = { requestsPerSecondMedian: pct(rps, 50), rounds: tp[t].map((r) => r.requestsPerSecond), cpuUsPerRequestMedian: Math.round(pct(cpu, 50)) };
  }
  report.throughput.ratio = { requestsPerSecond: r2(report.throughput.head.requestsPerSecondMedian / report.throughput.base.requestsPerSecondMedian), cpuPerRequest: r2(report.throughput.head.cpuUsPerRequestMedian / report.throughput.base.cpuUsPerRequestMedian) };

  await up.ask({ type: 'latency', ms: 100 });
  for (const c of LEVELS) {
    log(`latency, 100 ms upstream, ${c} clients, ${ROUNDS} rounds`);
    const lat = { direct: [], base: [], head: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of ['direct', ...order(round)]) lat[t].push(...(await run(t, { concurrency: c, warmupRequests: c * 3, requests: c * 30 })).latencies);
    }
    const sorted = Object.fromEntries(Object.entries(lat).map(([t, xs]) => [t, Float64Array.from(xs).sort()]));
    const overhead = (t, p) => r2(pct(sorted[t], p) - pct(sorted.direct, p));
    report.latency[c] = Object.fromEntries(['base', 'head'].map((t) => [t, { overheadP50: overhead(t, 50), overheadP95: overhead(t, 95), overheadP99: overhead(t, 99) }]));
  }

  const envNote = (...names) => names.map((name) => (process.env[name]?.trim() ? ` [${process.env[name].trim()}]` : '')).join('');
  const lines = [`A/B: head ${head}${dirty ? ` + ${dirty} uncommitted files` : ''}${envNote('AB_HEAD_ENV', 'AB_HEAD_NODE_FLAGS')} against base ${rev} (${baseCommit})${envNote('AB_BASE_ENV', 'AB_BASE_NODE_FLAGS')}, ${ANTHROPIC ? 'Anthropic Messages, ' : ''}${STREAM ? 'streaming' : 'non-streaming'}${report.budget ? ', team with a budget' : ''}, ${ROUNDS} interleaved rounds`, ''];
  lines.push('| measure | base | head | head / base |', '| --- | ---: | ---: | ---: |');
  lines.push(`| req/s, 0 ms upstream, ${TP_CONCURRENCY} clients (median) | ${report.throughput.base.requestsPerSecondMedian} | ${report.throughput.head.requestsPerSecondMedian} | ${report.throughput.ratio.requestsPerSecond} |`);
  lines.push(`| gateway CPU µs per request (median) | ${report.throughput.base.cpuUsPerRequestMedian} | ${report.throughput.head.cpuUsPerRequestMedian} | ${report.throughput.ratio.cpuPerRequest} |`);
  for (const c of LEVELS) {
    const l = report.latency[c];
    lines.push(`| overhead p50 / p95 ms, ${c} clients | ${l.base.overheadP50} / ${l.base.overheadP95} | ${l.head.overheadP50} / ${l.head.overheadP95} | ${r2(l.head.overheadP95 / l.base.overheadP95)} (p95) |`);
  }
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'ab-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(lines.join('\n'));
} finally {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  await sleep(1000);
  await redis?.stop().catch(() => undefined);
  await nats?.stop().catch(() => undefined);
  if (existsSync(base)) {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', base], { cwd: root, stdio: 'ignore' });
    } catch {
      // removed with the folder below; `git worktree prune` forgets it
    }
  }
  rmSync(dir, { recursive: true, force: true });
  execFileSync('git', ['worktree', 'prune'], { cwd: root, stdio: 'ignore' });
}
process.exit(0);
