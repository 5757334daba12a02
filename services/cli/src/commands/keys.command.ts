import { randomBytes } from 'node:crypto';
import { type NatsConnection } from '@nats-io/nats-core';
import { type StreamOptions } from '@totra/eventlog';
import { keysLog } from '@totra/projection-reporting';
import {
  IdentityError,
  foldApiKeys,
  initialApiKeysState,
  issueApiKey,
  mintApiKey,
  revokeApiKey,
  type ApiKeysState,
  type ApiKeyView,
  type FoldableEvent,
} from '@totra/identity';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { type EventLogReader, foldFromEventLog, type LogOptions, logOptions, withEventLog, withNats, withWriter } from '../log-context.js';

const KEY_TYPES: ReadonlySet<string> = new Set(keysLog.types);

/**
 * Folds the key events of the whole stream (every chain, in stream order): from the `keys_log`
 * read model up to its checkpoint when `log` gives one of this stream, then from the stream
 * past it (ADR 0018).
 */
export async function loadApiKeys(nc: NatsConnection, stream: StreamOptions, log?: EventLogReader): Promise<ApiKeysState> {
  const events = await foldFromEventLog<FoldableEvent[]>(nc, stream, KEY_TYPES, [], (all, e) => {
    all.push({ type: e.type, tenant: e.envelope.tenant, time: e.envelope.time, data: e.data });
    return all;
  }, log);
  return foldApiKeys(events);
}

/** Domain refusals are bad input (exit 2), except revoking twice, which is a failed command (exit 1). */
function asCliError(err: unknown): unknown {
  if (err instanceof IdentityError) {
    return new CliError(err.code, err.message, err.code === 'TOTRA_KEY_ALREADY_REVOKED' ? EXIT.failed : EXIT.usage, { cause: err });
  }
  return err;
}

function decide<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asCliError(err);
  }
}

function parseExpiry(text: string, now: Date): Date {
  // A date alone means the start of that day, UTC.
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00.000Z` : text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) {
    throw new CliError('TOTRA_CLI_USAGE', `--expires: "${text}" is not an ISO 8601 date (e.g. 2027-01-31 or 2027-01-31T18:00:00Z)`);
  }
  if (d.getTime() <= now.getTime()) throw new CliError('TOTRA_CLI_USAGE', `--expires: ${d.toISOString()} is not in the future`);
  return d;
}

function statusOf(k: ApiKeyView, now: Date): 'active' | 'revoked' | 'expired' {
  if (k.status === 'revoked') return 'revoked';
  if (k.expiresAt !== undefined && Date.parse(k.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

const COLUMNS = ['KEY ID', 'PREFIX', 'USER', 'TEAM', 'TENANT', 'STATUS', 'EXPIRES', 'NAME'] as const;

function formatTable(keys: readonly ApiKeyView[], now: Date): string {
  const rows = keys.map((k) => [k.keyId, `${k.prefix}…`, k.userId, k.teamId, k.tenant, statusOf(k, now), k.expiresAt ?? '-', k.name ?? '']);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(COLUMNS), ...rows.map(line)].join('\n')}\n`;
}

interface IssueOptions extends LogOptions {
  user: string;
  team: string;
  tenant: string;
  name?: string;
  cidr: string[];
  expires?: string;
  json?: boolean;
}

/** `totra keys issue|revoke|list`: gateway API keys, as events on the admin's own chain. */
export const keysCommands: CommandGroup = (program, io) => {
  const keys = program.command('keys').description('issue, revoke and list gateway API keys');

  logOptions(
    keys
      .command('issue')
      .description('issue a gateway API key; the key is printed once and never stored')
      .requiredOption('--user <id>', 'pseudonymous user id (not an email or a name)')
      .requiredOption('--team <id>', 'pseudonymous team id')
      .option('--tenant <id>', 'tenant', 'default')
      .option('--name <text>', 'a label to tell keys apart (e.g. "billing batch job")')
      .option('--cidr <cidr>', 'network the key may be used from (repeat for more); default: any', (v: string, prev: string[]) => [...prev, v], [])
      .option('--expires <date>', 'ISO 8601 date or time when the key stops working')
      .option('--json', 'print the key and its id as JSON'),
  ).action(async (o: IssueOptions) => {
    const at = new Date();
    const minted = mintApiKey(at, (n) => randomBytes(n));
    // Decided before connecting: bad input fails fast, and the key id is new, so no state is needed.
    const events = decide(() =>
      issueApiKey(
        {
          keyId: minted.keyId,
          keyHash: minted.keyHash,
          prefix: minted.prefix,
          user: o.user,
          team: o.team,
          tenant: o.tenant,
          ...(o.name !== undefined ? { name: o.name } : {}),
          cidrs: o.cidr,
          ...(o.expires !== undefined ? { expiresAt: parseExpiry(o.expires, at) } : {}),
          at,
        },
        initialApiKeysState,
      ),
    );
    await withWriter(o, (writer) => {
      for (const e of events) writer.append(e);
    });
    if (o.json) {
      const issued = events[0]?.type === 'ApiKeyIssued' ? events[0].data : undefined;
      const shown = { key: minted.key, keyId: minted.keyId, prefix: minted.prefix, userId: o.user, teamId: o.team, tenant: o.tenant, name: issued?.name, cidrs: issued?.cidrs ?? [], expiresAt: issued?.expiresAt };
      io.stdout(`${JSON.stringify(shown)}\n`);
    } else {
      io.stdout(`key     ${minted.key}\nkey id  ${minted.keyId}\nprefix  ${minted.prefix}…\n`);
    }
    io.stderr(`issued ${minted.keyId} to user ${o.user}, team ${o.team}. This is the only time the key is shown: store it now.\n`);
  });

  logOptions(
    keys
      .command('revoke <keyId>')
      .description('revoke a key: the gateway refuses it within a second')
      .option('--reason <text>', 'why (recorded in the event)'),
  ).action(async (keyId: string, o: LogOptions & { reason?: string }) => {
    const at = new Date();
    const { events, key } = await withEventLog(o, keysLog, io.stderr, (log) => withNats(o, async (nc, stream) => {
      const state = await loadApiKeys(nc, stream, log);
      return { events: decide(() => revokeApiKey({ keyId, at, ...(o.reason !== undefined ? { reason: o.reason } : {}) }, state)), key: state.get(keyId) };
    }));
    await withWriter(o, (writer) => {
      for (const e of events) writer.append(e);
    });
    io.stdout(`revoked ${keyId} (${key?.prefix ?? ''}…, user ${key?.userId ?? '?'}, team ${key?.teamId ?? '?'})\n`);
  });

  logOptions(
    keys
      .command('list')
      .description('list keys: id, prefix, user, team, status (never the key or its hash)')
      .option('--tenant <id>', 'only this tenant')
      .option('--json', 'machine-readable output'),
  ).action(async (o: LogOptions & { tenant?: string; json?: boolean }) => {
    const now = new Date();
    const state = await withEventLog(o, keysLog, io.stderr, (log) => withNats(o, (nc, stream) => loadApiKeys(nc, stream, log)));
    const list = [...state.values()].filter((k) => o.tenant === undefined || k.tenant === o.tenant);
    if (o.json) io.stdout(`${JSON.stringify(list.map((k) => ({ ...k, status: statusOf(k, now) })), null, 2)}\n`);
    else if (!list.length) io.stdout('no keys\n');
    else io.stdout(formatTable(list, now));
  });
};
