/**
 * The HTTP side of the contract (README, "The HTTP contract"): reading the API Gateway REST
 * proxy event (content type, base64, size, JSON) and writing answers in the
 * envelope. Nothing here knows about Connect or the ledger.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describeError, METRIC, type Logger, type RequestMetrics } from './observability';
import { ERROR_STATUS, LIMITS, type ErrorCode } from '../src/private/contract';

export interface ErrorDetail {
  readonly field: string;
  readonly message: string;
}

/**
 * At most this many `details` entries: a 128 KiB body of thousands of tiny
 * unknown fields would otherwise answer (and log) megabytes, near Lambda's
 * 6 MB response limit.
 */
export const MAX_DETAILS = 50;

/** An answer the pipeline decided on: thrown or returned, rendered by `errorResponse`. */
export class ApiError extends Error {
  readonly details: readonly ErrorDetail[];

  constructor(
    readonly code: ErrorCode,
    message: string,
    details: readonly ErrorDetail[] = [],
    /** Seconds, for 409 and 429. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.details = details.length <= MAX_DETAILS ? details : [
      ...details.slice(0, MAX_DETAILS),
      { field: '(more)', message: `${details.length - MAX_DETAILS} more problems not listed` },
    ];
  }
}

/** Bodies over 128 KiB are refused (413) before they are parsed. */
export const MAX_BODY_BYTES = LIMITS.bodyBytes;

/** Looks a header up case-insensitively (API Gateway keeps the client's casing). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== null) return value;
  }
  return undefined;
}

/**
 * Content type, size, base64 and JSON: returns the parsed body or throws the
 * ApiError the contract names (415, 413, 400).
 */
export function readJsonBody(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded'>, maxBytes: number = MAX_BODY_BYTES,
): unknown {
  const contentType = header(event, 'content-type');
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE',
      contentType === undefined
        ? 'Content-Type is missing: send the body as application/json.'
        : 'Content-Type must be application/json (a charset parameter is fine).');
  }

  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) {
    throw new ApiError('PAYLOAD_TOO_LARGE', `The body is ${bytes.length} bytes; the limit is ${maxBytes} bytes.`);
  }
  if (bytes.length === 0) {
    throw new ApiError('VALIDATION_ERROR', 'The body is empty: send a JSON object.', [
      { field: '(body)', message: 'must be a JSON object' },
    ]);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError('VALIDATION_ERROR', 'The body is not valid UTF-8.', [
      { field: '(body)', message: 'must be UTF-8 encoded JSON' },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the body, which may hold a phone number.
    throw new ApiError('VALIDATION_ERROR', 'The body is not valid JSON.', [
      { field: '(body)', message: 'must be valid JSON (UTF-8)' },
    ]);
  }
}

function baseHeaders(requestId: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-request-id': requestId,
  };
}

/** The success body. Built once and stored in the ledger, so a replay is byte-identical. */
export function successBody(contactId: string, createdAt: string): string {
  return JSON.stringify({ success: true, data: { id: contactId, created_at: createdAt } });
}

export function successResponse(body: string, requestId: string, replayed: boolean, statusCode = 200): APIGatewayProxyResult {
  const headers = baseHeaders(requestId);
  if (replayed) headers['idempotent-replayed'] = 'true';
  return { statusCode, headers, body };
}

export function errorResponse(error: ApiError, requestId: string): APIGatewayProxyResult {
  const headers = baseHeaders(requestId);
  if (error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  }
  return {
    statusCode: ERROR_STATUS[error.code],
    headers,
    body: JSON.stringify({
      success: false,
      error: { code: error.code, message: error.message, details: error.details },
    }),
  };
}

/**
 * What an API entry answers when its route throws: an ApiError in the envelope, counted in Rejections
 * (by Code); anything else is a bug, logged and answered 500 INTERNAL_ERROR without detail.
 */
export function failureResponse(error: unknown, requestId: string, metrics: RequestMetrics, log: Logger): APIGatewayProxyResult {
  if (error instanceof ApiError) {
    metrics.add(METRIC.rejections, 1);
    metrics.breakdown('Code', error.code);
    log.info('request rejected', { code: error.code, details: error.details });
    return errorResponse(error, requestId);
  }
  log.error('unexpected error', { error: describeError(error) });
  return internalError(requestId);
}

/** A bug: never a stack trace or an internal message on the wire. */
export function internalError(requestId: string): APIGatewayProxyResult {
  return errorResponse(
    new ApiError('INTERNAL_ERROR', `An internal error occurred. Quote request id ${requestId} when you report it.`),
    requestId,
  );
}
