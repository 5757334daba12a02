import { z } from 'zod';
import { PseudonymousId } from './identity-fields.js';
import { ModelAlias } from './model-deployment-configured.event.js';

/** A PII policy id: letters, digits and `_ . -`, at most 64 characters (`default` is the built-in default). */
export const PiiPolicyId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a policy id of letters, digits and _ . - (at most 64)');

/** A PII type name as the engine reports it, e.g. `EMAIL`, `DE_TAX_ID`. */
export const PiiTypeName = z.string().regex(/^[A-Z][A-Z0-9_]{1,47}$/, 'a PII type name such as EMAIL or DE_TAX_ID');

/** A PII detector group, e.g. `universal`, `secrets`, `eu-de`. */
export const PiiGroupName = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'a PII group name such as universal or eu-de');

/** What a policy does with a finding. */
export const PiiPolicyAction = z.enum(['block', 'redact', 'pseudonymize', 'log', 'allow']);

/**
 * Who a policy applies to: every field set must equal the request's, at least one is set.
 * Pseudonymous ids and model aliases only.
 */
export const PiiPolicyScope = z
  .object({
    tenant: PseudonymousId.optional(),
    team: PseudonymousId.optional(),
    key: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'a key id').optional(),
    model: ModelAlias.optional(),
  })
  .strict()
  .refine((s) => Object.values(s).some((v) => v !== undefined), { message: 'a scope names at least one of tenant, team, key, model' });

/** Per type or group name (or `*`, every type) the action; at most one rule per name. */
export const PiiPolicyRules = z
  .record(z.string().regex(/^(\*|[A-Z][A-Z0-9_]{1,47}|[a-z][a-z0-9-]{1,31})$/, 'a PII type, a PII group or *'), PiiPolicyAction)
  .refine((r) => Object.keys(r).length <= 200, { message: 'at most 200 rules' });

/** How many findings of one type. Counts only: never a value, a hash of a value or an offset. */
export const PiiTypeCounts = z
  .array(
    z
      .object({
        type: PiiTypeName,
        group: PiiGroupName,
        count: z.number().int().min(1),
      })
      .strict(),
  )
  .min(1)
  .max(200);
