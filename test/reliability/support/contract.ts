/**
 * The HTTP contract of the README ("The HTTP contract"), written down again for
 * the reliability suite: an independent oracle, not an import of the shared
 * contract or lambda/http.ts (a test that reads its expectations from the code
 * under test cannot fail). Written by status, as the README's table reads.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const CODES_BY_STATUS: ReadonlyArray<[number, string[]]> = [
  [400, ['VALIDATION_ERROR']],
  [403, ['FORBIDDEN', 'DESTINATION_NOT_ALLOWED', 'OUTBOUND_CONTACT_NOT_PERMITTED']],
  [404, ['RESOURCE_NOT_FOUND']],
  [409, ['IDEMPOTENCY_IN_PROGRESS']],
  [413, ['PAYLOAD_TOO_LARGE']],
  [415, ['UNSUPPORTED_MEDIA_TYPE']],
  [422, ['IDEMPOTENCY_KEY_REUSED']],
  [429, ['RATE_LIMITED']],
  [500, ['INTERNAL_ERROR']],
  [502, ['UPSTREAM_ERROR']],
  [503, ['LEDGER_UNAVAILABLE']],
];

/** Every error code of the contract, with its HTTP status. */
export const CONTRACT_STATUS: Readonly<Record<string, number>> = Object.fromEntries(
  CODES_BY_STATUS.flatMap(([status, codes]) => codes.map((code) => [code, status])),
);

/** Codes only API Gateway answers (gateway responses), never the handler. */
export const GATEWAY_ONLY_CODES = ['REQUEST_REJECTED'] as const;

/** Lambda refuses synchronous response payloads over 6 MB: API Gateway then answers 502. */
export const LAMBDA_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** What a handler invocation answered, read against the contract. */
export interface Answer {
  /** HTTP status; 0 when there was no answer at all. */
  readonly status: number;
  /** The error code, or 'OK' for a 200. */
  readonly code: string;
  readonly body?: any;
  readonly headers: Readonly<Record<string, string>>;
  readonly result?: APIGatewayProxyResult;
  /** Set when the answer is not a definite answer of the contract (the request is lost). */
  readonly problem?: string;
  readonly ms: number;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const STACK_LIKE = /\n\s+at\s|\bat\s\S+\s\(.*:\d+:\d+\)|node_modules\/|\.js:\d+:\d+/;

/**
 * Reads a handler result against the contract: the envelope, the status of
 * its code, `x-request-id`, `Retry-After` for 409 and 429, no stack trace,
 * and a payload Lambda can return (over 6 MB, API Gateway would answer 502).
 */
export function readAnswer(
  event: Pick<APIGatewayProxyEvent, 'requestContext' | 'httpMethod'>,
  result: APIGatewayProxyResult | undefined,
  ms: number,
  failure?: string,
): Answer {
  const lost = (problem: string, status = 0): Answer => ({ status, code: 'LOST', headers: {}, result, problem, ms });
  if (failure !== undefined) return lost(failure);
  if (result === undefined || result === null || typeof result !== 'object') return lost('the handler answered nothing');
  const status = result.statusCode;
  if (!Number.isInteger(status)) return lost(`statusCode is not an integer: ${String(status)}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);

  const payloadBytes = Buffer.byteLength(JSON.stringify(result));
  if (payloadBytes > LAMBDA_MAX_RESPONSE_BYTES) {
    return lost(`response payload is ${payloadBytes} bytes: over Lambda's 6 MB limit, API Gateway would answer 502`, status);
  }
  const requestId = event.requestContext?.requestId;
  if (!headers['x-request-id'] || (requestId && headers['x-request-id'] !== requestId)) {
    return lost(`x-request-id is ${headers['x-request-id'] ?? 'missing'}, expected ${requestId}`, status);
  }
  if (!/^application\/json\b/.test(headers['content-type'] ?? '')) return lost(`content-type is ${headers['content-type']}`, status);
  if (typeof result.body !== 'string') return lost('body is not a string', status);
  if (STACK_LIKE.test(result.body)) return lost('body carries something like a stack trace', status);
  let body: any;
  try {
    body = JSON.parse(result.body);
  } catch {
    return lost('body is not JSON', status);
  }

  if (status === 200) {
    const data = body?.data;
    // PUT answers {id, created_at}; GET /{contactId} (call status) adds status, updated_at, stale and events,
    // and, once known, source, checked_at, disconnected_at and disconnect_reason.
    const required = event.httpMethod === 'GET' ? ['created_at', 'events', 'id', 'stale', 'status', 'updated_at'] : ['created_at', 'id'];
    const optional = event.httpMethod === 'GET' ? ['checked_at', 'disconnect_reason', 'disconnected_at', 'source'] : [];
    const keys = typeof data === 'object' && data !== null ? Object.keys(data) : [];
    const okShape = body?.success === true && Object.keys(body).length === 2
      && required.every((key) => keys.includes(key)) && keys.every((key) => required.includes(key) || optional.includes(key))
      && typeof data.id === 'string' && data.id.length > 0 && typeof data.created_at === 'string' && ISO_DATE.test(data.created_at);
    if (!okShape) return lost(`200 without the success envelope: ${result.body.slice(0, 200)}`, status);
    return { status, code: 'OK', body, headers, result, ms };
  }

  const error = body?.error;
  const envelope = body?.success === false && Object.keys(body).length === 2
    && typeof error === 'object' && error !== null && Object.keys(error).sort().join(',') === 'code,details,message'
    && typeof error.code === 'string' && typeof error.message === 'string' && error.message.length > 0
    && Array.isArray(error.details)
    && error.details.every((d: any) => typeof d === 'object' && d !== null && typeof d.field === 'string' && typeof d.message === 'string');
  if (!envelope) return lost(`${status} without the error envelope: ${result.body.slice(0, 200)}`, status);
  if (CONTRACT_STATUS[error.code] === undefined) return lost(`code ${error.code} is not in the contract`, status);
  if (CONTRACT_STATUS[error.code] !== status) return lost(`code ${error.code} came with status ${status}, the contract says ${CONTRACT_STATUS[error.code]}`, status);
  if ((status === 409 || status === 429) && !/^[1-9]\d*$/.test(headers['retry-after'] ?? '')) {
    return lost(`${status} without a Retry-After in whole seconds (got ${headers['retry-after']})`, status);
  }
  return { status, code: error.code, body, headers, result, ms };
}

/** True when one of the details names `field` (or a member of it, "Attributes.x"). */
export function detailsName(answer: Answer, field: string): boolean {
  const details: Array<{ field: string }> = answer.body?.error?.details ?? [];
  return details.some((d) => d.field === field || d.field.startsWith(`${field}.`));
}
