/**
 * The Connect call: StartOutboundVoiceContact with a ClientToken derived from
 * the caller, the key and the request, inside a time budget that fits the
 * Lambda timeout and API Gateway's 29 s; and what each answer of Connect means
 * for the caller (status and code of the README's error table) and for the ledger
 * (refused: release the claim; unknown outcome: keep it until its deadline).
 */
import { createHash } from 'node:crypto';
import { ConnectClient, StartOutboundVoiceContactCommand, type ConnectClientConfig } from '@aws-sdk/client-connect';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';
import { withoutSdkLogger } from './aws-clients';
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

/** An error like the one the SDK throws for an aborted request: an unknown outcome (classifyConnectFailure). */
function abortError(reason: unknown): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError', cause: reason });
}

/** The reason of a budget that ran out: what AbortSignal.timeout() gives. */
function budgetExpired(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** The ClientToken of a StartOutboundVoiceContact request body (JSON, as a string or bytes), if there is one. */
function clientTokenOf(body: unknown): string | undefined {
  const text = typeof body === 'string' ? body
    : body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : undefined;
  if (text === undefined) return undefined;
  try {
    const token = (JSON.parse(text) as { ClientToken?: unknown }).ClientToken;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The SDK's Node.js request handler, with each attempt's abort signal taken
 * from its call's budget (ConnectCaller) when `send` gave it none.
 */
class BudgetedRequestHandler {
  readonly metadata: NodeHttpHandler['metadata'];

  constructor(
    private readonly inner: NodeHttpHandler,
    private readonly budgetOf: (clientToken: string) => AbortSignal | undefined,
  ) {
    this.metadata = inner.metadata;
  }

  handle(...[request, options = {}]: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    if (options.abortSignal) return this.inner.handle(request, options);
    const token = clientTokenOf(request.body);
    const signal = token === undefined ? undefined : this.budgetOf(token);
    if (!signal || signal.aborted) {
      return Promise.reject(abortError(signal ? signal.reason : new Error('the call this attempt belongs to has ended')));
    }
    return this.inner.handle(request, { ...options, abortSignal: signal } as HttpHandlerOptions);
  }

  updateHttpClientConfig(...args: Parameters<NodeHttpHandler['updateHttpClientConfig']>): void {
    this.inner.updateHttpClientConfig(...args);
  }

  httpHandlerConfigs(): ReturnType<NodeHttpHandler['httpHandlerConfigs']> {
    return this.inner.httpHandlerConfigs();
  }

  destroy(): void {
    this.inner.destroy();
  }
}

/**
 * The Connect client of the call, and the time budget of each call.
 *
 * Each call has a budget (the Lambda timeout, API Gateway's 29 s). An abort
 * signal handed to `send` as an option would do, but a `send` with options
 * makes the SDK resolve the command's middleware stack again on every call:
 * the SDK keeps the resolved stack (`cacheMiddleware`) only for sends
 * without options, and resolving it costs about 0.15 ms of CPU per call
 * (README, "Performance"). So each call registers its signal under its
 * ClientToken, which every attempt's request body carries, and the client's
 * request handler applies it to each attempt:
 *
 * - an attempt in flight when the budget runs out is aborted;
 * - an attempt of a call whose budget has run out, or that has returned, is
 *   never sent: no stray retry can dial after its call gave up;
 * - `start` itself answers at the budget even while the SDK waits between
 *   attempts.
 *
 * A request that carries its own signal (an option of `send`) keeps it.
 */
export class ConnectCaller {
  readonly client: ConnectClient;
  private readonly budgets = new Map<string, AbortSignal>();

  constructor(config: ConnectClientConfig & { readonly http: NodeHttpHandlerOptions }) {
    const { http, ...clientConfig } = config;
    const requestHandler = new BudgetedRequestHandler(new NodeHttpHandler(http), (token) => this.budgets.get(token));
    this.client = withoutSdkLogger(new ConnectClient({ ...clientConfig, requestHandler }));
  }

  /** Places the call; rejects with an AbortError once `budgetMs` has passed. */
  async start(request: OutboundCallRequest, clientToken: string, budgetMs: number): Promise<string> {
    // Not AbortSignal.timeout(): it takes twice the CPU to set up (about 12 µs against 6), and its timer stays in
    // Node's timer list for the rest of the budget after the call has returned; this one is cleared then.
    const budget = new AbortController();
    const timer = setTimeout(() => budget.abort(budgetExpired()), Math.max(1, budgetMs));
    const signal = budget.signal;
    const command = new StartOutboundVoiceContactCommand({ ...request, ClientToken: clientToken });
    let onAbort: (() => void) | undefined;
    // The same token twice at once in this process (a retry taking a stale claim over while the first attempt
    // still runs): the second carries its own signal.
    const shared = this.budgets.has(clientToken);
    try {
      if (shared) return contactIdOf(await this.client.send(command, { abortSignal: signal }));
      this.budgets.set(clientToken, signal);
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(abortError(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
      });
      return contactIdOf(await Promise.race([this.client.send(command), aborted]));
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (!shared) this.budgets.delete(clientToken);
    }
  }
}

function contactIdOf(output: { ContactId?: string }): string {
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
