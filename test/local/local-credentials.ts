/**
 * The credentials the local API front accepts, one set per authorization mode,
 * each for two callers (so a test or a user can see that idempotency keys are
 * scoped per caller):
 * - AWS_IAM: two access key pairs; each maps to an IAM user ARN, which becomes
 *   the caller (`requestContext.identity.userArn`);
 * - API key: two keys; each maps to an API key id (`identity.apiKeyId`);
 * - Cognito user pools: the front acts as the user pool. It makes an RSA key
 *   at start and issues an ID token for each caller (RS256, one hour), and
 *   checks a token's signature, expiry, issuer and `token_use` as API Gateway's
 *   Cognito authorizer does; the claims go to `requestContext.authorizer.claims`.
 *
 * The access keys and API keys are fixed, so the README's examples can be
 * pasted as they are. They open nothing but this sandbox on 127.0.0.1.
 */
import { createSign, createVerify, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { LocalAccessKey } from './sigv4';

export const SANDBOX_ACCOUNT = '111122223333';

/** Two IAM users, each with a local access key pair. */
export const LOCAL_ACCESS_KEYS: readonly LocalAccessKey[] = [
  { accessKeyId: 'AKLOCALSANDBOX000001', secretAccessKey: 'local/sandbox/secret/key/of/user/sandbox0', arn: `arn:aws:iam::${SANDBOX_ACCOUNT}:user/sandbox` },
  { accessKeyId: 'AKLOCALSANDBOX000002', secretAccessKey: 'local/sandbox/secret/key/of/user/alice000', arn: `arn:aws:iam::${SANDBOX_ACCOUNT}:user/alice` },
];

export interface LocalApiKey {
  /** What the client sends in `x-api-key`. */
  readonly value: string;
  /** The API key id API Gateway puts in `requestContext.identity.apiKeyId`. */
  readonly id: string;
}

/** The authorization modes the sandbox can run its example with (`npx projen sandbox --auth <mode>`). */
export const SANDBOX_AUTH_MODES = ['iam', 'api-key', 'cognito'] as const;
export type SandboxAuth = typeof SANDBOX_AUTH_MODES[number];

export const LOCAL_API_KEYS: readonly LocalApiKey[] = [
  { value: 'local-sandbox-api-key-0000000000000001', id: 'sbxkey0001' },
  { value: 'local-sandbox-api-key-0000000000000002', id: 'sbxkey0002' },
];

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export interface VerifiedToken {
  readonly sub: string;
  readonly claims: Record<string, string>;
}

/** A stand-in for a Cognito user pool: it issues ID tokens and checks them like the authorizer. */
export class LocalUserPool {
  readonly poolId: string;
  readonly clientId = 'sandboxlocalappclient0001';
  readonly issuer: string;
  private readonly keyId = randomUUID();
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(readonly region: string) {
    this.poolId = `${region}_LocalPool`;
    this.issuer = `https://cognito-idp.${region}.amazonaws.com/${this.poolId}`;
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** An ID token for `username`, valid `seconds` (negative: already expired). */
  issueIdToken(username: string, seconds = 3600, now = Date.now()): string {
    const iat = Math.floor(now / 1000);
    const header = b64url(JSON.stringify({ kid: this.keyId, alg: 'RS256' }));
    const payload = b64url(JSON.stringify({
      'sub': `00000000-0000-4000-8000-${Buffer.from(username).toString('hex').padEnd(12, '0').slice(0, 12)}`,
      'cognito:username': username,
      'aud': this.clientId,
      'iss': this.issuer,
      'token_use': 'id',
      'auth_time': iat,
      'iat': iat,
      'exp': iat + seconds,
    }));
    const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(this.privateKey);
    return `${header}.${payload}.${b64url(signature)}`;
  }

  /** The token's claims when the authorizer would accept it; undefined otherwise. */
  verify(token: string | undefined, now = Date.now()): VerifiedToken | undefined {
    const parts = (token ?? '').replace(/^Bearer /, '').split('.');
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { kid?: string; alg?: string };
      if (header.alg !== 'RS256' || header.kid !== this.keyId) return undefined;
      const ok = createVerify('RSA-SHA256').update(`${parts[0]}.${parts[1]}`).verify(this.publicKey, Buffer.from(parts[2], 'base64url'));
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
      if (claims.iss !== this.issuer || claims.token_use !== 'id' || typeof claims.sub !== 'string') return undefined;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return undefined;
      // API Gateway passes every claim as a string.
      return { sub: claims.sub, claims: Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, String(v)])) };
    } catch {
      return undefined;
    }
  }
}

/** What the local front accepts. */
export interface FrontAuthentication {
  /** The stack's region: SigV4 signatures must be scoped to it (service `execute-api`). */
  readonly region: string;
  readonly accessKeys: readonly LocalAccessKey[];
  readonly apiKeys: readonly LocalApiKey[];
  readonly userPool: LocalUserPool;
  /**
   * Honour `x-sandbox-caller: <name>` instead of checking credentials (for quick
   * `curl` tries; `npx projen sandbox --caller-header`).
   * @default false
   */
  readonly callerHeader: boolean;
}

/** The local credentials for a stack in `region`. */
export function localAuthentication(region: string, callerHeader = false): FrontAuthentication {
  return { region, accessKeys: LOCAL_ACCESS_KEYS, apiKeys: LOCAL_API_KEYS, userPool: new LocalUserPool(region), callerHeader };
}
