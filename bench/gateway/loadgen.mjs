// The load generator of bench/gateway, run as its own process (forked by run.mjs) so that it
// never shares an event loop with a target. Closed loop: `concurrency` workers, each with one
// request in flight at a time over its own keep-alive connection (an undici Pool with as many
// connections as workers). A request's latency runs from just before `request()` to the last
// byte of its body, measured with process.hrtime.
import { Pool } from 'undici';

const now = () => process.hrtime.bigint();

/**
 * @param {{ url: string, path: string, headers: Record<string, string>, body: string, concurrency: number,
 *   expect: string, warmupRequests?: number, requests?: number, warmupMs?: number, durationMs?: number }} job
 *   Count mode (`requests`): the first `warmupRequests` completions are not recorded, the next `requests` are.
 *   Time mode (`durationMs`): completions in the `durationMs` after `warmupMs` are counted (throughput).
 */
async function run(job) {
  const pool = new Pool(job.url, { connections: job.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const body = Buffer.from(job.body);
  const headers = { ...job.headers, 'content-length': String(body.length) };
  const timeMode = job.durationMs !== undefined;
  const total = timeMode ? Number.POSITIVE_INFINITY : (job.warmupRequests ?? 0) + job.requests;
  const latencies = new Float64Array(timeMode ? 2_000_000 : job.requests);
  let issued = 0;
  let recorded = 0;
  let sent = 0;
  let errors = 0;
  let firstError;
  let checked = false;
  const started = now();
  const warmEnd = started + BigInt(Math.round((job.warmupMs ?? 0) * 1e6));
  const end = warmEnd + BigInt(Math.round((job.durationMs ?? 0) * 1e6));

  async function worker() {
    for (;;) {
      if (timeMode ? now() >= end : issued >= total) return;
      const n = issued++;
      const t0 = now();
      let ok = false;
      let text;
      try {
        const res = await pool.request({ path: job.path, method: 'POST', headers, body });
        text = await res.body.text();
        ok = res.statusCode === 200;
        if (!ok) firstError ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
        else if (!checked) {
          checked = true;
          if (!text.includes(job.expect)) {
            ok = false;
            firstError ??= `unexpected body: ${text.slice(0, 300)}`;
          }
        }
      } catch (err) {
        firstError ??= `${err.code ?? err.name}: ${err.message}`;
      }
      const t1 = now();
      sent++;
      if (!ok) errors++;
      if (timeMode) {
        // Throughput counts completions inside the window, whenever they started.
        if (t1 > warmEnd && t1 <= end && recorded < latencies.length) latencies[recorded++] = Number(t1 - t0) / 1e6;
      } else if (n >= (job.warmupRequests ?? 0)) {
        latencies[recorded++] = Number(t1 - t0) / 1e6;
      }
    }
  }

  await Promise.all(Array.from({ length: job.concurrency }, () => worker()));
  const elapsedMs = Number(now() - started) / 1e6;
  await pool.close();
  const measured = latencies.subarray(0, recorded);
  return {
    sent,
    recorded,
    errors,
    firstError,
    elapsedMs,
    requestsPerSecond: timeMode ? Math.round((recorded / job.durationMs) * 1000) : undefined,
    // Milliseconds with microsecond resolution: enough for percentiles, small over IPC.
    latencies: Array.from(measured, (x) => Math.round(x * 1000) / 1000),
  };
}

process.on('message', (msg) => {
  if (msg?.type !== 'run') return;
  run(msg.job).then(
    (result) => process.send({ type: 'result', id: msg.id, result }),
    (err) => process.send({ type: 'result', id: msg.id, error: String(err?.stack ?? err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
