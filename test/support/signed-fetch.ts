/**
 * A client of the API as its users write one in TypeScript: the AWS SDK for
 * JavaScript's SigV4 signer (`SignatureV4` with `Sha256`) and `fetch`. The
 * README's "Calling the API" shows the same code.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalAccessKey } from '../local/sigv4';

export interface SignedFetchOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default now */
  readonly signingDate?: Date;
  /** @default 'execute-api' */
  readonly service?: string;
}

/** Signs a request with the SDK's SignatureV4 (without sending it): its headers. */
export async function signRequest(url: string, key: Pick<LocalAccessKey, 'accessKeyId' | 'secretAccessKey'>, options: SignedFetchOptions = {}):
Promise<Record<string, string>> {
  const target = new URL(url);
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    sha256: Sha256,
  });
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of target.searchParams) {
    const prior = query[name];
    query[name] = prior === undefined ? value : ([] as string[]).concat(prior, value);
  }
  const signed = await signer.sign({
    method: options.method ?? 'GET',
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port ? Number(target.port) : undefined,
    path: target.pathname,
    query,
    headers: { ...options.headers, host: target.host },
    body: options.body,
  }, { signingDate: options.signingDate });
  return signed.headers;
}

/** `fetch`, signed with the SDK's SignatureV4. */
export async function signedFetch(url: string, key: Pick<LocalAccessKey, 'accessKeyId' | 'secretAccessKey'>, options: SignedFetchOptions = {}): Promise<Response> {
  const headers = await signRequest(url, key, options);
  delete headers.host; // fetch sets it (the same value)
  return fetch(url, { method: options.method ?? 'GET', headers, body: options.body });
}
