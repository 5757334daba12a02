import { randomBytes } from 'node:crypto';
import { type NatsConnection } from '@nats-io/nats-core';
import { newEventId } from '@totra/events';
import { type StreamOptions } from '@totra/eventlog';
import { quotaLog } from '@totra/projection-reporting';
import {
  QuotaError,
  approveQuotaIncrease,
  foldQuota,
  formatMicroUsd,
  quotaReason,
  rejectQuotaIncrease,
  removeBudget,
  requestQuotaIncrease,
  setBudget,
  usdToMicroUsd,
  type BudgetPeriod,
  type BudgetScope,
  type FoldableQuotaEvent,
  type QuotaEvent,
  type QuotaRequestView,
  type QuotaState,
} from '@totra/quota';
import { CliError, EXIT } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { type KeyOptions, keyOptions, resolveDbUrl, withKeyStore } from '../gdpr-context.js';
import { type EventLogReader, foldFromEventLog, type LogOptions, logOptions, withEventLog, withNats, withWriter } from '../log-context.js';

const QUOTA_TYPES: ReadonlySet<string> = new Set(quotaLog.types);

/**
 * Folds the budget, rate-limit and quota-request events of the whole stream: from the `quota_log`
 * read model up to its checkpoint when `log` gives one of this stream, then from the stream past
 * it (ADR 0018).
 */
export async function loadQuotaState(nc: NatsConnection, stream: StreamOptions, log?: EventLogReader): Promise<QuotaState> {
  const events = await foldFromEventLog<FoldableQuotaEvent[]>(nc, stream, QUOTA_TYPES, [], (all, e) => {
    const { envelope } = e;
    all.push({ type: e.type, tenant: envelope.tenant, time: envelope.time, data: e.data, id: envelope.id, subject: envelope.subject, sealed: envelope.sealed });
    return all;
  }, log);
  return foldQuota(events);
}

function decide<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof QuotaError) {
      const failed = err.code === 'TOTRA_QUOTA_REQUEST_DECIDED' || err.code === 'TOTRA_BUDGET_NOT_FOUND' || err.code === 'TOTRA_QUOTA_REQUEST_NOT_FOUND';
      throw new CliError(err.code, err.message, failed ? EXIT.failed : EXIT.usage, { cause: err });
    }
    throw err;
  }
}

async function append(o: LogOptions, events: QuotaEvent[]): Promise<void> {
  await withWriter(o, (writer) => {
    for (const e of events) writer.append(e);
  });
}

interface SetOptions extends LogOptions {
  key?: string;
  user?: string;
  team?: string;
  /** `--tenant-wide` (commander names it after the flag). */
  tenantWide?: boolean;
  tenant: string;
  usd?: string;
  tokens?: string;
  period: string;
  model?: string;
  tz: string;
  id?: string;
  thresholds?: string;
}

function scopeOf(o: SetOptions): BudgetScope {
  const given = [o.key !== undefined, o.user !== undefined, o.team !== undefined, o.tenantWide === true].filter(Boolean).length;
  if (given !== 1) throw new CliError('TOTRA_CLI_USAGE', 'give exactly one of --key <id>, --user <id>, --team <id> or --tenant-wide');
  if (o.key !== undefined) return { kind: 'key', id: o.key };
  if (o.user !== undefined) return { kind: 'user', id: o.user };
  if (o.team !== undefined) return { kind: 'team', id: o.team };
  return { kind: 'tenant' };
}

const PERIODS = new Set(['daily', 'weekly', 'monthly', 'total']);

function tokensOf(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new CliError('TOTRA_CLI_USAGE', `--tokens: "${text}" is not a whole number`);
  return Number(text);
}

/** `totra budgets set|list|remove` and `totra quota request|approve|reject|list`. */
export const budgetsCommands: CommandGroup = (program, io) => {
  const budgets = program.command('budgets').description('set, list and remove budgets (key, user, team or tenant; micro-USD and/or tokens)');

  logOptions(
    budgets
      .command('set')
      .description('set (or replace) a budget; requests over it get 429 before any provider is called')
      .option('--key <keyId>', 'budget of one API key')
      .option('--user <id>', 'budget of one (pseudonymous) user')
      .option('--team <id>', 'budget of one team')
      .option('--tenant-wide', 'budget of the whole tenant')
      .option('--tenant <id>', 'tenant', 'default')
      .option('--usd <amount>', 'limit in USD (e.g. 250 or 12.50)')
      .option('--tokens <n>', 'limit in tokens (input + output)')
      .option('--period <period>', 'daily | weekly | monthly | total', 'monthly')
      .option('--model <alias>', 'count only requests for this model alias')
      .option('--tz <zone>', 'IANA time zone whose calendar resets the period (the tenant\'s)', 'UTC')
      .option('--thresholds <list>', 'alert thresholds in percent, comma-separated', '50,80,100')
      .option('--id <budgetId>', 'budget id (default: derived from the scope, period and model)'),
  ).action(async (o: SetOptions) => {
    if (!PERIODS.has(o.period)) throw new CliError('TOTRA_CLI_USAGE', `--period: "${o.period}" is not daily, weekly, monthly or total`);
    if (o.usd === undefined && o.tokens === undefined) throw new CliError('TOTRA_CLI_USAGE', 'give --usd <amount> and/or --tokens <n>');
    const scope = scopeOf(o);
    const budgetId = o.id ?? [scope.kind, scope.kind === 'tenant' ? o.tenant : scope.id, o.period, o.model].filter((p) => p !== undefined).join('.').replace(/[^A-Za-z0-9_.-]/g, '-');
    const thresholds = (o.thresholds ?? '').split(',').filter(Boolean).map(Number);
    const limit = decide(() => ({
      ...(o.usd !== undefined ? { microUsd: usdToMicroUsd(o.usd) } : {}),
      ...(o.tokens !== undefined ? { tokens: tokensOf(o.tokens) } : {}),
    }));
    const at = new Date();
    const state = await withEventLog(o, quotaLog, io.stderr, (log) => withNats(o, (nc, stream) => loadQuotaState(nc, stream, log)));
    const events = decide(() =>
      setBudget({ budgetId, tenant: o.tenant, scope, limit, period: o.period as BudgetPeriod, timeZone: o.tz, thresholds, ...(o.model !== undefined ? { model: o.model } : {}), at }, state),
    );
    await append(o, events);
    const d = events[0]?.type === 'BudgetSet' ? events[0].data : undefined;
    io.stdout(`budget ${budgetId} set: ${describeLimit(d?.limit ?? limit)} ${d?.period ?? o.period} (${d?.timeZone ?? o.tz})\n`);
  });

  logOptions(budgets.command('list').description('list budgets').option('--tenant <id>', 'only this tenant').option('--json', 'machine-readable output')).action(
    async (o: LogOptions & { tenant?: string; json?: boolean }) => {
      const state = await withEventLog(o, quotaLog, io.stderr, (log) => withNats(o, (nc, stream) => loadQuotaState(nc, stream, log)));
      const list = [...state.budgets.values()].filter((b) => o.tenant === undefined || b.tenant === o.tenant);
      if (o.json) io.stdout(`${JSON.stringify(list, null, 2)}\n`);
      else if (!list.length) io.stdout('no budgets\n');
      else {
        for (const b of list) {
          const scope = b.scope.kind === 'tenant' ? `tenant ${b.tenant}` : `${b.scope.kind} ${b.scope.id}`;
          io.stdout(`${b.budgetId}  ${scope}${b.model ? ` model ${b.model}` : ''}  ${describeLimit(b.limit)} ${b.period} (${b.timeZone})  alerts ${b.thresholds.join('/')}%\n`);
        }
      }
    },
  );

  logOptions(budgets.command('remove <budgetId>').description('remove a budget')).action(async (budgetId: string, o: LogOptions) => {
    const state = await withEventLog(o, quotaLog, io.stderr, (log) => withNats(o, (nc, stream) => loadQuotaState(nc, stream, log)));
    await append(o, decide(() => removeBudget({ budgetId, at: new Date() }, state)));
    io.stdout(`budget ${budgetId} removed\n`);
  });

  const quota = program.command('quota').description('ask for more quota, and approve or reject such requests');

  keyOptions(
    quota
      .command('request')
      .description('ask for a quota increase; the reason (at most 200 characters) is sealed under the requester\'s data key, readable by admins with the key store')
      .requiredOption('--amount-usd <amount>', 'how much more, in USD')
      .option('--reason <text>', 'why (sealed; needs --user)')
      .option('--budget <budgetId>', 'the budget to raise when approved')
      .option('--user <id>', 'who asks (pseudonymous id; the data subject of the reason)')
      .option('--tenant <id>', 'tenant', 'default'),
  ).action(async (o: KeyOptions & { amountUsd: string; reason?: string; budget?: string; user?: string; tenant: string }) => {
    const amountMicroUsd = decide(() => usdToMicroUsd(o.amountUsd));
    const reason = o.reason !== undefined ? decide(() => quotaReason(o.reason as string)) : undefined;
    if (reason !== undefined && o.user === undefined) throw new CliError('TOTRA_CLI_USAGE', '--reason needs --user <id>: the reason is sealed under the data key of the user who asks');
    const quotaRequestId = `qr_${randomBytes(16).toString('hex')}`;
    const state = await withEventLog(o, quotaLog, io.stderr, (log) => withNats(o, (nc, stream) => loadQuotaState(nc, stream, log)));
    const command = {
      quotaRequestId,
      tenant: o.tenant,
      amountMicroUsd,
      at: new Date(),
      ...(o.budget !== undefined ? { budgetId: o.budget } : {}),
      ...(o.user !== undefined ? { requestedBy: o.user } : {}),
    };
    let events = decide(() => requestQuotaIncrease(command, state));
    if (reason !== undefined && o.user !== undefined) {
      // Sealed once the request is known to be valid: no data key is made for a refused one.
      const eventId = newEventId();
      const subject = o.user;
      const sealed = await withKeyStore(o, (store) => store.sealFields(eventId, subject, { reason }));
      events = decide(() => requestQuotaIncrease({ ...command, sealedReason: { eventId, sealed } }, state));
    }
    await append(o, events);
    io.stdout(`${quotaRequestId}\n`);
    io.stderr(`requested ${formatMicroUsd(amountMicroUsd)} USD more${o.budget ? ` for budget ${o.budget}` : ''}${reason !== undefined ? '; the reason is sealed' : ''}\n`);
  });

  for (const verdict of ['approve', 'reject'] as const) {
    logOptions(quota.command(`${verdict} <quotaRequestId>`).description(`${verdict} a pending quota request${verdict === 'approve' ? ' (raises its budget by the amount)' : ''}`)).action(
      async (id: string, o: LogOptions) => {
        const state = await withEventLog(o, quotaLog, io.stderr, (log) => withNats(o, (nc, stream) => loadQuotaState(nc, stream, log)));
        const decider = verdict === 'approve' ? approveQuotaIncrease : rejectQuotaIncrease;
        const events = decide(() => decider({ quotaRequestId: id, at: new Date() }, state));
        await append(o, events);
        const raised = events.find((e) => e.type === 'BudgetSet');
        io.stdout(`${id} ${verdict === 'approve' ? 'approved' : 'rejected'}${raised?.type === 'BudgetSet' ? `: budget ${raised.data.budgetId} now ${describeLimit(raised.data.limit)}` : ''}\n`);
      },
    );
  }

  keyOptions(
    quota.command('list').description('list quota requests; their reasons are opened with the key store (--db, --keyring), else shown as sealed').option('--json', 'machine-readable output'),
  ).action(async (o: KeyOptions & { json?: boolean }) => {
    const state = await withEventLog(o, quotaLog, io.stderr, (log) => withNats(o, (nc, stream) => loadQuotaState(nc, stream, log)));
    const list = [...state.requests.values()];
    const reasons = await openReasons(o, list);
    const shown = list.map(({ sealedReason: _sealed, ...r }) => ({ ...r, ...reasons.get(r.quotaRequestId) }));
    if (o.json) io.stdout(`${JSON.stringify(shown, null, 2)}\n`);
    else if (!shown.length) io.stdout('no quota requests\n');
    else {
      for (const r of shown) {
        const why = r.reason !== undefined ? `  reason: ${r.reason}` : r.reasonState ? `  reason ${r.reasonState}` : '';
        io.stdout(`${r.quotaRequestId}  ${r.status}  ${formatMicroUsd(r.amountMicroUsd)} USD${r.budgetId ? `  budget ${r.budgetId}` : ''}${why}\n`);
      }
    }
  });
};

function describeLimit(l: { microUsd?: number; tokens?: number }): string {
  return [l.microUsd !== undefined ? `${formatMicroUsd(l.microUsd)} USD` : undefined, l.tokens !== undefined ? `${l.tokens} tokens` : undefined].filter(Boolean).join(' + ');
}

interface ShownReason {
  reason?: string;
  reasonState?: 'sealed' | 'erased';
}

/**
 * Opens the sealed reasons of quota requests with the key store: only whoever holds the key
 * store (the database and the keyring) reads them. Without one they show as `sealed`; a reason
 * whose subject was erased shows as `erased`.
 */
async function openReasons(o: KeyOptions, list: readonly QuotaRequestView[]): Promise<Map<string, ShownReason>> {
  const out = new Map<string, ShownReason>();
  const sealed = list.filter((r) => r.sealedReason);
  if (!sealed.length) return out;
  for (const r of sealed) out.set(r.quotaRequestId, { reasonState: 'sealed' });
  try {
    resolveDbUrl(o);
  } catch {
    return out; // no key store configured: the reasons stay sealed
  }
  await withKeyStore(o, async (store) => {
    for (const r of sealed) {
      const s = r.sealedReason as NonNullable<QuotaRequestView['sealedReason']>;
      try {
        const fields = await store.openSealed({ id: s.eventId, subject: s.subject, sealed: s.sealed });
        if (typeof fields?.['reason'] === 'string') out.set(r.quotaRequestId, { reason: fields['reason'] });
      } catch (err) {
        if ((err as { code?: string }).code === 'TOTRA_KEYSTORE_KEY_SHREDDED') out.set(r.quotaRequestId, { reasonState: 'erased' });
        else throw err;
      }
    }
  });
  return out;
}
