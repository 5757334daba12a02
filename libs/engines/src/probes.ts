import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** What a probe decides from the bytes received so far: undefined means "read more". */
type Verdict = boolean | undefined;

/**
 * Connects, optionally sends `hello`, and feeds every received chunk (accumulated) to `judge`
 * until it decides. Connection errors, early close and timeouts count as "not ready".
 */
function exchange(
  host: string,
  port: number,
  hello: Buffer | undefined,
  judge: (received: Buffer) => Verdict,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (ready: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ready);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => {
      if (hello) socket.write(hello);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const verdict = judge(received);
      if (verdict !== undefined) finish(verdict);
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

function firstLine(received: Buffer): string | undefined {
  const end = received.indexOf('\r\n');
  return end < 0 ? undefined : received.subarray(0, end).toString('utf8');
}

/** Options of the protocol probes. */
export interface ProbeOptions {
  readonly host?: string;
  /** Per attempt. Default 1 s. */
  readonly timeoutMs?: number;
}

/**
 * True when a NATS server answers on `host:port` with its INFO line (and, with
 * `requireJetStream`, announces JetStream).
 */
export function probeNats(port: number, options: ProbeOptions & { readonly requireJetStream?: boolean } = {}): Promise<boolean> {
  return exchange(
    options.host ?? '127.0.0.1',
    port,
    undefined,
    (received) => {
      const line = firstLine(received);
      if (line === undefined) return undefined;
      if (!line.startsWith('INFO ')) return false;
      if (!options.requireJetStream) return true;
      try {
        const info: unknown = JSON.parse(line.slice(5));
        return typeof info === 'object' && info !== null && 'jetstream' in info && info.jetstream === true;
      } catch {
        return false;
      }
    },
    options.timeoutMs ?? 1000,
  );
}

/** True when a Redis server answers PING with +PONG (or demands auth, which also means it is up). */
export function probeRedis(port: number, options: ProbeOptions = {}): Promise<boolean> {
  return exchange(
    options.host ?? '127.0.0.1',
    port,
    Buffer.from('PING\r\n'),
    (received) => {
      const line = firstLine(received);
      if (line === undefined) return undefined;
      // -LOADING while the AOF is replayed: up but not ready.
      return line === '+PONG' || line.startsWith('-NOAUTH');
    },
    options.timeoutMs ?? 1000,
  );
}

/** SQLSTATEs that mean "the server runs but does not take connections yet". */
const notYet = new Set(['57P03', '57P01', '57P02']);

function startupMessage(user: string, database: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`, 'utf8');
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + params.length, 0);
  header.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([header, params]);
}

function errorCode(body: Buffer): string | undefined {
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const field = String.fromCharCode(body[at] ?? 0);
    const end = body.indexOf(0, at + 1);
    if (end < 0) return undefined;
    if (field === 'C') return body.subarray(at + 1, end).toString('utf8');
    at = end + 1;
  }
  return undefined;
}

/**
 * True when a Postgres server accepts a connection on `host:port`: sends a protocol-3 startup
 * message and reads the answer, as `pg_isready` does, without a client library. An
 * authentication request means ready; "the database system is starting up" means not yet.
 */
export function probePostgres(
  port: number,
  options: ProbeOptions & { readonly user?: string; readonly database?: string } = {},
): Promise<boolean> {
  return exchange(
    options.host ?? '127.0.0.1',
    port,
    startupMessage(options.user ?? 'postgres', options.database ?? 'postgres'),
    (received) => {
      let at = 0;
      while (received.length >= at + 5) {
        const type = String.fromCharCode(received[at] ?? 0);
        const length = received.readInt32BE(at + 1);
        if (received.length < at + 1 + length) return undefined;
        const body = received.subarray(at + 5, at + 1 + length);
        if (type === 'R') return true;
        if (type === 'E') {
          const code = errorCode(body);
          return code !== undefined && !notYet.has(code);
        }
        if (type !== 'v' && type !== 'N') return false;
        at += 1 + length;
      }
      return undefined;
    },
    options.timeoutMs ?? 1000,
  );
}

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  readonly timeoutMs: number;
  /** Checked between attempts: when it returns a reason, waiting stops with that reason. */
  readonly abortReason?: () => string | undefined;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Result of {@link waitUntil}. */
export type WaitResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Calls `check` until it resolves true, with a short growing backoff (25 ms, x1.5, capped at
 * 250 ms), until `timeoutMs` has passed or `abortReason` gives a reason.
 */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + options.timeoutMs;
  let wait = options.initialDelayMs ?? 25;
  for (;;) {
    const aborted = options.abortReason?.();
    if (aborted !== undefined) return { ok: false, reason: aborted };
    if (await check()) return { ok: true };
    const abortedAfter = options.abortReason?.();
    if (abortedAfter !== undefined) return { ok: false, reason: abortedAfter };
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, reason: `not ready after ${options.timeoutMs} ms` };
    await delay(Math.min(wait, left));
    wait = Math.min(wait * 1.5, options.maxDelayMs ?? 250);
  }
}
