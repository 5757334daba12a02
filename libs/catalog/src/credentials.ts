import { type AwsCredentials, type Deployment } from '@totra/providers';
import { type DeploymentConfig } from './deployment.js';
import { CredentialLiteralError, CredentialMissingError, DemoDeploymentError, InvalidCredentialRefError } from './errors.js';

/** The process environment as a plain record (pass `process.env` at the edge; a literal in tests). */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

/** A parsed credential reference. */
export type CredentialRefParts =
  | { kind: 'none' }
  | { kind: 'env'; variable: string }
  | { kind: 'aws-env'; accessKeyIdVariable: string; secretAccessKeyVariable: string; sessionTokenVariable?: string };

/** A credential read from the environment at request time. Never logged, never put in an event. */
export type ResolvedCredential =
  | { kind: 'none' }
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'aws'; aws: AwsCredentials };

const VAR = /^[A-Z_][A-Z0-9_]{0,127}$/;
/** An AWS access key id used as if it were a variable name. */
const AWS_KEY_ID = /^(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,}$/;
const SECRET_PREFIXES =
  /^(?:sk-|sk_|rk_|pk_live|pk_test|sess-|xox[abpr]-|ghp_|gho_|ghs_|github_pat_|glpat-|AIza|hf_|gsk_|r8_|pplx-|nvapi-|bearer\s|basic\s)/i;
const JWT = /^eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/;

/**
 * Whether a string looks like a pasted secret rather than a reference: a known key prefix
 * (`sk-`, `AIza`, `AKIA`...), a JWT, or a long run of key-like characters mixing letters and digits.
 */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (SECRET_PREFIXES.test(v) || JWT.test(v) || AWS_KEY_ID.test(v)) return true;
  if (v.length >= 20 && /^[A-Za-z0-9+/=_.~-]+$/.test(v) && /[0-9]/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v)) return true;
  return v.length >= 32 && /^[A-Fa-f0-9]+$/.test(v);
}

const REF_GRAMMAR =
  'a credential must be "none", "env:VAR" (an upper-case variable name, e.g. env:OPENAI_API_KEY) or "aws-env:ACCESS_KEY_VAR:SECRET_KEY_VAR[:SESSION_TOKEN_VAR]"';

function variable(name: string): string {
  if (AWS_KEY_ID.test(name)) throw new CredentialLiteralError();
  if (!VAR.test(name)) {
    if (looksLikeSecret(name)) throw new CredentialLiteralError();
    throw new InvalidCredentialRefError(REF_GRAMMAR);
  }
  return name;
}

/**
 * Parses a credential reference. Throws `TOTRA_CATALOG_CREDENTIAL_LITERAL` for anything that
 * looks like a secret and `TOTRA_CATALOG_CREDENTIAL_REF_INVALID` for other malformed values;
 * neither message repeats the value.
 */
export function parseCredentialRef(ref: string): CredentialRefParts {
  if (ref === 'none') return { kind: 'none' };
  if (ref.startsWith('env:')) return { kind: 'env', variable: variable(ref.slice(4)) };
  if (ref.startsWith('aws-env:')) {
    const parts = ref.slice(8).split(':');
    if (parts.length < 2 || parts.length > 3) throw new InvalidCredentialRefError(REF_GRAMMAR);
    const [access = '', secret = '', session] = parts;
    return {
      kind: 'aws-env',
      accessKeyIdVariable: variable(access),
      secretAccessKeyVariable: variable(secret),
      ...(session === undefined ? {} : { sessionTokenVariable: variable(session) }),
    };
  }
  if (looksLikeSecret(ref)) throw new CredentialLiteralError();
  throw new InvalidCredentialRefError(REF_GRAMMAR);
}

/** Formats parsed parts back into the reference string. */
export function formatCredentialRef(parts: CredentialRefParts): string {
  switch (parts.kind) {
    case 'none':
      return 'none';
    case 'env':
      return `env:${parts.variable}`;
    case 'aws-env':
      return `aws-env:${parts.accessKeyIdVariable}:${parts.secretAccessKeyVariable}${parts.sessionTokenVariable ? `:${parts.sessionTokenVariable}` : ''}`;
  }
}

/** The environment variables a reference reads (the optional session token included). */
export function credentialVariables(ref: string): string[] {
  const parts = parseCredentialRef(ref);
  if (parts.kind === 'none') return [];
  if (parts.kind === 'env') return [parts.variable];
  return [parts.accessKeyIdVariable, parts.secretAccessKeyVariable, ...(parts.sessionTokenVariable ? [parts.sessionTokenVariable] : [])];
}

function read(env: EnvRecord, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * Reads the secret a reference points at from `env` (pure given the record). An unset or empty
 * variable throws `TOTRA_CATALOG_CREDENTIAL_MISSING` whose message says which variable to set.
 * An `aws-env` session token variable is optional.
 */
export function resolveCredential(ref: string, env: EnvRecord, context?: string): ResolvedCredential {
  const parts = parseCredentialRef(ref);
  switch (parts.kind) {
    case 'none':
      return { kind: 'none' };
    case 'env': {
      const apiKey = read(env, parts.variable);
      if (apiKey === undefined) throw new CredentialMissingError([parts.variable], context);
      return { kind: 'api-key', apiKey };
    }
    case 'aws-env': {
      const accessKeyId = read(env, parts.accessKeyIdVariable);
      const secretAccessKey = read(env, parts.secretAccessKeyVariable);
      const missing = [
        ...(accessKeyId === undefined ? [parts.accessKeyIdVariable] : []),
        ...(secretAccessKey === undefined ? [parts.secretAccessKeyVariable] : []),
      ];
      if (accessKeyId === undefined || secretAccessKey === undefined) throw new CredentialMissingError(missing, context);
      const sessionToken = parts.sessionTokenVariable ? read(env, parts.sessionTokenVariable) : undefined;
      return { kind: 'aws', aws: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) } };
    }
  }
}

/**
 * The provider adapter's `Deployment` for a catalog deployment, with its credential resolved
 * from `env` at request time. Throws `TOTRA_CATALOG_CREDENTIAL_MISSING` when the variable is not
 * set and `TOTRA_CATALOG_DEMO_DEPLOYMENT` for the built-in demo model (answered locally).
 */
export function toProviderDeployment(config: DeploymentConfig, env: EnvRecord): Deployment {
  const provider = config.provider;
  if (provider === 'demo') throw new DemoDeploymentError(config.deploymentId);
  const credential = resolveCredential(config.credentialRef, env, `model "${config.alias}" via ${provider}, deployment ${config.deploymentId}`);
  return {
    provider,
    model: config.model,
    ...(config.baseModel === undefined ? {} : { baseModel: config.baseModel }),
    ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    ...(config.apiVersion === undefined ? {} : { apiVersion: config.apiVersion }),
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(credential.kind === 'api-key' ? { apiKey: credential.apiKey } : {}),
    ...(credential.kind === 'aws' ? { aws: credential.aws } : {}),
  };
}
