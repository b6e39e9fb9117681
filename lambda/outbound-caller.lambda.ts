/**
 * PUT /contact/outbound-voice — the handler entry. It only wires the modules;
 * a request flows one way:
 *
 *   read (http) → check (request) → claim (ledger) → call (connect) → record (ledger) → answer (http)
 *
 * GET /contact/outbound-voice/{contactId} answers the call's status (call-status)
 * to the caller who placed it. The batch routes have a function of their own
 * (batch-api.lambda.ts).
 *
 * Clients and configuration are made once per container, at cold start.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { answerApiRequest } from './api-entry';
import { awsClientConfig } from './aws-clients';
import {
  claimLookup, placedStatusAttributes, readCallStatus, recordLookup, recordLookupFailure, type CallStatusView, type StoredCallStatus,
} from './call-status';
import { callingHoursVerdict, refusalOf } from './calling-hours';
import { loadConfig } from './config';
import { classifyConnectFailure, ConnectCaller, deriveClientToken } from './connect';
import { describeCall, LOOKUP_BUDGET_MS, lookupClient } from './contact-lookup';
import {
  ApiError, header, readJsonBody, successBody, successResponse,
} from './http';
import { fingerprint, keyReusedMessage, Ledger, ledgerClient, LedgerUnavailableError, type Claim } from './ledger';
import { lostCallSearch } from './lost-call';
import { maskPhoneNumber } from './masking';
import { describeError, Logger, METRIC, type RequestMetrics } from './observability';
import { parsePhoneNumber } from './phone';
import { checkRequest } from './request';
import { PATTERNS } from '../src/private/contract';

const CONTACT_ID = new RegExp(PATTERNS.contactId);

/** API Gateway's integration timeout is 29 s: never work past it. */
const API_GATEWAY_BUDGET_MS = 28_000;
/** Time kept back after the Connect call to record the result and answer. */
const RECORD_RESERVE_MS = 1_500;
/**
 * How long a claim holds off another attempt of the same request. Shorter than
 * Connect's shortest ring timeout (15 s): when an attempt dies after Connect
 * accepted its call, a retry may re-send the token while an unanswered call
 * is still ringing, and Connect then returns that contact instead of dialling
 * again. The attempt itself may go on past it: a second attempt re-sends the
 * same token, and only one of them records the result (README, "Reliability").
 */
const TAKEOVER_AFTER_MS = 10_000;

const config = loadConfig();
const entry = { logger: new Logger({ service: 'outbound-caller' }), metricsNamespace: config.metricsNamespace, authMode: config.authMode };
// Standard clients, configured explicitly from the environment (aws-clients.ts):
// AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_CONNECT point them elsewhere
// (DynamoDB Local, the simulator). A hung attempt is abandoned and retried (the
// SDK only warns on a request timeout unless told to throw); each call's budget
// (ConnectCaller, connect.ts) bounds the whole call.
const dynamodb = ledgerClient();
const connect = new ConnectCaller({
  ...awsClientConfig('Connect'),
  maxAttempts: 4,
  http: { connectionTimeout: 2_000, requestTimeout: 8_000, throwOnRequestTimeout: true },
});
// Status lookups and the lost-call search (contact-lookup.ts): a throttled lookup's answer is flagged stale.
const connectLookup = lookupClient();
const search = lostCallSearch(config, connectLookup);
/**
 * The status route's 404: the call is found through an index that is updated
 * asynchronously on AWS, so a call placed a moment ago may not show yet
 * (README, "Call status").
 */
const NOT_FOUND_MESSAGE = 'No call with this id was placed by this caller. A call placed less than a second ago may not be '
  + 'visible yet: if you have just placed it, retry in a second.';
const ledger = new Ledger(dynamodb, config.tableName, config.idempotencyWindowSeconds);

/**
 * One example number is parsed at cold start (its answer is not used): the
 * first parse compiles libphonenumber's patterns and code, about 2.5 ms of CPU
 * that would otherwise fall on the first request; hashing it starts the
 * crypto bindings the ledger key and the SigV4 signer use. Only what the first
 * request needs anyway, and nothing more, moves into the load (README,
 * "Performance"). Nothing is logged, written or called.
 */
const WARM_UP_NUMBER = '+12025550143';
parsePhoneNumber(WARM_UP_NUMBER);
fingerprint({ DestinationPhoneNumber: WARM_UP_NUMBER });

type HandlerContext = Pick<Context, 'awsRequestId' | 'functionName' | 'getRemainingTimeInMillis'>;

export function handler(event: APIGatewayProxyEvent, context: HandlerContext): Promise<APIGatewayProxyResult> {
  return answerApiRequest(event, context, entry, ({ caller, requestId, metrics, log }) => (event.httpMethod === 'GET'
    ? callStatus(event, caller, requestId, log)
    : placeCall(event, context, caller, requestId, metrics, log)));
}

async function placeCall(
  event: APIGatewayProxyEvent,
  context: HandlerContext,
  caller: string,
  requestId: string,
  metrics: RequestMetrics,
  log: Logger,
): Promise<APIGatewayProxyResult> {
  // 1. Validate and normalise: nothing is written or called before this passes.
  const body = readJsonBody(event);
  const checked = checkRequest(body, config.policy, { idempotencyKey: header(event, 'idempotency-key') });
  if (!checked.ok) throw new ApiError(checked.code, checked.message, checked.details);
  const request = checked.request;
  // Without a key the call is still recorded, but a retry cannot be matched to it.
  const idempotencyKey = checked.idempotencyKey ?? randomUUID();
  const requestFingerprint = fingerprint(request);
  const destination = maskPhoneNumber(request.DestinationPhoneNumber);

  // 1b. Calling hours (README, "Calling hours"): outside them, nothing is written or called.
  if (config.callingHours && config.callingHoursOnSyncRoute) {
    const nowMs = Date.now();
    const verdict = callingHoursVerdict(request.DestinationPhoneNumber, config.callingHours, nowMs);
    if (!verdict.allowed) {
      // A retry of a call an earlier attempt placed (inside the window) still gets its replay: one read.
      const replay = checked.idempotencyKey === undefined ? undefined
        : await ledger.replayOf(caller, idempotencyKey, requestFingerprint, nowMs).catch((error: unknown) => {
          log.warn('ledger read for a replay failed; refused as outside the calling hours', { error: describeError(error) });
          return undefined;
        });
      if (replay) {
        metrics.add(METRIC.replays, 1);
        log.info('replayed', { contactId: replay.contactId });
        return successResponse(replay.responseBody, requestId, true);
      }
      const refusal = refusalOf(verdict, nowMs);
      log.info('outside calling hours', { destination, zones: verdict.zones, opensAt: verdict.opensAt });
      throw new ApiError('OUTSIDE_CALLING_HOURS', refusal.message, [], refusal.retryAfterSeconds);
    }
  }
  const clientToken = deriveClientToken(caller, idempotencyKey, requestFingerprint);
  // With the contact search on, the call carries a digest of its token, so it can be found without its id.
  const callRequest = search ? search.tag(request, clientToken) : request;

  // 2. Claim the key. No claim, no call.
  const now = Date.now();
  const remainingMs = Math.min(context.getRemainingTimeInMillis?.() ?? API_GATEWAY_BUDGET_MS, API_GATEWAY_BUDGET_MS);
  const deadlineMs = now + remainingMs;
  // Another attempt may take a stale claim over sooner than this invocation gives up: see TAKEOVER_AFTER_MS.
  const claimDeadlineMs = now + Math.min(remainingMs, TAKEOVER_AFTER_MS);
  const ledgerStart = Date.now();
  let outcome;
  try {
    outcome = await ledger.claim({ caller, idempotencyKey, fingerprint: requestFingerprint, deadlineMs: claimDeadlineMs, nowMs: now });
  } catch (error) {
    throw ledgerUnavailable(error, log);
  } finally {
    metrics.add(METRIC.ledgerLatency, Date.now() - ledgerStart, 'Milliseconds');
  }
  switch (outcome.kind) {
    case 'replay':
      metrics.add(METRIC.replays, 1);
      log.info('replayed', { contactId: outcome.contactId });
      return successResponse(outcome.responseBody, requestId, true);
    case 'in-progress':
      throw new ApiError('IDEMPOTENCY_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed; retry after the indicated time.',
        [], outcome.retryAfterSeconds);
    case 'key-reused':
      throw new ApiError('IDEMPOTENCY_KEY_REUSED', keyReusedMessage('Idempotency-Key', outcome.endedAs));
    case 'claimed':
      break;
  }
  const claim = outcome.claim;
  const record = (contactId: string, createdAt: string): Promise<string> =>
    recordCall(claim, contactId, createdAt, caller, log);

  // 2b. An earlier attempt of this request died or never heard back from Connect: it may have placed
  // the call. Re-sending the token finds that call only while it is still going; the search finds it after.
  if (outcome.takenOver) {
    log.warn('stale claim taken over: an earlier attempt may have placed the call', { search: Boolean(search) });
    if (search) {
      const searched = await search.find(clientToken);
      if (!searched.ok) {
        // Not knowing, never dial: give the claim up so the next attempt searches again at once.
        log.warn('contact search failed; no call placed', { errorType: searched.errorType, throttled: searched.throttled });
        await ledger.expire(claim).catch((error: unknown) => log.error('ledger expire failed', { error: describeError(error) }));
        throw new ApiError(searched.throttled ? 'RATE_LIMITED' : 'UPSTREAM_ERROR', searched.throttled
          ? 'Amazon Connect\'s rate limit was reached while checking for an earlier attempt of this call; retry after the indicated time.'
          : 'Amazon Connect could not be asked whether an earlier attempt placed this call, so none was placed. Retry with the same Idempotency-Key.',
        [], 1);
      }
      if (searched.found) {
        const found = searched.found;
        const createdAt = (found.initiatedAt ?? new Date()).toISOString();
        const responseBody = await record(found.contactId, createdAt);
        metrics.add(METRIC.lostCallsFound, 1);
        log.warn('lost call found by contact search; not dialled again', { contactId: found.contactId, destination });
        return successResponse(responseBody, requestId, false);
      }
    }
  }

  // 3. Call Connect with a token derived from caller, key and request.
  let contactId: string;
  try {
    contactId = await connect.start(callRequest, clientToken, deadlineMs - Date.now() - RECORD_RESERVE_MS);
  } catch (error) {
    const failure = classifyConnectFailure(error, request.DestinationPhoneNumber);
    metrics.add(METRIC.connectErrors, 1);
    metrics.breakdown('ErrorType', failure.errorType);
    log.warn('connect call failed', { errorType: failure.errorType, outcome: failure.outcome, destination });
    if (failure.outcome === 'refused') {
      await ledger.release(claim).catch((releaseError: unknown) => {
        // The claim then simply expires at its deadline.
        log.error('ledger release failed', { error: describeError(releaseError) });
      });
      throw failure.apiError;
    }
    // Unknown outcome: the claim stays until its deadline; a retry after it
    // re-sends the same ClientToken, and Connect returns the same ContactId
    // while that contact is still going (README, "Reliability").
    throw new ApiError(failure.apiError.code, failure.apiError.message, [],
      Math.max(1, Math.ceil((claimDeadlineMs - Date.now()) / 1000)));
  }

  // 4. Record and answer. The call exists now: a failed record must not hide its id.
  const responseBody = await record(contactId, new Date().toISOString());
  metrics.add(METRIC.callsStarted, 1);
  log.info('call started', { contactId, destination, trafficType: request.TrafficType });
  return successResponse(responseBody, requestId, false);
}

/** Completes the claim with the call (and its first status); a failure is logged, the answer still goes out. */
async function recordCall(claim: Claim, contactId: string, createdAt: string, caller: string, log: Logger): Promise<string> {
  const responseBody = successBody(contactId, createdAt);
  try {
    await ledger.complete(claim, contactId, createdAt, responseBody,
      config.callStatus ? placedStatusAttributes({ caller, createdAt }) : undefined);
  } catch (error) {
    log.error('ledger record failed; a retry after the claim deadline gets the same contact', {
      contactId, error: describeError(error),
    });
  }
  return responseBody;
}

/** GET /contact/outbound-voice/{contactId}: the status of a call, to the caller who placed it. */
async function callStatus(
  event: APIGatewayProxyEvent, caller: string, requestId: string, log: Logger,
): Promise<APIGatewayProxyResult> {
  const contactId = event.pathParameters?.contactId ?? '';
  const notFound = new ApiError('RESOURCE_NOT_FOUND', NOT_FOUND_MESSAGE);
  if (!config.callStatus) throw notFound;
  if (!CONTACT_ID.test(contactId)) {
    throw new ApiError('VALIDATION_ERROR', 'The contact id is not valid.', [
      { field: 'contactId', message: 'must be 1-256 letters, digits, "-" or "_"' },
    ]);
  }
  let stored: StoredCallStatus | undefined;
  try {
    stored = await readCallStatus(dynamodb, config.tableName, contactId, caller);
  } catch (error) {
    log.error('ledger unavailable', { error: describeError(error) });
    throw new ApiError('LEDGER_UNAVAILABLE', 'The call status cannot be read right now. Retry later.', [], 5);
  }
  if (!stored) throw notFound;
  const view = await converge(stored, contactId, log);
  return successResponse(JSON.stringify({ success: true, data: view }), requestId, false);
}

/**
 * Contact events are delivered on a best-effort basis: a call that is not
 * final and has had no news for a while is looked up with DescribeContact, at
 * most once per interval per call (a lease on the call's record), and what
 * Connect says is recorded. When Connect cannot be asked, the last known
 * status is answered with `stale: true`.
 */
async function converge(
  stored: StoredCallStatus, contactId: string, log: Logger,
): Promise<CallStatusView> {
  const now = Date.now();
  const due = !stored.final && now - stored.lastNewsMs >= config.statusLookupAfterMs;
  if (!due) return { ...stored.view, stale: false };
  // Not confirmed for a whole interval past the threshold, or the last lookup failed: possibly stale.
  const staleNow = stored.lookupOk === false || now - stored.lastNewsMs >= config.statusLookupAfterMs + config.statusLookupIntervalMs;
  let leased: boolean;
  try {
    leased = await claimLookup(dynamodb, config.tableName, stored.ref, now, config.statusLookupIntervalMs);
  } catch (error) {
    log.error('status lookup lease failed', { contactId, error: describeError(error) });
    return { ...stored.view, stale: true };
  }
  // Someone else looked it up within the interval: answer what is recorded.
  if (!leased) return { ...stored.view, stale: staleNow };
  const result = await describeCall(connectLookup(), config.policy.instanceId, contactId, LOOKUP_BUDGET_MS);
  if (!result.ok) {
    log.warn('status lookup failed', { contactId, reason: result.reason, errorType: result.errorType });
    await recordLookupFailure(dynamodb, config.tableName, stored.ref).catch((error: unknown) => {
      log.error('status lookup failure not recorded', { contactId, error: describeError(error) });
    });
    return { ...stored.view, stale: true };
  }
  try {
    const updated = await recordLookup(dynamodb, config.tableName, stored, result.observation, now);
    if (updated) return { ...updated.view, stale: false };
  } catch (error) {
    log.error('status lookup not recorded', { contactId, error: describeError(error) });
  }
  return { ...stored.view, stale: true };
}

function ledgerUnavailable(error: unknown, log: Logger): unknown {
  if (!(error instanceof LedgerUnavailableError)) return error;
  log.error('ledger unavailable', { error: describeError(error.cause) });
  return new ApiError('LEDGER_UNAVAILABLE', 'The idempotency ledger is unavailable, so no call was placed. Retry later.', [], 5);
}
