/**
 * A local stand-in for the API Gateway REST API of a synthesized template:
 * what the sandbox serves on 127.0.0.1.
 *
 * Everything it enforces is read from the template, not restated here:
 * - routes: AWS::ApiGateway::Method with an AWS_PROXY Lambda integration, the
 *   path rebuilt from the AWS::ApiGateway::Resource chain (`{param}` and
 *   `{param+}` path parameters); any other route gets MISSING_AUTHENTICATION_TOKEN
 *   (403), as API Gateway answers;
 * - authorization type of the method, checked with the local credentials
 *   (test/local/local-credentials.ts): AWS_IAM → a SigV4 signature for
 *   `execute-api` in the stack's region (test/local/sigv4.ts); API key
 *   required → `x-api-key`; COGNITO_USER_POOLS → an ID token of the local user
 *   pool. The identity goes into the request context as API Gateway puts it
 *   (IAM user ARN, API key id, Cognito claims). Opt-in only: the
 *   `x-sandbox-caller` header names the caller instead (removed before the
 *   handler sees it);
 * - throttling: the stage's MethodSettings for the route (token bucket, rate
 *   per second and burst) → THROTTLED;
 * - request validation: the method's request validator: required header and
 *   query-string parameters → BAD_REQUEST_PARAMETERS; the JSON-schema
 *   model of AWS::ApiGateway::Model for the request's content type (a draft-4
 *   subset: type, required, properties, patternProperties, additionalProperties,
 *   enum, pattern, min/maxLength, minimum/maximum, items) → BAD_REQUEST_BODY;
 * - API Gateway's 10 MB payload limit → REQUEST_TOO_LARGE;
 * - rejections answered with the template's AWS::ApiGateway::GatewayResponse
 *   (status, headers, body template) or API Gateway's default when it has none.
 *
 * Accepted requests become REST proxy events (test/local/proxy-event.ts: headers
 * and multiValueHeaders as the client sent them, query string, body as text or
 * base64 when it is not valid UTF-8, a fresh request id, identity) and go to
 * the in-process handler with a Lambda context; its answer is passed through.
 * Invocations run concurrently, as separate Lambda containers would.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { CfnResource, CfnTemplate } from './example-app';
import { localAuthentication, SANDBOX_ACCOUNT, type FrontAuthentication } from './local-credentials';
import { lambdaContext, proxyEvent, type CallerIdentity, type ProxyHandler } from './proxy-event';
import { verifySigV4 } from './sigv4';

export { SANDBOX_ACCOUNT };

/** API Gateway's payload limit for REST APIs. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway stops waiting for an integration after 29 s. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
/** The header that picks the caller identity when the front is started with `callerHeader` (removed before the handler sees it). */
export const CALLER_HEADER = 'x-sandbox-caller';
/** `x-sandbox-caller: none` sends the request without credentials. */
export const NO_CALLER = 'none';
export const DEFAULT_CALLER = 'sandbox';

// --------------------------------------------------------------------- config read from the template

export interface RouteThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Where it came from, e.g. `/~1contact~1outbound-voice PUT`. */
  readonly source: string;
}

export interface FrontRoute {
  readonly method: string;
  readonly path: string;
  /** Logical id of the AWS::Lambda::Function behind the AWS_PROXY integration. */
  readonly functionLogicalId: string;
  /** AWS_IAM, NONE, COGNITO_USER_POOLS, CUSTOM. */
  readonly authorizationType: string;
  readonly apiKeyRequired: boolean;
  readonly validateBody: boolean;
  readonly validateParameters: boolean;
  /** `method.request.header.Idempotency-Key` → required? */
  readonly requestParameters: Record<string, boolean>;
  /** Content type → JSON schema (draft 4), from the method's RequestModels. */
  readonly models: Record<string, JsonSchema>;
  readonly throttle?: RouteThrottle;
}

export interface GatewayResponseSpec {
  readonly statusCode?: number;
  /** `gatewayresponse.header.<name>` → mapping expression (`'literal'`, `context.requestId`, …). */
  readonly parameters: Record<string, string>;
  /** Content type → body template. */
  readonly templates: Record<string, string>;
}

export interface FrontConfig {
  readonly stageName: string;
  readonly restApiLogicalId: string;
  readonly routes: readonly FrontRoute[];
  /** Response type (THROTTLED, DEFAULT_4XX, …) → the template's gateway response. */
  readonly gatewayResponses: Readonly<Record<string, GatewayResponseSpec>>;
}

/** A JSON schema (draft 4), as far as the validator below reads it. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly required?: readonly string[];
  readonly properties?: Record<string, JsonSchema>;
  readonly patternProperties?: Record<string, JsonSchema>;
  readonly additionalProperties?: boolean | JsonSchema;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly [keyword: string]: unknown;
}

type Ref = { Ref: string } | { 'Fn::GetAtt': [string, string] };

function refId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return v.Ref;
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  }
  return undefined;
}

function isRootResource(value: unknown): boolean {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'RootResourceId';
}

function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Finds the logical ids of resources referenced anywhere inside `value` (Ref, GetAtt, Sub). */
export function referencedIds(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => referencedIds(v, out));
  } else if (value && typeof value === 'object') {
    const id = refId(value as Ref);
    if (id) out.add(id);
    const sub = (value as Record<string, unknown>)['Fn::Sub'];
    const subText = Array.isArray(sub) ? sub[0] : sub;
    if (typeof subText === 'string') {
      for (const m of subText.matchAll(/\$\{([^}.!]+)[^}]*\}/g)) out.add(m[1]);
    }
    Object.values(value).forEach((v) => referencedIds(v, out));
  }
  return out;
}

/** Reads routes, throttles, models and gateway responses of the (first) REST API in the template. */
export function frontConfigFromTemplate(template: CfnTemplate): FrontConfig {
  const apis = resourcesOfType(template, 'AWS::ApiGateway::RestApi');
  if (apis.length === 0) throw new Error('The template has no AWS::ApiGateway::RestApi.');
  const restApiLogicalId = apis[0][0];
  const ofThisApi = (r: CfnResource): boolean => refId(r.Properties?.RestApiId) === restApiLogicalId;

  const resourcePath = (resourceId: unknown): string => {
    if (isRootResource(resourceId)) return '';
    const id = refId(resourceId);
    const resource = id ? template.Resources[id] : undefined;
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') {
      throw new Error(`Cannot follow the API resource ${JSON.stringify(resourceId)} in the template.`);
    }
    return `${resourcePath(resource.Properties?.ParentId)}/${String(resource.Properties?.PathPart)}`;
  };

  const stages = resourcesOfType(template, 'AWS::ApiGateway::Stage').filter(([, r]) => ofThisApi(r));
  const stage = stages[0]?.[1];
  const methodSettings = (stage?.Properties?.MethodSettings ?? []) as Array<Record<string, unknown>>;
  const throttleFor = (path: string, method: string): RouteThrottle | undefined => {
    // '/contact/outbound-voice' → '/~1contact~1outbound-voice', as MethodSettings name it.
    const escaped = `/${path.replace(/\//g, '~1')}`;
    // Most specific first: this resource and method, this resource, then the stage-wide /* *.
    for (const [resourcePathSetting, httpMethod] of [[escaped, method], [escaped, '*'], ['/*', method], ['/*', '*']]) {
      const setting = methodSettings.find((s) => s.ResourcePath === resourcePathSetting && s.HttpMethod === httpMethod);
      if (setting && (setting.ThrottlingRateLimit !== undefined || setting.ThrottlingBurstLimit !== undefined)) {
        return {
          // API Gateway's account defaults where one of the two is not set.
          rateLimit: Number(setting.ThrottlingRateLimit ?? 10_000),
          burstLimit: Number(setting.ThrottlingBurstLimit ?? 5_000),
          source: `${resourcePathSetting} ${httpMethod}`,
        };
      }
    }
    return undefined;
  };

  const routes: FrontRoute[] = [];
  for (const [, method] of resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, r]) => ofThisApi(r))) {
    const p = method.Properties ?? {};
    const integration = p.Integration as Record<string, unknown> | undefined;
    if (integration?.Type !== 'AWS_PROXY') continue;
    const functionLogicalId = [...referencedIds(integration.Uri)]
      .find((id) => template.Resources[id]?.Type === 'AWS::Lambda::Function');
    if (!functionLogicalId) continue;
    const path = resourcePath(p.ResourceId) || '/';
    const validatorId = refId(p.RequestValidatorId);
    const validator = validatorId ? template.Resources[validatorId]?.Properties : undefined;
    const models: Record<string, JsonSchema> = {};
    for (const [contentType, model] of Object.entries((p.RequestModels ?? {}) as Record<string, unknown>)) {
      const modelId = refId(model);
      const schema = modelId ? template.Resources[modelId]?.Properties?.Schema : undefined;
      if (schema) models[contentType.toLowerCase()] = schema as JsonSchema;
    }
    routes.push({
      method: String(p.HttpMethod).toUpperCase(),
      path,
      functionLogicalId,
      authorizationType: String(p.AuthorizationType ?? 'NONE'),
      apiKeyRequired: p.ApiKeyRequired === true,
      validateBody: validator?.ValidateRequestBody === true,
      validateParameters: validator?.ValidateRequestParameters === true,
      requestParameters: (p.RequestParameters ?? {}) as Record<string, boolean>,
      models,
      throttle: throttleFor(path, String(p.HttpMethod).toUpperCase()),
    });
  }

  const gatewayResponses: Record<string, GatewayResponseSpec> = {};
  for (const [, r] of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse').filter(([, res]) => ofThisApi(res))) {
    const p = r.Properties ?? {};
    gatewayResponses[String(p.ResponseType)] = {
      statusCode: p.StatusCode === undefined ? undefined : Number(p.StatusCode),
      parameters: (p.ResponseParameters ?? {}) as Record<string, string>,
      templates: (p.ResponseTemplates ?? {}) as Record<string, string>,
    };
  }

  return {
    stageName: String(stage?.Properties?.StageName ?? 'prod'),
    restApiLogicalId,
    routes,
    gatewayResponses,
  };
}

// --------------------------------------------------------------------- JSON schema (draft-4 subset)

const typeOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

/** Validates `value` against a draft-4 schema subset; returns the problems (empty when valid). */
export function validateJsonSchema(schema: JsonSchema, value: unknown, at = ''): string[] {
  const errors: string[] = [];
  const where = at || '(root)';
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!ok) return [`${where}: expected ${types.join(' or ')}, got ${actual}`];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${where}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) errors.push(`${where}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`${where}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${where}: does not match ${schema.pattern}`);
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) {
      errors.push(`${where}: below the minimum ${schema.minimum}`);
    }
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) {
      errors.push(`${where}: above the maximum ${schema.maximum}`);
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${where}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${where}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((item, i) => errors.push(...validateJsonSchema(schema.items!, item, `${at}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    for (const name of schema.required ?? []) {
      if (!(name in obj)) errors.push(`${where}: missing required property ${name}`);
    }
    if (schema.minProperties !== undefined && keys.length < schema.minProperties) errors.push(`${where}: too few properties`);
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) errors.push(`${where}: too many properties`);
    for (const key of keys) {
      const child = at ? `${at}.${key}` : key;
      let matched = false;
      const own = schema.properties?.[key];
      if (own && Object.prototype.hasOwnProperty.call(schema.properties, key)) {
        matched = true;
        errors.push(...validateJsonSchema(own, obj[key], child));
      }
      for (const [pattern, sub] of Object.entries(schema.patternProperties ?? {})) {
        if (new RegExp(pattern, 'u').test(key)) {
          matched = true;
          errors.push(...validateJsonSchema(sub, obj[key], child));
        }
      }
      if (!matched) {
        if (schema.additionalProperties === false) {errors.push(`${where}: property ${key} is not allowed`);} else if (typeof schema.additionalProperties === 'object') {
          errors.push(...validateJsonSchema(schema.additionalProperties, obj[key], child));
        }
      }
    }
  }
  return errors;
}

// --------------------------------------------------------------------- gateway responses

/** API Gateway's status for each response type when the gateway response does not set one. */
const DEFAULT_STATUS: Record<string, number> = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
};

/** API Gateway's own messages (`$context.error.message`). */
const DEFAULT_MESSAGE: Record<string, string> = {
  ACCESS_DENIED: 'User is not authorized to access this resource',
  BAD_REQUEST_BODY: 'Invalid request body',
  INVALID_SIGNATURE: 'The request signature we calculated does not match the signature you provided.',
  MISSING_AUTHENTICATION_TOKEN: 'Missing Authentication Token',
  REQUEST_TOO_LARGE: 'Request Too Long',
  THROTTLED: 'Too Many Requests',
  UNAUTHORIZED: 'Unauthorized',
};

/** `x-amzn-ErrorType` API Gateway adds to its own error answers. */
const ERROR_TYPE_HEADER: Record<string, string> = {
  BAD_REQUEST_BODY: 'BadRequestException',
  MISSING_AUTHENTICATION_TOKEN: 'MissingAuthenticationTokenException',
  THROTTLED: 'TooManyRequestsException',
};

export interface Rejection {
  /** The response type: THROTTLED, BAD_REQUEST_BODY, … */
  readonly type: string;
  /** For the 5XX types that are not answered with a fixed status (502 for a failed Lambda). */
  readonly statusCode?: number;
  readonly validationErrors?: readonly string[];
  /** A hint for sandbox users, sent as `x-sandbox-hint` (never in the body: that is the construct's). */
  readonly hint?: string;
  /** API Gateway's own message (`$context.error.message`) when it is specific to the request. */
  readonly message?: string;
  /** The `x-amzn-ErrorType` API Gateway sends with it, when it is specific to the request. */
  readonly errorType?: string;
}

interface RenderedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Renders the gateway response for a rejection as API Gateway would. */
export function renderGatewayResponse(
  config: FrontConfig, rejection: Rejection, ctx: { requestId: string; extendedRequestId: string; requestHeaders: http.IncomingHttpHeaders },
): RenderedResponse {
  const fallbackType = (rejection.statusCode ?? DEFAULT_STATUS[rejection.type] ?? 500) >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const spec = config.gatewayResponses[rejection.type] ?? config.gatewayResponses[fallbackType];
  const statusCode = spec?.statusCode ?? rejection.statusCode ?? DEFAULT_STATUS[rejection.type] ?? 500;
  const message = rejection.message ?? DEFAULT_MESSAGE[rejection.type] ?? (statusCode >= 500 ? 'Internal server error' : 'Bad Request');
  const validation = (rejection.validationErrors ?? []).join(', ');
  const contextValue = (name: string): string => {
    switch (name) {
      case 'requestId': return ctx.requestId;
      case 'extendedRequestId': return ctx.extendedRequestId;
      case 'error.message': return message;
      case 'error.messageString': return JSON.stringify(message);
      case 'error.responseType': return rejection.type;
      case 'error.validationErrorString': return validation ? `[${validation}]` : '';
      case 'stage': return config.stageName;
      default: return '';
    }
  };

  const headers: Record<string, string> = {};
  for (const [key, expression] of Object.entries(spec?.parameters ?? {})) {
    const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
    if (!name) continue;
    let value: string | undefined;
    if (/^'.*'$/s.test(expression)) {value = expression.slice(1, -1);} else if (expression.startsWith('context.')) {value = contextValue(expression.slice('context.'.length));} else if (expression.startsWith('method.request.header.')) {
      const h = ctx.requestHeaders[expression.slice('method.request.header.'.length).toLowerCase()];
      value = Array.isArray(h) ? h[h.length - 1] : h;
    }
    if (value !== undefined) headers[name] = value;
  }

  const templates = spec?.templates ?? {};
  const templateKey = Object.keys(templates).find((k) => k.toLowerCase() === 'application/json') ?? Object.keys(templates)[0];
  let body: string;
  if (templateKey !== undefined) {
    body = templates[templateKey].replace(/\$(?:\{context\.([\w.]+)\}|context\.([\w.]+))/g,
      (_m, braced: string | undefined, bare: string | undefined) => contextValue(braced ?? bare!));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = templateKey;
  } else {
    body = JSON.stringify({ message });
    headers['content-type'] = 'application/json';
  }
  const errorType = rejection.errorType ?? ERROR_TYPE_HEADER[rejection.type];
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  // A header value may hold only visible ASCII here: the hint can quote a client's property names, which may not be.
  if (rejection.hint) headers['x-sandbox-hint'] = rejection.hint.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
  return { statusCode, headers, body };
}

// --------------------------------------------------------------------- throttle

/** API Gateway's throttle: a token bucket per stage, resource and method. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly rate: number, private readonly burst: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

// --------------------------------------------------------------------- callers

/**
 * The identity API Gateway would put in the request context for this method's
 * authorization type, from the `x-sandbox-caller` header value (or the default).
 * `undefined`: no credentials; a string: why the value is not usable.
 */
export function callerFromHeader(route: FrontRoute, value: string | undefined): CallerIdentity | undefined | string {
  const name = (value ?? DEFAULT_CALLER).trim();
  if (route.authorizationType === 'NONE' && !route.apiKeyRequired) return { anonymous: true };
  if (name === NO_CALLER || name === '') return undefined;
  if (route.authorizationType === 'AWS_IAM') {
    if (/^arn:aws[\w-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+$/.test(name)) return { iamUserArn: name };
    if (/^[\w+=,.@-]{1,64}$/.test(name)) return { iamUserArn: `arn:aws:iam::${SANDBOX_ACCOUNT}:user/${name}` };
    return `${CALLER_HEADER} must be an IAM user name (letters, digits and +=,.@_-, up to 64) or an IAM/STS ARN`;
  }
  if (route.apiKeyRequired) return { apiKeyId: name };
  if (route.authorizationType === 'COGNITO_USER_POOLS') return { cognitoSub: name };
  return `the sandbox cannot simulate authorization type ${route.authorizationType}`;
}

/** A stable fake principal id (AIDA…), as API Gateway puts in identity.user / identity.caller. */
function principalId(arn: string): string {
  return 'AIDA' + createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase();
}

// --------------------------------------------------------------------- the server

/** A Lambda function, loaded in-process. */
export interface LocalFunction {
  readonly handler: ProxyHandler;
  readonly functionName: string;
  readonly timeoutMs: number;
}

export interface AccessLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly caller?: string;
  readonly errorResponseType?: string;
  readonly latencyMs: number;
}

/** Handles `/_sandbox/...` requests itself; the body is already read. */
export type LocalRouteHandler = (
  req: http.IncomingMessage, res: http.ServerResponse, pathname: string, body: Buffer,
) => Promise<void>;

export interface ApiFrontOptions {
  /** Requests under this prefix go to `localRoutes` instead of the API. @default '/_sandbox/' */
  readonly localPrefix?: string;
  readonly localRoutes?: LocalRouteHandler;
  readonly onAccessLog?: (entry: AccessLogEntry) => void;
  /**
   * The credentials accepted, per authorization mode.
   * @default localAuthentication('us-east-1'): the local keys and user pool, no `x-sandbox-caller`
   */
  readonly authentication?: FrontAuthentication;
}

export class ApiFront {
  private readonly server: http.Server;
  private readonly localPrefix: string;
  private auth: FrontAuthentication;
  private config?: FrontConfig;
  private functions = new Map<string, LocalFunction>();
  private buckets = new Map<FrontRoute, TokenBucket>();
  private boundPort = 0;
  private openApi?: Record<string, unknown>;
  private stopping?: Promise<void>;

  constructor(private readonly options: ApiFrontOptions = {}) {
    this.localPrefix = options.localPrefix ?? '/_sandbox/';
    this.auth = options.authentication ?? localAuthentication('us-east-1');
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        process.stderr.write(`sandbox front: ${String((err as Error)?.stack ?? err)}\n`);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: 'Internal server error' }));
        }
      });
    });
    // Keep-alive connections must not keep stop() waiting.
    this.server.keepAliveTimeout = 5_000;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The credentials this front accepts. */
  get authentication(): FrontAuthentication {
    return this.auth;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  /**
   * Listens on 127.0.0.1. Until `configure()` the API answers 503. A port in use
   * rejects with an Error whose `code` is EADDRINUSE.
   */
  listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const error = new Error(err.code === 'EADDRINUSE'
          ? `port ${port} on 127.0.0.1 is already in use`
          : `cannot listen on 127.0.0.1:${port}: ${err.message}`) as NodeJS.ErrnoException;
        error.code = err.code;
        reject(error);
      };
      this.server.once('error', onError);
      this.server.listen({ port, host: '127.0.0.1' }, () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Starts serving the API of `config` with these functions (by logical id), accepting these credentials. */
  configure(config: FrontConfig, functions: Map<string, LocalFunction>, authentication?: FrontAuthentication): void {
    if (authentication) this.auth = authentication;
    for (const route of config.routes) {
      if (!functions.has(route.functionLogicalId)) {
        throw new Error(`No local function for ${route.method} ${route.path} (${route.functionLogicalId}).`);
      }
    }
    this.buckets = new Map(config.routes.filter((r) => r.throttle)
      .map((r) => [r, new TokenBucket(r.throttle!.rateLimit, r.throttle!.burstLimit)]));
    this.functions = functions;
    this.config = config;
  }

  /** Serves this OpenAPI document at `GET /openapi.json` (with this front's URL as its server). */
  serveOpenApiDocument(document: Record<string, unknown>): void {
    this.openApi = document;
  }

  /** Closes the server and every open connection. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = randomUUID();
    const extendedRequestId = randomBytes(12).toString('base64url').slice(0, 16);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const log = (status: number, extra: Partial<AccessLogEntry> = {}): void => {
      this.options.onAccessLog?.({ requestId, method, path: pathname, status, latencyMs: Date.now() - started, ...extra });
    };
    const reject = (rejection: Rejection, caller?: string): void => {
      const config = this.config;
      const answer = config
        ? renderGatewayResponse(config, rejection, { requestId, extendedRequestId, requestHeaders: req.headers })
        : { statusCode: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Service Unavailable' }) };
      send(res, answer.statusCode, { ...gatewayHeaders(requestId, extendedRequestId), ...answer.headers }, answer.body);
      log(answer.statusCode, { errorResponseType: rejection.type, caller });
    };

    const body = await readBody(req, MAX_PAYLOAD_BYTES);
    if (body === 'too-large') {
      res.setHeader('connection', 'close');
      reject({ type: 'REQUEST_TOO_LARGE' });
      res.once('finish', () => req.socket.destroy());
      return;
    }

    if (pathname.startsWith(this.localPrefix) && this.options.localRoutes) {
      await this.options.localRoutes(req, res, pathname, body);
      return;
    }

    if (pathname === '/openapi.json' && (method === 'GET' || method === 'HEAD') && this.openApi) {
      // A sandbox addition (the deployed API does not serve it): the construct's document, with this front as its server.
      const document = { ...this.openApi, servers: [{ url: this.url, description: 'the local sandbox' }] };
      send(res, 200, { 'content-type': 'application/json' }, method === 'HEAD' ? '' : JSON.stringify(document, null, 2) + '\n');
      log(200);
      return;
    }

    const config = this.config;
    if (!config) {
      send(res, 503, { 'content-type': 'application/json', 'retry-after': '1' },
        JSON.stringify({ message: 'The sandbox is still starting. Retry in a moment.' }));
      log(503);
      return;
    }

    // 1. Route: anything else is MISSING_AUTHENTICATION_TOKEN, as API Gateway answers.
    const match = matchRoute(config.routes, method, pathname);
    const route = match?.route;
    if (!match || !route) {
      reject({ type: 'MISSING_AUTHENTICATION_TOKEN', hint: `no route ${method} ${pathname}` });
      return;
    }

    // 2. Who is calling (API Gateway has authenticated the request before anything else).
    const authenticated = this.authenticate(req, route, body);
    if ('type' in authenticated) {
      reject(authenticated);
      return;
    }
    const caller = authenticated;
    const callerName = describeCaller(caller);

    // 3. Throttle (the stage's method settings for this route).
    const bucket = this.buckets.get(route);
    if (bucket && !bucket.take()) {
      reject({ type: 'THROTTLED' }, callerName);
      return;
    }

    // 4. Request validation: required parameters, then the model for the content type (application/json when there is none).
    if (route.validateParameters) {
      const missing = Object.entries(route.requestParameters).filter(([name, required]) => {
        if (!required) return false;
        const [, where, key] = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(name) ?? [];
        if (where === 'header') return headerValue(req.headers[key.toLowerCase()]) === undefined;
        if (where === 'querystring') return !url.searchParams.has(key);
        return false; // path parameters: the route matched, so they are there
      }).map(([name]) => name.replace(/^method\.request\./, ''));
      if (missing.length > 0) {
        reject({ type: 'BAD_REQUEST_PARAMETERS', validationErrors: missing.map((m) => `missing ${m}`), hint: `missing ${missing.join(', ')}` }, callerName);
        return;
      }
    }
    if (route.validateBody) {
      const contentType = headerValue(req.headers['content-type'])?.split(';')[0].trim().toLowerCase() || 'application/json';
      const schema = route.models[contentType];
      if (schema) {
        const problems = validateBody(schema, body);
        if (problems.length > 0) {
          reject({ type: 'BAD_REQUEST_BODY', validationErrors: problems, hint: problems.slice(0, 3).join('; ') }, callerName);
          return;
        }
      }
    }

    // 5. The proxy event and the Lambda invocation.
    const event = this.buildEvent(req, url, route, match.pathParameters, body, caller, requestId, extendedRequestId);
    const fn = this.functions.get(route.functionLogicalId)!;
    let result: APIGatewayProxyResult;
    try {
      result = await invokeWithTimeout(fn, event);
      checkProxyResult(result);
    } catch (err) {
      process.stderr.write(`sandbox: the Lambda function failed (API Gateway answers 502): ${String((err as Error)?.message ?? err)}\n`);
      reject({ type: 'INTEGRATION_FAILURE', statusCode: 502 }, callerName);
      return;
    }
    // multiValueHeaders and headers are merged; a pair given in both appears once.
    const headers: Record<string, string | string[]> = gatewayHeaders(requestId, extendedRequestId);
    const merged: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) merged[name] = values.map(String);
    for (const [name, value] of Object.entries(result.headers ?? {})) {
      const values = (merged[name] ??= []);
      if (!values.includes(String(value))) values.push(String(value));
    }
    for (const [name, values] of Object.entries(merged)) headers[name] = values.length === 1 ? values[0] : values;
    const payload = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? '', 'utf8');
    send(res, result.statusCode, headers, payload);
    log(result.statusCode, { caller: callerName });
  }

  /** The caller of an accepted request, or the gateway response API Gateway gives instead. */
  private authenticate(req: http.IncomingMessage, route: FrontRoute, body: Buffer): CallerIdentity | Rejection {
    const callerValue = headerValue(req.headers[CALLER_HEADER]);
    if (this.auth.callerHeader && callerValue !== undefined) {
      const caller = callerFromHeader(route, callerValue);
      if (caller === undefined) {
        return { type: route.apiKeyRequired ? 'INVALID_API_KEY' : 'MISSING_AUTHENTICATION_TOKEN', hint: `${CALLER_HEADER}: ${NO_CALLER}` };
      }
      if (typeof caller === 'string') return { type: route.authorizationType === 'AWS_IAM' ? 'INVALID_SIGNATURE' : 'UNAUTHORIZED', hint: caller };
      return caller;
    }
    const unsignedHint = this.auth.callerHeader
      ? `sign the request, or name the caller with ${CALLER_HEADER}`
      : 'sign the request with a key the sandbox printed at start';
    let caller: CallerIdentity;
    switch (route.authorizationType) {
      case 'NONE':
        caller = { anonymous: true };
        break;
      case 'AWS_IAM': {
        const result = verifySigV4({ method: req.method ?? 'GET', target: req.url ?? '/', rawHeaders: req.rawHeaders, body }, {
          region: this.auth.region,
          keys: this.auth.accessKeys,
        });
        if (!result.ok) {
          return {
            type: result.type,
            message: result.message,
            errorType: result.errorType,
            hint: result.type === 'MISSING_AUTHENTICATION_TOKEN' ? unsignedHint : result.message,
          };
        }
        caller = { iamUserArn: result.key.arn, accessKey: result.key.accessKeyId };
        break;
      }
      case 'COGNITO_USER_POOLS': {
        const token = this.auth.userPool.verify(headerValue(req.headers.authorization));
        if (!token) {
          return { type: 'UNAUTHORIZED', hint: 'send an ID token the sandbox issued at start in the Authorization header' };
        }
        caller = { cognitoSub: token.sub, claims: token.claims };
        break;
      }
      default:
        return { type: 'UNAUTHORIZED', hint: `the sandbox cannot simulate authorization type ${route.authorizationType}` };
    }
    if (route.apiKeyRequired) {
      // API Gateway checks the usage plan's key after the authorizer; the key id becomes the caller when there is no other identity.
      const given = headerValue(req.headers['x-api-key']);
      const key = this.auth.apiKeys.find((k) => k.value === given);
      if (!key) {
        return { type: 'INVALID_API_KEY', message: 'Forbidden', hint: given === undefined ? 'no x-api-key header' : 'x-api-key is not a key the sandbox printed' };
      }
      if ('anonymous' in caller) caller = { apiKeyId: key.id, apiKey: key.value };
    }
    return caller;
  }

  private buildEvent(
    req: http.IncomingMessage, url: URL, route: FrontRoute, pathParameters: Record<string, string> | null, body: Buffer,
    caller: CallerIdentity, requestId: string, extendedRequestId: string,
  ): APIGatewayProxyEvent {
    // Header names as the client sent them (API Gateway keeps their case), repeated ones kept in order.
    // No prototype: a client may send a header (or a query parameter) named __proto__; API Gateway passes it on.
    const headers: Record<string, string[]> = Object.create(null);
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      if (this.auth.callerHeader && name.toLowerCase() === CALLER_HEADER) continue;
      (headers[name] ??= []).push(req.rawHeaders[i + 1]);
    }
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const forwardedFor = Object.keys(headers).find((h) => h.toLowerCase() === 'x-forwarded-for');
    if (forwardedFor) headers[forwardedFor] = [`${headers[forwardedFor].join(', ')}, ${sourceIp}`];
    else headers['X-Forwarded-For'] = [sourceIp];
    headers['X-Forwarded-Port'] = [String(this.boundPort)];
    headers['X-Forwarded-Proto'] = ['http'];
    headers['X-Amzn-Trace-Id'] = [traceId()];

    const utf8 = isValidUtf8(body);
    const event = proxyEvent({
      method: req.method ?? route.method,
      path: url.pathname,
      headers,
      body: body.length > 0 ? body : undefined,
      base64: body.length > 0 && !utf8,
      caller,
      requestId,
      sourceIp,
      stage: this.config!.stageName,
    });

    const query: Record<string, string> = Object.create(null);
    const multiQuery: Record<string, string[]> = Object.create(null);
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      (multiQuery[name] ??= []).push(value);
    }
    const hasQuery = Object.keys(query).length > 0;
    const now = new Date(event.requestContext.requestTimeEpoch);
    return {
      ...event,
      resource: route.path,
      pathParameters,
      queryStringParameters: hasQuery ? { ...query } : null,
      multiValueQueryStringParameters: hasQuery ? { ...multiQuery } : null,
      requestContext: {
        ...event.requestContext,
        accountId: SANDBOX_ACCOUNT,
        apiId: 'sandbox',
        resourcePath: route.path,
        domainName: `127.0.0.1:${this.boundPort}`,
        domainPrefix: '127',
        extendedRequestId,
        requestTime: apiGatewayTime(now),
        identity: 'iamUserArn' in caller
          ? {
            ...event.requestContext.identity,
            accessKey: caller.accessKey ?? 'AKLOCALSANDBOXHEADER',
            accountId: caller.iamUserArn.split(':')[4],
            caller: principalId(caller.iamUserArn),
            user: principalId(caller.iamUserArn),
          }
          : event.requestContext.identity,
      },
    };
  }
}

// --------------------------------------------------------------------- helpers

/**
 * API Gateway's route matching: static segments before `{param}`, `{param+}`
 * takes the rest; method ANY matches every method. Path parameters are decoded.
 */
export function matchRoute(
  routes: readonly FrontRoute[], method: string, pathname: string,
): { route: FrontRoute; pathParameters: Record<string, string> | null } | undefined {
  const segments = pathname.split('/').filter((x) => x.length > 0);
  let best: { route: FrontRoute; pathParameters: Record<string, string>; score: number } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    const matched = matchPath(route.path.split('/').filter((x) => x.length > 0), segments);
    if (!matched) continue;
    const score = matched.staticSegments * 2 + (route.method === method ? 1 : 0);
    if (!best || score > best.score) best = { route, pathParameters: matched.params, score };
  }
  if (!best) return undefined;
  return { route: best.route, pathParameters: Object.keys(best.pathParameters).length > 0 ? best.pathParameters : null };
}

function matchPath(pattern: readonly string[], segments: readonly string[]): { params: Record<string, string>; staticSegments: number } | undefined {
  const params: Record<string, string> = {};
  let staticSegments = 0;
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i];
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) {
      // {name+} takes at least one segment and everything after it.
      if (i !== pattern.length - 1 || i >= segments.length) return undefined;
      params[greedy[1]] = decode(segments.slice(i).join('/'));
      return { params, staticSegments };
    }
    if (i >= segments.length) return undefined;
    const param = /^\{(.+)\}$/.exec(part);
    if (param) {
      params[param[1]] = decode(segments[i]);
    } else if (segments[i] === part) {
      staticSegments += 1;
    } else {
      return undefined;
    }
  }
  return pattern.length === segments.length ? { params, staticSegments } : undefined;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function describeCaller(caller: CallerIdentity): string {
  if ('iamUserArn' in caller) return caller.iamUserArn;
  if ('apiKeyId' in caller) return `apiKey:${caller.apiKeyId}`;
  if ('cognitoSub' in caller) return `sub:${caller.cognitoSub}`;
  return 'anonymous';
}

function validateBody(schema: JsonSchema, body: Buffer): string[] {
  // API Gateway reads the body as text; bytes that are not UTF-8 become U+FFFD.
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return ['the body is not valid JSON'];
  }
  return validateJsonSchema(schema, parsed);
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** API Gateway's $context.requestTime: 23/Nov/2026:16:00:00 +0000 */
function apiGatewayTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:`
    + `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function gatewayHeaders(requestId: string, extendedRequestId: string): Record<string, string> {
  return { 'x-amzn-RequestId': requestId, 'x-amz-apigw-id': extendedRequestId };
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer): void {
  if (res.destroyed || res.headersSent) return;
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding') continue;
    out[name] = value;
  }
  out['content-length'] = String(payload.length);
  res.writeHead(status, out);
  res.end(payload);
}

/** Reads the whole body; `'too-large'` once it passes `limit` (the rest is not read). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => { if (!done) resolve(Buffer.concat(chunks)); });
    req.once('error', (err) => { if (!done) reject(err); });
  });
}

/** Runs the handler with a Lambda context; a function timeout (at most API Gateway's 29 s) rejects. */
async function invokeWithTimeout(fn: LocalFunction, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const timeoutMs = Math.min(fn.timeoutMs, INTEGRATION_TIMEOUT_MS);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
  });
  try {
    return await Promise.race([fn.handler(event, lambdaContext(timeoutMs, fn.functionName)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What API Gateway needs from a proxy integration's answer; anything else is a 502. */
function checkProxyResult(result: unknown): asserts result is APIGatewayProxyResult {
  const r = result as Partial<APIGatewayProxyResult> | undefined;
  if (!r || typeof r !== 'object' || !Number.isInteger(r.statusCode) || r.statusCode! < 100 || r.statusCode! > 599
    || (r.body !== undefined && r.body !== null && typeof r.body !== 'string')) {
    throw new Error(`Malformed Lambda proxy response: ${JSON.stringify(result)?.slice(0, 200)}`);
  }
}
