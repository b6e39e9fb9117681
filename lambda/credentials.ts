/**
 * AWS credentials the way Lambda provides them, and nothing else (README,
 * "Performance"):
 *
 *   1. environment variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN (what Lambda sets for a function's role);
 *   2. the container credentials endpoint: AWS_CONTAINER_CREDENTIALS_FULL_URI
 *      (or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2) with the
 *      token of AWS_CONTAINER_AUTHORIZATION_TOKEN or the file named by
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (what Lambda uses where it does
 *      not put credentials in the environment, e.g. SnapStart).
 *
 * The SDK's default chain also brings profiles, SSO, INI and process
 * credentials, web identity and the EC2 metadata service, none of which a
 * Lambda function uses: the bundle aliases `@aws-sdk/credential-provider-node`
 * to this module (`defaultProvider`), which takes those out of it.
 *
 * Credentials are memoized and fetched again 5 minutes before they expire;
 * concurrent requests share one fetch.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

/** The shape of the SDK's AwsCredentialIdentity. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly accountId?: string;
  readonly credentialScope?: string;
}

export type CredentialsProvider = () => Promise<Credentials>;

/** No source of credentials, or the container endpoint answered something unusable. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** Fetched again this long before the expiration (as the SDK does). */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
/** The container endpoint of ECS and Lambda answers in milliseconds; 1 s per attempt, 3 attempts. */
const ENDPOINT_TIMEOUT_MS = 1_000;
const ENDPOINT_ATTEMPTS = 3;
/** The fixed host of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. */
const RELATIVE_URI_HOST = 'http://169.254.170.2';
/** Plain HTTP only to these hosts (loopback, and the ECS/EKS link-local endpoints); anything else needs HTTPS. */
const HTTP_HOSTS = new Set(['localhost', '169.254.170.2', '169.254.170.23', '[fd00:ec2::23]', '[::1]']);

/** Credentials from the environment, or undefined when the pair is not set. */
export function fromEnvironment(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const expiry = env.AWS_CREDENTIAL_EXPIRATION;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(expiry ? { expiration: new Date(expiry) } : {}),
    ...(env.AWS_CREDENTIAL_SCOPE ? { credentialScope: env.AWS_CREDENTIAL_SCOPE } : {}),
    ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
  };
}

/** The container credentials endpoint, or undefined when neither URI variable is set. */
export function containerEndpoint(env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (relative) return new URL(relative, RELATIVE_URI_HOST);
  if (!full) return undefined;
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new CredentialsError(`AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL: "${full}"`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (HTTP_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname))) return url;
  throw new CredentialsError('AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http on a loopback or the container '
    + `credentials host (169.254.170.2, 169.254.170.23); got "${full}"`);
}

function authorizationToken(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (file) {
    try {
      // Read on every fetch: the token file may be rotated.
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new CredentialsError(`AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE cannot be read (${(error as Error).message})`);
    }
  }
  return env.AWS_CONTAINER_AUTHORIZATION_TOKEN || undefined;
}

function get(url: URL, token: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).get(url, {
      headers: token ? { Authorization: token } : {},
      timeout: ENDPOINT_TIMEOUT_MS,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${ENDPOINT_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

function parseContainerCredentials(body: string, url: URL): Credentials {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new CredentialsError(`the container credentials endpoint ${url.origin} answered something that is not JSON`);
  }
  const text = (name: string): string | undefined => (typeof value?.[name] === 'string' && value[name] ? value[name] as string : undefined);
  const accessKeyId = text('AccessKeyId');
  const secretAccessKey = text('SecretAccessKey');
  const sessionToken = text('Token');
  const expiration = text('Expiration');
  if (!accessKeyId || !secretAccessKey || !sessionToken || !expiration || Number.isNaN(Date.parse(expiration))) {
    throw new CredentialsError(`the container credentials endpoint ${url.origin} answered without AccessKeyId, `
      + 'SecretAccessKey, Token and a valid Expiration');
  }
  const accountId = text('AccountId');
  return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration), ...(accountId ? { accountId } : {}) };
}

/** One fetch from the container endpoint, retried on network errors and 5xx (never on 4xx: the token is wrong). */
export async function fromContainerEndpoint(url: URL, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  let lastProblem = '';
  for (let attempt = 1; attempt <= ENDPOINT_ATTEMPTS; attempt++) {
    const token = authorizationToken(env);
    let answer: { status: number; body: string };
    try {
      answer = await get(url, token);
    } catch (error) {
      lastProblem = (error as Error).message;
      continue;
    }
    if (answer.status === 200) return parseContainerCredentials(answer.body, url);
    lastProblem = `HTTP ${answer.status}`;
    if (answer.status < 500) break;
  }
  throw new CredentialsError(`the container credentials endpoint ${url.origin} gave no credentials (${lastProblem})`);
}

/**
 * The provider: environment first, then the container endpoint; memoized,
 * fetched again before expiry. Throws CredentialsError naming both sources
 * when neither is configured.
 */
export function lambdaCredentials(env: NodeJS.ProcessEnv = process.env, now: () => number = Date.now): CredentialsProvider {
  let cached: Credentials | undefined;
  let pending: Promise<Credentials> | undefined;
  const fresh = (credentials: Credentials): boolean =>
    credentials.expiration === undefined || credentials.expiration.getTime() - now() > REFRESH_BEFORE_EXPIRY_MS;
  const resolve = async (): Promise<Credentials> => {
    const fromEnv = fromEnvironment(env);
    if (fromEnv) return fromEnv;
    const url = containerEndpoint(env);
    if (url) return fromContainerEndpoint(url, env);
    throw new CredentialsError('No AWS credentials: neither AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor '
      + 'AWS_CONTAINER_CREDENTIALS_FULL_URI / AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is set. Lambda sets one of them '
      + 'for the function\'s role; elsewhere, set the access key pair.');
  };
  return async () => {
    if (cached && fresh(cached)) return cached;
    pending ??= resolve().then(
      (credentials) => { cached = credentials; pending = undefined; return credentials; },
      (error: unknown) => {
        pending = undefined;
        // A failed early refresh keeps the old credentials while they are still valid.
        if (cached?.expiration && cached.expiration.getTime() > now()) return cached;
        throw error;
      },
    );
    return pending;
  };
}

let shared: CredentialsProvider | undefined;

/** The one provider of this process (both SDK clients use it). */
export function sharedLambdaCredentials(): CredentialsProvider {
  shared ??= lambdaCredentials();
  return shared;
}

/**
 * Stands in for `@aws-sdk/credential-provider-node`'s `defaultProvider` in the
 * bundle (esbuild alias): an SDK client made without `credentials` gets the
 * same lean provider.
 */
export function defaultProvider(_init?: unknown): CredentialsProvider {
  return sharedLambdaCredentials();
}
