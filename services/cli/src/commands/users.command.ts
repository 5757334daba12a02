import { z } from 'zod';
import { PseudonymousId, newEventId } from '@totra/events';
import { CliError } from '../cli-error.js';
import type { CommandGroup } from '../cli.js';
import { type KeyOptions, keyOptions, withKeyStore } from '../gdpr-context.js';
import { withWriter } from '../log-context.js';

const Email = z.email();

/** `totra users create`: a user, with email and name sealed under the user's own data key. */
export const usersCommands: CommandGroup = (program, io) => {
  const users = program.command('users').description('users: pseudonymous ids in clear, email and name sealed (GDPR)');
  keyOptions(
    users
      .command('create')
      .description('create a user; email and name are sealed under a new data key of the user (erasable with `totra gdpr request-erasure`)')
      .requiredOption('--id <id>', 'pseudonymous user id (random, never derived from the email), also the data subject')
      .requiredOption('--email <email>', 'email address (sealed)')
      .requiredOption('--name <name>', 'display name (sealed)')
      .requiredOption('--team <id>', 'pseudonymous team id')
      .option('--tenant <id>', 'tenant', 'default'),
  ).action(async (o: KeyOptions & { id: string; email: string; name: string; team: string; tenant: string }) => {
    for (const [flag, v] of [['--id', o.id], ['--team', o.team]] as const) {
      if (!PseudonymousId.safeParse(v).success) throw new CliError('TOTRA_CLI_USAGE', `${flag}: "${v}" is not a pseudonymous id ([A-Za-z0-9_.-])`);
    }
    if (!Email.safeParse(o.email).success) throw new CliError('TOTRA_CLI_USAGE', '--email: not an email address');
    const id = newEventId();
    const sealed = await withKeyStore(o, (store) => store.sealFields(id, o.id, { email: o.email, name: o.name }));
    await withWriter(o, (writer) => {
      writer.append({ type: 'UserCreated', id, tenant: o.tenant, subject: o.id, data: { userId: o.id, teamId: o.team }, sealed });
    });
    io.stdout(`created user ${o.id} (team ${o.team}); email and name sealed under key ${sealed.kid}\n`);
  });
};
