import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  AuthMode, BATCH, BATCH_CALL_STATES, CALL_STATUS_RANK, ERROR_STATUS, HEADERS, LIMITS, PATTERNS, RETRY_AFTER_CODES, ROUTE_ERRORS, ROUTES,
} from './contract';
import { GATEWAY_RESPONSES, GatewayResponseScope } from './gateway-responses';
import { batchRequestSchema, outboundVoiceRequestSchema } from './request-schema';

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
  /** Whether the batch routes exist. */
  readonly batchCalls?: boolean;
  /**
   * Whether the synchronous route refuses calls outside the calling hours (403 OUTSIDE_CALLING_HOURS): a
   * deployment without a calling-hours policy on that route never answers it. The package's generic document lists it.
   */
  readonly callingHoursOnSyncRoute?: boolean;
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

/** The batch request body schema as the document gives it: the deployed batch model, without its draft-04 `$schema`. */
export function batchRequestBodySchema(): Json {
  const { $schema: _draft, ...schema } = toJsonSchema(batchRequestSchema());
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

/** The operations of the document, as the contract's ROUTE_ERRORS names them. */
type Route = keyof typeof ROUTE_ERRORS;

function inScope(scope: GatewayResponseScope, route: Route, modes: readonly AuthMode[]): boolean {
  switch (scope) {
    case 'all': return true;
    case 'body': return route === 'placeCall' || route === 'submitBatch';
    case 'parameters': return route === 'callStatus' || route === 'batch';
    case 'IAM_OR_COGNITO': return modes.includes('IAM') || modes.includes('COGNITO');
    default: return modes.includes(scope);
  }
}

const errorRef = { $ref: '#/components/schemas/ErrorEnvelope' };
const requestIdHeader = { $ref: '#/components/headers/RequestId' };
const retryAfterHeader = { $ref: '#/components/headers/RetryAfter' };

/** Each status an operation can answer → the error codes that can come with it (the handler's and API Gateway's). */
function errorResponses(route: Route, modes: readonly AuthMode[], options: Pick<OpenApiOptions, 'callingHoursOnSyncRoute'> = {}): Json {
  const byStatus = new Map<string, { codes: Set<string>; retryAfter: boolean; gateway: string[] }>();
  const entry = (status: string): { codes: Set<string>; retryAfter: boolean; gateway: string[] } =>
    byStatus.get(status) ?? byStatus.set(status, { codes: new Set(), retryAfter: false, gateway: [] }).get(status)!;
  for (const code of ROUTE_ERRORS[route]) {
    if (code === 'OUTSIDE_CALLING_HOURS' && !options.callingHoursOnSyncRoute) continue;
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
          ...errorResponses('placeCall', modes, options),
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

  if (options.batchCalls) Object.assign(paths, batchPaths(security, modes));

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
        ...(options.batchCalls ? batchSchemas() : {}),
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

/**
 * With batch calls: `POST /contact/outbound-voice/batches`, and `GET` and
 * `DELETE /contact/outbound-voice/batches/{batchId}` (docs/batches.md).
 */
function batchPaths(security: Json[], modes: readonly AuthMode[]): Json {
  const batchId = {
    name: 'batchId',
    in: 'path',
    required: true,
    description: 'The `data.id` of the answer that submitted the batch.',
    schema: { type: 'string', pattern: BATCH.batchIdPattern },
  };
  const statusAnswer = (description: string, schema: string): Json => ({
    description,
    headers: { [HEADERS.requestId]: requestIdHeader },
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
  });
  return {
    [ROUTES.batches]: {
      post: {
        operationId: 'submitBatch',
        summary: 'Queue up to 1,000 calls at once, optionally for later; each is dialled once, paced inside the Connect quota',
        description: `Each call is a body of \`PUT ${ROUTES.placeCall}\` with its \`ClientToken\` required: that is the call's `
          + 'idempotency key, on either route. API Gateway checks the body against this schema; the handler then checks the whole '
          + `batch (at most ${BATCH.calls.max} calls and ${BATCH.bodyBytes} bytes, no ClientToken twice, NotBefore at most 35 days `
          + 'ahead, NotAfter after it) and refuses it whole when it fails, then checks each call with the synchronous route\'s rules. '
          + 'The answer reports each call: accepted (queued, or a replay of a call already placed with this key) or refused with the '
          + `code and message the synchronous route would give. No ${HEADERS.idempotencyKey} header: each call's ClientToken is its key.`,
        security,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/SubmitBatchRequest' },
              examples: {
                now: {
                  summary: 'Two calls, dialled as soon as the dial rate allows',
                  value: {
                    Calls: [
                      { DestinationPhoneNumber: '+12125550123', ClientToken: 'reminder-2026-12-01-0001' },
                      { DestinationPhoneNumber: '+12125550124', ClientToken: 'reminder-2026-12-01-0002', Attributes: { customerName: 'Ana' } },
                    ],
                  },
                },
                scheduled: {
                  summary: 'One call for a set time, expiring if not dialled within two hours',
                  value: {
                    Calls: [{ DestinationPhoneNumber: '+12125550123', ClientToken: 'outage-notice-42' }],
                    NotBefore: '2026-12-01T15:00:00Z',
                    NotAfter: '2026-12-01T17:00:00Z',
                  },
                },
              },
            },
          },
        },
        responses: {
          202: {
            ...statusAnswer('The batch was checked: each call accepted (queued) or refused. `data.id` is null when none was accepted.',
              'BatchSubmitted'),
            links: {
              GetBatch: {
                operationId: 'getBatch',
                parameters: { batchId: '$response.body#/data/id' },
                description: 'The state of the batch this answer submitted.',
              },
            },
          },
          ...errorResponses('submitBatch', modes),
        },
      },
    },
    [ROUTES.batch]: {
      get: {
        operationId: 'getBatch',
        summary: 'The state of each call of a batch this caller submitted, and counts by state',
        security,
        parameters: [batchId],
        responses: {
          200: statusAnswer('The batch: counts by state and each call\'s state (a PLACED call\'s status is on the call status route).',
            'BatchStatus'),
          ...errorResponses('batch', modes),
        },
      },
      delete: {
        operationId: 'cancelBatch',
        summary: 'Cancel every call of a batch this caller submitted that is not dialling yet',
        security,
        parameters: [batchId],
        responses: {
          200: statusAnswer('The batch after the cancellation, with how many calls this request cancelled.', 'BatchCancelled'),
          ...errorResponses('batch', modes),
        },
      },
    },
  };
}

/** The schemas of the batch routes' answers. */
function batchSchemas(): Json {
  const time = (description: string): Json => ({ type: 'string', format: 'date-time', description });
  const statusData = (extra: Json = {}, extraRequired: string[] = []): Json => ({
    type: 'object',
    required: ['id', 'created_at', 'counts', 'calls', ...extraRequired],
    properties: {
      id: { type: 'string', pattern: BATCH.batchIdPattern },
      created_at: time('When the batch was submitted.'),
      not_before: time('No call is dialled before this time.'),
      not_after: time('Calls not dialled by this time expire.'),
      counts: {
        type: 'object',
        description: 'How many calls are in each state (every state, 0 when none).',
        required: [...BATCH_CALL_STATES],
        additionalProperties: false,
        properties: Object.fromEntries(BATCH_CALL_STATES.map((state) => [state, { type: 'integer', minimum: 0 }])),
      },
      calls: {
        type: 'array',
        description: 'Each accepted call, in submission order. PLACED, FAILED, EXPIRED and CANCELLED are final.',
        items: {
          type: 'object',
          required: ['client_token', 'state'],
          properties: {
            client_token: { type: 'string' },
            state: { type: 'string', enum: [...BATCH_CALL_STATES] },
            contact_id: { type: 'string', description: 'With PLACED: the ContactId (its status is on the call status route).' },
            error: {
              type: 'object',
              required: ['code'],
              properties: { code: { type: 'string', description: 'With FAILED: the code the synchronous route would have answered.' } },
            },
          },
        },
      },
      ...extra,
    },
  });
  return {
    SubmitBatchRequest: batchRequestBodySchema(),
    BatchSubmitted: envelope(true, 'data', {
      type: 'object',
      required: ['id', 'created_at', 'accepted', 'refused', 'calls'],
      properties: {
        id: { type: ['string', 'null'], description: 'The batch id (for GET and DELETE); null when no call was accepted.' },
        created_at: time('When the batch was submitted.'),
        not_before: time('No call is dialled before this time.'),
        not_after: time('Calls not dialled by this time expire.'),
        accepted: { type: 'integer', minimum: 0 },
        refused: { type: 'integer', minimum: 0 },
        calls: {
          type: 'array',
          description: 'A result per call, in the order of the request.',
          items: {
            type: 'object',
            required: ['client_token', 'result'],
            properties: {
              client_token: { type: 'string' },
              result: { type: 'string', enum: ['accepted', 'refused'] },
              replayed: { const: true, description: 'Accepted as a replay: a call with this key was already placed; not dialled again.' },
              contact_id: { type: 'string', description: 'With replayed: the ContactId of that call.' },
              error: {
                type: 'object',
                required: ['code', 'message'],
                description: 'With refused: the code and message the synchronous route would give.',
                properties: {
                  code: { type: 'string' },
                  message: { type: 'string' },
                  details: {
                    type: 'array',
                    items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
                  },
                },
              },
            },
          },
        },
      },
    }),
    BatchStatus: envelope(true, 'data', statusData()),
    BatchCancelled: envelope(true, 'data', statusData({
      cancelled: { type: 'integer', minimum: 0, description: 'Calls this request cancelled.' },
    }, ['cancelled'])),
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

/** The document the npm package ships as openapi.json: every authorization mode, the status and batch routes, a server with variables. */
export function packageOpenApiDocument(): Json {
  return openApiDocument({ authModes: ['IAM', 'API_KEY', 'COGNITO'], callStatus: true, batchCalls: true, callingHoursOnSyncRoute: true });
}

