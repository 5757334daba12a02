import { randomBytes } from 'node:crypto';
import { Option } from 'commander';
import { type NatsConnection } from '@nats-io/nats-core';
import { type StreamOptions } from '@totra/eventlog';
import {
  PII_ACTIONS,
  PII_GROUPS,
  PII_POLICY_EVENT_TYPES,
  PII_TYPES,
  PII_TYPE_INFO,
  PiiError,
  createScanner,
  emptyPiiPolicies,
  evolvePiiPolicies,
  formatPolicyScope,
  policyOfScope,
  removePiiPolicy,
  resolvePolicy,
  scopeSpecificity,
  setPiiPolicy,
  type PiiAction,
  type PiiGroup,
  type PiiPolicy,
  type PiiPolicyEventInput,
  type PiiPolicyScope,
  type PiiPolicyState,
  type PiiRuleTarget,
  type PiiScanner,
  type PiiType,
} from '@totra/pii';
import { CliError, EXIT } from '../cli-error.js';
import type { CliIo, CommandGroup } from '../cli.js';
import { foldFromEventLog, type LogOptions, logOptions, type EventLogReader, withNats, withSettingsLog, withWriter } from '../log-context.js';

const POLICY_TYPES = new Set<string>(PII_POLICY_EVENT_TYPES);
const GROUPS: ReadonlySet<string> = new Set(PII_GROUPS);
const TYPES: ReadonlySet<string> = new Set(PII_TYPES);
const ACTIONS: ReadonlySet<string> = new Set(PII_ACTIONS);

/** The PII policies in force: their events of the whole stream folded (from the settings_log read model when there is one; ADR 0018). */
export function loadPiiPolicies(nc: NatsConnection, stream: StreamOptions, settingsLog?: EventLogReader): Promise<PiiPolicyState> {
  return foldFromEventLog(nc, stream, POLICY_TYPES, emptyPiiPolicies(), evolvePiiPolicies, settingsLog);
}

/** PII engine errors are bad input: one line, exit 2. */
async function guarded<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PiiError) throw new CliError(err.code, err.message, EXIT.usage, { cause: err });
    throw err;
  }
}

const usage = (message: string): CliError => new CliError('TOTRA_CLI_USAGE', message, EXIT.usage);

function confidence(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw usage(`${flag}: "${v}" is not a number between 0 and 1`);
    return n;
  };
}

function parseGroups(v: string): PiiGroup[] {
  const groups = v.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = groups.filter((g) => !GROUPS.has(g));
  if (unknown.length) throw usage(`--groups: unknown group ${unknown.map((g) => `"${g}"`).join(', ')} (groups: ${PII_GROUPS.join(' ')})`);
  if (!groups.length) throw usage('--groups: name at least one group');
  return groups as PiiGroup[];
}

function collect(v: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), v];
}

/** Reads the whole of standard input (or what the caller feeds through `io.stdin`). */
async function readInput(io: CliIo): Promise<string> {
  if (io.stdin) return io.stdin();
  if (process.stdin.isTTY) process.stderr.write('(reading text from standard input; end with Ctrl-D)\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

interface ScanOptions {
  jsonl?: boolean;
  groups?: PiiGroup[];
  minConfidence?: number;
  showValues?: boolean;
}

interface JsonlDoc {
  id: unknown;
  text: string;
}

/**
 * Parses every line before anything is printed, so a bad line fails the run cleanly. The
 * message names the line but never quotes it: the line may be full of personal data.
 */
function parseJsonl(input: string): JsonlDoc[] {
  const docs: JsonlDoc[] = [];
  const lines = input.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new CliError('TOTRA_CLI_BAD_INPUT', `line ${i + 1}: not valid JSON (expected {"id": ..., "text": "..."})`, EXIT.usage, { cause: err });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { text?: unknown }).text !== 'string') {
      throw new CliError('TOTRA_CLI_BAD_INPUT', `line ${i + 1}: expected an object {"id": ..., "text": "..."} with a string "text"`, EXIT.usage);
    }
    const v = value as { id?: unknown; text: string };
    docs.push({ id: v.id ?? null, text: v.text });
  });
  return docs;
}

function runScan(io: CliIo, scanner: PiiScanner, input: string, o: ScanOptions): void {
  if (o.jsonl) {
    const out: string[] = [];
    for (const doc of parseJsonl(input)) {
      const spans = scanner.scan(doc.text).map((s) => ({ start: s.start, end: s.end, type: s.type, ...(o.showValues ? { text: doc.text.slice(s.start, s.end) } : {}) }));
      out.push(JSON.stringify({ id: doc.id, spans }));
      if (out.length >= 512) io.stdout(`${out.splice(0).join('\n')}\n`);
    }
    if (out.length) io.stdout(`${out.join('\n')}\n`);
    return;
  }
  const lines = scanner.scan(input).map((s) =>
    JSON.stringify({ start: s.start, end: s.end, type: s.type, group: s.group, confidence: s.confidence, ...(o.showValues ? { text: input.slice(s.start, s.end) } : {}) }),
  );
  if (lines.length) io.stdout(`${lines.join('\n')}\n`);
}

const SCOPE_KINDS = ['tenant', 'team', 'key', 'model'] as const;

/** `--scope team:eng --scope model:gpt-4o` (or `team:eng+model:gpt-4o`) -> `{team, model}`. */
export function parseScopeArgs(args: readonly string[]): PiiPolicyScope {
  const scope: { -readonly [K in keyof PiiPolicyScope]: string } = {};
  for (const arg of args.flatMap((a) => a.split('+'))) {
    const colon = arg.indexOf(':');
    const kind = colon < 0 ? arg : arg.slice(0, colon);
    const id = colon < 0 ? '' : arg.slice(colon + 1);
    if (!(SCOPE_KINDS as readonly string[]).includes(kind) || id === '') {
      throw usage(`--scope: "${arg}" is not tenant:<id>, team:<id>, key:<id> or model:<alias>`);
    }
    const k = kind as (typeof SCOPE_KINDS)[number];
    if (scope[k] !== undefined && scope[k] !== id) throw usage(`--scope: ${k} given twice`);
    scope[k] = id;
  }
  if (!Object.keys(scope).length) throw usage('--scope: required (tenant:<id>, team:<id>, key:<id> or model:<alias>, combinable)');
  return scope;
}

/** A rule target as people type it: groups in lower case, types in upper case (either is accepted). */
function ruleTarget(name: string): PiiRuleTarget | undefined {
  if (name === '*' || GROUPS.has(name) || TYPES.has(name)) return name as PiiRuleTarget;
  if (TYPES.has(name.toUpperCase())) return name.toUpperCase() as PiiType;
  if (GROUPS.has(name.toLowerCase())) return name.toLowerCase() as PiiGroup;
  return undefined;
}

/** `--action secrets=block --action EMAIL=redact` -> rules. */
export function parseActionArgs(args: readonly string[]): Partial<Record<PiiRuleTarget, PiiAction>> {
  const rules: Partial<Record<PiiRuleTarget, PiiAction>> = {};
  for (const arg of args) {
    const eq = arg.lastIndexOf('=');
    const name = eq < 0 ? '' : arg.slice(0, eq).trim();
    const action = eq < 0 ? '' : arg.slice(eq + 1).trim().toLowerCase();
    if (!name || !action) throw usage(`--action: "${arg}" is not <group-or-type>=<action>`);
    const target = ruleTarget(name);
    if (!target) throw usage(`--action: "${name}" is not a PII group or type (groups: ${PII_GROUPS.join(' ')}; types: see \`totra pii types\`; or * for every type)`);
    if (!ACTIONS.has(action)) throw usage(`--action: "${action}" is not an action (${PII_ACTIONS.join(', ')})`);
    if (rules[target] !== undefined && rules[target] !== action) throw usage(`--action: ${target} given twice`);
    rules[target] = action as PiiAction;
  }
  return rules;
}

const newPolicyId = (): string => `pol_${randomBytes(6).toString('hex')}`;

/** Decides against the policies in force, then appends the events (no chain is opened when there is nothing to append). */
async function decideAndAppend(o: LogOptions, io: CliIo, decide: (state: PiiPolicyState) => PiiPolicyEventInput[]): Promise<PiiPolicyEventInput[]> {
  const events = await withSettingsLog(o, io.stderr, (settings) =>
    withNats(o, async (nc, stream) => {
      const state = await loadPiiPolicies(nc, stream, settings);
      return guarded(() => decide(state));
    }),
  );
  if (events.length) {
    await withWriter(o, (writer) => {
      for (const e of events) writer.append(e);
    });
  }
  return events;
}

function formatRules(p: PiiPolicy): string {
  return Object.entries(p.rules)
    .map(([t, a]) => `${t}=${a}`)
    .join(' ');
}

function formatPolicies(policies: readonly PiiPolicy[]): string {
  const header = ['POLICY', 'SCOPE', 'RULES', 'OUTPUT', 'MIN-CONF', 'UNSCANNABLE'];
  const rows = policies.map((p) => [
    p.policyId,
    formatPolicyScope(p.scope),
    formatRules(p) || '-',
    p.scanOutput === undefined ? '-' : p.scanOutput ? 'scan' : 'no',
    p.minConfidence === undefined ? '-' : String(p.minConfidence),
    p.allowUnscannable === undefined ? '-' : p.allowUnscannable ? 'allow' : 'refuse',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const sortPolicies = (state: PiiPolicyState): PiiPolicy[] =>
  [...state.policies.values()].sort(
    (a, b) => scopeSpecificity(a.scope) - scopeSpecificity(b.scope) || formatPolicyScope(a.scope).localeCompare(formatPolicyScope(b.scope)),
  );

interface SetOptions extends LogOptions {
  scope?: string[];
  action?: string[];
  scanOutput?: boolean;
  minConfidence?: number;
  allowUnscannable?: boolean;
  id?: string;
}

/** `totra pii scan` and `totra pii policy set|list|remove|resolve`. */
export const piiCommands: CommandGroup = (program, io) => {
  const pii = program.command('pii').description('find PII in text, and manage the PII policies of the gateway');

  pii
    .command('scan')
    .description('scan text from standard input and print the PII found as JSON lines (offsets, type, group, confidence; never the values unless --show-values)')
    .option('--jsonl', 'read JSON lines {"id": ..., "text": "..."} and print {"id": ..., "spans": [{"start", "end", "type"}]} for each')
    .option('--groups <list>', `comma-separated groups to scan (default: all): ${PII_GROUPS.join(',')}`, parseGroups)
    .option('--min-confidence <n>', 'drop findings below this confidence, 0..1 (default 0.5)', confidence('--min-confidence'))
    .option('--show-values', 'also print the matched text (it is personal data: mind where the output goes)')
    .action(async (o: ScanOptions) => {
      const scanner = await guarded(() =>
        createScanner({ ...(o.groups ? { groups: o.groups } : {}), ...(o.minConfidence !== undefined ? { minConfidence: o.minConfidence } : {}) }),
      );
      runScan(io, scanner, await readInput(io), o);
    });

  pii
    .command('types')
    .description('list every PII type with its group and how it is confirmed')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const rows = PII_TYPES.map((t) => ({ type: t, ...PII_TYPE_INFO[t] }));
      if (o.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else for (const r of rows) io.stdout(`${r.type.padEnd(22)} ${r.group.padEnd(10)} ${r.evidence.padEnd(9)} ${r.label}\n`);
    });

  const policy = pii
    .command('policy')
    .description('PII policies: per scope (tenant, team, key, model), an action per group or type; the default pseudonymizes everything');

  logOptions(
    policy
      .command('set')
      .description('set the PII policy of a scope (replaces that scope\'s policy as a whole)')
      .option('--scope <scope>', 'tenant:<id>, team:<id>, key:<id> or model:<alias>; repeat to combine (team + model)', collect)
      .option('--action <rule>', `<group-or-type>=<action>, repeatable; * = every type; actions: ${PII_ACTIONS.join(', ')}`, collect)
      .option('--scan-output', 'also scan model output (JSON and streamed answers) and redact findings before they reach the caller')
      .option('--no-scan-output', 'do not scan model output (overrides a less specific policy)')
      .option('--min-confidence <n>', 'ignore findings below this confidence, 0..1', confidence('--min-confidence'))
      .option('--allow-unscannable', 'send content the scanner cannot read (PDF documents, files, audio) to providers of its own API, unscanned')
      .option('--no-allow-unscannable', 'refuse such content (the default; overrides a less specific policy)')
      .addOption(new Option('--id <policyId>', 'policy id (default: the id of the policy of this scope, or a new one)')),
  ).action(async (o: SetOptions) => {
    // Check the input before touching NATS: bad input never opens a chain.
    const scope = parseScopeArgs(o.scope ?? []);
    const rules = parseActionArgs(o.action ?? []);
    if (!Object.keys(rules).length && o.scanOutput === undefined && o.minConfidence === undefined && o.allowUnscannable === undefined) {
      throw usage('policy set: give at least one --action (or --scan-output / --min-confidence / --allow-unscannable)');
    }
    let policyId = o.id ?? '';
    const events = await decideAndAppend(o, io, (state) => {
      policyId = o.id ?? policyOfScope(state, scope)?.policyId ?? newPolicyId();
      const doc = {
        policyId,
        scope,
        rules,
        ...(o.scanOutput !== undefined ? { scanOutput: o.scanOutput } : {}),
        ...(o.minConfidence !== undefined ? { minConfidence: o.minConfidence } : {}),
        ...(o.allowUnscannable !== undefined ? { allowUnscannable: o.allowUnscannable } : {}),
      };
      return setPiiPolicy({ time: new Date().toISOString(), policy: doc }, state);
    });
    const set = events[0];
    if (set?.type === 'PiiPolicySet') {
      const d = set.data;
      const settings = [
        d.scanOutput !== undefined ? (d.scanOutput ? 'output scanned' : 'output not scanned') : undefined,
        d.minConfidence !== undefined ? `min confidence ${d.minConfidence}` : undefined,
        d.allowUnscannable !== undefined ? (d.allowUnscannable ? 'unscannable content allowed' : 'unscannable content refused') : undefined,
      ].filter(Boolean);
      io.stdout(`set PII policy ${d.policyId} for ${formatPolicyScope(d.scope)}: ${formatRules(d) || '(no rules)'}${settings.length ? `; ${settings.join('; ')}` : ''}\n`);
    }
    else io.stdout(`PII policy ${policyId} for ${formatPolicyScope(scope)} is already in force\n`);
  });

  logOptions(policy.command('list').description('show every PII policy in force').option('--json', 'machine-readable output')).action(
    async (o: LogOptions & { json?: boolean }) => {
      const state = await withSettingsLog(o, io.stderr, (settings) => withNats(o, (nc, stream) => loadPiiPolicies(nc, stream, settings)));
      const all = sortPolicies(state);
      if (o.json) io.stdout(`${JSON.stringify(all, null, 2)}\n`);
      else if (!all.length) io.stdout('no PII policies: every request gets the default (pseudonymize every group)\n');
      else io.stdout(formatPolicies(all));
    },
  );

  logOptions(policy.command('remove <policyId>').description('remove a PII policy').option('--reason <text>', 'why (recorded in the event)')).action(
    async (policyId: string, o: LogOptions & { reason?: string }) => {
      const events = await decideAndAppend(o, io, (state) => removePiiPolicy({ policyId, time: new Date().toISOString(), ...(o.reason ? { reason: o.reason } : {}) }, state));
      const removed = events[0];
      io.stdout(`removed PII policy ${policyId}${removed?.type === 'PiiPolicyRemoved' ? ` (${formatPolicyScope(removed.data.scope)})` : ''}\n`);
    },
  );

  logOptions(
    policy
      .command('resolve')
      .description('show what applies to a request: the action per group and type, and the policy that decided it')
      .option('--tenant <id>', 'tenant of the request')
      .option('--team <id>', 'team of the caller')
      .option('--key <id>', 'API key id of the caller')
      .option('--model <alias>', 'model alias asked for')
      .option('--json', 'machine-readable output'),
  ).action(async (o: LogOptions & { tenant?: string; team?: string; key?: string; model?: string; json?: boolean }) => {
    const state = await withSettingsLog(o, io.stderr, (settings) => withNats(o, (nc, stream) => loadPiiPolicies(nc, stream, settings)));
    const ctx = {
      ...(o.tenant ? { tenant: o.tenant } : {}),
      ...(o.team ? { teamId: o.team } : {}),
      ...(o.key ? { keyId: o.key } : {}),
      ...(o.model ? { model: o.model } : {}),
    };
    const effective = resolvePolicy(state.policies.values(), ctx);
    const types = PII_TYPES.map((t) => ({ type: t, group: PII_TYPE_INFO[t].group, ...effective.decisionFor(t) }));
    if (o.json) {
      io.stdout(`${JSON.stringify({ policyIds: effective.policyIds, scanOutput: effective.scanOutput, minConfidence: effective.minConfidence ?? null, allowUnscannable: effective.allowUnscannable, types }, null, 2)}\n`);
      return;
    }
    io.stdout(`policies: ${effective.policyIds.join(' > ') || '(none: the default)'}; scan output: ${effective.scanOutput ? 'yes' : 'no'}${effective.minConfidence !== undefined ? `; min confidence ${effective.minConfidence}` : ''}; unscannable content: ${effective.allowUnscannable ? 'sent' : 'refused'}\n`);
    for (const group of PII_GROUPS) {
      const members = types.filter((t) => t.group === group);
      const first = members[0];
      if (!first) continue;
      const uniform = members.every((m) => m.action === first.action && m.policyId === first.policyId);
      if (uniform) io.stdout(`${group.padEnd(10)} ${first.action.padEnd(12)} (${first.policyId})\n`);
      else for (const m of members) io.stdout(`${group.padEnd(10)} ${m.action.padEnd(12)} (${m.policyId})  ${m.type}\n`);
    }
  });
};
