/**
 * The batch dispatcher (docs/batches.md): fed by the dispatch queue (SQS event
 * source, ReportBatchItemFailures). For each call: a dial slot from the pacer,
 * a claim in the ledger (QUEUED → DIALING, or a stale claim taken over), the
 * Connect call with the call's derived ClientToken, then `Ledger.complete()`.
 * Messages are only wake-ups: the ledger decides, so a repeated or late
 * message never dials a call twice.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { awsClientConfig } from './aws-clients';
import { parseDispatchMessage, type DispatchMessage } from './batch';
import { BatchLedger, type DialClaim } from './batch-ledger';
import { DispatchQueue } from './batch-queue';
import { placedStatusAttributes } from './call-status';
import { callingHoursVerdict } from './calling-hours';
import { ConfigError, loadConfig } from './config';
import { classifyConnectFailure, ConnectCaller } from './connect';
import { lookupClient } from './contact-lookup';
import { successBody } from './http';
import { Ledger, ledgerClient } from './ledger';
import { lostCallSearch } from './lost-call';
import { maskPhoneNumber } from './masking';
import { describeError, Logger } from './observability';
import { BATCH, ENV, LEDGER } from '../src/private/contract';

/** Budget of one StartOutboundVoiceContact, inside the claim's lease. */
const DIAL_BUDGET_MS = 8_000;
/** A call is not started with less time than this left in the invocation. */
const INVOCATION_RESERVE_MS = 10_000;
/** A dial slot this far behind the clock is moved to now (an idle dispatcher banks no burst). */
const PACER_SLACK_MS = 1_000;
/** LimitExceeded backoff: 1 s, doubling per attempt, at most 60 s, with ±50 % jitter. */
const BACKOFF = { baseMs: 1_000, maxMs: 60_000 };
/** Unknown outcomes (5xx, timeouts) of one call before it is given up as FAILED (UPSTREAM_ERROR). */
const MAX_UNKNOWN_ATTEMPTS = 5;
/**
 * A stale claim taken over within this long after its lease ended (lease 10 s + 5 s: Connect's shortest
 * ring timeout) re-sends the token; later, without the contact search, it is not dialled again.
 */
const RESEND_WINDOW_MS = 5_000;
/** Tries of the ledger write that records a placed call (each with the ledger client's own 3 attempts). */
const RECORD_ATTEMPTS = 4;

const config = loadConfig();
if (!config.batch) throw new ConfigError([`${ENV.batchQueueUrl} is required`], 'batch dispatcher');
const batchConfig = config.batch;
const logger = new Logger({ service: 'batch-dispatcher' });
const dynamodb = ledgerClient();
// One attempt per dial: a LimitExceeded is re-queued after a backoff, not retried here (pacing stays honest).
const connect = new ConnectCaller({
  ...awsClientConfig('Connect'),
  maxAttempts: 1,
  http: { connectionTimeout: 2_000, requestTimeout: DIAL_BUDGET_MS, throwOnRequestTimeout: true },
});
// The lost-call search after a takeover (lost-call.ts), with the lookups' client (contact-lookup.ts).
const search = lostCallSearch(config, lookupClient());
const ledger = new Ledger(dynamodb, config.tableName, config.idempotencyWindowSeconds);
const batches = new BatchLedger(dynamodb, config.tableName, config.idempotencyWindowSeconds);
const queue = new DispatchQueue(batchConfig.queueUrl, batchConfig.maxWakeUpSeconds);
const intervalMs = 1000 / batchConfig.dialRatePerSecond;
const leaseMs = BATCH.claimLeaseSeconds * 1000;

interface InvocationContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis?(): number;
}

export async function handler(event: SQSEvent, context: InvocationContext): Promise<SQSBatchResponse> {
  const endMs = Date.now() + (context.getRemainingTimeInMillis?.() ?? BATCH.dispatcherTimeoutSeconds * 1000);
  const log = logger.child({ requestId: context.awsRequestId });
  const failures: Array<{ itemIdentifier: string }> = [];
  const failed = (sqsRecord: SQSRecord, error: unknown): void => {
    // Redelivered after the visibility timeout; the ledger makes the retry safe.
    log.error('message not handled; it comes back', { messageId: sqsRecord.messageId, error: describeError(error) });
    failures.push({ itemIdentifier: sqsRecord.messageId });
  };
  // 1. Batch wake-ups, and which call messages need a dial now.
  const due: Array<{ sqsRecord: SQSRecord; message: CallMessage }> = [];
  await Promise.all((event.Records ?? []).map(async (sqsRecord: SQSRecord) => {
    const message = parseDispatchMessage(sqsRecord.body);
    if (!message) {
      // Not ours: left to the dead-letter queue for a person to look at.
      log.error('unreadable message', { messageId: sqsRecord.messageId });
      failures.push({ itemIdentifier: sqsRecord.messageId });
      return;
    }
    try {
      if (message.kind === 'batch') await wakeBatch(message.batchId, log);
      else if (await dueNow(message)) due.push({ sqsRecord, message });
    } catch (error) {
      failed(sqsRecord, error);
    }
  }));
  if (due.length === 0) return { batchItemFailures: failures };

  // 2. One dial slot each, from the pacer in one write. From here on, if this process dies, each message is
  // back soon after its claim's lease ends (not after the queue's whole visibility timeout), while a call an
  // earlier attempt placed is still ringing.
  let firstSlot: number;
  try {
    firstSlot = await batches.takeDialSlots(due.length, intervalMs, Date.now(), PACER_SLACK_MS);
    const lastSlot = firstSlot + (due.length - 1) * intervalMs;
    await queue.holdAll(due.map(({ sqsRecord }) => sqsRecord.receiptHandle), (Math.max(lastSlot - Date.now(), 0) + leaseMs) / 1000 + 1);
  } catch (error) {
    due.forEach(({ sqsRecord }) => failed(sqsRecord, error));
    return { batchItemFailures: failures };
  }
  // 3. Each call at its slot.
  await Promise.all(due.map(async ({ sqsRecord, message }, index) => {
    try {
      await dialCall(message, firstSlot + index * intervalMs, endMs, log.child({ batchId: message.batchId }));
    } catch (error) {
      failed(sqsRecord, error);
    }
  }));
  return { batchItemFailures: failures };
}

type CallMessage = Extract<DispatchMessage, { kind: 'call' }>;

/** A batch's wake-up: before NotBefore, another wake-up; from then on, one message per call. */
async function wakeBatch(batchId: string, log: Logger): Promise<void> {
  const batch = await batches.readBatch(batchId);
  if (!batch) return;
  const now = Date.now();
  if (batch.notBeforeMs > now) {
    await queue.send({ v: 1, kind: 'batch', batchId }, batch.notBeforeMs, now);
    return;
  }
  await queue.sendNow(batch.callKeys.map((pk) => ({ v: 1, kind: 'call', batchId, pk })));
  log.info('batch due: calls queued', { batchId, calls: batch.callKeys.length });
}

/**
 * Whether a call message needs a dial slot now. With calling hours, the call
 * is looked at first: one not yet due, or whose callee's window is closed,
 * sleeps on (a wake-up when it is due) without a slot or a claim.
 */
async function dueNow(message: CallMessage): Promise<boolean> {
  if (!config.callingHours) return true;
  const queued = await batches.peek(message.pk, message.batchId);
  if (!queued) return true; // not QUEUED in this batch: the claim says what to do
  if (queued.dueAtMs > Date.now() && queued.dueAtMs < queued.notAfterMs) {
    await queue.send(message, queued.dueAtMs);
    return false;
  }
  const reschedule = (opensAt: number): Promise<boolean> => batches.reschedule(message.pk, message.batchId, opensAt);
  return !await waitForCallingHours(message, queued.destination, queued.notAfterMs, reschedule);
}

async function dialCall(callMessage: CallMessage, slot: number, endMs: number, log: Logger): Promise<void> {
  const { batchId, pk } = callMessage;
  if (slot > endMs - INVOCATION_RESERVE_MS) {
    // Too far ahead for this invocation: come back at the slot's time (the slot stays unused).
    await queue.send(callMessage, slot);
    return;
  }
  await sleep(slot - Date.now());

  // 2. The claim.
  const now = Date.now();
  const outcome = await batches.claimForDial(pk, batchId, now, leaseMs);
  switch (outcome.kind) {
    case 'done':
      return;
    case 'expired':
      await batches.expireQueued(pk, batchId, now);
      return;
    case 'later':
      await queue.send(callMessage, outcome.atMs, now);
      return;
    case 'claimed':
      break;
  }
  const claim = outcome.claim;
  const destination = maskPhoneNumber(claim.request.DestinationPhoneNumber);

  // 2b. A stale claim: an earlier attempt may have placed the call. Search first where possible.
  if (claim.takenOver) {
    log.warn('stale dial claim taken over: an earlier attempt may have placed the call', { destination });
    if (search) {
      const searched = await search.find(claim.clientToken);
      if (!searched.ok) {
        // Not knowing, never dial: the lease runs out and a later wake-up searches again.
        await queue.send(callMessage, claim.deadlineMs + 1_000);
        return;
      }
      if (searched.found) {
        await record(claim, batchId, searched.found.contactId, (searched.found.initiatedAt ?? new Date()).toISOString(), log);
        log.warn('lost call found by contact search; not dialled again', { contactId: searched.found.contactId });
        return;
      }
    }
    // Re-sending the token finds the earlier call only while it is still going (it rings for at least 15 s):
    // a takeover later than that, or past NotAfter, does not dial again; whether the earlier attempt placed
    // the call stays unknown (FAILED, UPSTREAM_ERROR). The contact search, when on, has answered above.
    const late = Date.now() - claim.staleSinceMs > RESEND_WINDOW_MS && !search;
    if (late || Date.now() >= claim.notAfterMs) {
      log.warn('stale dial claim not dialled again: its outcome is unknown', { destination, late });
      await batches.finish(claim, LEDGER.batchCallStatus.failed, 'UPSTREAM_ERROR');
      return;
    }
  }

  // 2c. The window may have closed while the call waited for its slot: back to QUEUED until it opens.
  if (config.callingHours && await waitForCallingHours(callMessage, claim.request.DestinationPhoneNumber, claim.notAfterMs,
    (opensAt) => batches.requeue(claim, opensAt, claim.notAfterMs, false))) {
    return;
  }

  // 3. The call, with the token derived at submission (the synchronous route's token for this key and request).
  const request = search ? search.tag(claim.request, claim.clientToken) : claim.request;
  let contactId: string;
  try {
    contactId = await connect.start(request, claim.clientToken, DIAL_BUDGET_MS);
  } catch (error) {
    const failure = classifyConnectFailure(error, claim.request.DestinationPhoneNumber);
    if (failure.outcome === 'refused' && failure.apiError.code === 'RATE_LIMITED') {
      // Connect's quota: back to QUEUED, again after a backoff. Not a failure.
      const backoff = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** Math.min(claim.attempts, 10)) * (0.5 + Math.random());
      const dueAt = Date.now() + backoff;
      log.info('connect rate limit: call re-queued', { errorType: failure.errorType, backoffMs: Math.round(backoff) });
      if (await batches.requeue(claim, dueAt, claim.notAfterMs, true)) await queue.send(callMessage, dueAt);
      return;
    }
    if (failure.outcome === 'refused') {
      log.warn('connect refused the call', { errorType: failure.errorType, code: failure.apiError.code, destination });
      await batches.finish(claim, LEDGER.batchCallStatus.failed, failure.apiError.code);
      return;
    }
    // Unknown outcome: the claim stays until its lease ends; the next wake-up takes it over and re-sends the token.
    log.warn('connect outcome unknown', { errorType: failure.errorType, destination });
    if (claim.attempts + 1 >= MAX_UNKNOWN_ATTEMPTS) {
      await batches.finish(claim, LEDGER.batchCallStatus.failed, 'UPSTREAM_ERROR');
      return;
    }
    await batches.countAttempt(claim);
    await queue.send(callMessage, claim.deadlineMs + 1_000);
    return;
  }

  // 4. Record it: PLACED, with its first call status in the same write (the existing GET route answers the call's status).
  await record(claim, batchId, contactId, new Date().toISOString(), log);
  log.info('call started', { contactId, destination });
}

/**
 * Whether the callee's calling hours keep the call back now. If so, `wait`
 * moves it to when they open (the wake-up comes then, or at NotAfter, when it
 * expires); a number the policy never allows (the unknown-zone rule refuses
 * it, or no window within the policy's horizon) waits until NotAfter and expires.
 */
async function waitForCallingHours(
  message: DispatchMessage, destination: string, notAfterMs: number, wait: (opensAt: number) => Promise<boolean>,
): Promise<boolean> {
  const now = Date.now();
  const verdict = callingHoursVerdict(destination, config.callingHours!, now);
  if (verdict.allowed) return false;
  const opensAt = Math.min(verdict.opensAt ?? notAfterMs, notAfterMs);
  if (await wait(opensAt)) await queue.send(message, opensAt, now);
  return true;
}

async function record(claim: DialClaim, batchId: string, contactId: string, createdAt: string, log: Logger): Promise<void> {
  const statusAttributes = config.callStatus
    ? {
      ...placedStatusAttributes({ caller: '', createdAt }),
      // The submitting caller, as the batch stored it (a hash): they see the call on the status route.
      [LEDGER.callStatus.callerHash]: { S: claim.callerHash },
    }
    : undefined;
  // The call exists now: a record that fails is tried again at once (a takeover much later could dial it again).
  for (let attempt = 0; ; attempt++) {
    try {
      await ledger.complete(claim, contactId, createdAt, successBody(contactId, createdAt), statusAttributes);
      return;
    } catch (error) {
      if (attempt < RECORD_ATTEMPTS - 1) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      // Placed but not recorded: at NotAfter a wake-up settles the record without dialling again.
      log.error('ledger record failed after the call was placed', { contactId, error: describeError(error) });
      await queue.send({ v: 1, kind: 'call', batchId, pk: claim.pk }, claim.notAfterMs).catch(() => undefined);
      return;
    }
  }
}

const sleep = (ms: number): Promise<void> => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
