/**
 * The Connect call: StartOutboundVoiceContact with a ClientToken derived from
 * the caller, the key and the request, inside a time budget that fits the
 * Lambda timeout and API Gateway's 29 s; and what each answer of Connect means
 * for the caller (status and code of the README's error table) and for the ledger
 * (refused: release the claim; unknown outcome: keep it until its deadline).
 */
import { createHash } from 'node:crypto';
import { StartOutboundVoiceContactCommand, type ConnectClient } from '@aws-sdk/client-connect';
import { ApiError } from './http';
import type { OutboundCallRequest } from './request';

/**
 * Connect deduplicates by ClientToken alone (for 7 days), so the raw key is
 * never sent: two callers who use the same key would share one contact. The
 * token also binds the request's fingerprint, so a key reused for another
 * request after its record expired can never be answered with the old contact.
 * 52 characters, well inside Connect's 500.
 */
export function deriveClientToken(caller: string, idempotencyKey: string, requestFingerprint: string): string {
  const digest = createHash('sha256')
    .update(`outbound-caller/v1\u0000${caller}\u0000${idempotencyKey}\u0000${requestFingerprint}`)
    .digest('base64url');
  return `oc1-${digest}`;
}

export async function startOutboundVoiceContact(
  client: ConnectClient,
  request: OutboundCallRequest,
  clientToken: string,
  budgetMs: number,
): Promise<string> {
  // The SDK retries LimitExceeded, throttling and 5xx with backoff; the abort
  // signal stops the whole attempt sequence when the budget is spent.
  const abortSignal = AbortSignal.timeout(Math.max(1, budgetMs));
  const output = await client.send(
    new StartOutboundVoiceContactCommand({ ...request, ClientToken: clientToken }),
    { abortSignal },
  );
  if (!output.ContactId) throw new Error('Connect answered without a ContactId');
  return output.ContactId;
}

export interface ConnectFailure {
  /** refused: Connect said no, nothing was placed. unknown: it may have been placed. */
  readonly outcome: 'refused' | 'unknown';
  /** The exception name, for logs and the ConnectErrors metric. */
  readonly errorType: string;
  readonly apiError: ApiError;
}

interface ServiceErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** Maps whatever the SDK threw to the contract's answer. */
export function classifyConnectFailure(error: unknown, destinationE164: string): ConnectFailure {
  const e = (error ?? {}) as ServiceErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const refused = (apiError: ApiError): ConnectFailure => ({ outcome: 'refused', errorType: name, apiError });

  switch (name) {
    case 'DestinationNotAllowedException':
      return refused(new ApiError('DESTINATION_NOT_ALLOWED',
        destinationE164.startsWith('+447')
          ? 'Amazon Connect does not allow calls to this destination. UK mobile numbers (+447) are blocked by '
            + 'default: ask AWS for a service quota increase to dial them.'
          : 'Amazon Connect does not allow calls to this destination from this instance.',
        [{ field: 'DestinationPhoneNumber', message: 'refused by Amazon Connect' }]));
    case 'OutboundContactNotPermittedException':
      return refused(new ApiError('OUTBOUND_CONTACT_NOT_PERMITTED',
        'Amazon Connect does not permit this outbound contact (check the instance\'s outbound calling setting '
        + 'and the flow).'));
    case 'ResourceNotFoundException':
      return refused(new ApiError('RESOURCE_NOT_FOUND',
        'Amazon Connect did not find the contact flow, queue or instance named by the request.'));
    case 'InvalidParameterException':
    case 'InvalidRequestException':
      return refused(new ApiError('VALIDATION_ERROR',
        `Amazon Connect refused the request as invalid (${name}).`));
    case 'LimitExceededException':
    case 'ThrottlingException':
    case 'TooManyRequestsException':
      return refused(new ApiError('RATE_LIMITED',
        'Amazon Connect\'s outbound call rate limit was reached; retry after the indicated time.', [], 1));
    case 'AccessDeniedException':
      return refused(new ApiError('UPSTREAM_ERROR',
        'Amazon Connect refused the service\'s credentials; the deployment needs attention.'));
    default:
      break;
  }
  // Any other 4xx answer from Connect is still a "no": nothing was placed.
  if (e.$fault === 'client' && status !== undefined && status >= 400 && status < 500) {
    return refused(new ApiError('UPSTREAM_ERROR', `Amazon Connect refused the request (${name}).`));
  }
  // 5xx, timeouts, aborted budgets, dropped connections: the call may or may not exist.
  return {
    outcome: 'unknown',
    errorType: name,
    apiError: new ApiError('UPSTREAM_ERROR',
      'Amazon Connect did not confirm the call. Retry with the same Idempotency-Key after the indicated time: '
      + 'the retry re-sends the same ClientToken, and Connect returns this call if it was placed and is still going.'),
  };
}
