/** Base class of every error thrown by @totra/catalog. Check errors by `code`, not by class. */
export class CatalogError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem of a deployment configuration; `field` uses the configuration's names (`credentialRef`, `baseUrl`, ...). */
export interface DeploymentIssue {
  field: string;
  message: string;
}

/** A deployment configuration that cannot be served (missing base URL, wrong credential kind, bad value...). */
export class InvalidDeploymentError extends CatalogError {
  readonly issues: readonly DeploymentIssue[];
  constructor(message: string, issues: readonly DeploymentIssue[]) {
    super('TOTRA_CATALOG_DEPLOYMENT_INVALID', message);
    this.issues = issues;
  }
}

/**
 * A credential reference that is not `none`, `env:VAR` or `aws-env:...`. The offending value is
 * never part of the message: it may be a secret pasted in the wrong place.
 */
export class InvalidCredentialRefError extends CatalogError {
  constructor(message: string) {
    super('TOTRA_CATALOG_CREDENTIAL_REF_INVALID', message);
  }
}

/** Something that looks like an API key or token was given where only a reference belongs. */
export class CredentialLiteralError extends CatalogError {
  constructor() {
    super(
      'TOTRA_CATALOG_CREDENTIAL_LITERAL',
      'the credential looks like a literal secret: put the secret in an environment variable and reference it, e.g. env:OPENAI_API_KEY',
    );
  }
}

/** The environment variable(s) a credential reference points at are not set. */
export class CredentialMissingError extends CatalogError {
  /** The variables to set, in the order the message names them. */
  readonly variables: readonly string[];
  constructor(variables: readonly string[], context?: string) {
    super('TOTRA_CATALOG_CREDENTIAL_MISSING', `set ${variables.join(' and ')}${context ? ` (${context})` : ''}`);
    this.variables = variables;
  }
}

/** A command names a deployment the catalog does not hold. */
export class DeploymentNotFoundError extends CatalogError {
  constructor(readonly deploymentId: string) {
    super('TOTRA_CATALOG_DEPLOYMENT_UNKNOWN', `no model deployment "${deploymentId}" in the catalog`);
  }
}

/** A create-only command names a deployment id that is already taken. */
export class DeploymentExistsError extends CatalogError {
  constructor(readonly deploymentId: string) {
    super('TOTRA_CATALOG_DEPLOYMENT_EXISTS', `model deployment "${deploymentId}" already exists`);
  }
}

/** Deployments of one alias must all be chat or all be embeddings models. */
export class AliasKindConflictError extends CatalogError {
  constructor(alias: string, existing: string, requested: string) {
    super(
      'TOTRA_CATALOG_KIND_CONFLICT',
      `alias "${alias}" already serves ${existing} deployments; a ${requested} deployment needs another alias`,
    );
  }
}

/** A team allowlist names aliases the catalog does not serve. */
export class UnknownAliasError extends CatalogError {
  constructor(readonly aliases: readonly string[]) {
    super('TOTRA_CATALOG_ALIAS_UNKNOWN', `unknown model alias${aliases.length > 1 ? 'es' : ''}: ${aliases.join(', ')}`);
  }
}

/** A command that is malformed as a whole (bad time, bad team id...). */
export class InvalidCatalogCommandError extends CatalogError {
  constructor(message: string) {
    super('TOTRA_CATALOG_COMMAND_INVALID', message);
  }
}

/** An environment variable the seeding reads has a value it cannot use. */
export class CatalogEnvError extends CatalogError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('TOTRA_CATALOG_ENV_INVALID', `${variable}: ${message}`);
  }
}

/** totra.yaml is not valid YAML or does not match the catalog schema. `path` points at the bad field. */
export class CatalogFileError extends CatalogError {
  constructor(
    /** Dotted path of the bad field, e.g. `models[0].deployments[1].credential` (`(root)` for the document). */
    readonly path: string,
    readonly detail: string,
    /** 1-based line of the field in the file, when known. */
    readonly line?: number,
  ) {
    super('TOTRA_CATALOG_FILE_INVALID', `${path}${line === undefined ? '' : ` (line ${line})`}: ${detail}`);
  }
}

/** The built-in demo deployment has no upstream provider to call. */
export class DemoDeploymentError extends CatalogError {
  constructor(deploymentId: string) {
    super('TOTRA_CATALOG_DEMO_DEPLOYMENT', `deployment "${deploymentId}" is the built-in demo echo model: it is answered locally, not by a provider`);
  }
}
