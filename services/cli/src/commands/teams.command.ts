import { Option } from 'commander';
import { PseudonymousId } from '@totra/events';
import { CliError } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { type LogOptions, logOptions, withWriter } from '../log-context.js';

/** `totra teams set`: a team's content logging switch and content retention. */
export const teamsCommands: CommandGroup = (program, io) => {
  const teams = program.command('teams').description('team data settings');
  logOptions(
    teams
      .command('set <team>')
      .description("set a team's content logging (prompts and responses, sealed) and how long content is kept")
      .addOption(new Option('--content-logging <state>', 'log prompt and response bodies (sealed per user and month)').choices(['on', 'off']))
      .option('--content-retention-months <n>', 'months content stays readable after the month it was logged in (then its keys are shredded)')
      .option('--tenant <id>', 'tenant', 'default'),
  ).action(async (team: string, o: LogOptions & { contentLogging?: 'on' | 'off'; contentRetentionMonths?: string; tenant: string }) => {
    if (!PseudonymousId.safeParse(team).success) throw new CliError('TOTRA_CLI_USAGE', `"${team}" is not a pseudonymous team id`);
    const months = o.contentRetentionMonths === undefined ? undefined : Number(o.contentRetentionMonths);
    if (months !== undefined && (!Number.isInteger(months) || months < 1 || months > 120)) throw new CliError('TOTRA_CLI_USAGE', '--content-retention-months: a whole number of months, 1 to 120');
    if (o.contentLogging === undefined && months === undefined) throw new CliError('TOTRA_CLI_USAGE', 'nothing to set: pass --content-logging and/or --content-retention-months');
    const data = { teamId: team, ...(o.contentLogging ? { contentLogging: o.contentLogging === 'on' } : {}), ...(months !== undefined ? { contentRetentionMonths: months } : {}) };
    await withWriter(o, (writer) => writer.append({ type: 'TeamSettingsChanged', tenant: o.tenant, data }));
    io.stdout(`team ${team}: ${o.contentLogging ? `content logging ${o.contentLogging}` : ''}${o.contentLogging && months ? ', ' : ''}${months ? `content kept ${months} months` : ''}\n`);
  });
};
