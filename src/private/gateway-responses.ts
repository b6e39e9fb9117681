import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { ErrorCode, GATEWAY_ONLY_ERROR_CODE } from './contract';

/**
 * What API Gateway rejects itself is answered in the same envelope as the
 * handler's errors (the README's error table), with `x-request-id` (API Gateway's request
 * id, the one in the access logs) and never internal detail.
 */
interface EnvelopeResponse {
  readonly type: apigw.ResponseType;
  readonly code: ErrorCode | typeof GATEWAY_ONLY_ERROR_CODE;
  readonly message: string;
  /** Keep API Gateway's status when omitted (e.g. 401 or 403 for auth failures). */
  readonly statusCode?: string;
  readonly retryAfter?: string;
}

const RESPONSES: EnvelopeResponse[] = [
  { type: apigw.ResponseType.BAD_REQUEST_BODY, code: 'VALIDATION_ERROR', message: 'The request body does not match the StartOutboundVoiceContact request schema (unknown field, wrong type or a value out of range).' },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, code: 'VALIDATION_ERROR', message: 'The request parameters are not valid.' },
  { type: apigw.ResponseType.UNAUTHORIZED, code: 'FORBIDDEN', message: 'The request is not authenticated.' },
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, code: 'FORBIDDEN', message: 'The request is not authenticated, or the route does not exist.' },
  { type: apigw.ResponseType.ACCESS_DENIED, code: 'FORBIDDEN', message: 'The caller is not allowed to use this route.' },
  { type: apigw.ResponseType.INVALID_API_KEY, code: 'FORBIDDEN', message: 'The API key is missing or not valid.' },
  { type: apigw.ResponseType.INVALID_SIGNATURE, code: 'FORBIDDEN', message: 'The request signature is not valid.' },
  { type: apigw.ResponseType.EXPIRED_TOKEN, code: 'FORBIDDEN', message: 'The credentials have expired.' },
  { type: apigw.ResponseType.WAF_FILTERED, code: 'FORBIDDEN', message: 'The request was blocked by the firewall.' },
  { type: apigw.ResponseType.THROTTLED, code: 'RATE_LIMITED', message: 'Too many requests: the rate limit of this route was reached. Retry after the indicated time.', retryAfter: '1' },
  { type: apigw.ResponseType.QUOTA_EXCEEDED, code: 'RATE_LIMITED', message: 'The usage plan quota of this API key is exhausted.', retryAfter: '3600' },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE', message: 'The request is too large.', statusCode: '413' },
  { type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json.', statusCode: '415' },
  { type: apigw.ResponseType.DEFAULT_4XX, code: GATEWAY_ONLY_ERROR_CODE, message: 'The request was rejected.' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'INTERNAL_ERROR', message: 'An internal error occurred. Quote the x-request-id when you report it.' },
];

export function addErrorGatewayResponses(api: apigw.RestApi): void {
  for (const response of RESPONSES) {
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
