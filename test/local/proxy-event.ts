/**
 * API Gateway REST proxy events and Lambda contexts, shaped the way API
 * Gateway and the Lambda runtime make them, for driving the shipped handler
 * bundle in tests, the sandbox and the benchmarks.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** The handler exactly as shipped in the npm package. */
export const HANDLER_BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'outbound-caller.lambda', 'index.js');
/** The batch routes' bundle as shipped. */
export const BATCH_API_BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'batch-api.lambda', 'index.js');

/** Who API Gateway says is calling, per authorization mode. */
export type CallerIdentity =
  | { readonly iamUserArn: string; readonly accessKey?: string }
  | { readonly apiKeyId: string; readonly apiKey?: string }
  | { readonly cognitoSub: string; readonly claims?: Readonly<Record<string, string>> }
  | { readonly anonymous: true };

export const SANDBOX_CALLER: CallerIdentity = { iamUserArn: 'arn:aws:iam::111122223333:user/sandbox' };

export interface ProxyEventOptions {
  readonly body?: string | Buffer;
  /** Header name → value; multi-value headers are derived as API Gateway does. */
  readonly headers?: Record<string, string | string[]>;
  readonly caller?: CallerIdentity;
  readonly method?: string;
  readonly path?: string;
  readonly requestId?: string;
  readonly sourceIp?: string;
  /** Send the body base64-encoded (as API Gateway does for binary media types). */
  readonly base64?: boolean;
  readonly stage?: string;
  /** Path parameters of the matched resource (e.g. `{ contactId }` for the status route). */
  readonly pathParameters?: Record<string, string>;
  /** The matched resource template, e.g. `/contact/outbound-voice/{contactId}`. @default the path, or the status route's template when pathParameters.contactId is set */
  readonly resource?: string;
}

export function proxyEvent(options: ProxyEventOptions = {}): APIGatewayProxyEvent {
  const method = options.method ?? 'PUT';
  const resourcePath = options.path ?? '/contact/outbound-voice';
  const requestId = options.requestId ?? randomUUID();
  const caller = options.caller ?? SANDBOX_CALLER;
  // No prototype: a header named __proto__ is a header like any other (own properties once copied below).
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    // API Gateway's `headers` keeps the last value of a repeated header.
    headers[name] = values[values.length - 1];
    multiValueHeaders[name] = values;
  }
  let body: string | null = null;
  if (options.body !== undefined) {
    const bytes = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    body = options.base64 ? bytes.toString('base64') : bytes.toString('utf8');
  }
  const identity = {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp: options.sourceIp ?? '127.0.0.1',
    user: null,
    userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
    userArn: null,
  } as APIGatewayProxyEvent['requestContext']['identity'];
  let authorizer: APIGatewayProxyEvent['requestContext']['authorizer'] = null;
  if ('iamUserArn' in caller) {
    Object.assign(identity, { userArn: caller.iamUserArn, user: caller.iamUserArn.split(':')[5] ?? null, accountId: caller.iamUserArn.split(':')[4] ?? null });
  } else if ('apiKeyId' in caller) {
    Object.assign(identity, { apiKeyId: caller.apiKeyId, apiKey: caller.apiKey ?? 'redacted' });
  } else if ('cognitoSub' in caller) {
    authorizer = { claims: { ...caller.claims, sub: caller.cognitoSub } };
  }
  const now = new Date();
  const resource = options.resource
    ?? (options.pathParameters?.contactId !== undefined ? '/contact/outbound-voice/{contactId}' : resourcePath);
  return {
    resource,
    path: resourcePath,
    httpMethod: method,
    headers: { ...headers },
    multiValueHeaders: { ...multiValueHeaders },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'sandbox',
      authorizer,
      httpMethod: method,
      identity,
      path: `/${options.stage ?? 'prod'}${resourcePath}`,
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: resource,
      stage: options.stage ?? 'prod',
    },
  };
}

/** A JSON PUT with the given body object and optional Idempotency-Key. */
export function callEvent(body: unknown, options: Omit<ProxyEventOptions, 'body'> & { idempotencyKey?: string } = {}): APIGatewayProxyEvent {
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', ...options.headers };
  if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
  return proxyEvent({ ...options, headers, body: JSON.stringify(body) });
}

export interface LambdaContextLike {
  readonly awsRequestId: string;
  readonly functionName: string;
  getRemainingTimeInMillis(): number;
}

/** A Lambda context whose remaining time runs down from `timeoutMs`, like the runtime's. */
export function lambdaContext(timeoutMs = 25_000, functionName = 'outbound-caller-local'): LambdaContextLike {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: randomUUID(),
    functionName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

export type ProxyHandler = (event: APIGatewayProxyEvent, context: LambdaContextLike) => Promise<APIGatewayProxyResult>;
