import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** Thrown for a bad environment value: says which variable and why. */
export class GatewayConfigError extends Error {
  readonly code = 'TOTRA_GATEWAY_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'GatewayConfigError';
  }
}

const WORKERS = 'a number of processes from 1 to 64, or auto';
/** One Node or V8 command-line flag: `--name` or `--name=value`. */
const NODE_FLAG = /^--[a-z0-9][a-z0-9_-]*(=[^\s]+)?$/i;
/** Flags that run other code or open a debugger: never taken from the environment here. */
const UNSAFE_NODE_FLAG = /^--(eval|print|require|import|loader|experimental-loader|inspect|inspect-brk|inspect-wait|inspect-port|debug|debug-brk|debug-port|env-file|env-file-if-exists|run|test|watch|watch-path)(=|$)/i;
const port = z.coerce.number().int().min(0).max(65535);

export const GatewayConfig = z.object({
  host: z.string().min(1).default('0.0.0.0'),
  port: port.default(8080),
  natsUrl: z.string().min(1).default('nats://127.0.0.1:4222'),
  streamName: z.string().regex(/^[A-Za-z0-9_-]+$/).default('TOTRA'),
  subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('totra'),
  streamReplicas: z.coerce.number().int().min(1).max(5).default(1),
  spoolDir: z.string().min(1).default('.totra/spool'),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// URL').default('redis://127.0.0.1:6379'),
  redisPrefix: z.string().regex(/^[A-Za-z0-9_:.-]*$/).default('totra:'),
  /** Proxies (CIDR or address, comma separated) whose X-Forwarded-For is believed. */
  trustedProxies: z.string().default('').transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  catalogFile: z.string().default('totra.yaml'),
  /**
   * Time to the provider's response headers (for an answer not streamed, its whole generation),
   * and longest silence inside a stream. Ten minutes, as long as the OpenAI and Anthropic SDKs
   * wait: a long answer of a reasoning model is not cut short (and paid for again on a retry).
   */
  upstreamTimeoutMs: z.coerce.number().int().min(100).max(3_600_000).default(600_000),
  /** Consecutive failures that open a deployment's circuit breaker, and how long it stays open. */
  breakerFailures: z.coerce.number().int().min(1).max(1000).default(5),
  breakerOpenMs: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  /** Models without a known price: refuse them (fail closed, the default) or serve them at cost 0. */
  unpriced: z.enum(['reject', 'allow']).default('reject'),
  /** Output tokens reserved when neither the client nor the deployment sets a maximum. */
  defaultMaxOutputTokens: z.coerce.number().int().min(1).max(1_000_000).default(4096),
  /** How long a budget reservation holds before it is taken back (a gateway that died mid-request). */
  quotaReservationTtlMs: z.coerce.number().int().min(1_000).max(24 * 3_600_000).default(15 * 60_000),
  /**
   * How long a request that fits its budgets once in-flight reservations settle waits for them
   * (woken by each settlement) before it is refused; 0 refuses at once.
   */
  quotaWaitMs: z.coerce.number().int().min(0).max(60_000).default(3_000),
  /**
   * How long the gateway admits a caller that no budget or rate limit applies to without asking
   * Redis again (dropped at once when the projection announces a change of the tenant's limits).
   */
  quotaUntrackedCacheMs: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /**
   * Budget leases (ADR 0013): each gateway process reserves a slice of the budgets its callers
   * use and admits against it without a Redis round trip; a lease not renewed for this long (a
   * gateway that died) is taken back. 0 turns leases off (every tracked request asks Redis).
   */
  quotaLeaseTtlMs: z.coerce
    .number()
    .int()
    .max(3_600_000)
    .refine((n) => n === 0 || n >= 1_000, 'must be 0 (no leases) or at least 1000 ms')
    .default(60_000),
  bodyLimitBytes: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
  /**
   * Postgres of the key store (per-subject data keys) and of the read models. With `keyringFile`,
   * the gateway seals the client address and user agent into request events and can log content
   * for teams that asked; without either, neither is recorded and content-logging teams are
   * refused (503). With it, the gateway loads its settings from the `settings_log` read model at
   * start and reads the stream only past it (ADR 0018); without it, it reads the whole stream.
   */
  pgUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  /** The keyring file with the key-encryption keys (`totra up` and `totra gdpr` create it). */
  keyringFile: z.string().min(1).optional(),
  /** How long an unwrapped data key stays in memory (bounds how long a shred elsewhere takes to reach this process). */
  keyCacheTtlMs: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * On shutdown, how long requests in flight may take to finish and record their events before
   * the gateway stops anyway (keep it below the orchestrator's termination grace period).
   */
  closeGraceMs: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * Worker processes sharing the port (node:cluster): `1` serves from this process; `auto` is
   * one per CPU core. Each worker is a gateway with its own chain and spool folder; `/metrics`
   * adds up all of them.
   */
  workers: z
    .union([z.literal('auto'), z.coerce.number().int(WORKERS).min(1, WORKERS).max(64, WORKERS)], { message: WORKERS })
    .default(1)
    .transform((w) => (w === 'auto' ? Math.max(1, availableParallelism()) : w)),
  /**
   * Node (V8) flags of the worker processes, space-separated, or `none`. Unset:
   * `--max-semi-space-size=64`, and when the workers take every core `--no-parallel-scavenge`
   * (ADR 0016).
   */
  workerNodeFlags: z
    .string()
    .trim()
    .max(2000)
    .refine((s) => s === 'none' || s.split(/\s+/).every((f) => NODE_FLAG.test(f) && !UNSAFE_NODE_FLAG.test(f)), {
      message: 'Node flags such as --no-parallel-scavenge or --max-semi-space-size=32, separated by spaces, or none (flags that load code or open a debugger are refused)',
    })
    .optional(),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;

const ENV: Record<keyof GatewayConfig, string> = {
  host: 'TOTRA_GATEWAY_HOST',
  port: 'TOTRA_GATEWAY_PORT',
  natsUrl: 'TOTRA_NATS_URL',
  streamName: 'TOTRA_STREAM',
  subjectPrefix: 'TOTRA_SUBJECT_PREFIX',
  streamReplicas: 'TOTRA_STREAM_REPLICAS',
  spoolDir: 'TOTRA_SPOOL_DIR',
  redisUrl: 'TOTRA_REDIS_URL',
  redisPrefix: 'TOTRA_REDIS_PREFIX',
  trustedProxies: 'TOTRA_TRUSTED_PROXIES',
  catalogFile: 'TOTRA_CATALOG_FILE',
  upstreamTimeoutMs: 'TOTRA_UPSTREAM_TIMEOUT_MS',
  breakerFailures: 'TOTRA_BREAKER_FAILURES',
  breakerOpenMs: 'TOTRA_BREAKER_OPEN_MS',
  unpriced: 'TOTRA_UNPRICED',
  defaultMaxOutputTokens: 'TOTRA_DEFAULT_MAX_OUTPUT_TOKENS',
  quotaReservationTtlMs: 'TOTRA_QUOTA_RESERVATION_TTL_MS',
  quotaWaitMs: 'TOTRA_QUOTA_WAIT_MS',
  quotaUntrackedCacheMs: 'TOTRA_QUOTA_UNTRACKED_CACHE_MS',
  quotaLeaseTtlMs: 'TOTRA_QUOTA_LEASE_TTL_MS',
  bodyLimitBytes: 'TOTRA_GATEWAY_BODY_LIMIT',
  pgUrl: 'TOTRA_PG_URL',
  keyringFile: 'TOTRA_KEYRING',
  keyCacheTtlMs: 'TOTRA_KEY_CACHE_TTL_MS',
  logLevel: 'TOTRA_LOG_LEVEL',
  closeGraceMs: 'TOTRA_GATEWAY_CLOSE_GRACE_MS',
  workers: 'TOTRA_GATEWAY_WORKERS',
  workerNodeFlags: 'TOTRA_GATEWAY_WORKER_NODE_FLAGS',
};

/** Reads the gateway's configuration from the environment; a bad value names its variable. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<z.input<typeof GatewayConfig>> = {}): GatewayConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = GatewayConfig.safeParse({ ...raw, ...overrides });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof GatewayConfig;
      return `${ENV[key] ?? key}: ${i.message}`;
    });
    throw new GatewayConfigError(`invalid gateway configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
