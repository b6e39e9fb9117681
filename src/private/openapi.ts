import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  AuthMode, CALL_STATUS_RANK, ERROR_STATUS, HEADERS, LIMITS, PATTERNS, RETRY_AFTER_CODES, ROUTE_ERRORS, ROUTES,
} from './contract';
import { GATEWAY_RESPONSES, GatewayResponseScope } from './gateway-responses';
import { outboundVoiceRequestSchema } from './request-schema';

/**
 * The OpenAPI 3.1 document of the API, built from the same sources as what
 * API Gateway deploys: the request model (request-schema.ts), the error codes
 * and headers of the shared contract (contract.ts) and the gateway responses
 * (gateway-responses.ts). Nothing in it is written a second time. The README's
 * "Calling the API" section says how to get it (the construct, the package's
 * openapi.json, the sandbox's GET /openapi.json).
 */

/** What the document describes. */
export interface OpenApiOptions {
  /** The authorization modes the document offers (one for a deployed construct; all for the package's generic document). */
  readonly authModes: readonly AuthMode[];
  /** Whether the status route exists. */
  readonly callStatus: boolean;
  /** The stage's URL (the routes' paths follow it); a server with variables when omitted. */
  readonly serverUrl?: string;
  /** User pool ARNs, for the Cognito scheme's authorizer. */
  readonly cognitoProviderArns?: readonly string[];
  /** The construct's configuration (defaults and allow-lists), as `x-outbound-caller`. */
  readonly configuration?: Record<string, unknown>;
}

/** The version of the HTTP contract (not of the npm package). */
export const API_VERSION = '1.0.0';

type Json = Record<string, unknown>;

/**
 * An aws-cdk-lib JsonSchema as JSON: `schema` → `$schema`, `ref` → `$ref`, `id`
 * → `$id`, as API Gateway's Model renders it in the template; property names
 * are kept as they are.
 */
export function toJsonSchema(schema: apigw.JsonSchema): Json {
  const renamed: Record<string, string> = { schema: '$schema', ref: '$ref', id: '$id' };
  const mapSchema = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(mapSchema);
    if (value === null || typeof value !== 'object') return value;
    const out: Json = {};
    for (const [key, child] of Object.entries(value as Json)) {
      if (child === undefined) continue;
      const name = renamed[key] ?? key;
      if ((key === 'properties' || key === 'patternProperties' || key === 'definitions') && child && typeof child === 'object') {
        out[name] = Object.fromEntries(Object.entries(child as Json).map(([prop, sub]) => [prop, mapSchema(sub)]));
      } else {
        out[name] = mapSchema(child);
      }
    }
    return out;
  };
  return mapSchema(schema) as Json;
}

/** The request body schema as the document gives it: the deployed model, without its draft-04 `$schema`. */
export function requestBodySchema(): Json {
  const { $schema: _draft, ...schema } = toJsonSchema(outboundVoiceRequestSchema());
  return schema;
}

const SCHEME_NAMES: Record<Exclude<AuthMode, 'NONE'>, string> = { IAM: 'sigv4', API_KEY: 'api_key', COGNITO: 'cognito' };

function securitySchemes(options: OpenApiOptions): Json {
  return {
    sigv4: {
      'type': 'apiKey',
      'name': 'Authorization',
      'in': 'header',
      'description': 'AWS Signature Version 4 for service `execute-api` in the API\'s region, by a principal granted '
        + '`execute-api:Invoke` (OutboundCaller.grantInvoke).',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    },
    api_key: {
      type: 'apiKey',
      name: 'x-api-key',
      in: 'header',
      description: 'An API key of the construct\'s usage plan (CallerAuthorization.apiKey()).',
    },
    cognito: {
      'type': 'apiKey',
      'name': 'Authorization',
      'in': 'header',
      'description': 'An ID token (or an access token with the configured scopes) of the user pools of CallerAuthorization.cognito().',
      'x-amazon-apigateway-authtype': 'cognito_user_pools',
      'x-amazon-apigateway-authorizer': {
        type: 'cognito_user_pools',
        ...(options.cognitoProviderArns?.length ? { providerARNs: [...options.cognitoProviderArns] } : {}),
      },
    },
  };
}

function inScope(scope: GatewayResponseScope, route: 'placeCall' | 'callStatus', modes: readonly AuthMode[]): boolean {
  switch (scope) {
    case 'all': return true;
    case 'body': return route === 'placeCall';
    case 'parameters': return route === 'callStatus';
    case 'IAM_OR_COGNITO': return modes.includes('IAM') || modes.includes('COGNITO');
    default: return modes.includes(scope);
  }
}

const errorRef = { $ref: '#/components/schemas/ErrorEnvelope' };
const requestIdHeader = { $ref: '#/components/headers/RequestId' };
const retryAfterHeader = { $ref: '#/components/headers/RetryAfter' };

/** Each status an operation can answer → the error codes that can come with it (the handler's and API Gateway's). */
function errorResponses(route: 'placeCall' | 'callStatus', modes: readonly AuthMode[]): Json {
  const byStatus = new Map<string, { codes: Set<string>; retryAfter: boolean; gateway: string[] }>();
  const entry = (status: string): { codes: Set<string>; retryAfter: boolean; gateway: string[] } =>
    byStatus.get(status) ?? byStatus.set(status, { codes: new Set(), retryAfter: false, gateway: [] }).get(status)!;
  for (const code of ROUTE_ERRORS[route]) {
    const e = entry(String(ERROR_STATUS[code]));
    e.codes.add(code);
    if (RETRY_AFTER_CODES.includes(code)) e.retryAfter = true;
  }
  for (const response of GATEWAY_RESPONSES) {
    if (!inScope(response.scope, route, modes)) continue;
    const e = entry(String(response.status));
    e.codes.add(response.code);
    e.gateway.push(response.type.responseType);
    if (response.retryAfter) e.retryAfter = true;
  }
  // API Gateway answers a failed or timed-out integration with 502 or 504 (DEFAULT_5XX's INTERNAL_ERROR).
  for (const status of ['502', '504']) {
    const e = entry(status);
    e.codes.add('INTERNAL_ERROR');
    e.gateway.push('DEFAULT_5XX');
  }
  const order = (s: string): number => (s.endsWith('XX') ? Number(s[0]) * 100 + 99 : Number(s));
  return Object.fromEntries([...byStatus].sort(([a], [b]) => order(a) - order(b)).map(([status, e]) => {
    const codes = [...e.codes].sort();
    const from = e.gateway.length ? ` API Gateway's ${[...new Set(e.gateway)].join(', ')} in the envelope.` : '';
    return [status, {
      description: `${codes.join(', ')}.${from}`,
      headers: { [HEADERS.requestId]: requestIdHeader, ...(e.retryAfter ? { [HEADERS.retryAfter]: retryAfterHeader } : {}) },
      content: {
        'application/json': {
          schema: { allOf: [errorRef, { properties: { error: { properties: { code: { enum: codes } } } } }] },
        },
      },
    }];
  }));
}

/** The OpenAPI 3.1 document of the API. */
export function openApiDocument(options: OpenApiOptions): Json {
  const modes = options.authModes;
  const schemes = modes.filter((m): m is Exclude<AuthMode, 'NONE'> => m !== 'NONE');
  const security = [
    ...schemes.map((m) => ({ [SCHEME_NAMES[m]]: [] })),
    ...(modes.includes('NONE') ? [{}] : []),
  ];
  const errorCodes = [...new Set([...Object.keys(ERROR_STATUS), ...GATEWAY_RESPONSES.map((r) => r.code)])].sort();
  const eventTypes = Object.keys(CALL_STATUS_RANK).filter((s) => s !== 'PLACED');

  const paths: Json = {
    [ROUTES.placeCall]: {
      put: {
        operationId: 'placeOutboundCall',
        summary: 'Place an outbound voice call (Amazon Connect StartOutboundVoiceContact), at most once per idempotency key',
        description: 'The body uses the StartOutboundVoiceContact field names. API Gateway checks it against the request model '
          + '(this schema) first; the handler then checks every rule of the API reference (valid numbers, attribute byte totals, '
          + 'allow-lists, destination policy) and answers every problem at once. A repeated request with the same '
          + `${HEADERS.idempotencyKey} (or ClientToken) from the same caller gets the first answer again, byte for byte, with `
          + `${HEADERS.replayed}: true.`,
        security,
        parameters: [{
          name: HEADERS.idempotencyKey,
          in: 'header',
          required: false,
          description: 'The idempotency key (or send ClientToken in the body; both present and different: 400).',
          schema: { type: 'string', minLength: LIMITS.clientToken.min, maxLength: LIMITS.clientToken.max },
        }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/StartOutboundVoiceContactRequest' },
              examples: {
                minimal: { summary: 'A call with the construct\'s defaults', value: { DestinationPhoneNumber: '+12125550123' } },
                attributes: {
                  summary: 'With contact attributes for the flow and a name',
                  value: { DestinationPhoneNumber: '+12125550123', Attributes: { customerName: 'Ana' }, Name: 'Delivery follow-up', RingTimeoutInSeconds: 30 },
                },
              },
            },
          },
        },
        responses: {
          200: {
            description: 'The call was placed (or this is a replay of the first answer for this key).',
            headers: {
              [HEADERS.requestId]: requestIdHeader,
              [HEADERS.replayed]: {
                description: '`true` when this answer is a replay from the idempotency ledger.',
                required: false,
                schema: { type: 'string', enum: ['true'] },
              },
            },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CallPlaced' } } },
            ...(options.callStatus ? {
              links: {
                GetCallStatus: {
                  operationId: 'getCallStatus',
                  parameters: { contactId: '$response.body#/data/id' },
                  description: 'The status of the call this answer placed.',
                },
              },
            } : {}),
          },
          ...errorResponses('placeCall', modes),
        },
      },
    },
  };
  if (options.callStatus) {
    paths[ROUTES.callStatus] = {
      get: {
        operationId: 'getCallStatus',
        summary: 'The status of a call this caller placed, from Amazon Connect\'s contact events',
        security,
        parameters: [{
          name: 'contactId',
          in: 'path',
          required: true,
          description: 'The `data.id` of the answer that placed the call.',
          schema: { type: 'string', pattern: PATTERNS.contactId },
        }],
        responses: {
          200: {
            description: 'The call\'s status and the events seen so far.',
            headers: { [HEADERS.requestId]: requestIdHeader },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CallStatus' } } },
          },
          ...errorResponses('callStatus', modes),
        },
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'OutboundCaller API',
      version: API_VERSION,
      description: 'Places outbound calls through Amazon Connect: validated requests, idempotent (never dials the same call '
        + 'twice), inside the Connect quota. Every answer is JSON in one envelope and carries x-request-id.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [options.serverUrl !== undefined
      ? { url: options.serverUrl }
      : {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'The stage of the deployed API (the construct\'s `url` without the route).',
        variables: {
          restApiId: { default: 'abcdef1234' },
          region: { default: 'us-east-1' },
          stage: { default: 'prod' },
        },
      }],
    security: security,
    paths: paths,
    components: {
      schemas: {
        StartOutboundVoiceContactRequest: requestBodySchema(),
        CallPlaced: envelope(true, 'data', {
          type: 'object',
          required: ['id', 'created_at'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', description: 'The ContactId Amazon Connect returned.' },
            created_at: { type: 'string', format: 'date-time', description: 'When Connect accepted the call.' },
          },
        }),
        CallStatus: envelope(true, 'data', {
          type: 'object',
          required: ['id', 'created_at', 'status', 'updated_at', 'stale', 'events'],
          additionalProperties: false,
          properties: {
            id: { type: 'string' },
            created_at: { type: 'string' },
            status: { type: 'string', enum: Object.keys(CALL_STATUS_RANK) },
            updated_at: { type: 'string', description: 'When the status last changed (the event\'s or Connect\'s own timestamp).' },
            source: {
              type: 'string',
              enum: ['event', 'lookup'],
              description: 'Where the status came from: a contact event, or Connect (DescribeContact); absent while PLACED.',
            },
            disconnected_at: { type: 'string', description: 'When the call ended, once known.' },
            disconnect_reason: { type: 'string', description: 'Why the call ended, once known.' },
            checked_at: { type: 'string', description: 'When Connect last confirmed the status.' },
            stale: {
              type: 'boolean',
              description: 'True when the status may be out of date: not final, no event for a while, and Connect could not be asked.',
            },
            events: {
              type: 'array',
              items: {
                type: 'object',
                required: ['type', 'time'],
                additionalProperties: false,
                properties: {
                  type: { type: 'string', enum: eventTypes },
                  time: { type: 'string' },
                  disconnect_reason: { type: 'string' },
                },
              },
            },
          },
        }),
        ErrorEnvelope: envelope(false, 'error', {
          type: 'object',
          required: ['code', 'message', 'details'],
          additionalProperties: false,
          properties: {
            code: { type: 'string', enum: errorCodes },
            message: { type: 'string' },
            details: {
              type: 'array',
              description: 'Every problem of the request, per field (at most 50, then a count); empty for API Gateway\'s own answers.',
              items: {
                type: 'object',
                required: ['field', 'message'],
                additionalProperties: false,
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        }),
      },
      headers: {
        RequestId: {
          description: 'API Gateway\'s request id, the one in the access logs: quote it when you report a problem.',
          required: true,
          schema: { type: 'string', minLength: 1 },
        },
        RetryAfter: {
          description: 'Whole seconds to wait before retrying.',
          required: false,
          schema: { type: 'string', pattern: '^[0-9]+$' },
        },
      },
      securitySchemes: securitySchemes(options),
    },
    ...(options.configuration ? { 'x-outbound-caller': options.configuration } : {}),
  };
}

/** The answer envelope: `{"success": true, "data": …}` or `{"success": false, "error": …}`, nothing else. */
function envelope(success: boolean, key: 'data' | 'error', body: Json): Json {
  return {
    type: 'object',
    required: ['success', key],
    additionalProperties: false,
    properties: { success: { const: success }, [key]: body },
  };
}

/** The document the npm package ships as openapi.json: every authorization mode, the status route, a server with variables. */
export function packageOpenApiDocument(): Json {
  return openApiDocument({ authModes: ['IAM', 'API_KEY', 'COGNITO'], callStatus: true });
}

