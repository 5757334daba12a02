/** Who is calling: what the auth plugin resolves a key to. Pseudonymous ids only. */
export interface CallerIdentity {
  keyId: string;
  userId: string;
  teamId: string;
  tenant: string;
}

/** The identity the auth plugin attached to a request, if any. */
export function identityOf(request: object): CallerIdentity | undefined {
  return (request as { identity?: CallerIdentity }).identity;
}
