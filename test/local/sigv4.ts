/**
 * AWS Signature Version 4, checked the way API Gateway checks a request to a
 * method with AWS_IAM authorization (service `execute-api`): the canonical
 * request (method, URI-encoded path, sorted query, signed headers, SHA-256 of
 * the body as received), the string to sign (`AWS4-HMAC-SHA256`, the request
 * time, the credential scope), the signing key derived from the secret, and
 * the time window. Signatures come in the `Authorization` header or in the
 * query string (a presigned URL).
 *
 * Each failure names the API Gateway gateway response type it gets and
 * API Gateway's own message, so the local front answers with the same status
 * and envelope as the deployed API (see "Calling the API" in the README).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const SERVICE = 'execute-api';
/**
 * How far the request time may be from the server's clock. API Gateway's
 * own answer says 5 minutes ("Signature expired: … is now earlier than …
 * (… - 5 min.)"), both ways.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A local access key: who signs with it becomes this IAM identity. */
export interface LocalAccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The IAM user (or role session) ARN API Gateway puts in `requestContext.identity.userArn`. */
  readonly arn: string;
}

export interface SignedRequest {
  readonly method: string;
  /** The request target as sent: path and query, still percent-encoded (`req.url`). */
  readonly target: string;
  /** `req.rawHeaders`: names as sent, repeated headers in order. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type SigV4Result =
  | { readonly ok: true; readonly key: LocalAccessKey }
  | {
    readonly ok: false;
    /** The gateway response type: MISSING_AUTHENTICATION_TOKEN or INVALID_SIGNATURE. */
    readonly type: 'MISSING_AUTHENTICATION_TOKEN' | 'INVALID_SIGNATURE';
    /** API Gateway's message for it (`$context.error.message`). */
    readonly message: string;
    /** The `x-amzn-ErrorType` API Gateway sends with it. */
    readonly errorType: string;
  };

const fail = (type: 'MISSING_AUTHENTICATION_TOKEN' | 'INVALID_SIGNATURE', errorType: string, message: string): SigV4Result =>
  ({ ok: false, type, errorType, message });

/** RFC 3986 encoding as SigV4 wants it: everything but A–Z a–z 0–9 - _ . ~ is %XX (upper case). */
export function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return text;
  }
}

/**
 * The canonical URI of a non-S3 service: each segment of the path as sent
 * (already percent-encoded by the client) is encoded once more, so `%20`
 * becomes `%2520`, as the AWS SDKs and botocore sign it.
 */
export function canonicalUri(rawPath: string): string {
  const path = rawPath === '' ? '/' : rawPath;
  return path.split('/').map((segment) => uriEscape(segment)).join('/');
}

/** Query parameters sorted by encoded name, then encoded value; `skip` names are left out (X-Amz-Signature). */
export function canonicalQuery(rawQuery: string, skip: ReadonlySet<string> = new Set()): string {
  if (rawQuery === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    if (skip.has(name)) continue;
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    pairs.push([uriEscape(name), uriEscape(value)]);
  }
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Header name (lower case) → its values joined by ',' (each trimmed, inner runs of spaces collapsed). */
function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    (map.get(name) ?? map.set(name, []).get(name)!).push(value);
  }
  return new Map([...map].map(([name, values]) => [name, values.join(',')]));
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The signing key: HMAC chain over date, region, service and `aws4_request`. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** `20261123T160000Z` → epoch ms, or NaN. */
function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

interface Parts {
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
  readonly date?: string;
  readonly securityToken?: string;
  readonly expiresSeconds?: number;
  readonly presigned: boolean;
}

/** Reads the signature parts from the Authorization header or the presigned query; a string: what is malformed. */
function signatureParts(headers: Map<string, string>, query: URLSearchParams): Parts | string | undefined {
  const authorization = headers.get('authorization');
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const scheme = space < 0 ? authorization : authorization.slice(0, space);
    if (scheme !== ALGORITHM) return `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${scheme}`;
    const fields = new Map<string, string>();
    for (const item of authorization.slice(space + 1).split(',')) {
      const eq = item.indexOf('=');
      if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((f) => !fields.get(f));
    if (missing.length > 0) return missing.map((f) => `Authorization header requires '${f}' parameter.`).join(' ');
    return {
      credential: fields.get('Credential')!,
      signedHeaders: fields.get('SignedHeaders')!,
      signature: fields.get('Signature')!,
      date: headers.get('x-amz-date'),
      securityToken: headers.get('x-amz-security-token'),
      presigned: false,
    };
  }
  if (query.get('X-Amz-Algorithm') !== null || query.get('X-Amz-Signature') !== null) {
    if (query.get('X-Amz-Algorithm') !== ALGORITHM) return `X-Amz-Algorithm must be ${ALGORITHM}`;
    const missing = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'].filter((f) => !query.get(f));
    if (missing.length > 0) return missing.map((f) => `AWS query-string parameters must include '${f}'.`).join(' ');
    const expires = query.get('X-Amz-Expires');
    return {
      credential: query.get('X-Amz-Credential')!,
      signedHeaders: query.get('X-Amz-SignedHeaders')!,
      signature: query.get('X-Amz-Signature')!,
      date: query.get('X-Amz-Date')!,
      securityToken: query.get('X-Amz-Security-Token') ?? undefined,
      expiresSeconds: expires === null ? undefined : Number(expires),
      presigned: true,
    };
  }
  return undefined;
}

export interface VerifyOptions {
  /** The stack's region: the credential scope must name it. */
  readonly region: string;
  readonly keys: readonly LocalAccessKey[];
  /** @default Date.now() */
  readonly now?: number;
}

/** Checks a request's SigV4 signature as API Gateway does for an AWS_IAM method. */
export function verifySigV4(request: SignedRequest, options: VerifyOptions): SigV4Result {
  const headers = headerMap(request.rawHeaders);
  const target = request.target || '/';
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  const query = new URLSearchParams(rawQuery);

  const parts = signatureParts(headers, query);
  if (parts === undefined) return fail('MISSING_AUTHENTICATION_TOKEN', 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  if (typeof parts === 'string') return fail('INVALID_SIGNATURE', 'IncompleteSignatureException', parts);

  // Credential=<key id>/<yyyymmdd>/<region>/<service>/aws4_request
  const scope = parts.credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    return fail('INVALID_SIGNATURE', 'IncompleteSignatureException',
      `Credential should be scoped to a valid region, not '${scope[2] ?? ''}'. Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parts.credential}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService] = scope;
  const key = options.keys.find((k) => k.accessKeyId === accessKeyId);
  if (!key || parts.securityToken !== undefined) {
    // Local keys are long-term keys: a session token makes the request one of temporary credentials we never issued.
    return fail('INVALID_SIGNATURE', 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (scopeService !== SERVICE) {
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException', `Credential should be scoped to correct service: '${SERVICE}'. `);
  }
  if (scopeRegion !== options.region) {
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException',
      `Credential should be scoped to a valid region. Expected '${options.region}', got '${scopeRegion}'.`);
  }

  // The request time: X-Amz-Date (or the Date header), within the skew window.
  const dateText = parts.date ?? headers.get('date');
  if (dateText === undefined) {
    return fail('INVALID_SIGNATURE', 'IncompleteSignatureException', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const signedAt = parts.date !== undefined ? parseAmzDate(parts.date) : Date.parse(dateText);
  if (Number.isNaN(signedAt)) {
    return fail('INVALID_SIGNATURE', 'IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${dateText}'.`);
  }
  const now = options.now ?? Date.now();
  const sent = amzDate(signedAt);
  if (parts.presigned) {
    const expires = parts.expiresSeconds ?? 15 * 60;
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
      return fail('INVALID_SIGNATURE', 'InvalidSignatureException', 'X-Amz-Expires must be an integer from 1 to 604800 seconds.');
    }
    if (now > signedAt + expires * 1000) {
      return fail('INVALID_SIGNATURE', 'InvalidSignatureException', `Signature expired: ${sent} is now earlier than ${amzDate(now - expires * 1000)} (${amzDate(now)} - ${expires} s.)`);
    }
  } else if (signedAt < now - MAX_CLOCK_SKEW_MS) {
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException',
      `Signature expired: ${sent} is now earlier than ${amzDate(now - MAX_CLOCK_SKEW_MS)} (${amzDate(now)} - 5 min.)`);
  }
  if (signedAt > now + MAX_CLOCK_SKEW_MS) {
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException',
      `Signature not yet current: ${sent} is still later than ${amzDate(now + MAX_CLOCK_SKEW_MS)} (${amzDate(now)} + 5 min.)`);
  }
  if (scopeDate !== sent.slice(0, 8)) {
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${sent.slice(0, 8)}', from '${dateText}'.`);
  }

  // Signed headers: host must be one of them; each must be present.
  const signedHeaders = parts.signedHeaders.split(';').map((h) => h.trim().toLowerCase());
  if (!signedHeaders.includes('host')) {
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const sortedSigned = [...signedHeaders].sort();
  const canonicalHeaders = sortedSigned.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQuery(rawQuery, parts.presigned ? new Set(['X-Amz-Signature']) : new Set()),
    canonicalHeaders,
    sortedSigned.join(';'),
    // The body as received: a body changed after signing cannot match.
    sha256Hex(request.body),
  ].join('\n');
  const credentialScope = `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`;
  const stringToSign = [ALGORITHM, parts.date ?? sent, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const expected = createHmac('sha256', signingKey(key.secretAccessKey, scopeDate, scopeRegion, scopeService))
    .update(stringToSign, 'utf8').digest();
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(parts.signature) ? parts.signature : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  }
  return { ok: true, key };
}
