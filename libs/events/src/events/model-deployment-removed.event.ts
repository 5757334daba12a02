import { z } from 'zod';
import { defineEvent } from '../define-event.js';
import { ModelAlias, ModelDeploymentId } from './model-deployment-configured.event.js';

/** A deployment was taken out of the model catalog; its alias stays if other deployments serve it. */
export const ModelDeploymentRemoved = defineEvent({
  type: 'ModelDeploymentRemoved',
  v: 1,
  description: 'A model deployment was removed from the catalog.',
  data: z
    .object({
      deploymentId: ModelDeploymentId,
      /** The alias it served, for readers of the log. */
      alias: ModelAlias,
      reason: z.string().max(500).optional(),
    })
    .strict(),
});
