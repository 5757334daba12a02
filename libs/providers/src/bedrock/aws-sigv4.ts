import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials, ProviderHttpRequest } from '../adapters/adapter.js';

export interface AwsSigningParams {
  service: string;
  region: string;
  credentials: AwsCredentials;
  /** Signing time; passing it in keeps signing pure and deterministic. */
  date: Date;
}

/**
 * Signs a request with AWS Signature Version 4 (`@smithy/signature-v4`, the AWS SDK's signer).
 * Adds `authorization`, `x-amz-date` (and `x-amz-security-token` for temporary credentials).
 * The URL path must already be percent-encoded as it will be sent.
 */
export async function signAwsRequest(request: ProviderHttpRequest, params: AwsSigningParams): Promise<ProviderHttpRequest> {
  const url = new URL(request.url);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const signer = new SignatureV4({
    credentials: params.credentials,
    region: params.region,
    service: params.service,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...request.headers, host: url.host },
      body: request.body,
    },
    { signingDate: params.date },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    // The HTTP client derives Host from the URL; the signature covers that same value.
    if (name.toLowerCase() !== 'host') headers[name] = value;
  }
  return { ...request, headers };
}
