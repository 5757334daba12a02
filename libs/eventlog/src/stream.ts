import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { StreamNotImmutableError } from './errors.js';

/** Where the event log lives. Tests use their own name and prefix to isolate themselves. */
export interface StreamOptions {
  /** Stream name; `TOTRA` in production. */
  name: string;
  /** Subject prefix; chains publish to `<prefix>.chain.<chain-id>`. */
  subjectPrefix: string;
  /** 3 in production (a 3-node cluster), 1 on one machine. */
  replicas?: number;
  storage?: 'file' | 'memory';
  /** Window in which JetStream drops a re-sent batch with the same Nats-Msg-Id. */
  duplicateWindowMs?: number;
}

export const DEFAULT_STREAM: Readonly<StreamOptions> = {
  name: 'TOTRA',
  subjectPrefix: 'totra',
  replicas: 1,
  storage: 'file',
  duplicateWindowMs: 10 * 60_000,
};

/** The JetStream subject of one chain. */
export function chainSubject(stream: Pick<StreamOptions, 'subjectPrefix'>, chainId: string): string {
  return `${stream.subjectPrefix}.chain.${chainId}`;
}

/** The chain id a subject belongs to, or undefined when the subject is not a chain subject. */
export function chainIdOfSubject(stream: Pick<StreamOptions, 'subjectPrefix'>, subject: string): string | undefined {
  const prefix = `${stream.subjectPrefix}.chain.`;
  return subject.startsWith(prefix) ? subject.slice(prefix.length) : undefined;
}

const nanos = (ms: number): number => ms * 1_000_000;

/**
 * The immutable-log settings of the TOTRA stream (architecture section 4): no limits and
 * discard new (nothing is ever aged out or overwritten), delete and purge denied, no rollup.
 * Deleting the stream itself must additionally be forbidden by NATS account permissions.
 */
export function streamConfig(opts: StreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: opts.name,
    subjects: [`${opts.subjectPrefix}.chain.>`],
    retention: RetentionPolicy.Limits,
    storage: (opts.storage ?? 'file') === 'file' ? StorageType.File : StorageType.Memory,
    num_replicas: opts.replicas ?? 1,
    discard: DiscardPolicy.New,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msgs_per_subject: -1,
    max_msg_size: -1,
    deny_delete: true,
    deny_purge: true,
    allow_rollup_hdrs: false,
    duplicate_window: nanos(opts.duplicateWindowMs ?? DEFAULT_STREAM.duplicateWindowMs ?? 600_000),
    description: 'ToTra event log: hash-chained, append-only. Deleting this stream must be denied by permissions.',
  };
}

/** Checks an existing stream against the immutable-log settings; returns what is wrong. */
export function immutabilityViolations(config: StreamConfig): string[] {
  const problems: string[] = [];
  if (!config.deny_delete) problems.push('deny_delete is off (messages could be deleted)');
  if (!config.deny_purge) problems.push('deny_purge is off (the stream could be purged)');
  if (config.allow_rollup_hdrs) problems.push('rollup headers are allowed (history could be replaced)');
  if (config.discard !== DiscardPolicy.New) problems.push('discard policy is not "new" (old events could be dropped)');
  if (config.max_msgs > 0 || config.max_bytes > 0 || config.max_age > 0 || (config.max_msgs_per_subject ?? -1) > 0) {
    problems.push('the stream has limits (old events could be aged out)');
  }
  return problems;
}

/**
 * Creates the stream, or upgrades an existing one to the current settings. Settings that
 * NATS will not change on a live stream (deny delete/purge cannot be switched back off) are
 * reported: an existing stream that is not immutable is an error, never silently accepted.
 */
export async function ensureStream(jsm: JetStreamManager, opts: StreamOptions): Promise<StreamInfo> {
  const wanted = streamConfig(opts);
  let existing: StreamInfo | undefined;
  try {
    existing = await jsm.streams.info(opts.name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== 10059) throw err;
  }
  if (!existing) return jsm.streams.add(wanted);
  const current = existing.config;
  const needsUpdate =
    !current.subjects?.includes(wanted.subjects?.[0] ?? '') ||
    current.duplicate_window !== wanted.duplicate_window ||
    immutabilityViolations(current).length > 0 ||
    current.num_replicas !== wanted.num_replicas;
  let info = existing;
  if (needsUpdate) {
    try {
      // Storage and retention cannot change on a live stream: only the updatable settings go.
      const { storage: _s, retention: _r, name: _n, ...updatable } = wanted;
      info = await jsm.streams.update(opts.name, {
        ...updatable,
        subjects: [...new Set([...(current.subjects ?? []), ...(wanted.subjects ?? [])])],
      });
    } catch (err) {
      throw new StreamNotImmutableError(
        `stream ${opts.name} exists with settings that cannot be upgraded (${(err as Error).message}); ` +
          'recreate it with `totra` or fix it with the nats CLI',
      );
    }
  }
  const problems = immutabilityViolations(info.config);
  if (problems.length) {
    throw new StreamNotImmutableError(`stream ${opts.name} is not an immutable log: ${problems.join('; ')}`);
  }
  return info;
}
