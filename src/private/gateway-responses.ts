import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { ErrorCode, GATEWAY_ONLY_ERROR_CODE } from './contract';

/**
 * What API Gateway rejects itself is answered in the same envelope as the
 * handler's errors (the README's error table), with `x-request-id` (API Gateway's request
 * id, the one in the access logs) and never internal detail.
 */
/** Where a gateway response can happen: every operation, or only some. */
export type GatewayResponseScope =
  /** Any operation. */
  | 'all'
  /** Operations with a request body (the PUT). */
  | 'body'
  /** Operations with required parameters (the status GET). */
  | 'parameters'
  /** With IAM authorization. */
  | 'IAM'
  /** With an API key. */
  | 'API_KEY'
  /** With Cognito authorization. */
  | 'COGNITO'
  /** With IAM or Cognito (denied by policy or scopes). */
  | 'IAM_OR_COGNITO';

export interface EnvelopeResponse {
  readonly type: apigw.ResponseType;
  readonly code: ErrorCode | typeof GATEWAY_ONLY_ERROR_CODE;
  readonly message: string;
  /** Keep API Gateway's status when omitted (e.g. 401 or 403 for auth failures). */
  readonly statusCode?: string;
  /**
   * The status clients see: the one set here, else API Gateway's default for
   * the type; `4XX`/`5XX` for the DEFAULT_4XX/5XX catch-alls.
   */
  readonly status: number | '4XX' | '5XX';
  readonly retryAfter?: string;
  readonly scope: GatewayResponseScope;
}

/** API Gateway's answers in the envelope: the template's gateway responses and the OpenAPI document read this one list. */
export const GATEWAY_RESPONSES: readonly EnvelopeResponse[] = [
  { type: apigw.ResponseType.BAD_REQUEST_BODY, code: 'VALIDATION_ERROR', status: 400, scope: 'body', message: 'The request body does not match the StartOutboundVoiceContact request schema (unknown field, wrong type or a value out of range).' },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, code: 'VALIDATION_ERROR', status: 400, scope: 'parameters', message: 'The request parameters are not valid.' },
  { type: apigw.ResponseType.UNAUTHORIZED, code: 'FORBIDDEN', status: 401, scope: 'COGNITO', message: 'The request is not authenticated.' },
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, code: 'FORBIDDEN', status: 403, scope: 'all', message: 'The request is not authenticated, or the route does not exist.' },
  { type: apigw.ResponseType.ACCESS_DENIED, code: 'FORBIDDEN', status: 403, scope: 'IAM_OR_COGNITO', message: 'The caller is not allowed to use this route.' },
  { type: apigw.ResponseType.INVALID_API_KEY, code: 'FORBIDDEN', status: 403, scope: 'API_KEY', message: 'The API key is missing or not valid.' },
  { type: apigw.ResponseType.INVALID_SIGNATURE, code: 'FORBIDDEN', status: 403, scope: 'IAM', message: 'The request signature is not valid.' },
  { type: apigw.ResponseType.EXPIRED_TOKEN, code: 'FORBIDDEN', status: 403, scope: 'IAM', message: 'The credentials have expired.' },
  { type: apigw.ResponseType.WAF_FILTERED, code: 'FORBIDDEN', status: 403, scope: 'all', message: 'The request was blocked by the firewall.' },
  { type: apigw.ResponseType.THROTTLED, code: 'RATE_LIMITED', status: 429, scope: 'all', message: 'Too many requests: the rate limit of this route was reached. Retry after the indicated time.', retryAfter: '1' },
  { type: apigw.ResponseType.QUOTA_EXCEEDED, code: 'RATE_LIMITED', status: 429, scope: 'API_KEY', message: 'The usage plan quota of this API key is exhausted.', retryAfter: '3600' },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE', statusCode: '413', status: 413, scope: 'body', message: 'The request is too large.' },
  { type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, code: 'UNSUPPORTED_MEDIA_TYPE', statusCode: '415', status: 415, scope: 'body', message: 'Content-Type must be application/json.' },
  { type: apigw.ResponseType.DEFAULT_4XX, code: GATEWAY_ONLY_ERROR_CODE, status: '4XX', scope: 'all', message: 'The request was rejected.' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'INTERNAL_ERROR', status: '5XX', scope: 'all', message: 'An internal error occurred. Quote the x-request-id when you report it.' },
];

export function addErrorGatewayResponses(api: apigw.RestApi): void {
  for (const response of GATEWAY_RESPONSES) {
    const body = JSON.stringify({
      success: false,
      error: { code: response.code, message: response.message, details: [] },
    });
    api.addGatewayResponse(`${response.type.responseType}Response`, {
      type: response.type,
      statusCode: response.statusCode,
      responseHeaders: {
        'x-request-id': 'context.requestId',
        'content-type': "'application/json'",
        ...(response.retryAfter ? { 'retry-after': `'${response.retryAfter}'` } : {}),
      },
      templates: { 'application/json': body },
    });
  }
}
