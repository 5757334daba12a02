import { type NatsConnection } from '@nats-io/nats-core';
import {
  ERASURE_EVENT_TYPES,
  type ErasureFact,
  type ErasureState,
  decideExecution,
  erasureFactOf,
  erasureStatus,
  foldErasure,
  foldTeamSettings,
  keyShredded,
  requestErasure,
  retentionCutoff,
  signErasureReceipt,
  ErasureRefusedError,
} from '@totra/crypto';
import { type Envelope, newEventId } from '@totra/events';
import { readStream, type StreamOptions } from '@totra/eventlog';
import { type KeyStore } from '@totra/keystore';
import { gdprLog } from '@totra/projection-reporting';
import { CliError, EXIT } from '../cli-error.js';
import { Progress } from '../progress.js';
import type { CommandGroup } from '../cli.js';
import { type KeyOptions, addKek, keyOptions, receiptSecretKey, withKeyStore } from '../gdpr-context.js';
import { type EventLogReader, foldFromEventLog, type LogOptions, withEventLog, withNats, withSettingsLog, withWriter } from '../log-context.js';

/** What `totra gdpr retention` folds from the settings: the teams' retention. */
const TEAM_SETTINGS_TYPES: ReadonlySet<string> = new Set(['TeamSettingsChanged']);

/** Every envelope of the log, in stream order, in memory: for tests and small logs only. */
export async function readEnvelopes(nc: NatsConnection, stream: StreamOptions): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for await (const batch of readStream(nc, stream)) for (const line of batch.lines) out.push(JSON.parse(line) as Envelope);
  return out;
}

/**
 * The erasure state of every subject, folded from the erasure events of the whole stream: from
 * the `gdpr_log` read model up to its checkpoint when `log` gives one of this stream, then from
 * the stream past it, reading only the messages that hold such events (ADR 0018).
 */
export async function loadErasureState(nc: NatsConnection, stream: StreamOptions, log?: EventLogReader): Promise<ErasureState> {
  const facts = await foldFromEventLog<ErasureFact[]>(nc, stream, ERASURE_EVENT_TYPES, [], (all, e) => {
    all.push(erasureFactOf(e));
    return all;
  }, log);
  return foldErasure(facts);
}

/** {@link loadErasureState} with ToTra's Postgres when it is known (a note on `note` when it cannot be read). */
function erasureState(o: LogOptions, note: (line: string) => void): Promise<ErasureState> {
  return withEventLog(o, gdprLog, note, (log) => withNats(o, (nc, stream) => loadErasureState(nc, stream, log)));
}

/**
 * The subject's events (those naming it as subject, and accounting events naming it as user),
 * read from the whole stream one message at a time: only the subject's are kept.
 */
export async function readSubjectEvents(nc: NatsConnection, stream: StreamOptions, subject: string, progress?: Progress): Promise<Envelope[]> {
  const asSubject = `"subject":${JSON.stringify(subject)}`;
  const asUser = `"userId":${JSON.stringify(subject)}`;
  const out: Envelope[] = [];
  for await (const batch of readStream(nc, stream, { onProgress: (done, total) => progress?.update(done, total) })) {
    for (const line of batch.lines) {
      // Stored lines are canonical JSON: a line that names the subject holds one of these.
      if (!line.includes(asSubject) && !line.includes(asUser)) continue;
      const e = JSON.parse(line) as Envelope;
      if (isOfSubject(e, subject)) out.push(e);
    }
  }
  progress?.done();
  return out;
}

/** An event with its sealed part opened, or marked shredded when its key is gone. */
export interface DecryptedEvent {
  id: string;
  type: string;
  time: string;
  tenant: string;
  subject?: string;
  data: Record<string, unknown>;
  personal?: Record<string, unknown> | { shredded: true; kid: string };
}

/** Opens the sealed part of every event it can; shredded keys give `{shredded: true}`, never an error. */
export async function decryptedView(store: KeyStore, events: readonly Envelope[]): Promise<DecryptedEvent[]> {
  const out: DecryptedEvent[] = [];
  for (const e of events) {
    const view: DecryptedEvent = { id: e.id, type: e.type, time: e.time, tenant: e.tenant, data: e.data, ...(e.subject ? { subject: e.subject } : {}) };
    if (e.sealed) {
      try {
        view.personal = (await store.openSealed(e)) ?? {};
      } catch (err) {
        if ((err as { code?: string }).code !== 'TOTRA_KEYSTORE_KEY_SHREDDED') throw err;
        view.personal = { shredded: true, kid: e.sealed.kid };
      }
    }
    out.push(view);
  }
  return out;
}

/** Whether an event is the subject's: it names it as subject, or it is an accounting event naming it as user. */
function isOfSubject(e: Envelope, subject: string): boolean {
  return e.subject === subject || (e.subject === undefined && e.data['userId'] === subject);
}

/** Art. 15 information that goes with the data: purposes, recipients, retention. */
function exportNotice(events: readonly DecryptedEvent[]): Record<string, unknown> {
  const providers = [...new Set(events.map((e) => e.data['provider']).filter((p): p is string => typeof p === 'string'))].sort();
  return {
    purposes: [
      'operating the LLM gateway: authenticating and routing requests (pseudonymous ids)',
      'cost accounting and budgets (pseudonymous, kept after erasure)',
      'contact and account administration (email, name: sealed, erased on request)',
      'content logging when the team enabled it (prompts and responses: sealed, kept per team retention)',
    ],
    recipients: providers.map((p) => ({ provider: p, role: 'processor: receives request content to answer it' })),
    retention: {
      identity: 'until erasure is requested (the data key is destroyed)',
      content: "per team setting (contentRetentionMonths), enforced by destroying monthly content keys",
      accounting: 'kept (pseudonymous) for audit and invoicing',
    },
  };
}

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function toCsv(events: readonly DecryptedEvent[]): string {
  const rows = [['event_id', 'type', 'time', 'part', 'field', 'value']];
  for (const e of events) {
    for (const [k, v] of Object.entries(e.data)) rows.push([e.id, e.type, e.time, 'data', k, csvCell(v)]);
    for (const [k, v] of Object.entries(e.personal ?? {})) rows.push([e.id, e.type, e.time, 'personal', k, csvCell(v)]);
  }
  return `${rows.map((r) => r.join(',')).join('\n')}\n`;
}

function refused<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ErasureRefusedError) throw new CliError(err.code, err.message, EXIT.failed, { cause: err });
    throw err;
  }
}

/**
 * Executes an open erasure request unless a hold defers it: approve, destroy the keys (journaled),
 * record `SubjectKeyShredded`, sign and record the receipt. Returns what it printed.
 */
async function execute(o: KeyOptions, subject: string, requestEventId: string | undefined, by: string, note: (line: string) => void): Promise<string> {
  const state = await erasureState(o, note);
  const view = state.subjects.get(subject);
  const req = requestEventId ?? view?.requests.filter((r) => !r.shreddedAt).at(-1)?.eventId;
  if (!req) throw new CliError('TOTRA_GDPR_ERASURE_REFUSED', `no open erasure request for ${subject}`, EXIT.failed);
  const at = new Date();
  const decision = refused(() => decideExecution({ subject, requestEventId: req, approvedBy: by, at }, state));
  if (decision.kind === 'deferred') {
    return `erasure of ${subject} deferred: retention hold ${decision.holds.map((h) => `${h.holdId} (${h.reason})`).join(', ')}; run \`totra gdpr execute ${subject}\` once released\n`;
  }
  const tenant = view?.tenant ?? 'default';
  const journalEntryId = newEventId();
  const shred = await withKeyStore(o, (store) => store.shredSubject(subject, journalEntryId));
  const shreddedAt = new Date();
  const request = view?.requests.find((r) => r.eventId === req);
  const receipt = signErasureReceipt(
    { receiptId: newEventId(), subject, requestEventId: req, journalEntryId, kids: shred.kids, requestedAt: request?.requestedAt ?? at.toISOString(), shreddedAt: shreddedAt.toISOString(), tenant },
    receiptSecretKey(o),
  );
  await withWriter(o, (writer) => {
    for (const e of decision.events) writer.append(e);
    writer.append(keyShredded({ subject, tenant, kids: shred.kids, journalEntryId, requestEventId: req, at: shreddedAt }));
    writer.append({ type: 'ErasureReceiptIssued', tenant, subject, data: { receipt: receipt.receipt, alg: receipt.alg, publicKey: receipt.publicKey, signature: receipt.signature } });
  });
  const revoked = decision.events.filter((e) => e.type === 'ApiKeyRevoked').length;
  return `erased ${subject}: ${shred.kids.length} key(s) destroyed (journal ${journalEntryId}), ${revoked} API key(s) revoked\nreceipt ${JSON.stringify(receipt)}\n`;
}

/** `totra gdpr ...`: erasure (Art. 17), export (Art. 15/20), status, holds, retention, key maintenance. */
export const gdprCommands: CommandGroup = (program, io, setExitCode) => {
  const gdpr = program.command('gdpr').description('GDPR: erasure by crypto-shredding, export, status, retention');

  keyOptions(
    gdpr
      .command('request-erasure <user-id>')
      .description('record an erasure request (due in one month); with --execute, destroy the keys now unless a retention hold defers it')
      .option('--execute', 'approve and shred now')
      .option('--basis <text>', 'legal basis', 'Art. 17(1) GDPR: request of the data subject')
      .option('--by <id>', 'pseudonymous id of the GDPR officer', 'gdpr-officer')
      .option('--tenant <id>', 'tenant', 'default'),
  ).action(async (subject: string, o: KeyOptions & { execute?: boolean; basis: string; by: string; tenant: string }) => {
    const eventId = newEventId();
    const at = new Date();
    const state = await erasureState(o, io.stderr);
    const due = refused(() => requestErasure({ subject, tenant: state.subjects.get(subject)?.tenant ?? o.tenant, requestedBy: o.by, legalBasis: o.basis, at, eventId }, state));
    await withWriter(o, (writer) => {
      for (const e of due) writer.append(e);
    });
    io.stdout(`erasure of ${subject} requested (${eventId}), due ${String(due[0]?.data['dueAt'])}\n`);
    if (o.execute) io.stdout(await execute(o, subject, eventId, o.by, io.stderr));
  });

  keyOptions(
    gdpr
      .command('execute <user-id>')
      .description('execute the open erasure request of a subject (e.g. after its retention hold was released)')
      .option('--by <id>', 'pseudonymous id of the GDPR officer', 'gdpr-officer'),
  ).action(async (subject: string, o: KeyOptions & { by: string }) => {
    io.stdout(await execute(o, subject, undefined, o.by, io.stderr));
  });

  keyOptions(
    gdpr
      .command('hold <user-id>')
      .description('place a retention hold: erasure is deferred while it stands (Art. 17(3))')
      .requiredOption('--reason <text>', 'why (no personal data)')
      .option('--by <id>', 'pseudonymous id of who places it', 'gdpr-officer')
      .option('--tenant <id>', 'tenant', 'default'),
  ).action(async (subject: string, o: KeyOptions & { reason: string; by: string; tenant: string }) => {
    const holdId = `hold_${newEventId().replaceAll('-', '').slice(-12)}`;
    await withWriter(o, (w) => w.append({ type: 'RetentionHoldPlaced', tenant: o.tenant, subject, data: { holdId, reason: o.reason, placedBy: o.by } }));
    io.stdout(`hold ${holdId} placed on ${subject}\n`);
  });

  keyOptions(
    gdpr
      .command('release <user-id> <hold-id>')
      .description('release a retention hold')
      .requiredOption('--reason <text>', 'why')
      .option('--by <id>', 'pseudonymous id of who releases it', 'gdpr-officer')
      .option('--tenant <id>', 'tenant', 'default'),
  ).action(async (subject: string, holdId: string, o: KeyOptions & { reason: string; by: string; tenant: string }) => {
    await withWriter(o, (w) => w.append({ type: 'RetentionHoldReleased', tenant: o.tenant, subject, data: { holdId, reason: o.reason, releasedBy: o.by } }));
    io.stdout(`hold ${holdId} on ${subject} released\n`);
  });

  keyOptions(
    gdpr
      .command('export <user-id>')
      .description("Art. 15/20: the subject's events, decrypted, with purposes, recipients and retention (JSON, or CSV)")
      .option('--csv', 'CSV: one row per field'),
  ).action(async (subject: string, o: KeyOptions & { csv?: boolean }) => {
    // The whole log is read (the subject's events are wherever its requests went): progress on a terminal.
    const events = await withNats(o, (nc, stream) => readSubjectEvents(nc, stream, subject, new Progress(`reading the log for ${subject}`)));
    const mine = await withKeyStore(o, (store) => decryptedView(store, events));
    if (o.csv) io.stdout(toCsv(mine));
    else io.stdout(`${JSON.stringify({ subject, exportedAt: new Date().toISOString(), events: mine, ...exportNotice(mine) }, null, 2)}\n`);
  });

  keyOptions(gdpr.command('status').description('erasure requests, deadlines, whether they are overdue and whether the overdue alert went out (the projector sends it)').option('--json', 'machine-readable')).action(
    async (o: KeyOptions & { json?: boolean }) => {
      const rows = erasureStatus(await erasureState(o, io.stderr), new Date());
      if (o.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        io.stdout('SUBJECT  STATE  DUE  OVERDUE  DETAIL\n');
        for (const r of rows) {
          const overdue = r.overdue ? `OVERDUE${r.overdueAlertedAt ? ` (alert sent ${r.overdueAlertedAt})` : ' (alert pending)'}` : 'no';
          io.stdout(`${r.subject}  ${r.state}  ${r.dueAt}  ${overdue}  ${r.detail}\n`);
        }
      }
      if (rows.some((r) => r.overdue)) setExitCode(EXIT.failed);
    },
  );

  keyOptions(gdpr.command('reapply-journal').description('after restoring the key store from a backup: shred again everything the erasure journal lists')).action(async (o: KeyOptions) => {
    const n = await withKeyStore(o, (store) => store.reapplyJournal());
    io.stdout(`re-shredded ${n} key(s) that had come back with the restore\n`);
  });

  keyOptions(gdpr.command('rotate-kek').description('add a new key-encryption key to the keyring and re-wrap every data key with it (events are untouched)')).action(async (o: KeyOptions) => {
    const id = addKek(o);
    const n = await withKeyStore(o, (store) => store.rotateKek());
    io.stdout(`re-wrapped ${n} data key(s) under ${id}\n`);
  });

  keyOptions(
    gdpr
      .command('retention')
      .description("destroy the content keys of periods past each team's retention (TeamSettingsChanged), or of one team with --keep-months")
      .option('--team <id>', 'only this team')
      .option('--keep-months <n>', 'override the team setting'),
  ).action(async (o: KeyOptions & { team?: string; keepMonths?: string }) => {
    const now = new Date();
    const teams = foldTeamSettings(
      await withSettingsLog(o, io.stderr, (log) =>
        withNats(o, (nc, stream) =>
          foldFromEventLog<{ type: string; data: Readonly<Record<string, unknown>> }[]>(nc, stream, TEAM_SETTINGS_TYPES, [], (all, e) => {
            all.push({ type: e.type, data: e.data });
            return all;
          }, log),
        ),
      ),
    );
    const targets = [...teams.entries()]
      .filter(([team]) => o.team === undefined || team === o.team)
      .map(([team, s]) => ({ team, months: o.keepMonths !== undefined ? Number(o.keepMonths) : s.contentRetentionMonths }))
      .filter((t): t is { team: string; months: number } => t.months !== undefined && Number.isInteger(t.months) && t.months > 0);
    let total = 0;
    for (const t of targets) {
      const shredded = await withKeyStore(o, (store) => store.shredPeriodsBefore({ category: 'content', before: retentionCutoff(now, t.months), teamId: t.team, newEntryId: newEventId }));
      if (shredded.length === 0) continue;
      await withWriter(o, (w) => {
        for (const s of shredded) {
          w.append({ type: 'SubjectKeyShredded', id: s.journalEntryId, tenant: 'default', subject: s.subject, data: { kids: s.kids, journalEntryId: s.journalEntryId, reason: 'retention', category: 'content' } });
        }
      });
      total += shredded.reduce((n, s) => n + s.kids.length, 0);
    }
    io.stdout(`destroyed ${total} content key(s) past retention\n`);
  });
};
