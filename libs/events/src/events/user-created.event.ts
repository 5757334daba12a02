import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { PseudonymousId } from './identity-fields.js';

/** A user was created. Email and name are personal: sealed under the user's (the subject's) data key. */
export const UserCreated = defineEvent({
  type: 'UserCreated',
  v: 1,
  description: 'A user was created: pseudonymous user and team ids in clear; email and name sealed under the data key of the subject.',
  requiresSubject: true,
  sealedFields: ['email', 'name'],
  data: z
    .object({
      userId: PseudonymousId,
      teamId: PseudonymousId,
    })
    .strict(),
});
