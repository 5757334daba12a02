import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { ModelAlias, ModelDeploymentId } from './model-deployment-configured.event.js';

/** A deployment was enabled (routable again) or disabled (kept in the catalog, never routed to). */
export const ModelDeploymentStateChanged = defineEvent({
  type: 'ModelDeploymentStateChanged',
  v: 1,
  description: 'A model deployment was enabled or disabled.',
  data: z
    .object({
      deploymentId: ModelDeploymentId,
      alias: ModelAlias,
      enabled: z.boolean(),
      reason: z.string().max(500).optional(),
    })
    .strict(),
});
