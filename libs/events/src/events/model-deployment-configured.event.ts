import { z } from 'zod';
import { defineEvent } from '../define-event.js';

/** The name clients send as `model` (`gpt-4o`, `claude-sonnet-4-5`, `llama3.2:3b`, `org/Model-7B`). */
export const ModelAlias = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/, 'a model alias: letters, digits and . _ : / @ + - (at most 200)');

/** Stable id of one deployment (`env/openai/gpt-4o`, `file/gpt-4o/azure-openai`, `openai/gpt-4o-2`). */
export const ModelDeploymentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+#-]{0,239}$/, 'a deployment id: letters, digits and . _ : / @ + # - (at most 240)');

/**
 * Where the credential of a deployment comes from, never the secret itself:
 * `none`, `env:VAR` (one API key), or `aws-env:ACCESS_KEY_VAR:SECRET_VAR[:SESSION_TOKEN_VAR]`.
 */
export const CredentialRef = z
  .string()
  .regex(
    /^(?:none|env:[A-Z_][A-Z0-9_]{0,127}|aws-env:[A-Z_][A-Z0-9_]{0,127}:[A-Z_][A-Z0-9_]{0,127}(?::[A-Z_][A-Z0-9_]{0,127})?)$/,
    'a credential reference (none, env:VAR or aws-env:ACCESS_VAR:SECRET_VAR[:SESSION_VAR]), never a secret',
  );

/** Upstream providers a deployment can point at; `demo` is the built-in local echo model. */
export const ModelProvider = z.enum([
  'openai',
  'azure-openai',
  'anthropic',
  'gemini',
  'mistral',
  'cohere',
  'bedrock',
  'ollama',
  'openai-compatible',
  'demo',
]);

/**
 * A model alias was bound to one provider deployment, or the deployment's configuration
 * changed. Carries the whole configuration (a fold needs no earlier event); credentials appear
 * only as references such as `env:OPENAI_API_KEY`.
 */
export const ModelDeploymentConfigured = defineEvent({
  type: 'ModelDeploymentConfigured',
  v: 1,
  description: 'A model deployment was added or reconfigured (full configuration; credentials by reference only).',
  data: z
    .object({
      deploymentId: ModelDeploymentId,
      alias: ModelAlias,
      provider: ModelProvider,
      /** Provider model id; the deployment name on Azure; the model or inference profile id on Bedrock. */
      model: z.string().min(1).max(512),
      /**
       * The public model the deployment runs, where `model` is a name of the customer's own (an
       * Azure OpenAI deployment called `prod-chat` that runs `gpt-4o`): prices and the model
       * table's limits are looked up by it.
       */
      baseModel: z.string().min(1).max(512).optional(),
      baseUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
      credentialRef: CredentialRef,
      /** Azure `api-version`, or the `anthropic-version` header. */
      apiVersion: z.string().min(1).max(64).optional(),
      /** Cloud region (Bedrock). */
      region: z.string().regex(/^[a-z0-9-]{2,32}$/).optional(),
      /** Share of traffic among deployments of the same priority. */
      weight: z.number().int().min(0).max(1_000_000),
      /** Lower is tried first; higher priorities are the fallbacks. */
      priority: z.number().int().min(0).max(1_000_000),
      contextWindow: z.number().int().min(1).max(100_000_000),
      maxOutputTokens: z.number().int().min(1).max(100_000_000).optional(),
      kind: z.enum(['chat', 'embeddings']),
      enabled: z.boolean(),
      /** Aliases to try, in order, when every deployment of this alias failed. */
      fallbackAliases: z.array(ModelAlias).max(16).optional(),
      /** Who owns the deployment: seeded from the environment, from totra.yaml, or made by an admin. */
      source: z.enum(['env', 'file', 'admin']),
      /** Human note shown next to the deployment (e.g. that `demo` is an echo model). */
      note: z.string().max(500).optional(),
    })
    .strict(),
});
